// Package recorder holds the camera sessions (RTSP pull, reconnect with backoff), the fMP4 segment writer,
// the batched indexer, crash recovery and reindex, retention, health and metrics.
package recorder

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"vigil/config"
	"vigil/segfile"
	"vigil/store"
)

// Recorder records every enabled camera of a config into segment files and the store.
type Recorder struct {
	Config *config.Config
	Store  *store.Store
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Now is vigil's clock for events, retention and status; it defaults to time.Now. Media timing always
	// uses the real clock.
	Now func() time.Time
	// QueueSize is the number of access units buffered per camera between the RTSP read loop and the
	// writer. It defaults to 1024 (about 40 s of 25 fps video with its audio).
	QueueSize int
	// FlushInterval is how often the index is written. It defaults to 1 second.
	FlushInterval time.Duration
	// SubstreamIdle is how long a camera's substream stays connected after its last live viewer leaves.
	// It defaults to DefaultSubstreamIdle (30 seconds).
	SubstreamIdle time.Duration
	// OnIndexFlush, if set, is called after every successful index write (a seam for tests).
	OnIndexFlush func()

	// wrapFile, if set, stands between a segment writer and its file: the tests' way to make a disk fail.
	wrapFile func(camera string, f segfile.VectorWriter) segfile.VectorWriter

	log       *slog.Logger
	index     *indexer
	cameras   []*camera
	byID      map[string]*camera
	cron      *cron.Cron
	retention retentionState
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	flushWG   sync.WaitGroup
	started   time.Time

	// liveCtx ends with the recorder; liveMu and liveClosed keep live-only sessions (substreams) from
	// starting once Close waits for the recorder's goroutines.
	liveCtx    context.Context
	liveMu     sync.Mutex
	liveClosed bool
}

// goLive runs f on a goroutine that Close waits for, unless the recorder is closing.
func (r *Recorder) goLive(f func()) bool {
	r.liveMu.Lock()
	defer r.liveMu.Unlock()
	if r.liveClosed {
		return false
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		f()
	}()
	return true
}

func (r *Recorder) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}

// Start recovers from whatever a crash left, then starts every enabled camera, the indexer and retention.
func (r *Recorder) Start() error {
	if r.Config.Location == nil {
		return fmt.Errorf("config without a time zone: load it with config.Load or call ApplyDefaults")
	}
	if r.Log == nil {
		r.Log = slog.Default()
	}
	if r.QueueSize <= 0 {
		r.QueueSize = 1024
	}
	if r.FlushInterval <= 0 {
		r.FlushInterval = time.Second
	}
	if r.SubstreamIdle <= 0 {
		r.SubstreamIdle = DefaultSubstreamIdle
	}
	r.log = r.Log
	r.started = r.now()
	r.index = newIndexer(r.Store, r.log.With("component", "indexer"))
	r.index.onFlush = r.OnIndexFlush
	if r.Config.Storage.Fsync == "fragment" {
		r.index.syncRoot = r.Config.Storage.Path
	}

	ctx, cancel := context.WithCancel(context.Background())
	r.cancel, r.liveCtx = cancel, ctx
	if err := r.Recover(ctx); err != nil {
		cancel()
		return fmt.Errorf("recovery: %w", err)
	}

	r.byID = map[string]*camera{}
	for _, cc := range r.Config.Cameras {
		c := newCamera(r, cc)
		r.cameras = append(r.cameras, c)
		r.byID[cc.ID] = c
	}
	r.flushWG.Add(1)
	go func() {
		defer r.flushWG.Done()
		r.index.run(ctx, r.FlushInterval)
	}()
	for _, c := range r.cameras {
		if !c.cfg.Enabled {
			continue
		}
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			c.run(ctx)
		}()
	}
	return r.startRetention(ctx)
}

// Close stops every camera, closing their segments, records that they went offline because vigil stopped,
// and writes the index one last time.
func (r *Recorder) Close() error {
	if r.cron != nil {
		<-r.cron.Stop().Done()
	}
	r.liveMu.Lock()
	r.liveClosed = true
	r.liveMu.Unlock()
	r.cancel()
	r.wg.Wait()
	r.flushWG.Wait()
	for _, c := range r.cameras {
		if c.cfg.Enabled {
			c.setState(store.StateOffline, "vigil stopped")
		}
	}
	return r.index.flush(context.Background())
}

// Cameras returns the status of every configured camera, in config order.
func (r *Recorder) Cameras() []CameraStatus {
	out := make([]CameraStatus, 0, len(r.cameras))
	for _, c := range r.cameras {
		out = append(out, c.Status())
	}
	return out
}

// Camera returns the status of one camera.
func (r *Recorder) Camera(id string) (CameraStatus, bool) {
	c, ok := r.byID[id]
	if !ok {
		return CameraStatus{}, false
	}
	return c.Status(), true
}

// Started is when the recorder started.
func (r *Recorder) Started() time.Time { return r.started }

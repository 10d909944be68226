package recorder

import (
	"context"
	crand "crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"vigil/config"
	"vigil/store"
)

// CameraStatus is what the API and the metrics show of one camera.
type CameraStatus struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Facility  string    `json:"facility"`
	URL       string    `json:"url"` // password redacted
	Enabled   bool      `json:"enabled"`
	State     string    `json:"state"` // connecting | online | offline | disabled
	Since     time.Time `json:"since"`
	LastError string    `json:"last_error,omitempty"`
	Attempts  int       `json:"attempts"` // failed connection attempts since it was last online
	// NextAttempt is when a camera that is offline will be tried again.
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	Warnings    []string   `json:"warnings,omitempty"`

	VideoCodec string  `json:"codec,omitempty"`
	AudioCodec string  `json:"audio_codec,omitempty"`
	Width      int     `json:"width,omitempty"`
	Height     int     `json:"height,omitempty"`
	FPS        float64 `json:"fps,omitempty"`
	Bitrate    int64   `json:"bitrate,omitempty"` // bits per second, measured over the last fragment

	Received     uint64 `json:"received_bytes"` // RTP payload bytes received
	Bytes        uint64 `json:"bytes"`          // bytes written to segment files
	Fragments    uint64 `json:"fragments"`
	Reconnects   uint64 `json:"reconnects"`
	QueueDrops   uint64 `json:"queue_drops"`
	LiveDrops    uint64 `json:"live_drops"` // units live viewers missed by reading too slowly
	PacketsLost  uint64 `json:"packets_lost"`
	DecodeErrors uint64 `json:"decode_errors"`

	// Substream is the live-only second stream, when the camera has one (nil otherwise: a grid viewer
	// gets the main stream).
	Substream *SubstreamStatus `json:"substream,omitempty"`
}

// StateDisabled is the state of a camera that the config turns off; it writes no events.
const StateDisabled = "disabled"

// camera supervises one camera: it runs RTSP sessions one after another, with backoff between them, and
// keeps the camera's status. A session's failure ends that session only.
type camera struct {
	cfg          config.Camera
	rec          *Recorder
	log          *slog.Logger
	root         string // storage root
	fsync        string
	segmentTicks int64
	queueSize    int

	// the main stream's counters, and what its sessions need
	streamStats
	bytes, fragments, reconnects atomic.Uint64
	main                         source

	sub *substream // nil without a substream_url

	mu     sync.Mutex
	status CameraStatus
	live   *fanOut         // the current session's live viewers; nil between sessions
	dirs   map[string]bool // date folders known to exist
}

func newCamera(r *Recorder, cfg config.Camera) *camera {
	c := &camera{
		cfg:          cfg,
		rec:          r,
		log:          r.log.With("component", "recorder", "camera", cfg.ID),
		root:         r.Config.Storage.Path,
		fsync:        r.Config.Storage.Fsync,
		segmentTicks: int64(r.Config.Storage.SegmentDuration / time.Second * videoClockRate),
		queueSize:    r.QueueSize,
		dirs:         map[string]bool{},
	}
	c.status = CameraStatus{ID: cfg.ID, Name: cfg.Name, Facility: cfg.Facility, URL: cfg.RedactedURL(),
		Enabled: cfg.Enabled, State: StateDisabled, Since: r.now()}
	c.main = source{url: cfg.URL, record: true, stats: &c.streamStats, log: c.log, warn: c.noteWarning,
		onPlay: func(f *fanOut) {
			c.mu.Lock()
			c.live = f
			c.mu.Unlock()
		},
		onEnd: func(f *fanOut) {
			c.mu.Lock()
			if c.live == f {
				c.live = nil
			}
			c.mu.Unlock()
		}}
	if cfg.SubstreamURL != "" && cfg.Enabled {
		c.sub = newSubstream(c)
	}
	return c
}

// Status returns a snapshot of the camera's status.
func (c *camera) Status() CameraStatus {
	c.mu.Lock()
	s := c.status
	s.Warnings = append([]string(nil), s.Warnings...)
	c.mu.Unlock()
	s.Received, s.Bytes, s.Fragments, s.Reconnects = c.received.Load(), c.bytes.Load(), c.fragments.Load(), c.reconnects.Load()
	s.QueueDrops, s.PacketsLost, s.DecodeErrors = c.drops.Load(), c.lost.Load(), c.decodeErrors.Load()
	s.LiveDrops = c.liveDrops.Load()
	if c.sub != nil {
		s.Substream = c.sub.status()
	}
	return s
}

// setState records a transition; an event is written only when the state changes, so a camera that stays
// down for a day is one offline event, not one per attempt.
func (c *camera) setState(state, reason string) {
	now := c.rec.now()
	c.mu.Lock()
	changed := c.status.State != state
	if changed {
		c.status.State, c.status.Since = state, now
	}
	if state == store.StateOffline {
		c.status.LastError = reason
	}
	c.mu.Unlock()
	if changed {
		c.log.Info("state", "state", state, "reason", reason)
		c.rec.index.putEvent(store.Event{CameraID: c.cfg.ID, At: now.UnixNano(), State: state, Reason: reason})
	}
}

func (c *camera) run(ctx context.Context) {
	c.setState(store.StateConnecting, "recorder started")
	failures := 0
	for {
		err := c.runSession(ctx, &c.main)
		if ctx.Err() != nil {
			return
		}
		c.reconnects.Add(1)
		if errors.Is(err, syscall.ENOSPC) {
			c.rec.retentionNow()
		}
		if c.Status().State == store.StateOnline {
			failures = 0
		}
		failures++
		reason := c.redact(err)
		c.setState(store.StateOffline, reason)
		delay := backoff(failures)
		next := c.rec.now().Add(delay)
		c.mu.Lock()
		c.status.Attempts = failures
		c.status.NextAttempt = &next
		c.mu.Unlock()
		c.log.Warn("session ended", "err", reason, "attempt", failures, "retry_in", delay.Round(time.Millisecond))
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		c.mu.Lock()
		c.status.NextAttempt = nil
		c.mu.Unlock()
	}
}

// backoff steps up with the number of consecutive failures (1 s, then 5 s, 10 s, and 1 min from the 21st
// attempt) and adds ±20% jitter so cameras behind one failed switch do not retry in lockstep.
func backoff(failures int) time.Duration {
	var d time.Duration
	switch {
	case failures <= 5:
		d = time.Second
	case failures <= 10:
		d = 5 * time.Second
	case failures <= 20:
		d = 10 * time.Second
	default:
		d = time.Minute
	}
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// redact makes an error safe to log and show: the camera's password never leaves vigil.
func (c *camera) redact(err error) string {
	if err == nil {
		return "session ended"
	}
	if errors.Is(err, io.EOF) {
		err = fmt.Errorf("the camera closed the connection: %w", err)
	}
	return config.HidePasswords(err.Error(), c.cfg.URL, c.cfg.SubstreamURL)
}

func (c *camera) noteDecodeError(err error) {
	c.decodeErrors.Add(1)
	c.mu.Lock()
	c.status.LastError = c.redact(err)
	c.mu.Unlock()
}

func (c *camera) noteWarning(w string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, x := range c.status.Warnings {
		if x == w {
			return
		}
	}
	c.status.Warnings = append(c.status.Warnings, w)
	c.log.Warn(w)
}

func (c *camera) noteSegmentOpen(p *videoParams, a *audioTrack) {
	c.mu.Lock()
	c.status.VideoCodec, c.status.Width, c.status.Height = p.Codec, p.width, p.height
	c.status.AudioCodec = ""
	if a != nil {
		c.status.AudioCodec = a.name
	}
	c.status.Attempts = 0
	c.mu.Unlock()
	c.setState(store.StateOnline, "recording")
}

func (c *camera) noteFragment(bytes int64, frames int, dur int64) {
	c.bytes.Add(uint64(bytes))
	c.fragments.Add(1)
	if dur <= 0 {
		return
	}
	c.mu.Lock()
	c.status.FPS = float64(frames) * 1e9 / float64(dur)
	c.status.Bitrate = bytes * 8 * 1e9 / dur
	c.mu.Unlock()
}

// createSegmentFile makes <root>/<camera>/<local date>/<local time>.mp4 for a segment starting at wall.
func (c *camera) createSegmentFile(wall int64) (string, *os.File, error) {
	t := time.Unix(0, wall).In(c.rec.Config.Location)
	dir := filepath.Join(c.cfg.ID, t.Format("2006-01-02"))
	if !c.dirs[dir] {
		if err := os.MkdirAll(filepath.Join(c.root, dir), 0o750); err != nil {
			return "", nil, err
		}
		c.dirs[dir] = true
	}
	base := t.Format("15-04-05.000")
	for i := 0; ; i++ {
		name := base + ".mp4"
		if i > 0 {
			name = fmt.Sprintf("%s-%d.mp4", base, i)
		}
		rel := filepath.Join(dir, name)
		f, err := os.OpenFile(filepath.Join(c.root, rel), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
		if errors.Is(err, os.ErrExist) && i < 100 {
			continue
		}
		if err != nil {
			return "", nil, err
		}
		if c.fsync == "segment" { // with "fragment" the indexer's syncfs covers the new entry
			syncDir(filepath.Join(c.root, dir))
		}
		return rel, f, nil
	}
}

// syncDir makes a new directory entry durable; a failure only weakens durability, so it is not fatal.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func newRunID() string {
	var b [8]byte
	crand.Read(b[:])
	return hex.EncodeToString(b[:])
}

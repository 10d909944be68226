package recorder

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"vigil/config"
	"vigil/media"
	"vigil/store"
)

// ErrSubstreamDown is returned by Subscribe when a camera's substream could not be played; the error
// says why, with the camera's password redacted.
var ErrSubstreamDown = errors.New("substream unavailable")

// StateIdle is the state of a substream that nobody watches: it is not connected.
const StateIdle = "idle"

// DefaultSubstreamIdle is how long a substream stays connected after its last viewer leaves, so that a
// viewer who comes back (the grid reloaded, a page switched back) finds it playing.
const DefaultSubstreamIdle = 30 * time.Second

// SubstreamStatus is what the API shows of a camera's substream. Its counters cover every session it has
// had; they are the substream's alone, never added to the camera's.
type SubstreamStatus struct {
	URL       string `json:"url"`   // password redacted
	State     string `json:"state"` // idle | connecting | online | offline (the last attempt failed)
	Viewers   int    `json:"viewers"`
	LastError string `json:"last_error,omitempty"`

	Received     uint64 `json:"received_bytes"`
	LiveDrops    uint64 `json:"live_drops"`
	PacketsLost  uint64 `json:"packets_lost"`
	DecodeErrors uint64 `json:"decode_errors"`
}

// substream is a camera's second, smaller stream, for the live grid. It is never recorded: a session is
// opened when the first viewer subscribes, shared by every later one, and closed once nobody has watched
// for the recorder's SubstreamIdle. It runs through the same session code as the main stream, apart from
// it: its failures are its own (its viewers get the reason), never the recording's state or counters.
type substream struct {
	cam   *camera
	src   source // onPlay and onEnd are set per run
	stats streamStats

	mu       sync.Mutex
	run      *subRun // the session connecting or playing now; nil when there is none
	state    string
	failures int       // consecutive failed sessions
	retryAt  time.Time // no new attempt before this after a failure
	lastErr  error     // the last failure, redacted and wrapping ErrSubstreamDown
	warned   map[string]bool
}

// subRun is one session with the substream and the viewers that hold it open.
type subRun struct {
	ready  chan struct{} // closed once it plays (live is set) or has failed (err is set)
	live   *fanOut
	err    error
	cancel context.CancelFunc
	// viewers counts the open feeds and the callers waiting for the session to play; at zero an idle
	// timer is armed, and gen tells a stale timer from the current one.
	viewers int
	gen     int
}

func newSubstream(c *camera) *substream {
	s := &substream{cam: c, state: StateIdle, warned: map[string]bool{}}
	s.src = source{url: c.cfg.SubstreamURL, stats: &s.stats, log: c.log.With("stream", "sub"), warn: s.warn}
	return s
}

func (s *substream) subscribe() (*media.Feed, error) {
	run, err := s.acquire()
	if err != nil {
		return nil, err
	}
	<-run.ready
	if run.err != nil {
		s.release(run)
		return nil, run.err
	}
	feed, err := run.live.subscribe(func() { s.release(run) })
	if err != nil {
		s.release(run)
		return nil, err
	}
	return feed, nil
}

// acquire counts one more viewer of the current session, starting one if there is none and the last
// failure is far enough behind.
func (s *substream) acquire() (*subRun, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.run == nil {
		if wait := time.Until(s.retryAt); wait > 0 {
			return nil, fmt.Errorf("%w (next attempt in %v)", s.lastErr, wait.Round(100*time.Millisecond))
		}
		run := &subRun{ready: make(chan struct{})}
		var ctx context.Context
		ctx, run.cancel = context.WithCancel(s.cam.rec.liveCtx)
		if !s.cam.rec.goLive(func() { s.runOnce(ctx, run) }) {
			run.cancel()
			return nil, ErrNotLive
		}
		s.run = run
		s.state = store.StateConnecting
	}
	s.run.viewers++
	s.run.gen++ // disarms a pending idle timer
	return s.run, nil
}

// release forgets one viewer; the last one arms the idle timer.
func (s *substream) release(run *subRun) {
	s.mu.Lock()
	defer s.mu.Unlock()
	run.viewers--
	if run.viewers > 0 || s.run != run {
		return
	}
	run.gen++
	gen := run.gen
	time.AfterFunc(s.cam.rec.SubstreamIdle, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.run == run && run.viewers == 0 && run.gen == gen {
			s.src.log.Info("no viewers: closing the substream")
			s.run = nil
			s.state = StateIdle
			run.cancel()
		}
	})
}

// runOnce runs one session with the substream until it fails or is cancelled (idle, or the recorder
// stops). It is never retried here: a failure is remembered, and the next viewer after the backoff
// starts a new session.
func (s *substream) runOnce(ctx context.Context, run *subRun) {
	defer run.cancel()
	src := s.src
	played := false
	src.onPlay = func(f *fanOut) {
		played = true
		run.live = f
		s.mu.Lock()
		if s.run == run {
			s.state, s.failures, s.retryAt = store.StateOnline, 0, time.Time{}
		}
		s.mu.Unlock()
		close(run.ready)
	}
	src.onEnd = func(*fanOut) {}
	err := s.cam.runSession(ctx, &src)

	s.mu.Lock()
	current := s.run == run
	if current {
		s.run = nil
	}
	stopped := ctx.Err() != nil // idle, or the recorder stopping: not a failure
	if stopped {
		err = ErrNotLive
		if current {
			s.state = StateIdle
		}
	} else {
		err = fmt.Errorf("%w: %s", ErrSubstreamDown, s.cam.redact(err))
		s.failures++
		delay := backoff(s.failures)
		s.retryAt, s.lastErr = time.Now().Add(delay), err
		if current {
			s.state = store.StateOffline
		}
		s.src.log.Warn("substream session ended", "err", err, "attempt", s.failures, "retry_after", delay.Round(time.Millisecond))
	}
	s.mu.Unlock()
	if !played {
		run.err = err
		close(run.ready)
	}
}

func (s *substream) status() *SubstreamStatus {
	s.mu.Lock()
	st := &SubstreamStatus{URL: config.Redact(s.cam.cfg.SubstreamURL), State: s.state}
	if s.run != nil {
		st.Viewers = s.run.viewers
	}
	if s.lastErr != nil {
		st.LastError = s.lastErr.Error()
	}
	s.mu.Unlock()
	st.Received, st.LiveDrops = s.stats.received.Load(), s.stats.liveDrops.Load()
	st.PacketsLost, st.DecodeErrors = s.stats.lost.Load(), s.stats.decodeErrors.Load()
	return st
}

// warn logs a condition of the substream once; the camera's warnings are the recording's.
func (s *substream) warn(w string) {
	s.mu.Lock()
	seen := s.warned[w]
	s.warned[w] = true
	s.mu.Unlock()
	if !seen {
		s.src.log.Warn(w)
	}
}

package upstream

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	"vigil/config"
	"vigil/media"
	"vigil/recorder"
)

// States of a push.
const (
	PushConnecting = "connecting"
	PushPublishing = "publishing"
	PushWaiting    = "waiting" // for the camera to come online
	PushFailed     = "failed"  // waiting to try again
)

const (
	firstRetry = time.Second
	lastRetry  = 30 * time.Second
	// stableAfter is how long a push must have run for its next failure to be retried at once again.
	stableAfter = time.Minute
	// pushTimeout bounds each request to a push target, and the connection to it.
	pushTimeout = 10 * time.Second
)

// Pusher publishes cameras to RTSP servers that want them pushed (ANNOUNCE/RECORD), from the recorder's
// live fan-out. Each camera and target has its own publisher, which waits for the camera to be online,
// publishes, and on any failure (refused, closed by the server, the camera's session ended) starts again
// after a pause: 1 s doubling up to 30 s, back to 1 s once a push has run for a minute.
type Pusher struct {
	Targets []config.PushTarget
	// Cameras expand a target without a camera into one push per enabled camera.
	Cameras []config.Camera
	// Subscribe opens a feed of a camera's live stream: the recorder's Subscribe.
	Subscribe func(camera string, q media.Quality) (*media.Feed, error)
	// Log defaults to slog.Default().
	Log *slog.Logger

	mu   sync.Mutex
	pubs []*publisher
}

// PushStatus is one camera pushed to one target.
type PushStatus struct {
	Camera string `json:"camera"`
	// Target names the server pushed to: scheme://host[:port] only, as webhooks are named, since a path or
	// query may hold the stream's key and the status reaches viewers, metrics and logs.
	Target string    `json:"target"`
	State  string    `json:"state"` // PushConnecting | PushPublishing | PushWaiting | PushFailed
	Since  time.Time `json:"since"` // when it entered State
	// LastError is the last failure (passwords hidden); it stays while publishing again, as history.
	LastError string `json:"last_error,omitempty"`
	// Attempts counts the connections tried since it last published (0 while publishing).
	Attempts int `json:"attempts"`
	// NextAttempt is when a push that failed or waits for its camera is tried again.
	NextAttempt *time.Time `json:"next_attempt,omitempty"`
	// Dropped counts packets not sent because the connection to the target was too slow.
	Dropped uint64 `json:"dropped"`
}

// Run publishes until ctx is done, then returns once every publisher has stopped.
func (p *Pusher) Run(ctx context.Context) {
	log := p.Log
	if log == nil {
		log = slog.Default()
	}
	pubs := p.expand(log.With("component", "push"))
	p.mu.Lock()
	p.pubs = pubs
	p.mu.Unlock()
	var wg sync.WaitGroup
	for _, pub := range pubs {
		wg.Go(func() { pub.run(ctx) })
	}
	wg.Wait()
}

// Status lists every push, in the order of the targets.
func (p *Pusher) Status() []PushStatus {
	p.mu.Lock()
	pubs := p.pubs
	p.mu.Unlock()
	out := make([]PushStatus, 0, len(pubs))
	for _, pub := range pubs {
		out = append(out, pub.snapshot())
	}
	return out
}

// expand makes one publisher per camera of each target.
func (p *Pusher) expand(log *slog.Logger) []*publisher {
	var enabled []string
	for _, c := range p.Cameras {
		if c.Enabled {
			enabled = append(enabled, c.ID)
		}
	}
	var pubs []*publisher
	for _, t := range p.Targets {
		cams := []string{t.Camera}
		if t.Camera == "" {
			cams = enabled
		}
		for _, cam := range cams {
			url := t.URLFor(cam)
			pub := &publisher{camera: cam, url: url, udp: t.Transport == "udp", subscribe: p.Subscribe}
			pub.status = PushStatus{Camera: cam, Target: targetName(url), State: PushConnecting, Since: time.Now()}
			pub.log = log.With("camera", cam, "target", pub.status.Target)
			pubs = append(pubs, pub)
		}
	}
	return pubs
}

// publisher pushes one camera to one target.
type publisher struct {
	camera    string
	url       string // with its password: never logged nor shown
	udp       bool
	subscribe func(camera string, q media.Quality) (*media.Feed, error)
	log       *slog.Logger

	mu     sync.Mutex
	status PushStatus
}

func (pub *publisher) snapshot() PushStatus {
	pub.mu.Lock()
	defer pub.mu.Unlock()
	return pub.status
}

// run waits for the camera, publishes, and starts again after each failure, until ctx is done.
func (pub *publisher) run(ctx context.Context) {
	var offline, failing backoff
	for ctx.Err() == nil {
		feed, err := pub.subscribe(pub.camera, media.MainStream)
		if err != nil {
			state := PushFailed
			if errors.Is(err, recorder.ErrNotLive) {
				state = PushWaiting
			}
			if !sleep(ctx, pub.fail(state, err, offline.next())) {
				return
			}
			continue
		}
		offline.reset()
		started, err := pub.publish(ctx, feed)
		feed.Close()
		if ctx.Err() != nil {
			return
		}
		if !started.IsZero() && time.Since(started) >= stableAfter {
			failing.reset()
		}
		state, pause := PushWaiting, time.Duration(0)
		if errors.Is(err, errFeedEnded) {
			// The camera went offline: nothing is wrong with the target.
			pause = offline.next()
		} else {
			state, pause = PushFailed, failing.next()
		}
		if !sleep(ctx, pub.fail(state, err, pause)) {
			return
		}
	}
}

// publish connects to the target and sends the feed until something fails; it returns when publishing
// started (zero if it did not).
func (pub *publisher) publish(ctx context.Context, feed *media.Feed) (time.Time, error) {
	pub.set(func(s *PushStatus) {
		s.Attempts++
		s.NextAttempt = nil
	}, PushConnecting)
	params, first, err := waitParams(feed, ctx.Done(), paramsWait)
	if err != nil {
		return time.Time{}, err
	}
	pz, err := newPacketizer(feed.Tracks, params)
	if err != nil {
		return time.Time{}, err
	}
	c, err := pub.connect(ctx, pz.desc)
	if err != nil {
		return time.Time{}, err
	}
	defer c.Close()
	started := time.Now()
	pub.set(func(s *PushStatus) { s.Attempts = 0 }, PushPublishing)
	pub.log.Info("publishing")

	closed := make(chan error, 1)
	go func() { closed <- c.Wait() }()
	if first != nil {
		if err := pub.write(c, pz, *first); err != nil {
			return started, err
		}
	}
	for {
		select {
		case u, ok := <-feed.Units:
			if !ok {
				return started, errFeedEnded
			}
			if err := pub.write(c, pz, u); err != nil {
				return started, err
			}
		case err := <-closed:
			return started, fmt.Errorf("connection lost: %w", err)
		case <-ctx.Done():
			return started, nil
		}
	}
}

// connect announces the stream and starts recording on the target. Closing the client is what
// interrupts it when ctx ends.
func (pub *publisher) connect(ctx context.Context, desc *description.Session) (*gortsplib.Client, error) {
	u, err := base.ParseURL(pub.url)
	if err != nil {
		// The parser quotes the URL, password and all.
		return nil, errors.New("invalid target URL")
	}
	proto := gortsplib.ProtocolTCP
	if pub.udp {
		proto = gortsplib.ProtocolUDP
	}
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &proto, UserAgent: "vigil",
		ReadTimeout: pushTimeout, WriteTimeout: pushTimeout, WriteQueueSize: writeQueueSize,
		OnPacketsLost: func(uint64) {}, OnDecodeError: func(error) {}}
	if err := c.Start(); err != nil {
		return nil, err
	}
	stop := context.AfterFunc(ctx, c.Close)
	defer stop()
	_, err = c.Announce(u, desc)
	if err == nil {
		err = c.SetupAll(u, desc.Medias)
	}
	if err == nil {
		_, err = c.Record()
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	return c, nil
}

// write sends one unit. A full queue drops packets rather than stall: the next keyframe repairs it.
func (pub *publisher) write(c *gortsplib.Client, pz *packetizer, u media.Unit) error {
	medi, pkts, ntp, err := pz.packetize(u)
	if err != nil {
		pub.log.Debug("unit not pushed", "err", pub.hide(err))
		return nil
	}
	for _, pkt := range pkts {
		err := c.WritePacketRTPWithNTP(medi, pkt, ntp)
		if errors.As(err, &liberrors.ErrClientWriteQueueFull{}) {
			pub.set(func(s *PushStatus) { s.Dropped++ }, "")
			continue
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// fail records a failure and returns the pause before the next attempt.
func (pub *publisher) fail(state string, err error, pause time.Duration) time.Duration {
	msg := pub.hide(err)
	prev := pub.snapshot().State
	next := time.Now().Add(pause)
	pub.set(func(s *PushStatus) {
		s.LastError = msg
		s.NextAttempt = &next
	}, state)
	switch {
	case state == PushFailed:
		pub.log.Warn("push failed", "err", msg, "retry_in", pause.String())
	case prev != state:
		pub.log.Info("push waiting for the camera", "reason", msg)
	}
	return pause
}

// hide takes the target's password, and its query (where stream keys go), out of an error's text.
func (pub *publisher) hide(err error) string {
	if err == nil {
		return ""
	}
	text := config.HidePasswords(err.Error(), pub.url)
	if u, perr := url.Parse(pub.url); perr == nil && u.RawQuery != "" {
		text = strings.ReplaceAll(text, u.RawQuery, "***")
	}
	return text
}

// targetName is scheme://host[:port] of a push URL.
func targetName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}

// set changes the status; a new state (if not "") restarts Since.
func (pub *publisher) set(change func(*PushStatus), state string) {
	pub.mu.Lock()
	defer pub.mu.Unlock()
	change(&pub.status)
	if state != "" && state != pub.status.State {
		pub.status.State, pub.status.Since = state, time.Now()
	}
}

// backoff is a pause that doubles from firstRetry up to lastRetry.
type backoff struct{ d time.Duration }

func (b *backoff) next() time.Duration {
	b.d = min(max(2*b.d, firstRetry), lastRetry)
	return b.d
}

func (b *backoff) reset() { b.d = 0 }

// sleep pauses for d, or less if ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

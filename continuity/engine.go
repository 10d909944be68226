package continuity

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"vigil/config"
	"vigil/recorder"
	"vigil/store"
)

// Defaults of the Engine's fields.
const (
	DefaultPollInterval  = 2 * time.Second
	DefaultRetryBase     = 5 * time.Second
	DefaultAttempts      = 5
	DefaultShutdownGrace = 3 * time.Second
	// DefaultOfflineAfter is config's default alerts.offline_after, for a config that skipped ApplyDefaults.
	DefaultOfflineAfter = 5 * time.Minute

	// queueSize bounds the notices waiting for one channel: when a receiver is down long enough to
	// fill it, newer notices are recorded as failed instead of piling up in memory.
	queueSize = 256
)

// Engine raises an alert when a camera has not been online for longer than alerts.offline_after and
// closes it when the camera is online again, then tells every configured channel.
//
// It polls the recorder's live status rather than reading camera events from the store: the status is in
// memory (no query per camera every few seconds), carries the state, since when and the last error, and
// is what the recorder believes now, while events reach the store up to a second later through the
// indexer's batches. A threshold is minutes in practice, so a poll every few seconds is precise enough;
// the cost is that a recovery shorter than one poll interval goes unseen, which is no recovery worth
// reporting.
//
// Alerts live in the store, at most one open per camera (a unique index), so a restart never raises an
// outage's alert twice: Start reloads the open ones, and a camera found online closes its alert once.
type Engine struct {
	Config *config.Config
	Store  *store.Store
	// Cameras returns the live status of every camera: the recorder's Cameras method.
	Cameras func() []recorder.CameraStatus
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Now is the clock; it defaults to time.Now.
	Now func() time.Time
	// PollInterval is how often the cameras' status is checked. It defaults to DefaultPollInterval.
	PollInterval time.Duration
	// Attempts is how many times a delivery is tried. It defaults to DefaultAttempts.
	Attempts int
	// RetryBase is the wait before a delivery's second attempt; each later wait doubles (5 s, 10 s,
	// 20 s, 40 s by default).
	RetryBase time.Duration
	// ShutdownGrace is how long Close lets queued deliveries finish before cutting them off. It
	// defaults to DefaultShutdownGrace.
	ShutdownGrace time.Duration
	// TLSConfig, if set, is the base of the SMTP connection's STARTTLS configuration (its RootCAs, for
	// a private mail server's CA); ServerName is always the SMTP host.
	TLSConfig *tls.Config
	// OnDelivery, if set, is called after each delivery attempt is recorded (a seam for tests).
	OnDelivery func(store.Delivery)

	log       *slog.Logger
	threshold time.Duration
	cams      map[string]config.Camera
	watches   map[string]*watch
	started   time.Time
	channels  []*channel
	client    *http.Client

	pollCancel    context.CancelFunc
	pollDone      chan struct{}
	deliverCtx    context.Context
	deliverCancel context.CancelFunc
	deliverWG     sync.WaitGroup
}

// watch is what the engine remembers of one camera between polls.
type watch struct {
	downSince time.Time    // zero while online
	alert     *store.Alert // the open alert, if any
}

// Start reloads the open alerts and starts polling.
func (e *Engine) Start() error {
	e.applyDefaults()
	e.started = e.now()
	e.cams = map[string]config.Camera{}
	for _, c := range e.Config.Cameras {
		e.cams[c.ID] = c
	}
	e.watches = map[string]*watch{}
	if err := e.reloadOpenAlerts(); err != nil {
		return err
	}
	e.deliverCtx, e.deliverCancel = context.WithCancel(context.Background())
	e.startChannels()

	ctx, cancel := context.WithCancel(context.Background())
	e.pollCancel, e.pollDone = cancel, make(chan struct{})
	go e.poll(ctx)
	return nil
}

func (e *Engine) applyDefaults() {
	if e.Log == nil {
		e.Log = slog.Default()
	}
	e.log = e.Log.With("component", "alerts")
	if e.PollInterval <= 0 {
		e.PollInterval = DefaultPollInterval
	}
	if e.Attempts <= 0 {
		e.Attempts = DefaultAttempts
	}
	if e.RetryBase <= 0 {
		e.RetryBase = DefaultRetryBase
	}
	if e.ShutdownGrace <= 0 {
		e.ShutdownGrace = DefaultShutdownGrace
	}
	// A config built in code without ApplyDefaults has no threshold; zero would alert at every reconnect.
	e.threshold = e.Config.Alerts.OfflineAfter
	if e.threshold <= 0 {
		e.threshold = DefaultOfflineAfter
	}
}

// Close stops polling, gives queued deliveries ShutdownGrace to finish, then cuts off the rest (each
// recorded as failed because vigil stopped).
func (e *Engine) Close() error {
	if e.pollCancel == nil {
		return nil // never started
	}
	e.pollCancel()
	<-e.pollDone
	for _, ch := range e.channels {
		close(ch.queue)
	}
	drained := make(chan struct{})
	go func() {
		e.deliverWG.Wait()
		close(drained)
	}()
	select {
	case <-drained:
	case <-time.After(e.ShutdownGrace):
		e.deliverCancel()
		<-drained
	}
	e.deliverCancel()
	return nil
}

func (e *Engine) now() time.Time {
	if e.Now != nil {
		return e.Now()
	}
	return time.Now()
}

// reloadOpenAlerts takes over the alerts a previous run left open. One whose camera is gone from the
// config, or disabled, can never recover: it is closed saying why, without a notice.
func (e *Engine) reloadOpenAlerts() error {
	ctx, cancel := storeContext()
	defer cancel()
	open, err := e.Store.OpenAlerts(ctx)
	if err != nil {
		return err
	}
	for _, a := range open {
		cam, ok := e.cams[a.CameraID]
		reason := ""
		switch {
		case !ok:
			reason = "camera removed from the configuration"
		case !cam.Enabled:
			reason = "camera disabled"
		}
		if reason != "" {
			if _, err := e.Store.CloseAlert(ctx, a.ID, e.started.UnixNano(), reason); err != nil {
				return err
			}
			e.log.Info("alert closed", "alert", a.ID, "camera", a.CameraID, "reason", reason)
			continue
		}
		e.watch(a.CameraID).alert = &a
	}
	return nil
}

func (e *Engine) watch(id string) *watch {
	w := e.watches[id]
	if w == nil {
		w = &watch{}
		e.watches[id] = w
	}
	return w
}

func (e *Engine) poll(ctx context.Context) {
	defer close(e.pollDone)
	t := time.NewTicker(e.PollInterval)
	defer t.Stop()
	for {
		e.check(e.now())
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check compares every camera's status with the open alerts.
func (e *Engine) check(now time.Time) {
	for _, s := range e.Cameras() {
		cam, ok := e.cams[s.ID]
		if !ok || s.State == recorder.StateDisabled {
			continue
		}
		w := e.watch(s.ID)
		if s.State == store.StateOnline {
			e.recovered(w, cam, s)
		} else {
			e.down(w, cam, s, now)
		}
	}
}

// down handles a camera that is offline or connecting. The outage's clock starts when the camera left
// the online state, but never before this engine started: vigil's own downtime (an upgrade, a reboot)
// must not make every camera that is still connecting raise an alert the moment vigil is back.
func (e *Engine) down(w *watch, cam config.Camera, s recorder.CameraStatus, now time.Time) {
	if w.downSince.IsZero() {
		w.downSince = s.Since
		if w.downSince.Before(e.started) {
			w.downSince = e.started
		}
	}
	if w.alert != nil || now.Sub(w.downSince) < e.threshold {
		return
	}
	a := store.Alert{CameraID: cam.ID, FacilityID: cam.Facility, DownSince: w.downSince.UnixNano(),
		OpenedAt: now.UnixNano(), Reason: outageReason(s)}
	ctx, cancel := storeContext()
	defer cancel()
	id, err := e.Store.OpenAlert(ctx, a)
	if errors.Is(err, store.ErrAlertOpen) {
		// Someone else's alert for this outage (another engine on the same store): never a second one.
		e.adoptOpenAlert(ctx, w, cam.ID)
		return
	}
	if err != nil {
		e.log.Error("cannot store an alert; trying again at the next check", "camera", cam.ID, "err", err)
		return
	}
	a.ID = id
	w.alert = &a
	e.log.Warn("alert opened", "alert", id, "camera", cam.ID, "down_since", w.downSince, "reason", a.Reason)
	e.notify(notice{Event: store.EventOffline, Alert: a, Camera: cam, At: now})
}

func (e *Engine) adoptOpenAlert(ctx context.Context, w *watch, camera string) {
	open, err := e.Store.OpenAlerts(ctx)
	if err != nil {
		return
	}
	for _, a := range open {
		if a.CameraID == camera {
			w.alert = &a
		}
	}
}

// recovered closes the camera's open alert, once: the store's update only closes an open alert.
func (e *Engine) recovered(w *watch, cam config.Camera, s recorder.CameraStatus) {
	w.downSince = time.Time{}
	if w.alert == nil {
		return
	}
	a := *w.alert
	back := s.Since
	if back.UnixNano() < a.DownSince {
		back = time.Unix(0, a.DownSince)
	}
	ctx, cancel := storeContext()
	defer cancel()
	closed, err := e.Store.CloseAlert(ctx, a.ID, back.UnixNano(), "recovered")
	if err != nil {
		e.log.Error("cannot close an alert; trying again at the next check", "alert", a.ID, "camera", cam.ID, "err", err)
		return
	}
	w.alert = nil
	if !closed {
		return
	}
	a.ClosedAt, a.CloseReason = back.UnixNano(), "recovered"
	e.log.Info("alert closed: camera online again", "alert", a.ID, "camera", cam.ID,
		"outage", back.Sub(time.Unix(0, a.DownSince)).Round(time.Second))
	e.notify(notice{Event: store.EventRecovered, Alert: a, Camera: cam, At: back})
}

// outageReason is what the alert says caused the outage: the recorder's last error while offline.
func outageReason(s recorder.CameraStatus) string {
	if s.State == store.StateOffline && s.LastError != "" {
		return s.LastError
	}
	if s.State == store.StateConnecting {
		return "still connecting: the camera has not answered yet"
	}
	return s.State
}

// storeTimeout bounds one store write of the engine: the database is local, so a write that takes longer
// is stuck behind something, and the next poll tries again.
const storeTimeout = 10 * time.Second

// storeContext is the context of the engine's store writes. It is not the poll's context, so that what
// happens while vigil stops (a delivery cut off) is still recorded.
func storeContext() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), storeTimeout)
}

package continuity

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"vigil/config"
	"vigil/store"
)

// notice is one alert event to tell the channels about.
type notice struct {
	Event  string // store.EventOffline | store.EventRecovered
	Alert  store.Alert
	Camera config.Camera
	At     time.Time // when the alert was raised, or when the camera was online again
}

// Since is when the outage began.
func (n notice) Since() time.Time { return time.Unix(0, n.Alert.DownSince) }

// Duration is how long the camera had been down at At.
func (n notice) Duration() time.Duration { return max(n.At.Sub(n.Since()), 0) }

// channel is one place notices go: a webhook or the e-mail recipients. Each has its own queue and worker,
// so notices reach one receiver in the order they happened (an alert's offline before its recovery), and
// a receiver that is down delays nobody else.
type channel struct {
	kind   string // store.ChannelWebhook | store.ChannelEmail
	target string // how deliveries name it: never a secret
	send   func(ctx context.Context, n notice) error
	queue  chan notice
}

func (e *Engine) startChannels() {
	e.client = newWebhookClient()
	for _, w := range e.Config.Alerts.Webhooks {
		e.channels = append(e.channels, &channel{kind: store.ChannelWebhook, target: w.Name,
			send: e.webhookSender(w)})
	}
	if m := e.Config.Alerts.Email; m != nil {
		e.channels = append(e.channels, &channel{kind: store.ChannelEmail, target: strings.Join(m.To, ", "),
			send: e.mailSender(m)})
	}
	for _, ch := range e.channels {
		ch.queue = make(chan notice, queueSize)
		e.deliverWG.Add(1)
		go func() {
			defer e.deliverWG.Done()
			for n := range ch.queue {
				e.deliver(ch, n)
			}
		}()
	}
}

// notify queues n for every channel without ever waiting: a full queue records the notice as failed.
func (e *Engine) notify(n notice) {
	for _, ch := range e.channels {
		select {
		case ch.queue <- n:
		default:
			e.record(ch, n, 1, store.DeliveryFailed, errors.New("too many notices waiting for this receiver"))
		}
	}
}

// deliver tries one notice on one channel up to Attempts times, waiting RetryBase, then twice as long
// each time, between attempts. Every attempt is recorded.
func (e *Engine) deliver(ch *channel, n notice) {
	ctx := e.deliverCtx
	for attempt := 1; ; attempt++ {
		if ctx.Err() != nil {
			e.record(ch, n, attempt, store.DeliveryFailed, errors.New("vigil stopped before it could be delivered"))
			return
		}
		err := ch.send(ctx, n)
		switch {
		case err == nil:
			e.record(ch, n, attempt, store.DeliverySent, nil)
			return
		case attempt >= e.Attempts || ctx.Err() != nil || errors.As(err, new(permanent)):
			e.record(ch, n, attempt, store.DeliveryFailed, err)
			return
		}
		e.record(ch, n, attempt, store.DeliveryRetry, err)
		select {
		case <-ctx.Done():
		case <-time.After(e.retryWait(attempt)):
		}
	}
}

// retryWait is the wait after the given failed attempt: RetryBase, doubled for each attempt before it.
func (e *Engine) retryWait(attempt int) time.Duration {
	return e.RetryBase << min(attempt-1, 16)
}

// record writes one attempt to the store and logs failures. Errors never carry a secret: webhook errors
// are stripped of the URL, SMTP errors never contain the password.
func (e *Engine) record(ch *channel, n notice, attempt int, status string, err error) {
	d := store.Delivery{AlertID: n.Alert.ID, Event: n.Event, Channel: ch.kind, Target: ch.target,
		Attempt: attempt, Status: status, At: e.now().UnixNano()}
	if err != nil {
		d.Error = err.Error()
	}
	log := e.log.With("alert", n.Alert.ID, "camera", n.Camera.ID, "event", n.Event, "channel", ch.kind,
		"target", ch.target, "attempt", attempt)
	switch status {
	case store.DeliverySent:
		log.Info("alert delivered")
	case store.DeliveryRetry:
		log.Warn("alert delivery failed; retrying", "err", d.Error, "retry_in", e.retryWait(attempt))
	default:
		log.Error("alert delivery failed; giving up", "err", d.Error)
	}
	ctx, cancel := storeContext()
	defer cancel()
	if err := e.Store.AddDelivery(ctx, d); err != nil {
		log.Error("cannot record a delivery", "err", err)
	}
	if e.OnDelivery != nil {
		e.OnDelivery(d)
	}
}

// facilityName is the display name of the notice's facility, looked up when the notice is sent so that a
// name edited in the registry is the one people read.
func (e *Engine) facilityName(n notice) string {
	ctx, cancel := storeContext()
	defer cancel()
	return facilityName(ctx, e.Store, e.Config, n.Camera.Facility)
}

// localTime writes t in the configured zone the way Vietnamese readers write it: 15:04:05 08/05/2021.
func (e *Engine) localTime(t time.Time) string {
	return t.In(e.location()).Format("15:04:05 02/01/2006 (-07:00)")
}

func (e *Engine) location() *time.Location {
	if e.Config.Location != nil {
		return e.Config.Location
	}
	return time.UTC
}

// vietnameseDuration writes d as people say it: "45 giây", "5 phút 12 giây", "2 ngày 3 giờ 5 phút".
func vietnameseDuration(d time.Duration) string {
	d = d.Round(time.Second)
	if d < time.Minute {
		return fmt.Sprintf("%d giây", int64(d/time.Second))
	}
	if d < time.Hour {
		s := fmt.Sprintf("%d phút", int64(d/time.Minute))
		if sec := int64(d % time.Minute / time.Second); sec > 0 {
			s += fmt.Sprintf(" %d giây", sec)
		}
		return s
	}
	var parts []string
	if days := int64(d / (24 * time.Hour)); days > 0 {
		parts = append(parts, fmt.Sprintf("%d ngày", days))
	}
	if h := int64(d % (24 * time.Hour) / time.Hour); h > 0 {
		parts = append(parts, fmt.Sprintf("%d giờ", h))
	}
	if m := int64(d % time.Hour / time.Minute); m > 0 {
		parts = append(parts, fmt.Sprintf("%d phút", m))
	}
	return strings.Join(parts, " ")
}

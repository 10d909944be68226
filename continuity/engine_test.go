package continuity

import (
	"context"
	"crypto/tls"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/config"
	"vigil/recorder"
	"vigil/store"
)

// quiet is how long a test watches for something that must not happen: several polls (100 ms) past the
// one-second threshold. It is a wait for an absence, not a timing assertion.
const quiet = 1500 * time.Millisecond

// TestAlertFiresOnceAndClosesOnce takes a real camera down and back: one alert, one offline and one
// recovered notice per channel, although the webhook fails its first two attempts at each.
func TestAlertFiresOnceAndClosesOnce(t *testing.T) {
	r := newRig(t, 2)
	r.start()
	defer r.stop()
	r.waitFor("camera online", func() bool { return r.state() == store.StateOnline })
	time.Sleep(quiet)
	if as := r.alerts(); len(as) != 0 {
		t.Fatalf("alerts while the camera is online: %+v", as)
	}

	down := time.Now()
	r.cams.StopCamera("cam")
	r.waitFor("the offline webhook", func() bool { return len(r.hook.bodies()) == 1 })
	r.waitFor("the offline e-mail", func() bool { return len(r.mail.messages()) == 1 })
	time.Sleep(quiet)
	as := r.alerts()
	if len(as) != 1 || !as[0].Open() {
		t.Fatalf("alerts after the camera went down: %+v", as)
	}
	a := as[0]
	if opened := time.Unix(0, a.OpenedAt); opened.Sub(time.Unix(0, a.DownSince)) < time.Second || opened.Before(down.Add(time.Second)) {
		t.Errorf("alert raised at %v for an outage since %v: before the 1 s threshold", opened, time.Unix(0, a.DownSince))
	}
	if a.Reason == "" || a.FacilityID != "ktx-a" {
		t.Errorf("alert %+v: want a reason and the facility", a)
	}
	if got := r.hook.events(); !slices.Equal(got, []string{store.EventOffline}) {
		t.Fatalf("webhook events while down: %v", got)
	}

	back := time.Now()
	if err := r.cams.StartCamera("cam"); err != nil {
		t.Fatal(err)
	}
	r.waitFor("the recovered webhook", func() bool { return len(r.hook.bodies()) == 2 })
	r.waitFor("the recovered e-mail", func() bool { return len(r.mail.messages()) == 2 })
	time.Sleep(quiet)

	if got := r.hook.events(); !slices.Equal(got, []string{store.EventOffline, store.EventRecovered}) {
		t.Errorf("webhook events: %v, want one offline and one recovered", got)
	}
	if p := r.hook.problems(); len(p) > 0 {
		t.Errorf("the receiver refused requests: %v", p)
	}
	as = r.alerts()
	if len(as) != 1 || as[0].Open() || as[0].CloseReason != "recovered" || time.Unix(0, as[0].ClosedAt).Before(back) {
		t.Fatalf("alerts after recovery: %+v", as)
	}
	checkDeliveries(t, as[0])
	checkWebhookBodies(t, r, as[0])
	checkMails(t, r)
	for _, secret := range []string{testSecret, smtpPassword, "token=abc"} {
		if strings.Contains(r.logs.String(), secret) {
			t.Errorf("the logs contain %q", secret)
		}
	}
}

// checkDeliveries: every attempt is recorded; the webhook needed three per event.
func checkDeliveries(t *testing.T, a store.Alert) {
	t.Helper()
	var got []string
	for _, d := range a.Deliveries {
		got = append(got, d.Event+" "+d.Channel+" "+d.Status)
		if strings.Contains(d.Target, "token") || strings.Contains(d.Target, "/hooks") {
			t.Errorf("delivery target %q shows the webhook's path", d.Target)
		}
		if d.Status == store.DeliveryRetry && !strings.Contains(d.Error, "503") {
			t.Errorf("retry without the receiver's answer: %+v", d)
		}
	}
	slices.Sort(got)
	want := []string{
		"camera.offline email sent",
		"camera.offline webhook retry", "camera.offline webhook retry", "camera.offline webhook sent",
		"camera.recovered email sent",
		"camera.recovered webhook retry", "camera.recovered webhook retry", "camera.recovered webhook sent",
	}
	if !slices.Equal(got, want) {
		t.Errorf("deliveries:\n  %s\nwant\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func checkWebhookBodies(t *testing.T, r *rig, a store.Alert) {
	t.Helper()
	bodies := r.hook.bodies()
	off, rec := bodies[0], bodies[1]
	loc := r.cfg.Location
	since := time.Unix(0, a.DownSince).In(loc).Format("2006-01-02T15:04:05.000Z07:00")
	for _, b := range bodies {
		if b.AlertID != a.ID || b.Camera != (WebhookRef{"cam", "Cổng chính"}) || b.Facility != (WebhookRef{"ktx-a", "Ký túc xá A"}) ||
			b.Province != (WebhookProvince{"Tỉnh Đồng Nai", "75"}) || b.Since != since || b.Reason != a.Reason {
			t.Errorf("webhook body %+v for alert %+v", b, a)
		}
	}
	if off.DurationSeconds < 1 || rec.DurationSeconds < off.DurationSeconds {
		t.Errorf("durations: offline %d s, recovered %d s", off.DurationSeconds, rec.DurationSeconds)
	}
	if want := time.Unix(0, a.ClosedAt).In(loc).Format("2006-01-02T15:04:05.000Z07:00"); rec.At != want {
		t.Errorf("recovered at %s, want the close time %s", rec.At, want)
	}
	// The documented schema, exactly: a receiver may rely on these keys.
	var keys []string
	for k := range r.hook.raw[0] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if want := "alert_id at camera duration_seconds event facility province reason since"; strings.Join(keys, " ") != want {
		t.Errorf("webhook keys %v, want %s", keys, want)
	}
}

func checkMails(t *testing.T, r *rig) {
	t.Helper()
	msgs := r.mail.messages()
	subjects := []string{
		"[vigil] Camera mất kết nối: Cổng chính – Ký túc xá A",
		"[vigil] Camera hoạt động trở lại: Cổng chính – Ký túc xá A",
	}
	for i, m := range msgs {
		if !m.tls || m.from != smtpUser || !slices.Equal(m.to, []string{"trucban@soyte.example.vn", "ops@vnpt.example.vn"}) {
			t.Errorf("envelope: tls %v, from %s, to %v", m.tls, m.from, m.to)
		}
		p := parseMail(t, m.data)
		if p.from.Name != "Vigil Đồng Nai" || p.from.Address != smtpUser {
			t.Errorf("From %+v", p.from)
		}
		if len(p.to) != 2 || p.to[0].Name != "Trực ban" || p.to[1].Address != "ops@vnpt.example.vn" {
			t.Errorf("To %+v", p.to)
		}
		if p.subject != subjects[i] {
			t.Errorf("Subject %q, want %q", p.subject, subjects[i])
		}
		for _, want := range []string{"Cổng chính (cam)", "Ký túc xá A (ktx-a)", "Tỉnh Đồng Nai", "Mất kết nối từ: ", "Lý do: "} {
			if !strings.Contains(p.body, want) {
				t.Errorf("body lacks %q:\n%s", want, p.body)
			}
		}
		if p.header.Get("Date") == "" || p.header.Get("Message-Id") == "" || p.header.Get("Auto-Submitted") != "auto-generated" {
			t.Errorf("headers %v", p.header)
		}
	}
	if len(msgs) == 2 && !strings.Contains(parseMail(t, msgs[1].data).body, "Hoạt động lại lúc: ") {
		t.Error("the recovery e-mail does not say when the camera came back")
	}
}

// TestRestartDoesNotFireTwice stops vigil during an outage: the restarted engine finds the open alert
// and raises no second one; when vigil next starts with the camera back, the alert closes once.
func TestRestartDoesNotFireTwice(t *testing.T) {
	r := newRig(t, 0)
	r.start()
	r.waitFor("camera online", func() bool { return r.state() == store.StateOnline })
	r.cams.StopCamera("cam")
	r.waitFor("the offline webhook", func() bool { return len(r.hook.bodies()) == 1 })
	r.stop()

	// vigil starts again while the camera is still down.
	r.start()
	r.waitFor("camera offline", func() bool { return r.state() == store.StateOffline })
	time.Sleep(quiet)
	if got := r.hook.events(); !slices.Equal(got, []string{store.EventOffline}) {
		t.Errorf("webhook events after the restart: %v, want the first offline only", got)
	}
	if as := r.alerts(); len(as) != 1 || !as[0].Open() {
		t.Fatalf("alerts after the restart: %+v", as)
	}
	r.stop()

	// The camera comes back while vigil is down: the next start closes the alert.
	if err := r.cams.StartCamera("cam"); err != nil {
		t.Fatal(err)
	}
	r.start()
	defer r.stop()
	r.waitFor("the recovered webhook", func() bool { return len(r.hook.bodies()) == 2 })
	time.Sleep(quiet)
	if got := r.hook.events(); !slices.Equal(got, []string{store.EventOffline, store.EventRecovered}) {
		t.Errorf("webhook events: %v", got)
	}
	as := r.alerts()
	if len(as) != 1 || as[0].Open() {
		t.Fatalf("alerts: %+v", as)
	}
	if b := r.hook.bodies()[1]; b.AlertID != as[0].ID || b.DurationSeconds < 1 {
		t.Errorf("recovered %+v for alert %+v", b, as[0])
	}
	if n := len(r.mail.messages()); n != 2 {
		t.Errorf("%d e-mails, want 2", n)
	}
}

// TestOpenAlertOfARemovedCameraIsClosed: an alert left open for a camera the config no longer has, or
// has disabled, can never recover; the engine closes it at start, quietly.
func TestOpenAlertOfARemovedCameraIsClosed(t *testing.T) {
	r := newRig(t, 0)
	ctx := context.Background()
	for _, cam := range []string{"gone", "cam"} {
		if _, err := r.store.OpenAlert(ctx, store.Alert{CameraID: cam, DownSince: 1, OpenedAt: 2}); err != nil {
			t.Fatal(err)
		}
	}
	r.cfg.Cameras[0].Enabled = false
	r.start()
	defer r.stop()
	as := r.alerts()
	reasons := map[string]string{}
	for _, a := range as {
		reasons[a.CameraID] = a.CloseReason
		if a.Open() {
			t.Errorf("alert of %s still open", a.CameraID)
		}
	}
	if reasons["gone"] != "camera removed from the configuration" || reasons["cam"] != "camera disabled" {
		t.Errorf("close reasons %v", reasons)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(r.hook.bodies()); n != 0 {
		t.Errorf("%d webhooks for alerts closed at start", n)
	}
}

// testNotice is an alert event for delivery tests that need no camera.
func testNotice(cfg *config.Config, id int64) notice {
	return notice{Event: store.EventOffline, Camera: cfg.Cameras[0], At: time.Now(),
		Alert: store.Alert{ID: id, CameraID: "cam", DownSince: time.Now().Add(-90 * time.Second).UnixNano(), Reason: "connection refused"}}
}

// TestWebhookGivesUpAfterItsAttempts: a receiver that always fails gets five attempts with growing waits;
// the last is recorded as failed and counted by the metrics.
func TestWebhookGivesUpAfterItsAttempts(t *testing.T) {
	r := newRig(t, 1000)
	r.cfg.Alerts.Email = nil
	ctx := context.Background()
	id, err := r.store.OpenAlert(ctx, store.Alert{CameraID: "cam", DownSince: 1, OpenedAt: 2})
	if err != nil {
		t.Fatal(err)
	}
	var times []time.Time
	done := make(chan struct{})
	e := &Engine{Config: r.cfg, Store: r.store, Cameras: func() []recorder.CameraStatus { return nil },
		Log: r.logs.logger(), RetryBase: 20 * time.Millisecond,
		OnDelivery: func(d store.Delivery) {
			times = append(times, time.Now())
			if d.Status != store.DeliveryRetry {
				close(done)
			}
		}}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.notify(testNotice(r.cfg, id))
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no final attempt")
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}

	as, err := r.store.Alerts(ctx, store.AlertQuery{})
	if err != nil {
		t.Fatal(err)
	}
	ds := as[0].Deliveries
	if len(ds) != DefaultAttempts || ds[len(ds)-1].Status != store.DeliveryFailed || ds[0].Status != store.DeliveryRetry {
		t.Fatalf("deliveries %+v", ds)
	}
	for i, d := range ds {
		if d.Attempt != i+1 || !strings.Contains(d.Error, "503 Service Unavailable") || d.Target != r.cfg.Alerts.Webhooks[0].Name {
			t.Errorf("attempt %d: %+v", i+1, d)
		}
	}
	// Exponential backoff: each wait at least twice the base, doubled.
	for i := 1; i < len(times); i++ {
		if least := 20 * time.Millisecond << (i - 1); times[i].Sub(times[i-1]) < least {
			t.Errorf("wait before attempt %d: %v, want at least %v", i+1, times[i].Sub(times[i-1]), least)
		}
	}
	_, failed, err := r.store.AlertCounts(ctx)
	if err != nil || failed[store.ChannelWebhook] != 1 {
		t.Errorf("failure count %v, %v", failed, err)
	}
}

// TestWebhookRefusalIsNotRetried: a receiver that refuses the notice (here: it cannot verify the
// signature, because the secrets differ) gets one attempt, recorded as failed, not five.
func TestWebhookRefusalIsNotRetried(t *testing.T) {
	r := newRig(t, 0)
	r.cfg.Alerts.Email = nil
	r.cfg.Alerts.Webhooks[0].Secret = "not-the-receivers-secret-0123"
	ctx := context.Background()
	id, err := r.store.OpenAlert(ctx, store.Alert{CameraID: "cam", DownSince: 1, OpenedAt: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan store.Delivery, DefaultAttempts)
	e := &Engine{Config: r.cfg, Store: r.store, Cameras: func() []recorder.CameraStatus { return nil },
		Log: r.logs.logger(), RetryBase: 20 * time.Millisecond, OnDelivery: func(d store.Delivery) { done <- d }}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.notify(testNotice(r.cfg, id))
	var d store.Delivery
	select {
	case d = <-done:
	case <-time.After(20 * time.Second):
		t.Fatal("no attempt")
	}
	time.Sleep(100 * time.Millisecond) // a retry, if one were coming, would be due by now
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if d.Status != store.DeliveryFailed || !strings.Contains(d.Error, "401") || len(done) != 0 {
		t.Errorf("first attempt %+v, %d more attempts; want one failed attempt", d, len(done))
	}
}

// TestCloseCutsOffRetries: stopping vigil does not wait for a receiver that is down; what could not be
// delivered is recorded as failed.
func TestCloseCutsOffRetries(t *testing.T) {
	r := newRig(t, 1000)
	r.cfg.Alerts.Email = nil
	id, err := r.store.OpenAlert(context.Background(), store.Alert{CameraID: "cam", DownSince: 1, OpenedAt: 2})
	if err != nil {
		t.Fatal(err)
	}
	first := make(chan struct{}, 10)
	e := &Engine{Config: r.cfg, Store: r.store, Cameras: func() []recorder.CameraStatus { return nil }, Log: r.logs.logger(),
		RetryBase: time.Hour, ShutdownGrace: 50 * time.Millisecond,
		OnDelivery: func(store.Delivery) { first <- struct{}{} }}
	if err := e.Start(); err != nil {
		t.Fatal(err)
	}
	e.notify(testNotice(r.cfg, id))
	e.notify(testNotice(r.cfg, id))
	<-first
	start := time.Now()
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("Close took %v", d)
	}
	as, _ := r.store.Alerts(context.Background(), store.AlertQuery{})
	var statuses []string
	for _, d := range as[0].Deliveries {
		statuses = append(statuses, d.Status+": "+d.Error)
	}
	if len(statuses) != 3 || !strings.HasPrefix(statuses[1], "failed") || !strings.Contains(statuses[2], "vigil stopped") {
		t.Errorf("deliveries after Close:\n  %s", strings.Join(statuses, "\n  "))
	}
}

// TestEmailTLSModes sends through real SMTP servers with and without STARTTLS.
func TestEmailTLSModes(t *testing.T) {
	for _, tt := range []struct {
		name     string
		withTLS  bool
		mode     string
		password string
		wantErr  string // "" = delivered
		wantTLS  bool
	}{
		{"auto upgrades when offered", true, "auto", smtpPassword, "", true},
		{"always upgrades", true, "always", smtpPassword, "", true},
		{"always refuses a server without STARTTLS", false, "always", smtpPassword, "does not offer STARTTLS", false},
		{"auto without STARTTLS on this machine", false, "auto", smtpPassword, "", false},
		{"never does not upgrade, so this server refuses to authenticate", true, "never", smtpPassword, "authentication as", false},
		{"wrong password", true, "auto", "wrong-" + smtpPassword, "authentication as " + smtpUser, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := newRig(t, 0)
			srv := newMailServer(t, tt.withTLS)
			m := &config.Email{SMTP: srv.addr, Username: smtpUser, Password: tt.password, From: smtpUser,
				To: []string{"trucban@soyte.example.vn"}, StartTLS: tt.mode, Timeout: 10 * time.Second}
			e := &Engine{Config: r.cfg, Store: r.store, Log: r.logs.logger(), TLSConfig: &tls.Config{RootCAs: srv.ca}}
			e.applyDefaults()
			err := e.mailSender(m)(context.Background(), testNotice(r.cfg, 7))
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("not delivered: %v", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			case err != nil && strings.Contains(err.Error(), smtpPassword):
				t.Fatalf("the error shows the password: %v", err)
			case err != nil:
				return
			}
			msgs := srv.messages()
			if len(msgs) != 1 || msgs[0].tls != tt.wantTLS {
				t.Fatalf("received %d messages (tls %v)", len(msgs), len(msgs) > 0 && msgs[0].tls)
			}
			if p := parseMail(t, msgs[0].data); !strings.Contains(p.body, "Cổng chính") || !strings.Contains(p.body, "1 phút 30 giây") {
				t.Errorf("body:\n%s", p.body)
			}
		})
	}
}

func TestVietnameseDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0:                                     "0 giây",
		45 * time.Second:                      "45 giây",
		5 * time.Minute:                       "5 phút",
		5*time.Minute + 12*time.Second:        "5 phút 12 giây",
		2*time.Hour + 30*time.Second:          "2 giờ",
		26*time.Hour + 5*time.Minute:          "1 ngày 2 giờ 5 phút",
		3 * 24 * time.Hour:                    "3 ngày",
		59*time.Second + 600*time.Millisecond: "1 phút",
	} {
		if got := vietnameseDuration(d); got != want {
			t.Errorf("%v: %q, want %q", d, got, want)
		}
	}
}

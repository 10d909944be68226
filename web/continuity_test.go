package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"vigil/store"
)

// hanoiTime parses a local time on 27 November 2026 in the fixture's zone.
func hanoiTime(t *testing.T, f *fixture, hm string) time.Time {
	t.Helper()
	tm, err := time.ParseInLocation("2006-01-02 15:04", "2026-11-27 "+hm, f.cfg.Location)
	if err != nil {
		t.Fatal(err)
	}
	return tm
}

func TestUptime(t *testing.T) {
	f := newFixture(t)
	at := func(hm string) time.Time { return hanoiTime(t, f, hm) }
	events := []store.Event{
		{CameraID: "cam-1", At: at("07:00").UnixNano(), State: store.StateOnline, Reason: "recording"},
		{CameraID: "cam-1", At: at("08:10").UnixNano(), State: store.StateOffline, Reason: "connection refused"},
		{CameraID: "cam-1", At: at("08:20").UnixNano(), State: store.StateOnline, Reason: "recording"},
		{CameraID: "cam-2", At: at("07:00").UnixNano(), State: store.StateOffline, Reason: "connection refused"},
	}
	if err := f.st.Apply(context.Background(), &store.Batch{Events: events}); err != nil {
		t.Fatal(err)
	}
	f.insert(t, segment("cam-1", at("07:00"), at("08:10")), segment("cam-1", at("08:20"), at("09:30")))

	range8to9 := "&start=" + url.QueryEscape("2026-11-27T08:00:00+07:00") + "&end=2026-11-27T02:00:00Z"
	code, body := f.get(t, "/api/v1/uptime?period=custom"+range8to9)
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var a struct {
		Period   map[string]string `json:"period"`
		Province *struct {
			Cameras  int      `json:"cameras"`
			Uptime   *float64 `json:"uptime"`
			Outages  int      `json:"outages"`
			Observed float64  `json:"observed_seconds"`
		} `json:"province"`
		Facilities []struct {
			ID             string   `json:"id"`
			Cameras        int      `json:"cameras"`
			Uptime         *float64 `json:"uptime"`
			OutageSeconds  float64  `json:"outage_seconds"`
			MissingMinutes float64  `json:"footage_missing_minutes"`
		} `json:"facilities"`
		Cameras []struct {
			ID             string   `json:"id"`
			Enabled        bool     `json:"enabled"`
			NeverConnected bool     `json:"never_connected"`
			Uptime         *float64 `json:"uptime"`
			Outages        int      `json:"outages"`
			Longest        *struct {
				Start   string  `json:"start"`
				End     string  `json:"end"`
				Seconds float64 `json:"seconds"`
				Reason  string  `json:"reason"`
			} `json:"longest_outage"`
			MissingMinutes float64 `json:"footage_missing_minutes"`
		} `json:"cameras"`
	}
	decode(t, body, &a)
	if a.Period["name"] != "custom" || a.Period["start"] != "2026-11-27T08:00:00.000+07:00" || a.Period["end"] != "2026-11-27T09:00:00.000+07:00" {
		t.Errorf("period %v", a.Period)
	}
	if len(a.Cameras) != 2 {
		t.Fatalf("cameras: %s", body)
	}
	c1, c2 := a.Cameras[0], a.Cameras[1]
	if c1.ID != "cam-1" || c1.Uptime == nil || *c1.Uptime != 50.0/60 || c1.Outages != 1 || c1.NeverConnected ||
		c1.Longest == nil || c1.Longest.Seconds != 600 || c1.Longest.Reason != "connection refused" ||
		c1.Longest.Start != "2026-11-27T08:10:00.000+07:00" || c1.MissingMinutes != 10 {
		t.Errorf("cam-1: %s", body)
	}
	if c2.ID != "cam-2" || c2.Enabled || !c2.NeverConnected || c2.Uptime == nil || *c2.Uptime != 0 {
		t.Errorf("cam-2 (disabled, never online): %+v", c2)
	}
	// The disabled camera is listed but not counted.
	if p := a.Province; p == nil || p.Cameras != 1 || p.Uptime == nil || *p.Uptime != 50.0/60 || p.Outages != 1 || p.Observed != 3600 {
		t.Errorf("province: %s", body)
	}
	if len(a.Facilities) != 1 || a.Facilities[0].ID != "f1" || a.Facilities[0].Cameras != 1 ||
		a.Facilities[0].OutageSeconds != 600 || a.Facilities[0].MissingMinutes != 10 {
		t.Errorf("facilities: %s", body)
	}

	// One facility: no province figures.
	code, body = f.get(t, "/api/v1/uptime?period=custom&facility=f1"+range8to9)
	if code != http.StatusOK || strings.Contains(body, `"province"`) || !strings.Contains(body, `"id":"f1"`) {
		t.Errorf("one facility: %d %s", code, body)
	}

	// The named periods are computed at now, in the configured zone.
	code, body = f.get(t, "/api/v1/uptime")
	decode(t, body, &a)
	midnight := time.Now().In(f.cfg.Location).Format("2006-01-02") + "T00:00:00.000+07:00"
	if code != http.StatusOK || a.Period["name"] != "today" || a.Period["start"] != midnight {
		t.Errorf("today: %d %s", code, body)
	}
	for _, p := range []string{"7d", "30d"} {
		if code, body := f.get(t, "/api/v1/uptime?period="+p); code != http.StatusOK {
			t.Errorf("%s: %d %s", p, code, body)
		}
	}
}

func TestUptimeBadRequests(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		query string
		code  int
		want  string
	}{
		{"period=1y", 400, `period must be one of today, 7d, 30d, custom; got \"1y\"`},
		{"period=today&start=2026-11-27T08:00:00Z", 400, "start and end go with period=custom"},
		{"period=custom", 400, "start is required"},
		{"period=custom&start=2026-11-27T08:00:00Z&end=2026-11-27T07:00:00Z", 400, "end must be after start"},
		{"period=custom&start=2026-10-01T00:00:00Z&end=2026-11-27T00:00:00Z", 400, "more than 31 days"},
		{"facility=nowhere", 404, `facility \"nowhere\" not found`},
	} {
		code, body := f.get(t, "/api/v1/uptime?"+tt.query)
		if code != tt.code || !strings.HasPrefix(body, `{"error":`) || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s; want %d %s", tt.query, code, body, tt.code, tt.want)
		}
	}
}

func TestAlertsAPI(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	at := func(hm string) int64 { return hanoiTime(t, f, hm).UnixNano() }
	first, err := f.st.OpenAlert(ctx, store.Alert{CameraID: "cam-1", FacilityID: "f1", DownSince: at("08:10"), OpenedAt: at("08:15"), Reason: "connection refused"})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range []store.Delivery{
		{AlertID: first, Event: store.EventOffline, Channel: store.ChannelWebhook, Target: "https://hooks.example", Attempt: 1, Status: store.DeliveryRetry, Error: "the receiver answered 503 Service Unavailable", At: at("08:15")},
		{AlertID: first, Event: store.EventOffline, Channel: store.ChannelWebhook, Target: "https://hooks.example", Attempt: 2, Status: store.DeliverySent, At: at("08:16")},
		{AlertID: first, Event: store.EventOffline, Channel: store.ChannelEmail, Target: "a@example.vn", Attempt: 5, Status: store.DeliveryFailed, Error: "535 authentication failed", At: at("08:17")},
	} {
		if err := f.st.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.st.CloseAlert(ctx, first, at("08:40"), "recovered"); err != nil {
		t.Fatal(err)
	}
	second, err := f.st.OpenAlert(ctx, store.Alert{CameraID: "cam-1", FacilityID: "f1", DownSince: at("10:00"), OpenedAt: at("10:05"), Reason: "timeout"})
	if err != nil {
		t.Fatal(err)
	}

	type answer struct {
		Alerts []struct {
			ID              int64   `json:"id"`
			State           string  `json:"state"`
			CameraName      string  `json:"camera_name"`
			DownSince       string  `json:"down_since"`
			ClosedAt        *string `json:"closed_at"`
			DurationSeconds float64 `json:"duration_seconds"`
			Deliveries      []struct {
				Channel, Status, Error, At string
				Attempt                    int
			} `json:"deliveries"`
		} `json:"alerts"`
		Truncated bool `json:"truncated"`
	}
	get := func(query string) answer {
		t.Helper()
		code, body := f.get(t, "/api/v1/alerts?"+query)
		if code != http.StatusOK {
			t.Fatalf("%s: %d %s", query, code, body)
		}
		var a answer
		decode(t, body, &a)
		return a
	}
	all := get("")
	if len(all.Alerts) != 2 || all.Alerts[0].ID != second || all.Alerts[1].ID != first || all.Truncated {
		t.Fatalf("all: %+v", all)
	}
	closed := get("state=closed")
	if len(closed.Alerts) != 1 {
		t.Fatalf("closed: %+v", closed)
	}
	c := closed.Alerts[0]
	if c.State != "closed" || c.ClosedAt == nil || *c.ClosedAt != "2026-11-27T08:40:00.000+07:00" || c.DurationSeconds != 1800 ||
		c.DownSince != "2026-11-27T08:10:00.000+07:00" || c.CameraName != "cam-1" || len(c.Deliveries) != 3 ||
		c.Deliveries[2].Status != "failed" || c.Deliveries[2].Error != "535 authentication failed" || c.Deliveries[2].Attempt != 5 {
		t.Errorf("closed alert %+v", c)
	}
	if o := get("state=open"); len(o.Alerts) != 1 || o.Alerts[0].ID != second || o.Alerts[0].ClosedAt != nil || o.Alerts[0].State != "open" {
		t.Errorf("open: %+v", o)
	}
	if r := get("start=" + url.QueryEscape("2026-11-27T08:30:00+07:00") + "&end=" + url.QueryEscape("2026-11-27T09:00:00+07:00")); len(r.Alerts) != 1 || r.Alerts[0].ID != first {
		t.Errorf("range: %+v", r)
	}
	if l := get("limit=1&state=all"); len(l.Alerts) != 1 || !l.Truncated {
		t.Errorf("limit: %+v", l)
	}

	for _, tt := range []struct{ query, want string }{
		{"state=broken", `state must be one of open, closed, all; got \"broken\"`},
		{"start=yesterday", "start is not an RFC 3339 time"},
		{"start=2026-11-27T09:00:00Z&end=2026-11-27T08:00:00Z", "end must be after start"},
		{"limit=0", "limit must be a number from 1 to 5000"},
	} {
		code, body := f.get(t, "/api/v1/alerts?"+tt.query)
		if code != http.StatusBadRequest || !strings.Contains(body, tt.want) {
			t.Errorf("%s: %d %s", tt.query, code, body)
		}
	}

	// The metrics count what the store holds.
	code, body := f.get(t, "/metrics")
	for _, want := range []string{"vigil_alerts_open 1", `vigil_alert_delivery_failures_total{channel="email"} 1`,
		`vigil_alert_delivery_failures_total{channel="webhook"} 0`} {
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

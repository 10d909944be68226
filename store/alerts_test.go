package store

import (
	"context"
	"errors"
	"slices"
	"testing"
)

func TestAlertsOpenOnceCloseOnce(t *testing.T) {
	s, path := openTest(t)
	ctx := context.Background()
	id, err := s.OpenAlert(ctx, Alert{CameraID: "cam", FacilityID: "f1", DownSince: 100, OpenedAt: 400, Reason: "refused"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.OpenAlert(ctx, Alert{CameraID: "cam", DownSince: 500, OpenedAt: 800}); !errors.Is(err, ErrAlertOpen) {
		t.Fatalf("second open alert for the same camera: %v, want ErrAlertOpen", err)
	}
	other, err := s.OpenAlert(ctx, Alert{CameraID: "other", FacilityID: "f2", DownSince: 200, OpenedAt: 500})
	if err != nil {
		t.Fatal(err)
	}

	// Reopening the database (a restart) finds both open.
	s.Close()
	s, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	open, err := s.OpenAlerts(ctx)
	if err != nil || len(open) != 2 || open[0].ID != id || open[0].Reason != "refused" || !open[0].Open() {
		t.Fatalf("open alerts %+v, %v", open, err)
	}

	if closed, err := s.CloseAlert(ctx, id, 900, "recovered"); err != nil || !closed {
		t.Fatalf("close: %v, %v", closed, err)
	}
	if closed, err := s.CloseAlert(ctx, id, 950, "recovered"); err != nil || closed {
		t.Fatalf("second close: %v, %v; want false, nil", closed, err)
	}
	// A close "before" the outage (a clock that went back) is kept consistent.
	if closed, err := s.CloseAlert(ctx, other, 50, "camera disabled"); err != nil || !closed {
		t.Fatalf("close other: %v, %v", closed, err)
	}
	// With the first closed, the camera can have a new alert.
	third, err := s.OpenAlert(ctx, Alert{CameraID: "cam", FacilityID: "f1", DownSince: 2000, OpenedAt: 2300})
	if err != nil {
		t.Fatal(err)
	}

	for _, d := range []Delivery{
		{AlertID: id, Event: EventOffline, Channel: ChannelWebhook, Target: "https://hooks.example", Attempt: 1, Status: DeliveryRetry, Error: "503", At: 410},
		{AlertID: id, Event: EventOffline, Channel: ChannelWebhook, Target: "https://hooks.example", Attempt: 2, Status: DeliverySent, At: 420},
		{AlertID: id, Event: EventOffline, Channel: ChannelEmail, Target: "a@example.vn", Attempt: 1, Status: DeliveryFailed, Error: "535", At: 430},
		{AlertID: third, Event: EventOffline, Channel: ChannelEmail, Target: "a@example.vn", Attempt: 1, Status: DeliveryFailed, At: 2400},
	} {
		if err := s.AddDelivery(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AddDelivery(ctx, Delivery{AlertID: id, Event: "camera.exploded", Channel: ChannelEmail, Attempt: 1, Status: DeliverySent}); err == nil {
		t.Error("an unknown event was stored")
	}

	ids := func(q AlertQuery) []int64 {
		t.Helper()
		as, err := s.Alerts(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, a := range as {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tt := range []struct {
		name string
		q    AlertQuery
		want []int64
	}{
		{"all, newest first", AlertQuery{}, []int64{third, other, id}},
		{"open", AlertQuery{State: "open"}, []int64{third}},
		{"closed", AlertQuery{State: "closed"}, []int64{other, id}},
		{"overlapping a range", AlertQuery{From: 850, To: 1000}, []int64{id}},
		{"range reaching an open one", AlertQuery{From: 5000}, []int64{third}},
		{"camera", AlertQuery{Camera: "cam"}, []int64{third, id}},
		{"facility", AlertQuery{Facility: "f2"}, []int64{other}},
		{"limit", AlertQuery{Limit: 1}, []int64{third}},
	} {
		if got := ids(tt.q); !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
	as, err := s.Alerts(ctx, AlertQuery{Camera: "cam", State: "closed"})
	if err != nil || len(as) != 1 {
		t.Fatalf("%+v, %v", as, err)
	}
	a := as[0]
	if a.ClosedAt != 900 || a.CloseReason != "recovered" || len(a.Deliveries) != 3 || a.Deliveries[1].Status != DeliverySent {
		t.Errorf("closed alert %+v", a)
	}

	open2, failed, err := s.AlertCounts(ctx)
	if err != nil || open2 != 1 || failed[ChannelEmail] != 2 || failed[ChannelWebhook] != 0 {
		t.Errorf("counts: open %d, failed %v, %v", open2, failed, err)
	}
}

func TestFirstOnline(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	if at, err := s.FirstOnline(ctx, "cam"); err != nil || at != 0 {
		t.Fatalf("no events: %d, %v", at, err)
	}
	err := s.Apply(ctx, &Batch{Events: []Event{
		{CameraID: "cam", At: 10, State: StateConnecting},
		{CameraID: "cam", At: 20, State: StateOffline},
		{CameraID: "cam", At: 30, State: StateOnline},
		{CameraID: "cam", At: 40, State: StateOnline},
		{CameraID: "other", At: 5, State: StateOnline},
	}})
	if err != nil {
		t.Fatal(err)
	}
	if at, err := s.FirstOnline(ctx, "cam"); err != nil || at != 30 {
		t.Errorf("first online %d, %v; want 30", at, err)
	}
}

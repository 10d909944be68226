package web

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"vigil/store"
)

func TestDashboardShowsWhatNeedsAttention(t *testing.T) {
	f := newRegistryFixture(t)
	// cam-2 was online once, an hour ago; both cameras are unreachable now.
	ctx := context.Background()
	hourAgo := time.Now().Add(-time.Hour).UnixNano()
	if err := f.st.Apply(ctx, &store.Batch{Events: []store.Event{
		{CameraID: "cam-2", At: hourAgo, State: store.StateOnline, Reason: "recording"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.st.OpenAlert(ctx, store.Alert{CameraID: "cam-2", FacilityID: "bv-1", DownSince: hourAgo + 1,
		OpenedAt: hourAgo + 2, Reason: "connection refused"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"cam-1", "cam-2"} {
		waitState(t, f, id, store.StateOffline)
	}
	code, body := f.get(t, "/api/v1/dashboard")
	if code != http.StatusOK {
		t.Fatalf("%d %s", code, body)
	}
	var a struct {
		Province struct{ Name, Code, Operator string }
		Cameras  struct {
			Total          int `json:"total"`
			Online         int `json:"online"`
			Offline        int `json:"offline"`
			NeverConnected int `json:"never_connected"`
		}
		OpenAlerts []struct{ Camera, Facility, Reason string } `json:"open_alerts"`
		Facilities []struct {
			ID         string
			Cameras    int
			OpenAlerts int                           `json:"open_alerts"`
			AllOffline bool                          `json:"all_offline"`
			Primary    *struct{ Name, Phone string } `json:"primary_contact"`
		}
		Attention struct {
			NoPrimaryContact  []string `json:"no_primary_contact"`
			AllCamerasOffline []string `json:"all_cameras_offline"`
		}
	}
	if err := json.Unmarshal([]byte(body), &a); err != nil {
		t.Fatal(err)
	}
	if a.Province.Name != "Tỉnh Đồng Nai" || a.Province.Code != "75" || a.Province.Operator != "VNPT" {
		t.Errorf("province %+v", a.Province)
	}
	if a.Cameras.Total != 2 || a.Cameras.Online != 0 || a.Cameras.Offline != 2 || a.Cameras.NeverConnected != 1 {
		t.Errorf("cameras %+v: want 2, none online, 2 offline, 1 never connected (cam-1)", a.Cameras)
	}
	if len(a.OpenAlerts) != 1 || a.OpenAlerts[0].Camera != "cam-2" || a.OpenAlerts[0].Reason != "connection refused" {
		t.Errorf("open alerts %+v", a.OpenAlerts)
	}
	if len(a.Facilities) != 2 {
		t.Fatalf("facilities %+v", a.Facilities)
	}
	for _, fa := range a.Facilities {
		if fa.Cameras != 1 || !fa.AllOffline {
			t.Errorf("facility %s: %d cameras, all offline %v", fa.ID, fa.Cameras, fa.AllOffline)
		}
		switch fa.ID {
		case "ktx-a":
			if fa.Primary == nil || fa.Primary.Name != "Nguyễn Văn An" || fa.Primary.Phone != "+84912345678" {
				t.Errorf("ktx-a's primary contact %+v", fa.Primary)
			}
		case "bv-1":
			if fa.Primary != nil || fa.OpenAlerts != 1 {
				t.Errorf("bv-1: primary %+v, %d open alerts", fa.Primary, fa.OpenAlerts)
			}
		}
	}
	if !slices.Equal(a.Attention.NoPrimaryContact, []string{"bv-1"}) {
		t.Errorf("no primary contact: %v, want [bv-1]", a.Attention.NoPrimaryContact)
	}
	slices.Sort(a.Attention.AllCamerasOffline)
	if !slices.Equal(a.Attention.AllCamerasOffline, []string{"bv-1", "ktx-a"}) {
		t.Errorf("all cameras offline: %v", a.Attention.AllCamerasOffline)
	}
}

// waitState waits until the recorder reports camera in state.
func waitState(t *testing.T, f *fixture, camera, state string) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		if s, _ := f.rec.Camera(camera); s.State == state {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never went %s", camera, state)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

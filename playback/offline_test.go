package playback

import (
	"encoding/json"
	"testing"
	"time"

	"vigil/store"
)

func TestOutages(t *testing.T) {
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	at := func(m int) int64 { return base.Add(time.Duration(m) * time.Minute).UnixNano() }
	events := []store.Event{
		{At: at(-30), State: store.StateOffline, Reason: "vigil stopped"}, // in force at t0
		{At: at(5), State: store.StateConnecting, Reason: "recorder started"},
		{At: at(6), State: store.StateOnline, Reason: "recording"},
		{At: at(20), State: store.StateOffline, Reason: "describe: bad status code: 404 (Not Found)"},
		{At: at(25), State: store.StateOnline, Reason: "recording"},
		{At: at(50), State: store.StateOffline, Reason: "TCP timeout"},
	}
	got, _ := json.Marshal(Outages(events, base, base.Add(time.Hour)))
	want := `[{"start":"2026-11-27T08:00:00.000Z","end":"2026-11-27T08:06:00.000Z","state":"offline","reason":"vigil stopped"},` +
		`{"start":"2026-11-27T08:20:00.000Z","end":"2026-11-27T08:25:00.000Z","state":"offline","reason":"describe: bad status code: 404 (Not Found)"},` +
		`{"start":"2026-11-27T08:50:00.000Z","end":"2026-11-27T09:00:00.000Z","state":"offline","reason":"TCP timeout"}]`
	if string(got) != want {
		t.Fatalf("outages\n%s\nwant\n%s", got, want)
	}
	if o := Outages(nil, base, base.Add(time.Hour)); len(o) != 0 {
		t.Fatalf("no events: %v", o)
	}
}

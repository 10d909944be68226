package playback

import (
	"encoding/json"
	"time"

	"vigil/store"
)

// Outage is a period in which a camera was not online, with the reason the recorder gave.
type Outage struct {
	Span
	State  string // offline | connecting
	Reason string
}

// MarshalJSON writes {"start", "end", "state", "reason"} with the times as Span writes them.
func (o Outage) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Start  string `json:"start"`
		End    string `json:"end"`
		State  string `json:"state"`
		Reason string `json:"reason"`
	}{o.Start.Format(TimeFormat), o.End.Format(TimeFormat), o.State, o.Reason})
}

// Outages turns a camera's state events into the periods of [t0, t1) in which it was not online. events
// are oldest first and may start with the last event before t0 (store.Events returns them so), which says
// the state in force at t0. Before the first event the state is unknown and nothing is reported.
func Outages(events []store.Event, t0, t1 time.Time) []Outage {
	var out []Outage
	lo, hi := t0.UnixNano(), t1.UnixNano()
	for i, e := range events {
		if e.State == store.StateOnline {
			continue
		}
		end := hi
		if i+1 < len(events) {
			end = min(events[i+1].At, hi)
		}
		start := max(e.At, lo)
		if end <= start {
			continue
		}
		// Consecutive not-online events (offline, then connecting again) read as one outage, with the
		// reason it began.
		if n := len(out); n > 0 && out[n-1].End.UnixNano() == start {
			out[n-1].End = time.Unix(0, end).In(t0.Location())
			continue
		}
		out = append(out, Outage{
			Span:  Span{Start: time.Unix(0, start).In(t0.Location()), End: time.Unix(0, end).In(t0.Location())},
			State: e.State, Reason: e.Reason,
		})
	}
	return out
}

package continuity

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/store"
)

var (
	hcm, _ = time.LoadLocation("Asia/Ho_Chi_Minh")
	// t0 is the start of the periods below; offsets are in minutes from it.
	t0 = time.Date(2021, 5, 8, 0, 0, 0, 0, hcm)
)

func at(min float64) time.Time { return t0.Add(time.Duration(min * float64(time.Minute))) }

func ev(min float64, state, reason string) store.Event {
	return store.Event{CameraID: "cam", At: at(min).UnixNano(), State: state, Reason: reason}
}

func on(min float64) store.Event  { return ev(min, store.StateOnline, "recording") }
func off(min float64) store.Event { return ev(min, store.StateOffline, "connection refused") }
func conn(min float64) store.Event {
	return ev(min, store.StateConnecting, "recorder started")
}
func stopped(min float64) store.Event { return ev(min, store.StateOffline, "vigil stopped") }

func seg(from, to float64) *store.Segment {
	return &store.Segment{CameraID: "cam", Start: at(from).UnixNano(), End: at(to).UnixNano()}
}

func mins(m float64) time.Duration { return time.Duration(m * float64(time.Minute)) }

// outageText writes an outage as "start-end reason [before] [open]" in minutes, for readable failures.
func outageText(o Outage) string {
	s := fmt.Sprintf("%g-%g %s", o.Start.Sub(t0).Minutes(), o.End.Sub(t0).Minutes(), o.Reason)
	if o.StartedBefore {
		s += " before"
	}
	if o.Open {
		s += " open"
	}
	return s
}

func TestMeasure(t *testing.T) {
	hour := Period{Name: "custom", From: at(0), To: at(60)}
	wayAfter := at(24 * 60)
	everOnline := at(-1000)
	tests := []struct {
		name   string
		period Period
		now    time.Time
		h      History
		// want, in minutes
		online, down, unknown, missing float64
		never                          bool
		outages                        []string
	}{
		{
			name: "no events: all unknown, never connected", period: hour, now: wayAfter,
			unknown: 60, never: true,
		},
		{
			name: "online all along, state from before the period", period: hour, now: wayAfter,
			h:      History{Events: []store.Event{on(-30)}, Segments: []*store.Segment{seg(-30, 70)}, FirstOnline: at(-30)},
			online: 60,
		},
		{
			name:   "outage crossing the start: the state at the start comes from the event before it",
			period: hour, now: wayAfter,
			h: History{Events: []store.Event{off(-30), on(10)}, Segments: []*store.Segment{seg(10, 60)},
				FirstOnline: everOnline},
			online: 50, down: 10, missing: 10,
			outages: []string{"0-10 connection refused before"},
		},
		{
			name: "outage crossing the end", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(-60), off(50)}, Segments: []*store.Segment{seg(-60, 50)},
				FirstOnline: everOnline},
			online: 50, down: 10, missing: 10,
			outages: []string{"50-60 connection refused open"},
		},
		{
			name:   "outage still open now; before the first event and after now are unknown",
			period: Period{Name: "today", From: at(0), To: at(24 * 60)}, now: at(12 * 60),
			h: History{Events: []store.Event{conn(60), on(60.5), off(11 * 60)},
				Segments: []*store.Segment{seg(60.5, 11*60)}, FirstOnline: at(60.5)},
			online: 11*60 - 60.5, down: 60.5, unknown: 60 + 12*60, missing: 60.5,
			outages: []string{"60-60.5 recorder started", "660-720 connection refused open"},
		},
		{
			name: "clean restart: vigil stopped, then connecting, is one outage", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(-5), stopped(20), conn(30), on(31)},
				Segments: []*store.Segment{seg(-5, 20), seg(31, 60)}, FirstOnline: everOnline},
			online: 49, down: 11, missing: 11,
			outages: []string{"20-31 vigil stopped"},
		},
		{
			name: "unclean restart: online until the footage ends, then down", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(-5), conn(30), on(31)},
				Segments: []*store.Segment{seg(-5, 20), seg(31, 60)}, FirstOnline: everOnline},
			online: 49, down: 11, missing: 11,
			outages: []string{"20-31 " + ReasonUncleanStop},
		},
		{
			name: "unclean restart with no footage left: unknown, not down", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(-5), conn(30), on(31)}, Segments: []*store.Segment{seg(31, 60)},
				FirstOnline: everOnline},
			online: 29, down: 1, unknown: 30, missing: 31,
			outages: []string{"30-31 recorder started"},
		},
		{
			// vigil died at -20 (its footage ends there) and started again at 30: the period's first half
			// hour was not watched, whatever the period's start.
			name: "unclean restart, crashed before the period", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(-60), conn(30), on(31)}, Segments: []*store.Segment{seg(31, 60)},
				FirstOnline: everOnline, FootageBefore: at(-20).UnixNano()},
			online: 29, down: 31, missing: 31,
			outages: []string{"0-31 " + ReasonUncleanStop + " before"},
		},
		{
			name: "zero-length period", period: Period{From: at(10), To: at(10)}, now: wayAfter,
			h: History{Events: []store.Event{on(0)}, FirstOnline: at(0)},
		},
		{
			name: "end before start", period: Period{From: at(10), To: at(5)}, now: wayAfter,
			h:     History{Events: []store.Event{on(0)}},
			never: true,
		},
		{
			name: "period in the future", period: hour, now: at(-10),
			h:       History{Events: []store.Event{on(-20)}, FirstOnline: at(-20)},
			unknown: 60,
		},
		{
			name: "now inside the period", period: hour, now: at(45),
			h:      History{Events: []store.Event{on(-20)}, Segments: []*store.Segment{seg(-20, 45)}, FirstOnline: at(-20)},
			online: 45, unknown: 15,
		},
		{
			name: "never connected: 0%, flagged", period: hour, now: wayAfter,
			h:    History{Events: []store.Event{conn(10), off(10.5)}},
			down: 50, unknown: 10, missing: 50, never: true,
			outages: []string{"10-60 recorder started open"},
		},
		{
			name: "first online after the measured part: never connected as of then", period: hour, now: at(30),
			h:    History{Events: []store.Event{conn(0)}, FirstOnline: at(40)},
			down: 30, unknown: 30, missing: 30, never: true,
			outages: []string{"0-30 recorder started open"},
		},
		{
			name: "events at the same instant: the last given lasts", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(0), on(20), off(20)}, Segments: []*store.Segment{seg(0, 20)},
				FirstOnline: at(0)},
			online: 20, down: 40, missing: 40,
			outages: []string{"20-60 connection refused open"},
		},
		{
			name: "an event after now (the clock went back) only ends what came before", period: hour, now: at(30),
			h:      History{Events: []store.Event{on(0), off(45)}, Segments: []*store.Segment{seg(0, 30)}, FirstOnline: at(0)},
			online: 30, unknown: 30,
		},
		{
			name: "offline then connecting then offline is one outage", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(0), off(10), conn(12), off(13), on(20)},
				Segments: []*store.Segment{seg(0, 10), seg(20, 60)}, FirstOnline: at(0)},
			online: 50, down: 10, missing: 10,
			outages: []string{"10-20 connection refused"},
		},
		{
			name: "several outages", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(0), off(5), on(6), off(20), on(35), off(50), on(52)},
				Segments: []*store.Segment{seg(0, 5), seg(6, 20), seg(35, 50), seg(52, 60)}, FirstOnline: at(0)},
			online: 42, down: 18, missing: 18,
			outages: []string{"5-6 connection refused", "20-35 connection refused", "50-52 connection refused"},
		},
		{
			name: "footage missing while online (a hole in the recordings)", period: hour, now: wayAfter,
			h: History{Events: []store.Event{on(-1)}, Segments: []*store.Segment{seg(-1, 20), seg(25, 61)},
				FirstOnline: at(-1)},
			online: 60, missing: 5,
		},
		{
			name: "the fragment being written is not missing footage", period: hour, now: at(30),
			h: History{Events: []store.Event{on(0)}, Segments: []*store.Segment{seg(0, 30-2.0/60)},
				FirstOnline: at(0)},
			online: 30, unknown: 30,
		},
		{
			name: "a longer hole at now is", period: hour, now: at(30),
			h:      History{Events: []store.Event{on(0)}, Segments: []*store.Segment{seg(0, 29)}, FirstOnline: at(0)},
			online: 30, unknown: 30, missing: 1,
		},
		{
			name: "footage is counted from the first event", period: hour, now: wayAfter,
			h:      History{Events: []store.Event{on(30)}, Segments: []*store.Segment{seg(30, 60)}, FirstOnline: at(30)},
			online: 30, unknown: 30,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := Measure(tt.period, tt.now, tt.h)
			check := func(what string, got time.Duration, want float64) {
				t.Helper()
				if got != mins(want) {
					t.Errorf("%s = %v, want %v", what, got, mins(want))
				}
			}
			check("online", u.Online, tt.online)
			check("down", u.Down, tt.down)
			check("unknown", u.Unknown, tt.unknown)
			check("footage missing", u.FootageMissing, tt.missing)
			if u.NeverConnected != tt.never {
				t.Errorf("never connected = %v, want %v", u.NeverConnected, tt.never)
			}
			var got []string
			var longest time.Duration
			for _, o := range u.Outages {
				got = append(got, outageText(o))
				longest = max(longest, o.Duration())
			}
			if !slices.Equal(got, tt.outages) {
				t.Errorf("outages:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tt.outages, "\n  "))
			}
			if u.Longest != longest {
				t.Errorf("longest = %v, want %v", u.Longest, longest)
			}
			if p := tt.period; p.To.After(p.From) {
				if sum := u.Online + u.Down + u.Unknown; sum != p.To.Sub(p.From) {
					t.Errorf("online + down + unknown = %v, want the period's %v", sum, p.To.Sub(p.From))
				}
			}
			f, ok := u.Fraction()
			switch {
			case u.Observed() == 0 && ok:
				t.Errorf("fraction %v with nothing observed", f)
			case u.Observed() > 0 && (!ok || f != float64(u.Online)/float64(u.Observed())):
				t.Errorf("fraction = %v, %v", f, ok)
			case tt.never && ok && f != 0:
				t.Errorf("a camera that never connected has uptime %v", f)
			}
		})
	}
}

// TestMeasureIgnoresInputOrder: the store returns events by time, but the arithmetic must not depend on it.
func TestMeasureIgnoresInputOrder(t *testing.T) {
	p := Period{From: at(0), To: at(60)}
	h := History{
		Events:      []store.Event{off(-10), on(3), off(7), conn(9), on(15), stopped(30), conn(40), on(41), off(55)},
		Segments:    []*store.Segment{seg(3, 7), seg(15, 30), seg(41, 55)},
		FirstOnline: at(-100),
	}
	want := Measure(p, at(90), h)
	for i := range 20 {
		r := rand.New(rand.NewPCG(uint64(i), 1))
		shuffled := h
		shuffled.Events = slices.Clone(h.Events)
		r.Shuffle(len(shuffled.Events), func(a, b int) {
			shuffled.Events[a], shuffled.Events[b] = shuffled.Events[b], shuffled.Events[a]
		})
		got := Measure(p, at(90), shuffled)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("order %v:\n got %+v\nwant %+v", shuffled.Events, got, want)
		}
	}
	if want.Online != mins(4+15+14) || len(want.Outages) != 4 {
		t.Errorf("online %v, outages %d", want.Online, len(want.Outages))
	}
}

func TestPeriods(t *testing.T) {
	now := time.Date(2021, 5, 7, 20, 30, 0, 0, time.UTC) // 03:30 on 8 May in Hồ Chí Minh City
	today := Today(now, hcm)
	if !today.From.Equal(time.Date(2021, 5, 8, 0, 0, 0, 0, hcm)) || !today.To.Equal(time.Date(2021, 5, 9, 0, 0, 0, 0, hcm)) {
		t.Errorf("today = %v .. %v", today.From, today.To)
	}
	for name, days := range map[string]int{"7d": 7, "30d": 30} {
		p, ok := NamedPeriod(name, now, hcm)
		if !ok || p.Name != name || !p.To.Equal(now) || p.To.Sub(p.From) != time.Duration(days)*24*time.Hour {
			t.Errorf("%s = %+v, %v", name, p, ok)
		}
		if p.From.Location() != hcm {
			t.Errorf("%s is in %v, want the configured zone", name, p.From.Location())
		}
	}
	if _, ok := NamedPeriod("1y", now, hcm); ok {
		t.Error("1y accepted")
	}
	// The end of a month and of a year need no special case.
	last := Today(time.Date(2021, 12, 31, 12, 0, 0, 0, hcm), hcm)
	if !last.To.Equal(time.Date(2022, 1, 1, 0, 0, 0, 0, hcm)) {
		t.Errorf("31 December ends at %v", last.To)
	}
}

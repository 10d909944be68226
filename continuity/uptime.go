// Package continuity measures how continuously the cameras ran — uptime, outages and missing footage per
// camera, facility and province for any period — and raises alerts when a camera stays offline, delivered
// to webhooks and by e-mail.
package continuity

import (
	"cmp"
	"slices"
	"strconv"
	"time"

	"vigil/playback"
	"vigil/store"
)

// IndexLag is how far the index may trail the present for a camera that is recording: the fragment being
// assembled and the indexer's one-second batch. A hole in the footage shorter than this that ends at `now`
// is not counted as missing, or every live camera would always miss a second or two.
const IndexLag = 3 * time.Second

// ReasonUncleanStop is the reason given to the part of an online period that ended with vigil itself
// dying: the events say the camera was online, then that vigil started again, with nothing between.
const ReasonUncleanStop = "vigil stopped unexpectedly"

// Period is a half-open wall-clock range [From, To).
type Period struct {
	Name     string // today | 7d | 30d | custom
	From, To time.Time
}

// Today is the calendar day of now in loc: from its midnight to the next one. The part after now is the
// future, which the measurements count as unknown.
func Today(now time.Time, loc *time.Location) Period {
	y, m, d := now.In(loc).Date()
	// time.Date normalises day d+1, so month and year ends and DST days need no special case.
	return Period{Name: "today", From: time.Date(y, m, d, 0, 0, 0, 0, loc), To: time.Date(y, m, d+1, 0, 0, 0, 0, loc)}
}

// LastDays is the rolling window of the last n days up to now.
func LastDays(now time.Time, n int, loc *time.Location) Period {
	now = now.In(loc)
	return Period{Name: strconv.Itoa(n) + "d", From: now.Add(-time.Duration(n) * 24 * time.Hour), To: now}
}

// NamedPeriod returns the period called name ("today", "7d", "30d") at now.
func NamedPeriod(name string, now time.Time, loc *time.Location) (Period, bool) {
	switch name {
	case "today":
		return Today(now, loc), true
	case "7d":
		return LastDays(now, 7, loc), true
	case "30d":
		return LastDays(now, 30, loc), true
	}
	return Period{}, false
}

// History is what the store knows of one camera for a period.
type History struct {
	// Events are the state in force at the period's start (the last event before it, as store.Events
	// returns it) and every event in the period, in any order.
	Events []store.Event
	// Segments are the recordings overlapping the period.
	Segments []*store.Segment
	// FirstOnline is when the camera was first online, in all of its history; zero if it never was.
	FirstOnline time.Time
	// FootageBefore is where the camera's last recording that began before the period ends (ns since the
	// epoch; 0 if none): it dates a vigil crash that happened before the period when the state in force
	// at the period's start is "online" and the next event is vigil starting again.
	FootageBefore int64
}

// Outage is one stretch of a period in which the camera was not online: offline, still connecting, or not
// watched because vigil was not running. Consecutive not-online states are one outage.
type Outage struct {
	Start, End    time.Time // clipped to the part of the period vigil can speak for
	Reason        string    // the reason of the event that began it
	StartedBefore bool      // it began before the period
	Open          bool      // it had not ended when the measured part of the period ended
}

// Duration is End - Start.
func (o Outage) Duration() time.Duration { return o.End.Sub(o.Start) }

// Uptime is the continuity of one camera over one period.
//
// Online + Down + Unknown is the period's length. Unknown is the time vigil cannot speak for: before the
// camera's first event (vigil did not know it yet), after now (the future), and the end of an online
// stretch cut short by vigil dying when no footage remains to say when it died. Unknown time counts
// neither for nor against the camera: the uptime fraction is Online / (Online + Down).
type Uptime struct {
	Online  time.Duration
	Down    time.Duration // total outage time
	Unknown time.Duration
	// NeverConnected: the camera had never been online by the end of the measured part of the period.
	// Its uptime is 0 wherever vigil watched it.
	NeverConnected bool
	Outages        []Outage
	Longest        time.Duration // the longest outage, as clipped to the period
	// FootageMissing is the time, from the camera's first event (or the period's start) to the end of
	// the measured part, not covered by recordings (holes under playback.MergeTolerance ignored).
	FootageMissing time.Duration
}

// Observed is the time vigil can speak for: Online + Down.
func (u Uptime) Observed() time.Duration { return u.Online + u.Down }

// Fraction is Online / Observed; ok is false when vigil observed none of the period.
func (u Uptime) Fraction() (f float64, ok bool) {
	if u.Observed() <= 0 {
		return 0, false
	}
	return float64(u.Online) / float64(u.Observed()), true
}

// state of one piece of a camera's timeline
type state int

const (
	unknown state = iota
	online
	down
)

// piece is a stretch of the timeline in one state, in ns since the epoch.
type piece struct {
	start, end int64
	state      state
	reason     string
	began      int64 // start before clipping to the measured part
}

// Measure computes the continuity of one camera over p as of now, from its history alone: a pure function,
// so every edge case can be tested on injected sequences.
//
// The measured part of the period is [p.From, min(p.To, now)). Events after now (a clock that went back)
// only bound the pieces before them. Events are ordered by time, stably, so events at the same instant
// keep the order given (the store's insertion order): the last of them is the state that lasts.
func Measure(p Period, now time.Time, h History) Uptime {
	lo, hi := p.From.UnixNano(), p.To.UnixNano()
	end := min(hi, now.UnixNano())
	var u Uptime
	if hi <= lo {
		u.NeverConnected = neverConnected(h.FirstOnline, lo)
		return u
	}
	end = max(end, lo)
	u.NeverConnected = neverConnected(h.FirstOnline, end)
	u.Unknown = time.Duration(hi - end) // the future
	if end == lo {
		return u
	}

	events := slices.Clone(h.Events)
	slices.SortStableFunc(events, func(a, b store.Event) int { return cmp.Compare(a.At, b.At) })
	recorded := recordedIntervals(h.Segments, p.From, time.Unix(0, end))
	pieces := timeline(events, recorded, h.FootageBefore, lo, end)
	for _, pc := range pieces {
		d := time.Duration(pc.end - pc.start)
		switch pc.state {
		case online:
			u.Online += d
		case down:
			u.Down += d
		default:
			u.Unknown += d
		}
	}
	u.Outages = outages(pieces, lo, end, p.From.Location())
	for _, o := range u.Outages {
		u.Longest = max(u.Longest, o.Duration())
	}
	if len(events) > 0 {
		u.FootageMissing = missing(recorded, max(lo, events[0].At), end, end == now.UnixNano())
	}
	return u
}

func neverConnected(firstOnline time.Time, by int64) bool {
	return firstOnline.IsZero() || firstOnline.UnixNano() >= by
}

// recordedIntervals merges the segments into recorded spans within [from, to), as the timeline shows them.
func recordedIntervals(segs []*store.Segment, from, to time.Time) [][2]int64 {
	spans, _ := playback.Spans(segs, from, to, playback.MergeTolerance)
	out := make([][2]int64, len(spans))
	for i, s := range spans {
		out[i] = [2]int64{s.Start.UnixNano(), s.End.UnixNano()}
	}
	return out
}

// timeline cuts [lo, end) into pieces of one state each, in order, tiling it exactly. Before the first
// event the state is unknown; each event's state lasts until the next event.
func timeline(events []store.Event, recorded [][2]int64, footageBefore, lo, end int64) []piece {
	var out []piece
	add := func(pc piece) {
		pc.began = pc.start
		pc.start, pc.end = max(pc.start, lo), min(pc.end, end)
		if pc.start < pc.end {
			out = append(out, pc)
		}
	}
	if len(events) == 0 {
		add(piece{start: lo, end: end, state: unknown})
		return out
	}
	add(piece{start: lo, end: events[0].At, state: unknown})
	for i, e := range events {
		stop := end
		if i+1 < len(events) {
			stop = events[i+1].At
		}
		if e.State != store.StateOnline {
			add(piece{start: e.At, end: stop, state: down, reason: e.Reason})
			continue
		}
		if i+1 < len(events) && events[i+1].State == store.StateConnecting {
			// Online, then vigil starting again with no offline between: vigil died without writing
			// "vigil stopped". The footage says how long it kept recording.
			for _, pc := range uncleanStop(e.At, stop, recorded, footageBefore, lo, end) {
				add(pc)
			}
			continue
		}
		add(piece{start: e.At, end: stop, state: online})
	}
	return out
}

// uncleanStop splits an online stretch [start, stop) that ended with vigil dying: online until the last
// recorded instant in it, down from there (vigil was not running, nothing was watched or recorded). With
// no footage left in the measured part of the stretch (retention deleted it, or it was never written),
// nobody can tell when vigil died, so the stretch is unknown. A stretch that began before the period may
// have its last footage before it too (footageBefore): then vigil died before the period began.
func uncleanStop(start, stop int64, recorded [][2]int64, footageBefore, lo, end int64) []piece {
	a, b := max(start, lo), min(stop, end)
	last := int64(-1)
	for _, r := range recorded {
		if r[0] < b && r[1] > a {
			last = max(last, min(r[1], b))
		}
	}
	if last < 0 && start < lo && footageBefore > start {
		last = min(footageBefore, b)
	}
	if last < 0 {
		return []piece{{start: start, end: stop, state: unknown}}
	}
	return []piece{
		{start: start, end: last, state: online},
		{start: last, end: stop, state: down, reason: ReasonUncleanStop},
	}
}

// outages joins consecutive down pieces into outages.
func outages(pieces []piece, lo, end int64, loc *time.Location) []Outage {
	at := func(ns int64) time.Time { return time.Unix(0, ns).In(loc) }
	var out []Outage
	prevEnd := int64(-1)
	for _, pc := range pieces {
		if pc.state != down {
			prevEnd = -1
			continue
		}
		if n := len(out); n > 0 && prevEnd == pc.start {
			out[n-1].End = at(pc.end)
		} else {
			out = append(out, Outage{Start: at(pc.start), End: at(pc.end), Reason: pc.reason,
				StartedBefore: pc.began < lo})
		}
		prevEnd = pc.end
	}
	if n := len(out); n > 0 && out[n-1].End.UnixNano() == end {
		out[n-1].Open = true
	}
	return out
}

// missing is the part of [from, to) not covered by the recorded intervals. When the window ends at now, a
// final hole shorter than IndexLag is the fragment still being written, not missing footage.
func missing(recorded [][2]int64, from, to int64, toIsNow bool) time.Duration {
	if from >= to {
		return 0
	}
	covered := int64(0)
	lastEnd := from
	for _, r := range recorded {
		a, b := max(r[0], from), min(r[1], to)
		if a < b {
			covered += b - a
			lastEnd = max(lastEnd, b)
		}
	}
	gap := to - from - covered
	if tail := to - lastEnd; toIsNow && tail > 0 && tail < int64(IndexLag) {
		gap -= tail
	}
	return time.Duration(gap)
}

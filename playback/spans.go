// Package playback turns wall-clock ranges into what was recorded: merged spans and gaps now; HLS VOD
// playlists, byte-range serving and MP4 export later.
package playback

import (
	"cmp"
	"slices"
	"time"

	"vigil/store"
)

// TimeFormat is how the API writes a wall-clock instant: RFC 3339 with exactly three fractional digits.
// Milliseconds are finer than any fragment boundary a user can seek to, and a fixed width keeps the
// strings sortable.
const TimeFormat = "2006-01-02T15:04:05.000Z07:00"

// MergeTolerance is the hole between two segments below which they count as one span. A rotation without
// a reconnect leaves no hole and fragment boundaries jitter by a few milliseconds, while a reconnect takes
// at least the one-second backoff, so anything shorter is bookkeeping noise rather than missing video.
const MergeTolerance = 1500 * time.Millisecond

// Span is a half-open wall-clock interval [Start, End).
type Span struct {
	Start, End time.Time
}

// Duration is End - Start.
func (s Span) Duration() time.Duration { return s.End.Sub(s.Start) }

// MarshalJSON writes {"start": ..., "end": ...} in TimeFormat, in the location the times carry; Spans gives
// them the location of its t0, so the caller picks the zone its users read.
func (s Span) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2*len(TimeFormat)+32)
	b = append(b, `{"start":"`...)
	b = s.Start.AppendFormat(b, TimeFormat)
	b = append(b, `","end":"`...)
	b = s.End.AppendFormat(b, TimeFormat)
	b = append(b, `"}`...)
	return b, nil
}

// interval is a span in store time (ns since the epoch), so merging is integer arithmetic.
type interval struct{ start, end int64 }

// Spans merges segments into the continuous recorded spans within [t0, t1) and returns, as gaps, the rest
// of [t0, t1): spans and gaps together tile the range exactly, in order.
//
// Segments may overlap or contain each other (the recorder re-anchors its clock on a reconnect) and may
// come in any order. A segment still being written counts up to its End. Two recordings less than
// tolerance apart join into one span; a hole of exactly tolerance or more is a gap. Holes at the ends of
// the range are always gaps, since there the recording on the far side is not known to continue.
//
// The returned times carry t0's location.
func Spans(segs []*store.Segment, t0, t1 time.Time, tolerance time.Duration) (spans, gaps []Span) {
	if !t0.Before(t1) {
		return nil, nil
	}
	lo, hi := t0.UnixNano(), t1.UnixNano()
	merged := merge(clip(segs, lo, hi), max(int64(tolerance), 0))
	loc := t0.Location()
	at := func(ns int64) time.Time { return time.Unix(0, ns).In(loc) }
	cursor := lo
	for _, iv := range merged {
		if iv.start > cursor {
			gaps = append(gaps, Span{at(cursor), at(iv.start)})
		}
		spans = append(spans, Span{at(iv.start), at(iv.end)})
		cursor = iv.end
	}
	if cursor < hi {
		gaps = append(gaps, Span{at(cursor), at(hi)})
	}
	return spans, gaps
}

// clip cuts every segment to [lo, hi) and drops those left empty, sorted by start.
func clip(segs []*store.Segment, lo, hi int64) []interval {
	out := make([]interval, 0, len(segs))
	for _, seg := range segs {
		iv := interval{max(seg.Start, lo), min(seg.End, hi)}
		if iv.start < iv.end {
			out = append(out, iv)
		}
	}
	// The store already returns them by start; sorting again is cheap and makes overlap handling
	// independent of the caller.
	slices.SortFunc(out, func(a, b interval) int { return cmp.Compare(a.start, b.start) })
	return out
}

// merge joins sorted intervals that overlap, touch or are less than tolerance apart.
func merge(ivs []interval, tolerance int64) []interval {
	var out []interval
	for _, iv := range ivs {
		if n := len(out); n > 0 && joins(out[n-1], iv, tolerance) {
			out[n-1].end = max(out[n-1].end, iv.end)
			continue
		}
		out = append(out, iv)
	}
	return out
}

// joins reports whether next, starting at or after prev, continues prev's recording. Touching intervals
// always join, even with a zero tolerance.
func joins(prev, next interval, tolerance int64) bool {
	hole := next.start - prev.end
	return hole <= 0 || hole < tolerance
}

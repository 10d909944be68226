package playback

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"vigil/store"
)

// base is a round instant so the table can speak in seconds after it.
var base = time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return base.Add(time.Duration(sec * float64(time.Second))) }

// seg is a segment covering [from, to) seconds after base.
func seg(from, to float64) *store.Segment {
	return &store.Segment{CameraID: "cam-1", Start: at(from).UnixNano(), End: at(to).UnixNano()}
}

// span writes [from, to) as "from-to" in seconds after base, so failures read like the table.
func span(s Span) string {
	return fmt.Sprintf("%g-%g", s.Start.Sub(base).Seconds(), s.End.Sub(base).Seconds())
}

func render(spans []Span) string {
	parts := make([]string, len(spans))
	for i, s := range spans {
		parts[i] = span(s)
	}
	return strings.Join(parts, " ")
}

func TestSpans(t *testing.T) {
	tol := MergeTolerance
	tests := []struct {
		name       string
		segs       []*store.Segment
		from, to   float64
		spans, gap string
	}{
		{name: "empty", from: 0, to: 100, gap: "0-100"},
		{name: "one segment inside", segs: []*store.Segment{seg(10, 20)}, from: 0, to: 100,
			spans: "10-20", gap: "0-10 20-100"},
		{name: "clipped at both ends", segs: []*store.Segment{seg(-50, 150)}, from: 0, to: 100,
			spans: "0-100"},
		{name: "clipped start", segs: []*store.Segment{seg(-5, 30), seg(30, 40)}, from: 0, to: 100,
			spans: "0-40", gap: "40-100"},
		{name: "touching", segs: []*store.Segment{seg(0, 10), seg(10, 20), seg(20, 30)}, from: 0, to: 30,
			spans: "0-30"},
		{name: "jitter below tolerance", segs: []*store.Segment{seg(0, 10), seg(10.004, 20)}, from: 0, to: 20,
			spans: "0-20"},
		{name: "overlapping", segs: []*store.Segment{seg(0, 10), seg(9.5, 20)}, from: 0, to: 20,
			spans: "0-20"},
		{name: "contained", segs: []*store.Segment{seg(0, 30), seg(5, 10), seg(31, 40)}, from: 0, to: 50,
			spans: "0-40", gap: "40-50"},
		{name: "contained does not shorten", segs: []*store.Segment{seg(0, 30), seg(5, 10)}, from: 0, to: 30,
			spans: "0-30"},
		{name: "gap just below tolerance", segs: []*store.Segment{seg(0, 10), seg(11.499, 20)}, from: 0, to: 20,
			spans: "0-20"},
		{name: "gap exactly at tolerance", segs: []*store.Segment{seg(0, 10), seg(11.5, 20)}, from: 0, to: 20,
			spans: "0-10 11.5-20", gap: "10-11.5"},
		{name: "gaps at start and end", segs: []*store.Segment{seg(5, 10), seg(20, 90)}, from: 0, to: 100,
			spans: "5-10 20-90", gap: "0-5 10-20 90-100"},
		{name: "hole at the edge is a gap even below tolerance", segs: []*store.Segment{seg(0.5, 99.5)},
			from: 0, to: 100, spans: "0.5-99.5", gap: "0-0.5 99.5-100"},
		{name: "segments outside the range", segs: []*store.Segment{seg(-20, -10), seg(110, 120)},
			from: 0, to: 100, gap: "0-100"},
		{name: "segment ending at t0 and starting at t1", segs: []*store.Segment{seg(-10, 0), seg(100, 110)},
			from: 0, to: 100, gap: "0-100"},
		{name: "empty segment", segs: []*store.Segment{seg(10, 10)}, from: 0, to: 100, gap: "0-100"},
		{name: "unsorted input", segs: []*store.Segment{seg(50, 60), seg(0, 10), seg(9, 20)}, from: 0, to: 100,
			spans: "0-20 50-60", gap: "20-50 60-100"},
		{name: "empty range", segs: []*store.Segment{seg(0, 10)}, from: 5, to: 5},
		{name: "reversed range", segs: []*store.Segment{seg(0, 10)}, from: 8, to: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			spans, gaps := Spans(tt.segs, at(tt.from), at(tt.to), tol)
			if got := render(spans); got != tt.spans {
				t.Errorf("spans = %q, want %q", got, tt.spans)
			}
			if got := render(gaps); got != tt.gap {
				t.Errorf("gaps = %q, want %q", got, tt.gap)
			}
		})
	}
}

func TestSpansWritingSegmentCountsToItsEnd(t *testing.T) {
	s := seg(0, 42)
	s.Writing = true
	spans, gaps := Spans([]*store.Segment{s}, at(0), at(60), MergeTolerance)
	if got, want := render(spans), "0-42"; got != want {
		t.Errorf("spans = %q, want %q", got, want)
	}
	if got, want := render(gaps), "42-60"; got != want {
		t.Errorf("gaps = %q, want %q", got, want)
	}
}

func TestSpansZeroToleranceStillJoinsTouching(t *testing.T) {
	spans, _ := Spans([]*store.Segment{seg(0, 10), seg(10, 20), seg(20.001, 30)}, at(0), at(30), 0)
	if got, want := render(spans), "0-20 20.001-30"; got != want {
		t.Errorf("spans = %q, want %q", got, want)
	}
}

func TestSpansUseLocationOfT0(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	spans, gaps := Spans([]*store.Segment{seg(10, 20)}, at(0).In(hcm), at(30).In(hcm), MergeTolerance)
	for _, s := range append(spans, gaps...) {
		if s.Start.Location() != hcm || s.End.Location() != hcm {
			t.Errorf("span %s is in %v/%v, want %v", span(s), s.Start.Location(), s.End.Location(), hcm)
		}
	}
}

func TestSpanJSON(t *testing.T) {
	hcm := time.FixedZone("ICT", 7*3600)
	s := Span{
		Start: time.Date(2026, 11, 27, 8, 0, 0, 123456789, hcm),
		End:   time.Date(2026, 11, 27, 9, 30, 0, 0, hcm),
	}
	b, err := json.Marshal([]Span{s})
	if err != nil {
		t.Fatal(err)
	}
	want := `[{"start":"2026-11-27T08:00:00.123+07:00","end":"2026-11-27T09:30:00.000+07:00"}]`
	if string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
	b, _ = json.Marshal(Span{Start: base, End: base.Add(time.Second)})
	if want := `{"start":"2026-11-27T08:00:00.000Z","end":"2026-11-27T08:00:01.000Z"}`; string(b) != want {
		t.Errorf("json = %s, want %s", b, want)
	}
}

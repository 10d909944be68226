package web

import (
	"testing"
	"time"

	"vigil/auth"
	"vigil/store"
)

// windowSegment is a segment of ten 1-second fragments from start, a keyframe every other one, with its
// byte layout: a 100-byte init, then 1000 bytes a fragment.
func windowSegment(start time.Time) *store.Segment {
	s := &store.Segment{CameraID: "cam-1", Start: start.UnixNano(), End: start.Add(10 * time.Second).UnixNano(), InitSize: 100}
	for i := range 10 {
		s.Fragments = append(s.Fragments, store.Fragment{Offset: 100 + int64(i)*1000, Size: 1000,
			Start: start.Add(time.Duration(i) * time.Second).UnixNano(), Duration: int64(time.Second), Key: i%2 == 0})
	}
	return s
}

func TestFragmentsInside(t *testing.T) {
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	at := func(s float64) time.Time { return base.Add(time.Duration(s * float64(time.Second))) }
	segs := []*store.Segment{windowSegment(base)}
	for _, tc := range []struct {
		name         string
		w            auth.Window
		t0, t1       float64
		want0, want1 float64
	}{
		// The keyframe at or before 2.5 s is at 2 s, before the window: start at the next one, 4 s.
		{"start moves to a keyframe inside", auth.Window{From: at(2.5)}, 2.5, 9, 4, 9},
		{"a keyframe at the window's start stays", auth.Window{From: at(2)}, 2, 9, 2, 9},
		{"the fragment across the end is left out", auth.Window{Until: at(6.5)}, 0, 6.5, 0, 6},
		{"a fragment ending at the window's end stays", auth.Window{Until: at(7)}, 0, 7, 0, 7},
		{"no keyframe inside: nothing", auth.Window{From: at(8.5), Until: at(9.5)}, 8.5, 9.5, 9, 9},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g0, g1 := fragmentsInside(segs, at(tc.t0), at(tc.t1), tc.w)
			if !g0.Equal(at(tc.want0)) || !g1.Equal(at(tc.want1)) {
				t.Errorf("got [%v, %v), want [%v, %v)", g0.Sub(base), g1.Sub(base), at(tc.want0).Sub(base), at(tc.want1).Sub(base))
			}
		})
	}
}

func TestRangeInside(t *testing.T) {
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	seg := windowSegment(base)
	w := auth.Window{From: base.Add(2 * time.Second), Until: base.Add(5 * time.Second)}
	for _, tc := range []struct {
		header string
		want   bool
	}{
		{"bytes=0-99", true},       // the init
		{"bytes=2100-3099", true},  // fragment 2: 2 s to 3 s
		{"bytes=4100-5099", true},  // fragment 4 ends at 5 s
		{"bytes=1100-2099", false}, // fragment 1: before the window
		{"bytes=5100-6099", false}, // fragment 5: after it
		{"bytes=2100-4099", false}, // two fragments at once: not what a playlist asks for
		{"bytes=2100-", false},     // open-ended
		{"bytes=0-99,2100-3099", false},
		{"", false}, // the whole file reaches outside
	} {
		if got := rangeInside(tc.header, seg, w); got != tc.want {
			t.Errorf("%q: %v, want %v", tc.header, got, tc.want)
		}
	}
	if !rangeInside("", seg, auth.Window{From: base, Until: base.Add(time.Minute)}) {
		t.Error("a file wholly inside the window is refused")
	}
}

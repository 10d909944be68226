package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTest(t testing.TB) (*Store, string) {
	t.Helper()
	p := filepath.Join(t.TempDir(), "vigil.db")
	s, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s, p
}

func testFragments(start int64, n int) []Fragment {
	frags := make([]Fragment, n)
	off := int64(1200)
	for i := range frags {
		frags[i] = Fragment{Offset: off, Size: 60000 + int64(i%7)*1000, Start: start + int64(i)*1e9,
			Duration: 1e9, Key: i%2 == 0}
		off += frags[i].Size
	}
	return frags
}

func TestFragmentMapRoundTrip(t *testing.T) {
	start := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC).UnixNano()
	frags := testFragments(start, 600)
	frags[10].Start += 3e6 // a clock correction leaves a small hole
	for i := 11; i < len(frags); i++ {
		frags[i].Start += 3e6
	}
	blob := EncodeFragments(nil, 1200, start, frags)
	if per := float64(len(blob)) / 600; per > 10 {
		t.Errorf("%.1f bytes per fragment, want a compact map", per)
	}
	got, err := DecodeFragments(nil, blob, start)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(frags) {
		t.Fatal("round trip changed the fragments")
	}
	for _, bad := range [][]byte{nil, {2}, {1}, blob[:len(blob)-1]} {
		if _, err := DecodeFragments(nil, bad, start); err == nil {
			t.Errorf("%x: no error", bad)
		}
	}
}

func TestSegmentsOverlapping(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	base := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC).UnixNano()
	min := int64(time.Minute)
	var b Batch
	// cam-1: segments [0,10) [10,20) [25,35) minutes; cam-2: [0,60)
	for i, r := range [][2]int64{{0, 10}, {10, 20}, {25, 35}} {
		b.Segments = append(b.Segments, &Segment{CameraID: "cam-1", RunID: "r", Start: base + r[0]*min, End: base + r[1]*min,
			Path: fmt.Sprintf("cam-1/%d.mp4", i), Bytes: 100, InitSize: 10, VideoCodec: "H264",
			Fragments: testFragments(base+r[0]*min, 3)})
	}
	b.Segments = append(b.Segments, &Segment{CameraID: "cam-2", RunID: "r", Start: base, End: base + 60*min,
		Path: "cam-2/0.mp4", Bytes: 100, InitSize: 10, VideoCodec: "H265"})
	if err := s.Apply(ctx, &b); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		t0, t1 int64
		want   string
	}{
		{0, 5, "cam-1/0.mp4"},
		{9, 11, "cam-1/0.mp4 cam-1/1.mp4"},
		{10, 11, "cam-1/1.mp4"}, // a segment ending at t0 does not overlap
		{20, 25, ""},
		{21, 26, "cam-1/2.mp4"},
		{-10, 100, "cam-1/0.mp4 cam-1/1.mp4 cam-1/2.mp4"},
		{34, 35, "cam-1/2.mp4"},
		{35, 40, ""},
	} {
		segs, err := s.SegmentsOverlapping(ctx, "cam-1", base+tc.t0*min, base+tc.t1*min, true)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, seg := range segs {
			got = append(got, seg.Path)
			if len(seg.Fragments) != 3 {
				t.Errorf("%s: %d fragments decoded", seg.Path, len(seg.Fragments))
			}
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("[%d, %d) min: %v, want %s", tc.t0, tc.t1, got, tc.want)
		}
	}
}

// TestOverlapQueryIsOneRangeScan checks SQLite's plan: a search on the (camera_id, start_ns) index,
// bounded on both sides, never a scan of the table.
func TestOverlapQueryIsOneRangeScan(t *testing.T) {
	s, _ := openTest(t)
	got := queryPlan(t, s, `SELECT `+segmentColumns+` FROM segment
WHERE camera_id = ? AND start_ns >= ? AND start_ns < ? AND end_ns > ? ORDER BY start_ns`, "c", 0, 1, 0)
	if !strings.Contains(got, "SEARCH segment USING INDEX segment_camera_start (camera_id=? AND start_ns>? AND start_ns<?)") ||
		strings.Contains(got, "TEMP B-TREE") {
		t.Fatalf("plan: %s", got)
	}
}

func TestMigrationsRunOnceAndRefuseNewerSchemas(t *testing.T) {
	s, p := openTest(t)
	s.Close()
	s2, err := Open(p) // reopening runs nothing again
	if err != nil {
		t.Fatal(err)
	}
	s2.Close()
	db, _ := sql.Open("sqlite", p)
	db.Exec(`PRAGMA user_version = 99`)
	db.Close()
	if _, err := Open(p); err == nil || !strings.Contains(err.Error(), "newer than this vigil") {
		t.Fatalf("opening a newer schema: %v", err)
	}
}

func TestDoomKeepsRowsAndFilesConsistent(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	b := &Batch{Segments: []*Segment{
		{CameraID: "c", RunID: "r", Start: 1, End: 2, Path: "a.mp4", Bytes: 10, InitSize: 1, VideoCodec: "H264"},
		{CameraID: "c", RunID: "r", Start: 2, End: 3, Path: "b.mp4", Bytes: 10, InitSize: 1, VideoCodec: "H264", Writing: true},
	}}
	if err := s.Apply(ctx, b); err != nil {
		t.Fatal(err)
	}
	doomed, err := s.Doom(ctx, []string{"a.mp4", "b.mp4", "never-indexed.mp4"})
	if err != nil {
		t.Fatal(err)
	}
	paths, _ := s.AllPaths(ctx)
	intents, _ := s.DoomedFiles(ctx)
	if paths["a.mp4"] || !paths["b.mp4"] || fmt.Sprint(doomed) != "[a.mp4]" || fmt.Sprint(intents) != "[a.mp4]" {
		t.Fatalf("after Doom: rows %v, doomed %v, intents %v (a segment being written must stay, and only what was "+
			"deleted may be unlinked)", paths, doomed, intents)
	}
}

func FuzzDecodeFragments(f *testing.F) {
	f.Add(EncodeFragments(nil, 1200, 0, testFragments(0, 5)))
	f.Add([]byte{1, 0})
	f.Fuzz(func(t *testing.T, blob []byte) {
		frags, err := DecodeFragments(nil, blob, 0)
		if err != nil {
			return
		}
		// Whatever decodes must encode back to the same fragments.
		again, err := DecodeFragments(nil, EncodeFragments(nil, firstOffset(frags), 0, frags), 0)
		if err != nil || fmt.Sprint(again) != fmt.Sprint(frags) {
			t.Fatalf("re-encoding changed %v into %v (%v)", frags, again, err)
		}
	})
}

func firstOffset(frags []Fragment) int64 {
	if len(frags) == 0 {
		return 0
	}
	return frags[0].Offset
}

// TestStartupQueriesUseIndexes keeps startup from scanning a month of rows: the longest-segment query and
// the writing-segments query must each be answered from an index.
func TestStartupQueriesUseIndexes(t *testing.T) {
	s, _ := openTest(t)
	for q, index := range map[string]string{
		`SELECT max(end_ns - start_ns) FROM segment`: "segment_duration",
		`SELECT id FROM segment WHERE writing = 1`:   "segment_writing",
	} {
		if plan := queryPlan(t, s, q); !strings.Contains(plan, "USING COVERING INDEX "+index) &&
			!strings.Contains(plan, "USING INDEX "+index) {
			t.Errorf("%s: plan %q does not use %s", q, plan, index)
		}
	}
}

// queryPlan is SQLite's plan for q, its steps joined by "; ".
func queryPlan(t *testing.T, s *Store, q string, args ...any) string {
	t.Helper()
	rows, err := s.read.Query(`EXPLAIN QUERY PLAN `+q, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, notused int
		var detail string
		if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	return strings.Join(plan, "; ")
}

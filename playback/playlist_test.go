package playback

import (
	"errors"
	"strings"
	"testing"
	"time"

	"vigil/store"
)

// testSegment has n one-second fragments from start, a keyframe every keyEvery fragments.
func testSegment(path, run string, start time.Time, n, keyEvery int) *store.Segment {
	seg := &store.Segment{CameraID: "cam", RunID: run, Path: path, InitSize: 1000, Start: start.UnixNano(),
		VideoCodec: "H264", Width: 640, Height: 360}
	off := int64(1000)
	for i := 0; i < n; i++ {
		f := store.Fragment{Offset: off, Size: 5000, Start: start.Add(time.Duration(i) * time.Second).UnixNano(),
			Duration: int64(time.Second), Key: i%keyEvery == 0}
		seg.Fragments = append(seg.Fragments, f)
		off += f.Size
	}
	seg.End = seg.Fragments[n-1].End()
	seg.Bytes = off
	return seg
}

func TestPlaylistStartsAtTheKeyframeBeforeStartAndMarksGaps(t *testing.T) {
	utc := time.UTC
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, utc)
	a := testSegment("cam/a.mp4", "r1", base, 10, 4)                     // 08:00:00-08:00:10, keys at 0, 4, 8 s
	b := testSegment("cam/b.mp4", "r1", base.Add(10*time.Second), 10, 4) // contiguous rotation
	c := testSegment("cam/c.mp4", "r2", base.Add(30*time.Second), 10, 4) // after an outage
	uri := func(s *store.Segment) string { return "/recordings/" + s.Path }
	got, err := Playlist([]*store.Segment{a, b, c}, base.Add(6500*time.Millisecond), base.Add(32*time.Second), uri, utc)
	if err != nil {
		t.Fatal(err)
	}
	want := `#EXTM3U
#EXT-X-VERSION:7
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-TARGETDURATION:1
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-MAP:URI="/recordings/cam/a.mp4",BYTERANGE="1000@0"
#EXT-X-PROGRAM-DATE-TIME:2026-11-27T08:00:04.000Z
#EXTINF:1.000,
#EXT-X-BYTERANGE:5000@21000
/recordings/cam/a.mp4
`
	if !strings.HasPrefix(string(got), want) {
		t.Fatalf("playlist starts:\n%s\nwant:\n%s", got, want)
	}
	s := string(got)
	if n := strings.Count(s, "#EXTINF:"); n != 6+10+2 {
		t.Errorf("%d fragments, want 6 of a (from the 4 s keyframe), 10 of b, 2 of c", n)
	}
	if n := strings.Count(s, "#EXT-X-DISCONTINUITY"); n != 1 {
		t.Errorf("%d discontinuities, want 1 (the outage; the rotation is seamless)", n)
	}
	if n := strings.Count(s, "#EXT-X-MAP:"); n != 3 {
		t.Errorf("%d maps, want one per segment", n)
	}
	if i, j := strings.Index(s, "#EXT-X-DISCONTINUITY"), strings.Index(s, `URI="/recordings/cam/c.mp4"`); i < 0 || j < i {
		t.Errorf("the discontinuity is not right before segment c")
	}
	if !strings.HasSuffix(s, "#EXT-X-ENDLIST\n") {
		t.Error("no ENDLIST")
	}
}

func TestPlaylistOfNothing(t *testing.T) {
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	a := testSegment("cam/a.mp4", "r1", base, 10, 4)
	_, err := Playlist([]*store.Segment{a}, base.Add(time.Hour), base.Add(2*time.Hour), func(*store.Segment) string { return "" }, time.UTC)
	if !errors.Is(err, ErrNoFootage) {
		t.Fatalf("err %v, want ErrNoFootage", err)
	}
}

func TestAppendTimeMatchesTimeFormat(t *testing.T) {
	hcm, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	for _, tm := range []time.Time{
		time.Date(2026, 11, 27, 8, 5, 9, 7_654_321, time.UTC),
		time.Date(2026, 1, 2, 23, 59, 59, 999_999_999, hcm),
		time.Date(1999, 12, 31, 0, 0, 0, 0, time.FixedZone("x", -(3*3600+30*60))),
	} {
		if got, want := string(appendTime(nil, tm)), tm.Format(TimeFormat); got != want {
			t.Errorf("appendTime = %s, want %s", got, want)
		}
	}
}

package playback

import (
	"fmt"
	"testing"
	"time"

	"vigil/store"
)

// BenchmarkPlaylist24h builds the playlist of one camera's day: 144 ten-minute segments of 600 one-second
// fragments (86,400 entries). The store query that feeds it is measured in store's benchmark.
func BenchmarkPlaylist24h(b *testing.B) {
	base := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	var segs []*store.Segment
	for i := 0; i < 144; i++ {
		segs = append(segs, testSegment(fmt.Sprintf("cam/2026-11-27/%03d.mp4", i), "r", base.Add(time.Duration(i)*10*time.Minute), 600, 2))
	}
	uri := func(s *store.Segment) string { return "/recordings/" + s.Path }
	loc, _ := time.LoadLocation("Asia/Ho_Chi_Minh")
	var size int
	for b.Loop() {
		pl, err := Playlist(segs, base, base.Add(24*time.Hour), uri, loc)
		if err != nil {
			b.Fatal(err)
		}
		size = len(pl)
	}
	b.ReportMetric(float64(size)/1e6, "MB")
}

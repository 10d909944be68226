package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"
)

// The archive the store benchmark queries: 200 cameras, 30 days of 10-minute segments of 1 s fragments
// (864,000 rows with real-sized fragment maps, about 5 GB). It takes a few minutes to build, so it is
// kept in the temp folder between runs; delete it to rebuild.
const (
	benchCameras  = 200
	benchDays     = 30
	benchSegment  = 10 * time.Minute
	benchArchive  = "vigil-bench-store-v1.db"
	benchFragment = time.Second
)

var benchEpoch = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixNano()

func benchStore(b *testing.B) *Store {
	b.Helper()
	p := filepath.Join(os.TempDir(), benchArchive)
	if _, err := os.Stat(p + ".done"); err != nil {
		os.Remove(p)
		os.Remove(p + "-wal")
		b.Logf("building %s (once)", p)
		if err := buildBenchArchive(p); err != nil {
			b.Fatal(err)
		}
		os.WriteFile(p+".done", nil, 0o644)
	}
	s, err := Open(p)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

func buildBenchArchive(p string) error {
	s, err := Open(p)
	if err != nil {
		return err
	}
	defer s.Close()
	perCam := int(benchDays * 24 * time.Hour / benchSegment)
	frags := int(benchSegment / benchFragment)
	ctx := context.Background()
	// One batch per time step across cameras, as the recorder writes them.
	for i := 0; i < perCam; i++ {
		var batch Batch
		for c := 0; c < benchCameras; c++ {
			// stagger cameras by a few seconds, as independent start times do
			start := benchEpoch + int64(i)*int64(benchSegment) + int64(c)*int64(3*time.Second)
			batch.Segments = append(batch.Segments, &Segment{
				CameraID: fmt.Sprintf("cam-%03d", c), RunID: "run", Start: start,
				End: start + int64(benchSegment), Path: fmt.Sprintf("cam-%03d/%06d.mp4", c, i),
				Bytes: 150 << 20, InitSize: 1200, VideoCodec: "H264", Width: 1920, Height: 1080,
				Fragments: testFragments(start, frags),
			})
		}
		if err := s.Apply(ctx, &batch); err != nil {
			return err
		}
	}
	return nil
}

// BenchmarkSegmentsOverlapping queries the segments of a random camera overlapping a random window of the
// 30 days, and reports the p50 and p99 latency: one hour without fragment maps (spans and gaps), one hour
// with them decoded (a seek's playlist), and a whole day with them (a day's playlist).
func BenchmarkSegmentsOverlapping(b *testing.B) {
	s := benchStore(b)
	for _, tc := range []struct {
		window        time.Duration
		withFragments bool
	}{{time.Hour, false}, {time.Hour, true}, {24 * time.Hour, true}} {
		b.Run(fmt.Sprintf("window=%v/fragments=%v", tc.window, tc.withFragments), func(b *testing.B) {
			ctx := context.Background()
			rng := rand.New(rand.NewPCG(1, 2))
			span := int64(benchDays*24*time.Hour - tc.window)
			want := int(tc.window / benchSegment)
			lat := make([]time.Duration, 0, b.N)
			for b.Loop() {
				cam := fmt.Sprintf("cam-%03d", rng.IntN(benchCameras))
				t0 := benchEpoch + rng.Int64N(span)
				start := time.Now()
				segs, err := s.SegmentsOverlapping(ctx, cam, t0, t0+int64(tc.window), tc.withFragments)
				lat = append(lat, time.Since(start))
				if err != nil || len(segs) < want || len(segs) > want+2 {
					b.Fatalf("%d segments, want %d or %d; %v", len(segs), want, want+1, err)
				}
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

package continuity

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"vigil/config"
	"vigil/store"
)

// BenchmarkReport measures the uptime report of a province of 200 cameras at 20 facilities with 30 days
// of 10-minute segments (864,000 rows) and an outage every few hours per camera, for each period.
//
//	go test -run '^$' -bench Report -benchtime 5x ./continuity
func BenchmarkReport(b *testing.B) {
	const cameras, days = 200, 30
	now := time.Date(2021, 6, 7, 12, 0, 0, 0, hcm)
	st, cfg := buildProvince(b, cameras, days, now)
	for _, name := range []string{"today", "7d", "30d"} {
		p, _ := NamedPeriod(name, now, hcm)
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				r, err := BuildReport(context.Background(), st, cfg, p, now, "")
				if err != nil {
					b.Fatal(err)
				}
				if r.Province.Cameras != cameras || r.Province.Outages == 0 {
					b.Fatalf("province %+v", r.Province)
				}
			}
		})
	}
}

// buildProvince fills a store with days of recordings and events for n cameras up to now.
func buildProvince(b *testing.B, n, days int, now time.Time) (*store.Store, *config.Config) {
	b.Helper()
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	cfg := &config.Config{Storage: config.Storage{Path: dir}}
	start := now.Add(-time.Duration(days) * 24 * time.Hour)
	const segment = 10 * time.Minute
	for c := range n {
		id := fmt.Sprintf("cam-%03d", c)
		cfg.Cameras = append(cfg.Cameras, config.Camera{ID: id, Facility: fmt.Sprintf("f%02d", c%20)})
		var batch store.Batch
		batch.Events = append(batch.Events, store.Event{CameraID: id, At: start.UnixNano(), State: store.StateOnline})
		// An outage of two minutes every 7 hours, shifted per camera; the segments leave it out.
		for k := 0; start.Add(time.Duration(k) * segment).Before(now); k++ {
			t := start.Add(time.Duration(k) * segment)
			recorded := t
			if (k+c)%42 == 0 {
				recorded = t.Add(2 * time.Minute)
				batch.Events = append(batch.Events,
					store.Event{CameraID: id, At: t.UnixNano(), State: store.StateOffline, Reason: "timeout"},
					store.Event{CameraID: id, At: recorded.UnixNano(), State: store.StateOnline})
			}
			batch.Segments = append(batch.Segments, &store.Segment{CameraID: id, RunID: "r", Start: recorded.UnixNano(),
				End: t.Add(segment).UnixNano(), Path: fmt.Sprintf("%s/%d.mp4", id, k), VideoCodec: "H264",
				Fragments: fragments(recorded, t.Add(segment))})
		}
		if err := st.Apply(context.Background(), &batch); err != nil {
			b.Fatal(err)
		}
	}
	cfg.ApplyDefaults()
	return st, cfg
}

// fragments is a realistic fragment map (one-second fragments of about 60 KB): it is most of a segment
// row's bytes, and what makes a scan of the segment table expensive.
func fragments(from, to time.Time) []store.Fragment {
	var out []store.Fragment
	for t := from; t.Before(to); t = t.Add(time.Second) {
		out = append(out, store.Fragment{Offset: int64(len(out)) * 60000, Size: 60000 + int64(len(out)%7)*1000,
			Start: t.UnixNano(), Duration: int64(time.Second), Key: true})
	}
	return out
}

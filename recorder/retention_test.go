package recorder

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"vigil/config"
	"vigil/store"
)

// fakeArchive is a store and a folder of segment files made directly, for retention and recovery tests.
type fakeArchive struct {
	t     *testing.T
	root  string
	store *store.Store
}

func newFakeArchive(t *testing.T) *fakeArchive {
	root := t.TempDir()
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &fakeArchive{t: t, root: root, store: st}
}

// add writes a segment of camera ending at end with a file of size bytes.
func (a *fakeArchive) add(camera string, end time.Time, size int64, writing bool) string {
	rel := filepath.Join(camera, end.Format("2006-01-02"), end.Format("15-04-05.000")+".mp4")
	if err := os.MkdirAll(filepath.Dir(filepath.Join(a.root, rel)), 0o750); err != nil {
		a.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(a.root, rel), make([]byte, size), 0o640); err != nil {
		a.t.Fatal(err)
	}
	seg := &store.Segment{CameraID: camera, RunID: "r", Start: end.Add(-time.Minute).UnixNano(), End: end.UnixNano(),
		Path: rel, Bytes: size, InitSize: 0, VideoCodec: "H264", Writing: writing}
	if err := a.store.Apply(context.Background(), &store.Batch{Segments: []*store.Segment{seg}}); err != nil {
		a.t.Fatal(err)
	}
	return rel
}

// paths lists the indexed segments and, separately, the files on disk; they must agree.
func (a *fakeArchive) paths() []string {
	a.t.Helper()
	rows, err := a.store.AllPaths(context.Background())
	if err != nil {
		a.t.Fatal(err)
	}
	var files []string
	filepath.WalkDir(a.root, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".mp4" {
			rel, _ := filepath.Rel(a.root, p)
			files = append(files, rel)
		}
		return nil
	})
	if len(rows) != len(files) {
		a.t.Fatalf("index has %d rows, disk has %d files: %v", len(rows), len(files), files)
	}
	for _, f := range files {
		if !rows[f] {
			a.t.Fatalf("file %s has no row", f)
		}
	}
	sort.Strings(files)
	return files
}

func (a *fakeArchive) recorder(now time.Time, maxAge time.Duration, quota config.Quota, cams ...config.Camera) *Recorder {
	cfg := &config.Config{Storage: config.Storage{Path: a.root}, Cameras: cams}
	cfg.ApplyDefaults()
	cfg.Retention.MaxAge, cfg.Retention.Quota = maxAge, quota
	return &Recorder{Config: cfg, Store: a.store, Now: func() time.Time { return now }}
}

func TestRetentionByAgeHonoursPerCameraOverrides(t *testing.T) {
	a := newFakeArchive(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for h := 1; h <= 5; h++ {
		a.add("a", now.Add(-time.Duration(h)*time.Hour), 100, false)
		a.add("b", now.Add(-time.Duration(h)*time.Hour), 100, false)
	}
	// An old segment still being written is never deleted.
	open := a.add("a", now.Add(-10*time.Hour), 100, true)
	r := a.recorder(now, 150*time.Minute, config.Quota{}, config.Camera{ID: "b", Facility: "f", URL: "rtsp://x", MaxAge: 4*time.Hour + time.Minute})
	rep, err := r.EnforceRetention(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByAge != 3+1 || rep.ByQuota != 0 || rep.FreedBytes != 400 {
		t.Fatalf("report %+v, want 4 deleted by age (3 of a, 1 of b)", rep)
	}
	left := a.paths()
	want := []string{open}
	for _, h := range []int{1, 2} {
		want = append(want, filepath.Join("a", "2026-11-27", now.Add(-time.Duration(h)*time.Hour).Format("15-04-05.000")+".mp4"))
	}
	for _, h := range []int{1, 2, 3, 4} {
		want = append(want, filepath.Join("b", "2026-11-27", now.Add(-time.Duration(h)*time.Hour).Format("15-04-05.000")+".mp4"))
	}
	sort.Strings(want)
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Fatalf("left %v\nwant %v", left, want)
	}
}

func TestRetentionByQuotaDeletesOldestFirstAcrossCameras(t *testing.T) {
	a := newFakeArchive(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var all []string
	for i := 0; i < 8; i++ {
		cam := []string{"a", "b"}[i%2]
		all = append(all, a.add(cam, now.Add(-time.Duration(8-i)*time.Minute), 1000, false))
	}
	r := a.recorder(now, 0, config.Quota{Bytes: 5000})
	rep, err := r.EnforceRetention(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if rep.ByQuota != 3 || rep.UsedBytes != 5000 {
		t.Fatalf("report %+v, want the 3 oldest deleted and 5000 bytes used", rep)
	}
	left := a.paths()
	want := append([]string(nil), all[3:]...)
	sort.Strings(want)
	if fmt.Sprint(left) != fmt.Sprint(want) {
		t.Fatalf("left %v\nwant %v", left, want)
	}
	// A second pass finds nothing to do.
	if rep, _ := r.EnforceRetention(context.Background()); rep.ByQuota+rep.ByAge != 0 {
		t.Fatalf("second pass deleted %+v", rep)
	}
}

// TestInterruptedDeletionRecovers: a crash after retention removed the rows but before (or while) it
// unlinked the files leaves files without rows; recovery finishes the deletion.
func TestInterruptedDeletionRecovers(t *testing.T) {
	a := newFakeArchive(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	var doomed []string
	for i := 0; i < 4; i++ {
		doomed = append(doomed, a.add("a", now.Add(-time.Duration(10-i)*time.Minute), 10, false))
	}
	kept := a.add("a", now.Add(-time.Minute), 10, false)
	if _, err := a.store.Doom(context.Background(), doomed); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(a.root, doomed[0])) // the crash came after the first unlink
	r := a.recorder(now, 0, config.Quota{})
	if err := r.Recover(context.Background()); err != nil {
		t.Fatal(err)
	}
	if left := a.paths(); len(left) != 1 || left[0] != kept {
		t.Fatalf("after recovery: %v, want only %s", left, kept)
	}
	if d, _ := a.store.DoomedFiles(context.Background()); len(d) != 0 {
		t.Fatalf("intents left: %v", d)
	}
}

// TestReserveFollowsTheWriteRate: the free space kept grows with how fast the cameras write, so a pass
// every minute stays ahead of a busy recorder on a small disk.
func TestReserveFollowsTheWriteRate(t *testing.T) {
	r := &Recorder{cameras: []*camera{{}, {}}}
	t0 := time.Now()
	if got := r.writeRateReserve(t0); got != 0 {
		t.Fatalf("first pass reserve %d, want 0 (no rate yet)", got)
	}
	r.cameras[0].bytes.Store(6e6)
	r.cameras[1].bytes.Store(4e6)
	// 10 MB in 10 s is 1 MB/s: five minutes of it.
	if got := r.writeRateReserve(t0.Add(10 * time.Second)); got != 300e6 {
		t.Fatalf("reserve %d, want 300 MB", got)
	}
}

package recorder

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigil/simcam"
	"vigil/store"
)

// TestRecoveryCutsATornFragmentAndIndexesOrphans fakes what a crash leaves: a segment whose index row
// lags and whose file ends in half a fragment, a file the index never heard of, a row whose file is
// gone, and a corrupt file. Recovery must leave the index and the files in agreement.
func TestRecoveryCutsATornFragmentAndIndexesOrphans(t *testing.T) {
	rig := newRig(t, 3*time.Second, rigCamera{"cam", simcam.ClipH264AAC})
	rig.start()
	rig.waitFor("3 segments", 30*time.Second, func() bool { return len(rig.segments("cam")) >= 3 })
	rig.stop()
	ctx := context.Background()
	segs := rig.segments("cam")
	root := rig.cfg.Storage.Path
	torn, orphan, gone := segs[0], segs[1], segs[len(segs)-1] // recovery checks the newest row of each camera

	// torn: the row is back to "writing" with one fragment; the file gets half a fragment more.
	full := append([]store.Fragment(nil), torn.Fragments...)
	tornPath := filepath.Join(root, torn.Path)
	data, _ := os.ReadFile(tornPath)
	half := data[full[1].Offset : full[1].Offset+full[1].Size/2]
	f, _ := os.OpenFile(tornPath, os.O_APPEND|os.O_WRONLY, 0)
	f.Write(half)
	f.Close()
	lagging := *torn
	lagging.Writing, lagging.Fragments = true, full[:1]
	lagging.End, lagging.Bytes = full[0].End(), full[1].Offset
	// orphan: its row is lost. gone: its file is lost.
	if err := rig.store.Apply(ctx, &store.Batch{Segments: []*store.Segment{&lagging}, Dropped: []string{orphan.Path}}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, gone.Path))
	corrupt := filepath.Join(root, "cam", "2026-01-01", "00-00-00.000.mp4")
	os.MkdirAll(filepath.Dir(corrupt), 0o750)
	os.WriteFile(corrupt, []byte("not a segment"), 0o640)

	if err := rig.rec.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	after := map[string]*store.Segment{}
	for _, s := range rig.segments("cam") {
		after[s.Path] = s
	}
	got := after[torn.Path]
	if got == nil || got.Writing || len(got.Fragments) != len(full) || got.Bytes != torn.Bytes || got.End != torn.End {
		t.Fatalf("torn segment after recovery: %+v\nwant the %d complete fragments, %d bytes", got, len(full), torn.Bytes)
	}
	if fi, _ := os.Stat(tornPath); fi.Size() != torn.Bytes {
		t.Fatalf("torn file is %d bytes, want it cut back to %d", fi.Size(), torn.Bytes)
	}
	if o := after[orphan.Path]; o == nil || len(o.Fragments) != len(orphan.Fragments) || o.Start != orphan.Start {
		t.Fatalf("orphan file not indexed as it was: %+v", o)
	}
	if after[gone.Path] != nil {
		t.Fatal("row of a missing file survived recovery")
	}
	if _, err := os.Stat(corrupt + ".corrupt"); err != nil {
		t.Fatalf("corrupt file not set aside: %v", err)
	}
}

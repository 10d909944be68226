package recorder

import (
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"vigil/segfile"
	"vigil/simcam"
	"vigil/store"
)

// fullDisk fails writes with ENOSPC while full is set, after writing the first buffer of what it was
// given, as a disk that fills in the middle of a fragment does.
type fullDisk struct {
	segfile.VectorWriter
	full *atomic.Bool
}

func (d fullDisk) WriteVectors(bufs [][]byte) (int64, error) {
	if !d.full.Load() {
		return d.VectorWriter.WriteVectors(bufs)
	}
	n, _ := d.VectorWriter.WriteVectors(bufs[:1])
	return n, syscall.ENOSPC
}

// TestDiskFull: when the disk fills, the camera's session ends with that reason, the half-written
// fragment is cut so the file ends where its row says, a retention pass runs at once, and recording
// resumes when there is space again; the other camera, on another disk here, records on.
func TestDiskFull(t *testing.T) {
	rig := newRig(t, time.Minute, rigCamera{"cam", simcam.ClipH264}, rigCamera{"other", simcam.ClipH264})
	var full atomic.Bool
	rig.wrapFile = func(camera string, f segfile.VectorWriter) segfile.VectorWriter {
		if camera != "cam" {
			return f
		}
		return fullDisk{f, &full}
	}
	rig.start()
	defer rig.stop()
	rig.waitFor("2 s recorded", 20*time.Second, func() bool { return rig.recordedDuration("cam") >= 2*time.Second })
	passes := rig.rec.retention.passes.Load()
	full.Store(true)
	rig.waitFor("the camera offline for lack of space, and a retention pass", 20*time.Second, func() bool {
		s, _ := rig.rec.Camera("cam")
		return s.State == store.StateOffline && rig.rec.retention.passes.Load() > passes
	})
	if s, _ := rig.rec.Camera("cam"); !strings.Contains(s.LastError, "no space left on device") {
		t.Errorf("offline reason %q", s.LastError)
	}
	rig.waitFor("the failed segment closed in the index", 10*time.Second, func() bool {
		segs := rig.segments("cam")
		return len(segs) == 1 && !segs[0].Writing
	})
	seg := rig.segments("cam")[0]
	if fi, err := os.Stat(filepath.Join(rig.cfg.Storage.Path, seg.Path)); err != nil || fi.Size() != seg.Bytes {
		t.Fatalf("file of %v bytes, row says %d (%v)", fi.Size(), seg.Bytes, err)
	}
	full.Store(false)
	rig.waitFor("recording resumed in a new run", 30*time.Second, func() bool {
		segs := rig.segments("cam")
		return len(segs) == 2 && segs[1].Duration() >= int64(time.Second)
	})
	if n := len(rig.segments("other")); n != 1 {
		t.Errorf("the other camera has %d segments, want 1 uninterrupted", n)
	}
}

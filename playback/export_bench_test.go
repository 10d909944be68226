package playback

import (
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"vigil/segfile"
	"vigil/store"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// A 1920x1080 H.264 SPS and a PPS, for an init ffprobe would accept.
var (
	benchSPS = []byte{0x67, 0x42, 0xc0, 0x28, 0xd9, 0x00, 0x78, 0x02, 0x27, 0xe5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04,
		0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc9, 0x20}
	benchPPS = []byte{0x68, 0xce, 0x3c, 0x80}
)

// writeBenchSegment writes a segment file of n one-second fragments of 25 samples, about 250 KB each (a
// 2 Mbit/s camera), and returns its row as the recorder would have indexed it.
func writeBenchSegment(b *testing.B, root, rel string, start time.Time, n int) *store.Segment {
	info := segfile.Info{CameraID: "cam", RunID: "r", Start: start.UnixNano()}
	init, err := segfile.MarshalInit(info, []*fmp4.InitTrack{{ID: segfile.VideoTrackID, TimeScale: 90000,
		Codec: &codecs.H264{SPS: benchSPS, PPS: benchPPS}}})
	if err != nil {
		b.Fatal(err)
	}
	os.MkdirAll(filepath.Dir(filepath.Join(root, rel)), 0o755)
	f, err := os.Create(filepath.Join(root, rel))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	f.Write(init)
	payload := make([]byte, 10_000)
	w := segfile.NewFragmentWriter(segfile.VideoTrackID)
	for i := 0; i < n; i++ {
		w.SetBaseTime(0, uint64(i*90000))
		for s := 0; s < 25; s++ {
			w.AppendNALUs(0, [][]byte{payload}, s == 0, 0)
			w.SetLastDuration(0, 3600)
		}
		if _, err := w.WriteTo(segfile.WritevFile{File: f}, uint32(i+1)); err != nil {
			b.Fatal(err)
		}
	}
	f.Close()
	scanned, err := segfile.ScanFile(filepath.Join(root, rel))
	if err != nil {
		b.Fatal(err)
	}
	return &store.Segment{CameraID: "cam", RunID: "r", Path: rel, Start: info.Start, End: scanned.End(),
		Bytes: scanned.ValidSize, InitSize: scanned.InitSize, VideoCodec: "H264", Width: 1920, Height: 1080,
		Fragments: scanned.Fragments}
}

// BenchmarkExportVersusCat streams an export of ten 1-minute segments (150 MB) and, in the same run, reads
// the same files whole the way cat does; it reports the export's throughput as a share of cat's. Both
// read from the page cache after the first pass and write to io.Discard, so what is compared is the
// export's own work: the fragment headers it reads and rewrites, and one copy call per fragment.
func BenchmarkExportVersusCat(b *testing.B) {
	root := b.TempDir()
	base := time.Date(2026, 11, 27, 8, 0, 0, 0, time.UTC)
	var segs []*store.Segment
	var total int64
	for i := 0; i < 10; i++ {
		seg := writeBenchSegment(b, root, filepath.Join("cam", "2026-11-27", time.Duration(i).String()+".mp4"),
			base.Add(time.Duration(i)*time.Minute), 60)
		segs = append(segs, seg)
		total += seg.Bytes
	}
	plan, err := PlanExport(segs, base, base.Add(10*time.Minute), time.UTC)
	if err == nil {
		err = plan.LoadInit(root, "cam")
	}
	if err != nil {
		b.Fatal(err)
	}
	var exportTime, catTime time.Duration
	for b.Loop() {
		t := time.Now()
		if _, err := plan.WriteTo(io.Discard, root); err != nil {
			b.Fatal(err)
		}
		exportTime += time.Since(t)
		t = time.Now()
		for _, s := range segs {
			f, _ := os.Open(filepath.Join(root, s.Path))
			io.Copy(io.Discard, f)
			f.Close()
		}
		catTime += time.Since(t)
	}
	mb := float64(total) * float64(b.N) / 1e6
	b.ReportMetric(mb/exportTime.Seconds(), "export-MB/s")
	b.ReportMetric(mb/catTime.Seconds(), "cat-MB/s")
	b.ReportMetric(catTime.Seconds()/exportTime.Seconds()*100, "export-%-of-cat")
}

package segfile

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// A 1920x1080 H.264 SPS (as cameras send it) and a PPS.
var (
	testSPS = []byte{0x67, 0x42, 0xc0, 0x28, 0xd9, 0x00, 0x78, 0x02, 0x27, 0xe5, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04,
		0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc9, 0x20}
	testPPS = []byte{0x68, 0xce, 0x3c, 0x80}
)

// writeTestSegment writes an init and n fragments of 25 one-frame-per-40ms samples, each starting on a
// keyframe, and returns the bytes.
func writeTestSegment(t testing.TB, info Info, n int) []byte {
	t.Helper()
	init, err := MarshalInit(info, []*fmp4.InitTrack{{ID: VideoTrackID, TimeScale: 90000,
		Codec: &codecs.H264{SPS: testSPS, PPS: testPPS}}})
	if err != nil {
		t.Fatal(err)
	}
	out := &BufferWriter{B: append([]byte(nil), init...)}
	w := NewFragmentWriter(VideoTrackID)
	for f := 0; f < n; f++ {
		w.SetBaseTime(0, uint64(f*25*3600))
		for s := 0; s < 25; s++ {
			w.AppendNALUs(0, [][]byte{{0x65, byte(f), byte(s)}}, s == 0, 0)
			w.SetLastDuration(0, 3600)
		}
		if _, err := w.WriteTo(out, uint32(f+1)); err != nil {
			t.Fatal(err)
		}
	}
	return out.B
}

func TestCommentIsReadBackAndShownByFFprobe(t *testing.T) {
	info := Info{CameraID: "cam-1", RunID: "run-abc", Start: 1_700_000_000_123_456_789,
		Comment: "Cổng chính 27/11/2026 10:00:00–10:05:00; khoảng trống: 10:01:02–10:01:30"}
	b := writeTestSegment(t, info, 2)
	f, err := Scan(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Info != info {
		t.Fatalf("info %+v, want %+v", f.Info, info)
	}
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is needed (apt-get install ffmpeg)")
	}
	path := filepath.Join(t.TempDir(), "c.mp4")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	// stdout only: ffprobe complains on stderr about the test's fake slices.
	out, err := exec.Command("ffprobe", "-v", "quiet", "-show_entries", "format_tags=comment",
		"-of", "default=nw=1:nk=1", path).Output()
	if err != nil || string(bytes.TrimSpace(out)) != info.Comment {
		t.Fatalf("ffprobe comment %q (%v), want %q", out, err, info.Comment)
	}
}

func TestScanReadsWhatTheWriterWrote(t *testing.T) {
	info := Info{CameraID: "cam-1", RunID: "run-abc", Start: 1_700_000_000_123_456_789}
	b := writeTestSegment(t, info, 3)
	f, err := Scan(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	if f.Info != info {
		t.Fatalf("info %+v, want %+v", f.Info, info)
	}
	if f.TailError != nil || f.ValidSize != int64(len(b)) {
		t.Fatalf("valid %d of %d, tail error %v", f.ValidSize, len(b), f.TailError)
	}
	if len(f.Fragments) != 3 {
		t.Fatalf("%d fragments, want 3", len(f.Fragments))
	}
	for i, fr := range f.Fragments {
		wantStart := info.Start + int64(i)*1e9
		if fr.Start != wantStart || fr.Duration != 1e9 || !fr.Key {
			t.Errorf("fragment %d: %+v, want start %d, 1 s, key", i, fr, wantStart)
		}
	}
	if f.Fragments[0].Offset != f.InitSize {
		t.Errorf("first fragment at %d, init is %d bytes", f.Fragments[0].Offset, f.InitSize)
	}
	// mediacommon's own parser must agree with our hand-written moof.
	var parts fmp4.Parts
	if err := parts.Unmarshal(b[f.InitSize:]); err != nil {
		t.Fatal(err)
	}
	if len(parts) != 3 || len(parts[1].Tracks[0].Samples) != 25 || parts[1].Tracks[0].BaseTime != 25*3600 {
		t.Fatalf("mediacommon reads %d parts", len(parts))
	}
	if s := parts[2].Tracks[0].Samples[3]; !bytes.Equal(s.Payload, []byte{0, 0, 0, 3, 0x65, 2, 3}) || !s.IsNonSyncSample {
		t.Fatalf("sample payload %x sync %v", s.Payload, !s.IsNonSyncSample)
	}
}

// TestWritevFileWritesEveryBuffer writes more buffers than one writev takes, through a real file.
func TestWritevFileWritesEveryBuffer(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "v"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var bufs [][]byte
	var want []byte
	for i := 0; i < 3000; i++ {
		b := bytes.Repeat([]byte{byte(i)}, i%17)
		bufs = append(bufs, b)
		want = append(want, b...)
	}
	n, err := WritevFile{f}.WriteVectors(bufs)
	if err != nil || n != int64(len(want)) {
		t.Fatalf("wrote %d of %d: %v", n, len(want), err)
	}
	got, _ := os.ReadFile(f.Name())
	if !bytes.Equal(got, want) {
		t.Fatal("file differs from the buffers")
	}
	if s := skip([][]byte{{1, 2}, {3, 4, 5}}, 3); len(s) != 1 || !bytes.Equal(s[0], []byte{4, 5}) {
		t.Fatalf("skip: %v", s)
	}
}

func TestScanStopsAtATornFragment(t *testing.T) {
	b := writeTestSegment(t, Info{CameraID: "c", RunID: "r", Start: 1}, 3)
	full, _ := Scan(bytes.NewReader(b), int64(len(b)))
	for cut := full.Fragments[2].Offset + 1; cut < int64(len(b)); cut += 7 {
		f, err := Scan(bytes.NewReader(b[:cut]), cut)
		if err != nil {
			t.Fatal(err)
		}
		if len(f.Fragments) != 2 || f.ValidSize != full.Fragments[2].Offset || f.TailError == nil {
			t.Fatalf("cut at %d: %d fragments, valid %d, tail error %v", cut, len(f.Fragments), f.ValidSize, f.TailError)
		}
	}
}

func TestScanRejectsOtherFiles(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("hello world, not an mp4"), make([]byte, 100)} {
		if _, err := Scan(bytes.NewReader(b), int64(len(b))); err == nil {
			t.Errorf("%q: no error", b)
		}
	}
	p := filepath.Join(t.TempDir(), "x.mp4")
	os.WriteFile(p, []byte("garbage"), 0o644)
	if _, err := ScanFile(p); err == nil {
		t.Error("garbage file scanned without error")
	}
}

func TestTicksToNsDoesNotOverflow(t *testing.T) {
	// 30 days of 90 kHz ticks: ticks*1e9 would overflow int64.
	ticks := int64(30 * 24 * 3600 * 90000)
	if got, want := TicksToNs(ticks, 90000), int64(30*24*3600)*1e9; got != want {
		t.Fatalf("TicksToNs = %d, want %d", got, want)
	}
	if got := NsToTicks(TicksToNs(ticks+7, 90000), 90000); got != ticks+7 {
		t.Fatalf("round trip %d", got)
	}
}

func FuzzScan(f *testing.F) {
	b := writeTestSegment(f, Info{CameraID: "c", RunID: "r", Start: 1}, 2)
	f.Add(b)
	f.Add(b[:len(b)-5])
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Scan(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			return
		}
		if file.ValidSize > int64(len(b)) || file.ValidSize < file.InitSize {
			t.Fatalf("valid size %d outside [%d, %d]", file.ValidSize, file.InitSize, len(b))
		}
		prev := file.InitSize
		for _, fr := range file.Fragments {
			if fr.Offset != prev || fr.Size <= 0 {
				t.Fatalf("fragment %+v does not follow %d", fr, prev)
			}
			prev = fr.Offset + fr.Size
		}
	})
}

func TestRebaseMoofMovesDecodeTimes(t *testing.T) {
	b := writeTestSegment(t, Info{CameraID: "c", RunID: "r", Start: 0}, 2)
	f, _ := Scan(bytes.NewReader(b), int64(len(b)))
	second := b[f.Fragments[1].Offset : f.Fragments[1].Offset+f.Fragments[1].Size]
	moofSize := int(second[3]) | int(second[2])<<8 | int(second[1])<<16 | int(second[0])<<24
	err := RebaseMoof(second[:moofSize], 7, func(track uint32, base uint64) uint64 {
		if track != VideoTrackID || base != 25*3600 {
			t.Fatalf("shift(%d, %d)", track, base)
		}
		return 1234
	})
	if err != nil {
		t.Fatal(err)
	}
	var parts fmp4.Parts
	if err := parts.Unmarshal(second); err != nil {
		t.Fatal(err)
	}
	if parts[0].SequenceNumber != 7 || parts[0].Tracks[0].BaseTime != 1234 || len(parts[0].Tracks[0].Samples) != 25 {
		t.Fatalf("after rebase: seq %d, base %d", parts[0].SequenceNumber, parts[0].Tracks[0].BaseTime)
	}
	if err := RebaseMoof([]byte("not a moof at all"), 1, nil); err == nil {
		t.Fatal("rebased garbage")
	}
}

// TestTrunOfDefaultSamplesIsAddedUp: a trun whose samples all take the defaults carries no per-sample
// bytes, so its count is bounded by nothing; four billion of them must be a multiplication, not a loop.
func TestTrunOfDefaultSamplesIsAddedUp(t *testing.T) {
	b := []byte{0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff} // version 0, no flags; sample count 2^32-1
	done := make(chan struct{})
	go func() {
		defer close(done)
		total, key, count, err := parseTrun(b, 3600, 0)
		if err != nil || count != 0xffffffff || total != 0xffffffff*3600 || !key {
			t.Errorf("parseTrun = %d, %v, %d, %v", total, key, count, err)
		}
	}()
	select {
	case <-done:
	case <-time.After(time.Second):
		t.Fatal("parseTrun loops over samples that have no bytes")
	}
}

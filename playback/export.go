package playback

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"vigil/segfile"
	"vigil/store"
)

// Export is one MP4 of a camera's recorded fragments, built by concatenating the recorded bytes: the first
// segment's init, then every fragment with its sequence number and decode times rewritten so that the
// file's timeline runs on without holes. Nothing is decoded or re-encoded, and nothing is held in memory
// but one fragment header at a time.
type Export struct {
	// Start and End are the wall-clock times the file covers: Start is the keyframe at or before the
	// requested start, since a file can only begin on a keyframe.
	Start, End time.Time
	// Gaps are the holes in the recording inside [Start, End). The file skips them: its timeline is the
	// recorded time only.
	Gaps []Span
	// TruncatedAt, when not zero, is where the export stops before the requested end because the stream's
	// parameters (codec, resolution, audio) changed there; one MP4 holds one set.
	TruncatedAt time.Time
	// Size is the exact length of the file in bytes, once LoadInit has run.
	Size int64

	frags      []picked
	init       []byte
	timescales map[uint32]int64
}

// PlanExport chooses the fragments of [t0, t1) for an export. segs come from store.SegmentsOverlapping with
// their fragment maps. loc is the zone of the times in the plan.
func PlanExport(segs []*store.Segment, t0, t1 time.Time, loc *time.Location) (*Export, error) {
	frags := pick(segs, t0.UnixNano(), t1.UnixNano())
	if len(frags) == 0 {
		return nil, ErrNoFootage
	}
	e := &Export{}
	first := frags[0].seg
	for i, f := range frags {
		if i > 0 && !sameStream(first, f.seg) {
			e.TruncatedAt = time.Unix(0, f.Start).In(loc)
			frags = frags[:i]
			break
		}
		if i > 0 {
			if prev := frags[i-1]; f.Start-prev.End() > int64(50*time.Millisecond) {
				e.Gaps = append(e.Gaps, Span{time.Unix(0, prev.End()).In(loc), time.Unix(0, f.Start).In(loc)})
			}
		}
		e.Size += f.Size
	}
	e.frags = frags
	e.Start = time.Unix(0, frags[0].Start).In(loc)
	e.End = time.Unix(0, frags[len(frags)-1].End()).In(loc)
	return e, nil
}

// sameStream reports whether fragments of b can follow those of a under a's init.
func sameStream(a, b *store.Segment) bool {
	return a.VideoCodec == b.VideoCodec && a.Width == b.Width && a.Height == b.Height && a.AudioCodec == b.AudioCodec
}

// Duration is the length of the file's timeline: the recorded time, gaps left out.
func (e *Export) Duration() time.Duration {
	var d int64
	for _, f := range e.frags {
		d += f.Duration
	}
	return time.Duration(d)
}

// LoadInit reads the first segment's init under root and makes the file's own: the same tracks, with a
// vgil box for the export's start and a comment that states the camera, the range and the gaps, which
// players and ffprobe show. It completes Size; WriteTo needs it first.
func (e *Export) LoadInit(root, camera string) error {
	if e.init != nil {
		return nil
	}
	f, err := os.Open(filepath.Join(root, e.frags[0].seg.Path))
	if err != nil {
		return err
	}
	defer f.Close()
	src, err := readInit(f)
	if err != nil {
		return fmt.Errorf("%s: %w", e.frags[0].seg.Path, err)
	}
	info := segfile.Info{CameraID: camera, RunID: src.Info.RunID, Start: e.Start.UnixNano(), Comment: e.comment(camera)}
	init, err := segfile.MarshalInit(info, src.Init.Tracks)
	if err != nil {
		return err
	}
	e.timescales = map[uint32]int64{}
	for _, t := range src.Init.Tracks {
		e.timescales[uint32(t.ID)] = int64(t.TimeScale)
	}
	e.init = init
	e.Size += int64(len(init))
	return nil
}

// commentTime is how the comment writes times, in the plan's zone (a viewer in Vietnam reads dd/mm/yyyy).
const commentTime = "02/01/2006 15:04:05 -07:00"

// comment says in words what the file holds, in Vietnamese and English.
func (e *Export) comment(camera string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "vigil: camera %s, %s – %s", camera, e.Start.Format(commentTime), e.End.Format(commentTime))
	if len(e.Gaps) == 0 {
		b.WriteString("; không có khoảng trống / no gaps")
	} else {
		b.WriteString("; khoảng trống không có hình (bỏ qua trong tệp) / gaps left out:")
		for i, g := range e.Gaps {
			if i > 0 {
				b.WriteString(",")
			}
			fmt.Fprintf(&b, " %s – %s", g.Start.Format(commentTime), g.End.Format(commentTime))
		}
	}
	if !e.TruncatedAt.IsZero() {
		fmt.Fprintf(&b, "; dừng lúc đổi thông số luồng / stopped where the stream's parameters changed: %s",
			e.TruncatedAt.Format(commentTime))
	}
	return b.String()
}

// WriteTo streams the file to w, reading the segment files under root. Fragment payloads go through
// io.CopyN from the *os.File, so an http.ResponseWriter sends them with sendfile.
func (e *Export) WriteTo(w io.Writer, root string) (int64, error) {
	if e.init == nil {
		return 0, errors.New("export: LoadInit was not called")
	}
	written, err := w.Write(e.init)
	if err != nil {
		return int64(written), err
	}
	return e.writeFragments(w, root, int64(written))
}

func (e *Export) writeFragments(w io.Writer, root string, written int64) (int64, error) {
	var cur *os.File
	var curSeg *store.Segment
	defer func() {
		if cur != nil {
			cur.Close()
		}
	}()
	var outTicks int64 // the video timeline of the file so far, 90 kHz
	for i := range e.frags {
		f := &e.frags[i]
		if f.seg != curSeg {
			if cur != nil {
				cur.Close()
			}
			var err error
			if cur, err = os.Open(filepath.Join(root, f.seg.Path)); err != nil {
				return written, err
			}
			curSeg = f.seg
		}
		n, err := e.writeFragment(w, cur, f, uint32(i+1), outTicks, e.timescales)
		written += n
		if err != nil {
			return written, err
		}
		outTicks += segfile.NsToTicks(f.Duration, 90000)
	}
	return written, nil
}

func readInit(f *os.File) (*segfile.File, error) {
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return segfile.ReadInit(f, st.Size())
}

// writeFragment writes one fragment with its moof rebased to start at outTicks of the file's video
// timeline; the other tracks move by the same wall-clock amount in their own time scales.
func (e *Export) writeFragment(w io.Writer, file *os.File, f *picked, seq uint32, outTicks int64,
	timescales map[uint32]int64) (int64, error) {
	var hdr [8]byte
	if _, err := file.ReadAt(hdr[:], f.Offset); err != nil {
		return 0, err
	}
	moofSize := int64(binary.BigEndian.Uint32(hdr[:4]))
	if string(hdr[4:8]) != "moof" || moofSize < 8 || moofSize > f.Size {
		return 0, fmt.Errorf("%s at %d: not a fragment", f.seg.Path, f.Offset)
	}
	moof := make([]byte, moofSize)
	if _, err := file.ReadAt(moof, f.Offset); err != nil {
		return 0, err
	}
	// How far this fragment moves on the wall clock: from its place in its segment to its place in the file.
	shiftNs := segfile.TicksToNs(outTicks, 90000) - (f.Start - f.seg.Start)
	err := segfile.RebaseMoof(moof, seq, func(track uint32, base uint64) uint64 {
		if track == segfile.VideoTrackID {
			return uint64(outTicks)
		}
		rate := timescales[track]
		if rate == 0 {
			return base
		}
		return uint64(max(int64(base)+segfile.NsToTicks(shiftNs, rate), 0))
	})
	if err != nil {
		return 0, fmt.Errorf("%s at %d: %w", f.seg.Path, f.Offset, err)
	}
	n, err := w.Write(moof)
	if err != nil {
		return int64(n), err
	}
	if _, err := file.Seek(f.Offset+moofSize, io.SeekStart); err != nil {
		return int64(n), err
	}
	m, err := io.CopyN(w, file, f.Size-moofSize)
	return int64(n) + m, err
}

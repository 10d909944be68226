package segfile

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"

	"vigil/store"
)

// File is what a segment file says about itself, read by Scan.
type File struct {
	Info      Info
	Init      fmp4.Init
	InitSize  int64
	Fragments []store.Fragment
	// ValidSize is where the last complete fragment ends. Bytes after it are a torn tail (a crash in the
	// middle of a write) or garbage, and TailError says what was wrong with them.
	ValidSize int64
	Size      int64
	TailError error
}

// End is the wall clock at the end of the last complete fragment (Info.Start when there is none).
func (f *File) End() int64 {
	if len(f.Fragments) == 0 {
		return f.Info.Start
	}
	return f.Fragments[len(f.Fragments)-1].End()
}

// ErrNotSegment is returned for a file that does not start with a vigil init.
var ErrNotSegment = errors.New("not a vigil segment file")

// Bounds on what a corrupt file can make the reader allocate.
const (
	maxInitSize = 1 << 20
	maxMoofSize = 4 << 20
)

// ScanFile opens path and scans it.
func ScanFile(path string) (*File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	return Scan(f, st.Size())
}

// Scan reads the init and every fragment header (never the media data) of a segment file of size bytes.
func Scan(r io.ReaderAt, size int64) (*File, error) {
	f := &File{Size: size}
	if err := f.readInit(r); err != nil {
		return nil, err
	}
	f.ValidSize = f.InitSize
	var timescale uint32
	for _, t := range f.Init.Tracks {
		if t.ID == VideoTrackID {
			timescale = t.TimeScale
		}
	}
	if timescale == 0 {
		return nil, fmt.Errorf("%w: no video track", ErrNotSegment)
	}
	for f.ValidSize < size {
		frag, err := readFragment(r, f.ValidSize, size, timescale, f.Info.Start)
		if err != nil {
			f.TailError = err
			break
		}
		f.Fragments = append(f.Fragments, frag)
		f.ValidSize = frag.Offset + frag.Size
	}
	return f, nil
}

// ReadInit reads only the init of a segment file of size bytes: its tracks, its self-description and its
// size (the offset of the first fragment).
func ReadInit(r io.ReaderAt, size int64) (*File, error) {
	f := &File{Size: size}
	if err := f.readInit(r); err != nil {
		return nil, err
	}
	f.ValidSize = f.InitSize
	return f, nil
}

type boxHeader struct {
	typ    string
	size   int64 // whole box, header included
	hdrLen int64
}

func readBoxHeader(r io.ReaderAt, off, fileSize int64) (boxHeader, error) {
	var b [16]byte
	if off+8 > fileSize {
		return boxHeader{}, io.ErrUnexpectedEOF
	}
	if _, err := r.ReadAt(b[:8], off); err != nil {
		return boxHeader{}, err
	}
	h := boxHeader{typ: string(b[4:8]), size: int64(binary.BigEndian.Uint32(b[:4])), hdrLen: 8}
	if h.size == 1 {
		if off+16 > fileSize {
			return boxHeader{}, io.ErrUnexpectedEOF
		}
		if _, err := r.ReadAt(b[8:16], off+8); err != nil {
			return boxHeader{}, err
		}
		h.size = int64(binary.BigEndian.Uint64(b[8:16]))
		h.hdrLen = 16
	}
	if h.size < h.hdrLen {
		return boxHeader{}, fmt.Errorf("box %q at %d: bad size %d", h.typ, off, h.size)
	}
	return h, nil
}

func (f *File) readInit(r io.ReaderAt) error {
	ftyp, err := readBoxHeader(r, 0, f.Size)
	if err != nil || ftyp.typ != "ftyp" {
		return fmt.Errorf("%w: no ftyp", ErrNotSegment)
	}
	moov, err := readBoxHeader(r, ftyp.size, f.Size)
	if err != nil || moov.typ != "moov" {
		return fmt.Errorf("%w: no moov", ErrNotSegment)
	}
	f.InitSize = ftyp.size + moov.size
	if f.InitSize > maxInitSize || f.InitSize > f.Size {
		return fmt.Errorf("%w: init of %d bytes", ErrNotSegment, f.InitSize)
	}
	buf := make([]byte, f.InitSize)
	if _, err := r.ReadAt(buf, 0); err != nil {
		return err
	}
	if err := f.Init.Unmarshal(bytes.NewReader(buf)); err != nil {
		return fmt.Errorf("%w: %v", ErrNotSegment, err)
	}
	found := false
	for _, b := range f.Init.UserData {
		switch b := b.(type) {
		case *infoBox:
			f.Info.CameraID, f.Info.RunID, f.Info.Start = b.CameraID, b.RunID, b.Start
			found = true
		case *commentBox:
			f.Info.Comment = string(b.Text)
		}
	}
	if !found {
		return fmt.Errorf("%w: no vgil box", ErrNotSegment)
	}
	return nil
}

// readFragment reads the moof at off and the mdat header after it, and checks that the mdat is complete.
func readFragment(r io.ReaderAt, off, fileSize int64, timescale uint32, segStart int64) (store.Fragment, error) {
	moof, err := readBoxHeader(r, off, fileSize)
	if err != nil {
		return store.Fragment{}, err
	}
	if moof.typ != "moof" {
		return store.Fragment{}, fmt.Errorf("at %d: expected moof, found %q", off, moof.typ)
	}
	if moof.size > maxMoofSize {
		return store.Fragment{}, fmt.Errorf("at %d: moof of %d bytes", off, moof.size)
	}
	mdat, err := readBoxHeader(r, off+moof.size, fileSize)
	if err != nil {
		return store.Fragment{}, fmt.Errorf("at %d: mdat header: %w", off+moof.size, err)
	}
	if mdat.typ != "mdat" {
		return store.Fragment{}, fmt.Errorf("at %d: expected mdat, found %q", off+moof.size, mdat.typ)
	}
	end := off + moof.size + mdat.size
	if end > fileSize || end < off {
		return store.Fragment{}, fmt.Errorf("at %d: fragment cut short (%d of %d bytes)", off, fileSize-off, end-off)
	}
	buf := make([]byte, moof.size-moof.hdrLen)
	if _, err := r.ReadAt(buf, off+moof.hdrLen); err != nil {
		return store.Fragment{}, err
	}
	t, err := parseMoof(buf)
	if err != nil {
		return store.Fragment{}, fmt.Errorf("at %d: %w", off, err)
	}
	return store.Fragment{
		Offset:   off,
		Size:     end - off,
		Start:    segStart + TicksToNs(int64(t.baseTime), int64(timescale)),
		Duration: TicksToNs(int64(t.duration), int64(timescale)),
		Key:      t.firstSync,
	}, nil
}

// videoTiming is what a fragment index needs from the video track of a moof.
type videoTiming struct {
	baseTime  uint64
	duration  uint64
	firstSync bool
}

// parseMoof reads the video traf of a moof body. It follows the box layout of ISO/IEC 14496-12 for any
// flags, not only the ones FragmentWriter sets.
func parseMoof(b []byte) (videoTiming, error) {
	var vt videoTiming
	found := false
	err := eachBox(b, func(typ string, body []byte) error {
		if typ != "traf" {
			return nil
		}
		t, isVideo, err := parseTraf(body)
		if err != nil {
			return err
		}
		if isVideo {
			vt, found = t, true
		}
		return nil
	})
	if err != nil {
		return vt, err
	}
	if !found {
		return vt, errors.New("moof without video")
	}
	return vt, nil
}

func eachBox(b []byte, fn func(typ string, body []byte) error) error {
	for len(b) > 0 {
		if len(b) < 8 {
			return errors.New("truncated box header")
		}
		size := uint64(binary.BigEndian.Uint32(b))
		typ := string(b[4:8])
		hdr := uint64(8)
		if size == 1 {
			if len(b) < 16 {
				return errors.New("truncated box header")
			}
			size, hdr = binary.BigEndian.Uint64(b[8:]), 16
		}
		if size < hdr || size > uint64(len(b)) {
			return fmt.Errorf("box %q: bad size %d", typ, size)
		}
		if err := fn(typ, b[hdr:size]); err != nil {
			return err
		}
		b = b[size:]
	}
	return nil
}

const (
	tfhdBaseDataOffset      = 0x01
	tfhdSampleDescription   = 0x02
	tfhdDefaultDuration     = 0x08
	tfhdDefaultSize         = 0x10
	tfhdDefaultFlags        = 0x20
	trunDataOffset          = 0x01
	trunFirstSampleFlags    = 0x04
	trunSampleDuration      = 0x100
	trunSampleSize          = 0x200
	trunSampleFlags         = 0x400
	trunSampleCompositionTO = 0x800
	sampleIsNonSync         = 0x10000
)

func parseTraf(b []byte) (videoTiming, bool, error) {
	var vt videoTiming
	var trackID, defDuration, defFlags uint32
	haveTfhd, first := false, true
	err := eachBox(b, func(typ string, body []byte) error {
		switch typ {
		case "tfhd":
			if len(body) < 8 {
				return errors.New("short tfhd")
			}
			flags := binary.BigEndian.Uint32(body) & 0xffffff
			trackID = binary.BigEndian.Uint32(body[4:])
			p := body[8:]
			take := func(n int) ([]byte, error) {
				if len(p) < n {
					return nil, errors.New("short tfhd")
				}
				v := p[:n]
				p = p[n:]
				return v, nil
			}
			for _, fl := range []struct {
				bit uint32
				n   int
				dst *uint32
			}{{tfhdBaseDataOffset, 8, nil}, {tfhdSampleDescription, 4, nil}, {tfhdDefaultDuration, 4, &defDuration},
				{tfhdDefaultSize, 4, nil}, {tfhdDefaultFlags, 4, &defFlags}} {
				if flags&fl.bit == 0 {
					continue
				}
				v, err := take(fl.n)
				if err != nil {
					return err
				}
				if fl.dst != nil {
					*fl.dst = binary.BigEndian.Uint32(v)
				}
			}
			haveTfhd = true
		case "tfdt":
			if len(body) < 8 {
				return errors.New("short tfdt")
			}
			if body[0] == 1 {
				if len(body) < 12 {
					return errors.New("short tfdt")
				}
				vt.baseTime = binary.BigEndian.Uint64(body[4:])
			} else {
				vt.baseTime = uint64(binary.BigEndian.Uint32(body[4:]))
			}
		case "trun":
			if !haveTfhd {
				return errors.New("trun before tfhd")
			}
			d, sync, n, err := parseTrun(body, defDuration, defFlags)
			if err != nil {
				return err
			}
			vt.duration += d
			if first && n > 0 {
				vt.firstSync, first = sync, false
			}
		}
		return nil
	})
	return vt, trackID == VideoTrackID, err
}

// parseTrun returns the sum of sample durations, whether the first sample is a sync sample, and the count.
func parseTrun(b []byte, defDuration, defFlags uint32) (uint64, bool, int, error) {
	if len(b) < 8 {
		return 0, false, 0, errors.New("short trun")
	}
	flags := binary.BigEndian.Uint32(b) & 0xffffff
	count := int(binary.BigEndian.Uint32(b[4:]))
	p := b[8:]
	if flags&trunDataOffset != 0 {
		p = p[min(4, len(p)):]
	}
	firstFlags, haveFirst := defFlags, false
	if flags&trunFirstSampleFlags != 0 {
		if len(p) < 4 {
			return 0, false, 0, errors.New("short trun")
		}
		firstFlags, haveFirst = binary.BigEndian.Uint32(p), true
		p = p[4:]
	}
	per := 0
	for _, bit := range []uint32{trunSampleDuration, trunSampleSize, trunSampleFlags, trunSampleCompositionTO} {
		if flags&bit != 0 {
			per += 4
		}
	}
	if count < 0 || per*count > len(p) {
		return 0, false, 0, fmt.Errorf("trun of %d samples does not fit its box", count)
	}
	if per == 0 {
		// Every sample takes the defaults, and nothing bounds the count by the box's size: add it up
		// rather than loop over up to four billion samples (a crafted file did exactly that).
		return uint64(count) * uint64(defDuration), firstFlags&sampleIsNonSync == 0, count, nil
	}
	var total uint64
	for i := 0; i < count; i++ {
		e := p[i*per:]
		dur := defDuration
		if flags&trunSampleDuration != 0 {
			dur = binary.BigEndian.Uint32(e)
			e = e[4:]
		}
		if flags&trunSampleSize != 0 {
			e = e[4:]
		}
		sf := defFlags
		if flags&trunSampleFlags != 0 {
			sf = binary.BigEndian.Uint32(e)
		}
		if i == 0 && haveFirst {
			sf = firstFlags
		}
		if i == 0 {
			firstFlags = sf
		}
		total += uint64(dur)
	}
	return total, firstFlags&sampleIsNonSync == 0, count, nil
}

package segfile

import (
	"encoding/binary"
)

// FragmentWriter accumulates the samples of one fragment for every track and writes them as moof+mdat.
// It keeps references to the payloads it is given instead of copying them (they must not change until
// WriteTo returns) and writes them with one writev, so a fragment costs a header and a syscall, and the
// recorder holds no second copy of a second of video. Its own buffers are reused from fragment to fragment.
type FragmentWriter struct {
	tracks   []*fragTrack
	hdr      []byte
	prefixes []byte   // 4-byte NALU lengths, referenced by index until WriteTo
	iovecs   [][]byte // reused
}

type fragTrack struct {
	id       uint32
	baseTime uint64
	entries  []sampleEntry
	pieces   []piece
	size     int
}

// piece is one run of payload bytes: a NALU length prefix (data == nil, prefixes[prefix:prefix+4]) or
// caller-owned bytes.
type piece struct {
	data   []byte
	prefix int
}

type sampleEntry struct {
	duration uint32
	size     uint32
	flags    uint32
	cto      int32
}

const (
	sampleFlagsSync    = 0x02000000 // depends on no other sample
	sampleFlagsNonSync = 0x01010000 // depends on others, is a non-sync sample
)

// NewFragmentWriter makes a writer for tracks with these IDs, in this order.
func NewFragmentWriter(trackIDs ...uint32) *FragmentWriter {
	w := &FragmentWriter{}
	for _, id := range trackIDs {
		w.tracks = append(w.tracks, &fragTrack{id: id})
	}
	return w
}

// Samples returns how many samples track i holds.
func (w *FragmentWriter) Samples(i int) int { return len(w.tracks[i].entries) }

// SetBaseTime sets the decode time, in the track's time scale from the segment start, of track i's first
// sample in this fragment.
func (w *FragmentWriter) SetBaseTime(i int, t uint64) { w.tracks[i].baseTime = t }

// AppendNALUs appends one video sample made of nalus, each preceded by its 4-byte length as MP4 wants.
func (w *FragmentWriter) AppendNALUs(i int, nalus [][]byte, sync bool, cto int32) {
	t := w.tracks[i]
	size := 0
	for _, n := range nalus {
		t.pieces = append(t.pieces, piece{prefix: len(w.prefixes)}, piece{data: n})
		w.prefixes = binary.BigEndian.AppendUint32(w.prefixes, uint32(len(n)))
		size += 4 + len(n)
	}
	t.size += size
	t.add(uint32(size), sync, cto)
}

// AppendSample appends one sample whose payload is stored as is.
func (w *FragmentWriter) AppendSample(i int, payload []byte, sync bool) {
	t := w.tracks[i]
	t.pieces = append(t.pieces, piece{data: payload})
	t.size += len(payload)
	t.add(uint32(len(payload)), sync, 0)
}

func (t *fragTrack) add(size uint32, sync bool, cto int32) {
	flags := uint32(sampleFlagsNonSync)
	if sync {
		flags = sampleFlagsSync
	}
	t.entries = append(t.entries, sampleEntry{size: size, flags: flags, cto: cto})
}

// SetLastDuration sets the duration of track i's last sample, known only once the next one arrives.
func (w *FragmentWriter) SetLastDuration(i int, d uint32) {
	t := w.tracks[i]
	if n := len(t.entries); n > 0 {
		t.entries[n-1].duration = d
	}
}

// Duration returns the sum of track i's sample durations.
func (w *FragmentWriter) Duration(i int) uint64 {
	var d uint64
	for _, e := range w.tracks[i].entries {
		d += uint64(e.duration)
	}
	return d
}

// VectorWriter writes several buffers at once (writev). *os.File gets one through WritevFile.
type VectorWriter interface {
	WriteVectors(bufs [][]byte) (int64, error)
}

// WriteTo writes the fragment with sequence number seq to out and empties the writer, dropping its
// references to the payloads. It returns the bytes written. Tracks with no samples are left out.
func (w *FragmentWriter) WriteTo(out VectorWriter, seq uint32) (int64, error) {
	bufs := append(w.iovecs[:0], w.marshalHeader(seq))
	for _, t := range w.tracks {
		for _, p := range t.pieces {
			if p.data == nil {
				bufs = append(bufs, w.prefixes[p.prefix:p.prefix+4])
			} else if len(p.data) > 0 {
				bufs = append(bufs, p.data)
			}
		}
	}
	n, err := out.WriteVectors(bufs)
	clear(bufs) // let the payloads go
	w.iovecs = bufs[:0]
	w.prefixes = w.prefixes[:0]
	for _, t := range w.tracks {
		t.entries = t.entries[:0]
		clear(t.pieces)
		t.pieces = t.pieces[:0]
		t.size = 0
	}
	return n, err
}

// marshalHeader builds moof and the mdat header. Layout (ISO/IEC 14496-12):
//
//	moof { mfhd, traf { tfhd(default-base-is-moof), tfdt(v1), trun(v1: duration, size, flags, cto) }... }
//	mdat header; then each track's data in track order.
func (w *FragmentWriter) marshalHeader(seq uint32) []byte {
	moofSize := 8 + 16
	for _, t := range w.tracks {
		if len(t.entries) > 0 {
			moofSize += trafSize(len(t.entries))
		}
	}
	b := w.hdr[:0]
	b = appendBoxHeader(b, moofSize, "moof")
	b = appendBoxHeader(b, 16, "mfhd")
	b = binary.BigEndian.AppendUint32(b, 0)
	b = binary.BigEndian.AppendUint32(b, seq)
	dataOffset := moofSize + 8
	for _, t := range w.tracks {
		if len(t.entries) == 0 {
			continue
		}
		b = appendBoxHeader(b, trafSize(len(t.entries)), "traf")
		b = appendBoxHeader(b, 16, "tfhd")
		b = binary.BigEndian.AppendUint32(b, 0x020000) // version 0, default-base-is-moof
		b = binary.BigEndian.AppendUint32(b, t.id)
		b = appendBoxHeader(b, 20, "tfdt")
		b = binary.BigEndian.AppendUint32(b, 1<<24) // version 1: 64-bit time
		b = binary.BigEndian.AppendUint64(b, t.baseTime)
		b = appendBoxHeader(b, 20+16*len(t.entries), "trun")
		// version 1 (signed composition offsets); data offset, duration, size, flags, composition offset
		b = binary.BigEndian.AppendUint32(b, 1<<24|0x000F01)
		b = binary.BigEndian.AppendUint32(b, uint32(len(t.entries)))
		b = binary.BigEndian.AppendUint32(b, uint32(dataOffset))
		for _, e := range t.entries {
			b = binary.BigEndian.AppendUint32(b, e.duration)
			b = binary.BigEndian.AppendUint32(b, e.size)
			b = binary.BigEndian.AppendUint32(b, e.flags)
			b = binary.BigEndian.AppendUint32(b, uint32(e.cto))
		}
		dataOffset += t.size
	}
	b = appendBoxHeader(b, dataOffset-moofSize, "mdat")
	w.hdr = b
	return b
}

// trafSize is traf's header, tfhd, tfdt and a trun of n samples.
func trafSize(n int) int { return 8 + 16 + 20 + 20 + 16*n }

func appendBoxHeader(b []byte, size int, typ string) []byte {
	b = binary.BigEndian.AppendUint32(b, uint32(size))
	return append(b, typ...)
}

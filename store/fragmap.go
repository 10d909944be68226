package store

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Fragment is one moof+mdat pair of a segment file: where its bytes are and which wall-clock time they cover.
type Fragment struct {
	Offset   int64 // byte offset of the moof in the file
	Size     int64 // bytes of moof+mdat
	Start    int64 // wall clock of its first sample, ns since epoch
	Duration int64 // ns
	Key      bool  // starts with a keyframe: a player can start here
}

// End is the wall clock at the end of the fragment.
func (f Fragment) End() int64 { return f.Start + f.Duration }

// The fragment map of a segment is one blob, about 9 bytes per fragment (5 KB for ten minutes of 1 s
// fragments):
//
//	byte    version (1)
//	uvarint init size (offset of the first fragment)
//	per fragment:
//	  uvarint size<<1 | key
//	  varint  start - end of the previous fragment (segment start for the first): 0 unless the clock was corrected
//	  uvarint duration
//
// Offsets are implied: fragments follow each other without holes.
const fragmentMapVersion = 1

// maxFragmentMapEntries bounds what a corrupt blob can make us allocate.
const maxFragmentMapEntries = 1 << 20

// EncodeFragments appends the fragment map of a segment starting at segStart with an init of initSize bytes.
func EncodeFragments(dst []byte, initSize, segStart int64, frags []Fragment) []byte {
	dst = append(dst, fragmentMapVersion)
	dst = binary.AppendUvarint(dst, uint64(initSize))
	prevEnd := segStart
	for _, f := range frags {
		key := uint64(0)
		if f.Key {
			key = 1
		}
		dst = binary.AppendUvarint(dst, uint64(f.Size)<<1|key)
		dst = binary.AppendVarint(dst, f.Start-prevEnd)
		dst = binary.AppendUvarint(dst, uint64(f.Duration))
		prevEnd = f.End()
	}
	return dst
}

var errFragmentMap = errors.New("corrupt fragment map")

// DecodeFragments reverses EncodeFragments, appending to dst.
func DecodeFragments(dst []Fragment, blob []byte, segStart int64) ([]Fragment, error) {
	if len(blob) == 0 || blob[0] != fragmentMapVersion {
		return dst, fmt.Errorf("%w: unknown version", errFragmentMap)
	}
	b := blob[1:]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	off, ok := next()
	if !ok {
		return dst, errFragmentMap
	}
	prevEnd := segStart
	for len(b) > 0 {
		if len(dst) >= maxFragmentMapEntries {
			return dst, fmt.Errorf("%w: too many fragments", errFragmentMap)
		}
		sizeKey, ok := next()
		if !ok {
			return dst, errFragmentMap
		}
		gap, n := binary.Varint(b)
		if n <= 0 {
			return dst, errFragmentMap
		}
		b = b[n:]
		dur, ok := next()
		if !ok {
			return dst, errFragmentMap
		}
		f := Fragment{
			Offset:   int64(off),
			Size:     int64(sizeKey >> 1),
			Key:      sizeKey&1 == 1,
			Start:    prevEnd + gap,
			Duration: int64(dur),
		}
		dst = append(dst, f)
		off += uint64(f.Size)
		prevEnd = f.End()
	}
	return dst, nil
}

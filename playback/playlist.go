package playback

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"vigil/store"
)

// ErrNoFootage is returned for a range in which nothing was recorded.
var ErrNoFootage = errors.New("no recording in this range")

// Playlist writes an HLS VOD playlist over the recorded fragments of [t0, t1): every fragment is a byte
// range of its segment file, after the segment's init (EXT-X-MAP, also a byte range), so a player fetches
// the recorded bytes themselves and nothing is transcoded. Every fragment carries its wall-clock time
// (EXT-X-PROGRAM-DATE-TIME); a hole between fragments or a new segment with other parameters is marked
// EXT-X-DISCONTINUITY. The playlist starts at the keyframe at or before t0.
//
// segs come from store.SegmentsOverlapping with their fragment maps, oldest first; uri names a segment's
// file for the player; loc is the zone the program date-times are written in.
func Playlist(segs []*store.Segment, t0, t1 time.Time, uri func(*store.Segment) string, loc *time.Location) ([]byte, error) {
	frags := pick(segs, t0.UnixNano(), t1.UnixNano())
	if len(frags) == 0 {
		return nil, ErrNoFootage
	}
	target := 1
	for _, f := range frags {
		target = max(target, int(math.Ceil(float64(f.Duration)/1e9)))
	}
	b := make([]byte, 0, 160*len(frags)+256)
	b = append(b, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-PLAYLIST-TYPE:VOD\n"...)
	b = fmt.Appendf(b, "#EXT-X-TARGETDURATION:%d\n#EXT-X-MEDIA-SEQUENCE:0\n", target)
	// A day is 86,400 entries: the loop appends with strconv and a hand-made date-time, not fmt.
	var prev *picked
	var file string
	for i := range frags {
		f := &frags[i]
		if prev != nil && discontinuous(prev, f) {
			b = append(b, "#EXT-X-DISCONTINUITY\n"...)
		}
		if prev == nil || prev.seg != f.seg {
			file = uri(f.seg)
			b = fmt.Appendf(b, "#EXT-X-MAP:URI=%q,BYTERANGE=\"%d@0\"\n", file, f.seg.InitSize)
		}
		b = append(b, "#EXT-X-PROGRAM-DATE-TIME:"...)
		b = appendTime(b, time.Unix(0, f.Start).In(loc))
		b = append(b, "\n#EXTINF:"...)
		b = strconv.AppendFloat(b, float64(f.Duration)/1e9, 'f', 3, 64)
		b = append(b, ",\n#EXT-X-BYTERANGE:"...)
		b = strconv.AppendInt(b, f.Size, 10)
		b = append(b, '@')
		b = strconv.AppendInt(b, f.Offset, 10)
		b = append(b, '\n')
		b = append(b, file...)
		b = append(b, '\n')
		prev = f
	}
	return append(b, "#EXT-X-ENDLIST\n"...), nil
}

type picked struct {
	store.Fragment
	seg *store.Segment
}

// pick returns the fragments overlapping [t0, t1), starting at the last keyframe fragment at or before t0
// (a player can only start decoding on a keyframe). Every segment starts with a keyframe, so that
// keyframe is in the first segment that overlaps t0.
func pick(segs []*store.Segment, t0, t1 int64) []picked {
	n := 0
	for _, seg := range segs {
		n += len(seg.Fragments)
	}
	out := make([]picked, 0, n)
	for _, seg := range segs {
		for _, f := range seg.Fragments {
			if f.Start >= t1 {
				break
			}
			if f.Key && f.Start <= t0 {
				out = out[:0] // a later place to start from
			}
			if len(out) == 0 && !f.Key {
				continue // nothing to start decoding from yet
			}
			out = append(out, picked{f, seg})
		}
	}
	if len(out) > 0 && out[len(out)-1].End() <= t0 {
		return nil // all of it before the range: kept only as a place to start from
	}
	return out
}

// appendTime writes t in TimeFormat (RFC 3339, milliseconds), several times faster than t.AppendFormat,
// which parses the layout on every call.
func appendTime(b []byte, t time.Time) []byte {
	year, month, day := t.Date()
	hour, min, sec := t.Clock()
	b = appendDigits(b, year, 4)
	b = append(b, '-')
	b = appendDigits(b, int(month), 2)
	b = append(b, '-')
	b = appendDigits(b, day, 2)
	b = append(b, 'T')
	b = appendDigits(b, hour, 2)
	b = append(b, ':')
	b = appendDigits(b, min, 2)
	b = append(b, ':')
	b = appendDigits(b, sec, 2)
	b = append(b, '.')
	b = appendDigits(b, t.Nanosecond()/1e6, 3)
	_, offset := t.Zone()
	if offset == 0 {
		return append(b, 'Z')
	}
	sign := byte('+')
	if offset < 0 {
		sign, offset = '-', -offset
	}
	b = append(b, sign)
	b = appendDigits(b, offset/3600, 2)
	b = append(b, ':')
	return appendDigits(b, offset%3600/60, 2)
}

// appendDigits writes v in exactly width digits, zero-padded (v >= 0, v < 10^width).
func appendDigits(b []byte, v, width int) []byte {
	for i := width - 1; i >= 0; i-- {
		d := v
		for j := 0; j < i; j++ {
			d /= 10
		}
		b = append(b, byte('0'+d%10))
	}
	return b
}

// discontinuous reports whether a player must reset between two fragments: a hole in time (a reconnect,
// an outage) or a new segment whose init may differ (a rotation keeps parameters, but only the init says).
func discontinuous(a, b *picked) bool {
	if gap := b.Start - a.End(); gap > int64(50*time.Millisecond) || gap < -int64(50*time.Millisecond) {
		return true
	}
	return a.seg != b.seg && (a.seg.RunID != b.seg.RunID || a.seg.Width != b.seg.Width ||
		a.seg.Height != b.seg.Height || a.seg.VideoCodec != b.seg.VideoCodec || a.seg.AudioCodec != b.seg.AudioCodec)
}

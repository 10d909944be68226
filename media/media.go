// Package media holds what the recorder's live fan-out hands to live viewers (playback's LL-HLS muxers):
// access units with their timing, and the tracks they belong to. It imports nothing of vigil's, so both
// sides can use it without reaching into each other.
package media

import (
	"sync"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/mpeg4audio"
)

// Unit is one video access unit, or a group of audio access units, as received from the camera. Its
// buffers are shared with the recorder and other viewers: read them, never change them.
type Unit struct {
	Audio bool
	PTS   int64     // in the track's clock rate, relative to the session
	AU    [][]byte  // video NAL units, or audio access units
	NTP   time.Time // vigil's clock when it arrived
}

// Tracks describes a camera's current session.
type Tracks struct {
	VideoCodec    string // H264 | H265
	VPS, SPS, PPS []byte // nil when the camera sends them only in-band
	// AudioCodec is MPEG4Audio, Opus, or "" when there is no audio a live viewer can play.
	AudioCodec     string
	AAC            *mpeg4audio.AudioSpecificConfig
	AudioChannels  int
	AudioClockRate int
}

// Feed is one viewer's subscription to a camera's session. Units is closed when the session ends (the
// camera disconnected, or the recorder stopped); a viewer that reads too slowly loses units rather
// than slow the camera down.
type Feed struct {
	Tracks Tracks
	Units  <-chan Unit

	once  sync.Once
	close func()
}

// NewFeed is for the producer side.
func NewFeed(tracks Tracks, units <-chan Unit, close func()) *Feed {
	return &Feed{Tracks: tracks, Units: units, close: close}
}

// Close ends the subscription; Units is closed soon after.
func (f *Feed) Close() {
	f.once.Do(f.close)
}

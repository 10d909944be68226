// Package segfile holds vigil's segment file: a fragmented MP4 whose init names its camera, run and
// wall-clock start, the fragment writer the recorder uses, and the reader that rebuilds a segment's
// fragment map from the file alone (reindex and crash recovery).
package segfile

import (
	"fmt"

	amp4 "github.com/abema/go-mp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/fmp4/seekablebuffer"
)

// Info is what a segment file says about itself.
type Info struct {
	CameraID string
	RunID    string // one RTSP session
	Start    int64  // wall clock of the first video sample's decode time, ns since epoch
	// Comment, when set, is a note for people, written as a QuickTime ©cmt box that players and ffprobe
	// show as the file's "comment" (an export states its range and gaps there).
	Comment string
}

// VideoTrackID is the track the recorder always puts video in; fragment timing follows it.
const VideoTrackID = 1

func boxTypeVigil() amp4.BoxType { return amp4.StrToBoxType("vgil") }

func init() { //nolint:gochecknoinits // go-mp4 only parses boxes it has a definition for
	amp4.AddBoxDef(&infoBox{}, 0)
	amp4.AddBoxDef(&commentBox{})
}

// infoBox lives in moov/udta.
type infoBox struct {
	amp4.FullBox `mp4:"0,extend"`
	Start        int64  `mp4:"1,size=64"`
	RunID        string `mp4:"2,string"`
	CameraID     string `mp4:"3,string"`
}

// GetType implements amp4.IBox.
func (*infoBox) GetType() amp4.BoxType { return boxTypeVigil() }

// commentBox is QuickTime's user-data text: a 16-bit length, a 16-bit language code, then the text.
type commentBox struct {
	amp4.Box
	Length   uint16 `mp4:"0,size=16"`
	Language uint16 `mp4:"1,size=16"`
	Text     []byte `mp4:"2,size=8"`
}

// GetType implements amp4.IBox.
func (*commentBox) GetType() amp4.BoxType { return amp4.BoxType{0xa9, 'c', 'm', 't'} }

// languageUndetermined is "und" packed as ISO 639-2/T in 5-bit letters.
const languageUndetermined = 0x55c4

// MarshalInit returns ftyp+moov for tracks, carrying info.
func MarshalInit(info Info, tracks []*fmp4.InitTrack) ([]byte, error) {
	var buf seekablebuffer.Buffer
	init := fmp4.Init{
		Tracks:   tracks,
		UserData: []amp4.IBox{&infoBox{Start: info.Start, RunID: info.RunID, CameraID: info.CameraID}},
	}
	if info.Comment != "" {
		text := []byte(info.Comment)
		if len(text) > 0xffff {
			return nil, fmt.Errorf("marshal init: comment of %d bytes", len(text))
		}
		init.UserData = append(init.UserData, &commentBox{Length: uint16(len(text)), Language: languageUndetermined, Text: text})
	}
	if err := init.Marshal(&buf); err != nil {
		return nil, fmt.Errorf("marshal init: %w", err)
	}
	return buf.Bytes(), nil
}

// TicksToNs converts a media duration to ns without the overflow of ticks*1e9 (which wraps after about 28
// hours of 90 kHz ticks).
func TicksToNs(ticks int64, rate int64) int64 {
	return ticks/rate*1e9 + ticks%rate*1e9/rate
}

// NsToTicks is the inverse of TicksToNs, rounded to the nearest tick so that a round trip is exact.
func NsToTicks(ns int64, rate int64) int64 {
	return ns/1e9*rate + (ns%1e9*rate+5e8)/1e9
}

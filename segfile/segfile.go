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
}

// VideoTrackID is the track the recorder always puts video in; fragment timing follows it.
const VideoTrackID = 1

func boxTypeVigil() amp4.BoxType { return amp4.StrToBoxType("vgil") }

func init() { //nolint:gochecknoinits // go-mp4 only parses boxes it has a definition for
	amp4.AddBoxDef(&infoBox{}, 0)
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

// MarshalInit returns ftyp+moov for tracks, carrying info.
func MarshalInit(info Info, tracks []*fmp4.InitTrack) ([]byte, error) {
	var buf seekablebuffer.Buffer
	init := fmp4.Init{
		Tracks:   tracks,
		UserData: []amp4.IBox{&infoBox{Start: info.Start, RunID: info.RunID, CameraID: info.CameraID}},
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

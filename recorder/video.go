package recorder

import (
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"

	"vigil/media"
)

// videoParams is the parameter sets of the stream, what the init of a segment carries, and what they say
// of the picture. A change of any of them starts a new segment.
type videoParams struct {
	media.ParamSets
	width, height int
	fps           float64
}

// update takes in-band parameter sets from an access unit and reports whether they differ from the ones
// in force.
func (p *videoParams) update(au [][]byte) (changed bool, err error) {
	if changed = p.Update(au); changed {
		err = p.parseSPS()
	}
	return changed, err
}

func (p *videoParams) parseSPS() error {
	if p.SPS == nil {
		return nil
	}
	if p.Codec == "H264" {
		var s h264.SPS
		if err := s.Unmarshal(p.SPS); err != nil {
			return fmt.Errorf("invalid H.264 SPS: %w", err)
		}
		p.width, p.height, p.fps = s.Width(), s.Height(), s.FPS()
		return nil
	}
	var s h265.SPS
	if err := s.Unmarshal(p.SPS); err != nil {
		return fmt.Errorf("invalid H.265 SPS: %w", err)
	}
	p.width, p.height, p.fps = s.Width(), s.Height(), s.FPS()
	return nil
}

func (p *videoParams) mp4Codec() codecs.Codec {
	if p.Codec == "H264" {
		return &codecs.H264{SPS: p.SPS, PPS: p.PPS}
	}
	return &codecs.H265{VPS: p.VPS, SPS: p.SPS, PPS: p.PPS}
}

// dtsExtractor computes decode timestamps for B-frame streams, for either codec.
type dtsExtractor struct {
	h264 *h264.DTSExtractor
	h265 *h265.DTSExtractor
}

func newDTSExtractor(codec string) *dtsExtractor {
	if codec == "H264" {
		x := &h264.DTSExtractor{}
		x.Initialize()
		return &dtsExtractor{h264: x}
	}
	x := &h265.DTSExtractor{}
	x.Initialize()
	return &dtsExtractor{h265: x}
}

func (x *dtsExtractor) extract(au [][]byte, pts int64) (int64, error) {
	if x.h264 != nil {
		return x.h264.Extract(au, pts)
	}
	return x.h265.Extract(au, pts)
}

package recorder

import (
	"bytes"
	"fmt"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/bluenviron/mediacommon/v2/pkg/formats/mp4/codecs"
)

// videoParams is the parameter sets of an H.264 or H.265 stream: what the init of a segment carries. A
// change of any of them starts a new segment.
type videoParams struct {
	codec         string // "H264" | "H265"
	vps, sps, pps []byte
	width, height int
	fps           float64
}

func (p *videoParams) complete() bool {
	return p.sps != nil && p.pps != nil && (p.codec == "H264" || p.vps != nil)
}

// update takes in-band parameter sets from an access unit. It reports whether they differ from the ones
// in force; the caller copies nothing unless they do.
func (p *videoParams) update(au [][]byte) (changed bool, err error) {
	for _, nalu := range au {
		if len(nalu) == 0 {
			continue
		}
		var dst *[]byte
		if p.codec == "H264" {
			switch h264.NALUType(nalu[0] & 0x1f) {
			case h264.NALUTypeSPS:
				dst = &p.sps
			case h264.NALUTypePPS:
				dst = &p.pps
			}
		} else {
			switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
			case h265.NALUType_VPS_NUT:
				dst = &p.vps
			case h265.NALUType_SPS_NUT:
				dst = &p.sps
			case h265.NALUType_PPS_NUT:
				dst = &p.pps
			}
		}
		if dst != nil && !bytes.Equal(*dst, nalu) {
			*dst = append([]byte(nil), nalu...)
			changed = true
		}
	}
	if changed {
		err = p.parseSPS()
	}
	return changed, err
}

func (p *videoParams) parseSPS() error {
	if p.sps == nil {
		return nil
	}
	if p.codec == "H264" {
		var s h264.SPS
		if err := s.Unmarshal(p.sps); err != nil {
			return fmt.Errorf("invalid H.264 SPS: %w", err)
		}
		p.width, p.height, p.fps = s.Width(), s.Height(), s.FPS()
		return nil
	}
	var s h265.SPS
	if err := s.Unmarshal(p.sps); err != nil {
		return fmt.Errorf("invalid H.265 SPS: %w", err)
	}
	p.width, p.height, p.fps = s.Width(), s.Height(), s.FPS()
	return nil
}

func (p *videoParams) mp4Codec() codecs.Codec {
	if p.codec == "H264" {
		return &codecs.H264{SPS: p.sps, PPS: p.pps}
	}
	return &codecs.H265{VPS: p.vps, SPS: p.sps, PPS: p.pps}
}

func isRandomAccess(codec string, au [][]byte) bool {
	if codec == "H264" {
		return h264.IsRandomAccess(au)
	}
	return h265.IsRandomAccess(au)
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

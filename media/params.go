package media

import (
	"bytes"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
)

// ParamSets are the parameter sets of an H.264 ("H264") or H.265 ("H265") stream: what an init carries.
type ParamSets struct {
	Codec         string
	VPS, SPS, PPS []byte
}

// Complete reports whether a decoder could start: SPS and PPS, and VPS for H.265.
func (p *ParamSets) Complete() bool {
	return p.SPS != nil && p.PPS != nil && (p.Codec == "H264" || p.VPS != nil)
}

// Update takes the parameter sets an access unit carries in-band and reports whether any differs from
// the one held. What it keeps is a copy: access units are shared and short-lived.
func (p *ParamSets) Update(au [][]byte) (changed bool) {
	for _, nalu := range au {
		if dst := p.slot(nalu); dst != nil && !bytes.Equal(*dst, nalu) {
			*dst = append([]byte(nil), nalu...)
			changed = true
		}
	}
	return changed
}

func (p *ParamSets) slot(nalu []byte) *[]byte {
	if len(nalu) == 0 {
		return nil
	}
	if p.Codec == "H264" {
		switch h264.NALUType(nalu[0] & 0x1f) {
		case h264.NALUTypeSPS:
			return &p.SPS
		case h264.NALUTypePPS:
			return &p.PPS
		}
		return nil
	}
	switch h265.NALUType((nalu[0] >> 1) & 0x3f) {
	case h265.NALUType_VPS_NUT:
		return &p.VPS
	case h265.NALUType_SPS_NUT:
		return &p.SPS
	case h265.NALUType_PPS_NUT:
		return &p.PPS
	}
	return nil
}

// IsRandomAccess reports whether a decoder can start at au (an IDR, or an IRAP picture for H.265).
func IsRandomAccess(codec string, au [][]byte) bool {
	if codec == "H264" {
		return h264.IsRandomAccess(au)
	}
	return h265.IsRandomAccess(au)
}

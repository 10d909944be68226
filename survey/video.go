package survey

import (
	"fmt"

	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
)

// videoTrack is the codec-specific part of reading an H.264 or H.265 track: depacketizing, finding
// keyframes and parameter sets, and reading the SPS.
type videoTrack struct {
	codec  string // H264 | H265
	media  *description.Media
	format format.Format
	sdpSPS []byte // the SPS the SDP carried, if any; an in-band one wins

	init     func() error // creates the depacketizer
	decode   func(*rtp.Packet) ([][]byte, error)
	isKey    func([][]byte) bool
	findSPS  func([][]byte) []byte
	parseSPS func([]byte, *Stream) error
}

func newH264Track(medi *description.Media, f *format.H264) *videoTrack {
	vt := &videoTrack{codec: "H264", media: medi, format: f, sdpSPS: f.SPS,
		isKey: h264.IsRandomAccess, parseSPS: describeH264SPS,
		findSPS: firstNALU(func(n []byte) bool { return h264.NALUType(n[0]&0x1F) == h264.NALUTypeSPS })}
	vt.init = func() error {
		dec, err := f.CreateDecoder()
		if err == nil {
			vt.decode = dec.Decode
		}
		return err
	}
	return vt
}

func newH265Track(medi *description.Media, f *format.H265) *videoTrack {
	vt := &videoTrack{codec: "H265", media: medi, format: f, sdpSPS: f.SPS,
		isKey: h265.IsRandomAccess, parseSPS: describeH265SPS,
		findSPS: firstNALU(func(n []byte) bool {
			return len(n) > 1 && h265.NALUType((n[0]>>1)&0x3F) == h265.NALUType_SPS_NUT
		})}
	vt.init = func() error {
		dec, err := f.CreateDecoder()
		if err == nil {
			vt.decode = dec.Decode
		}
		return err
	}
	return vt
}

// firstNALU returns a finder of an access unit's first non-empty NAL unit for which is returns true.
func firstNALU(is func([]byte) bool) func([][]byte) []byte {
	return func(au [][]byte) []byte {
		for _, nalu := range au {
			if len(nalu) > 0 && is(nalu) {
				return nalu
			}
		}
		return nil
	}
}

// describeH264SPS fills profile, level, resolution and declared frame rate from an H.264 SPS.
func describeH264SPS(buf []byte, st *Stream) error {
	var sps h264.SPS
	if err := sps.Unmarshal(buf); err != nil {
		return err
	}
	st.Profile = h264ProfileName(&sps)
	st.Level = h264LevelName(&sps)
	st.Width, st.Height = sps.Width(), sps.Height()
	st.FPSDeclared = round(sps.FPS(), 2)
	return nil
}

// describeH265SPS fills profile, level, resolution and declared frame rate from an H.265 SPS.
func describeH265SPS(buf []byte, st *Stream) error {
	var sps h265.SPS
	if err := sps.Unmarshal(buf); err != nil {
		return err
	}
	ptl := sps.ProfileTierLevel
	st.Profile = h265ProfileName(ptl.GeneralProfileIdc)
	if ptl.GeneralTierFlag == 1 {
		st.Profile += " (High tier)"
	}
	// general_level_idc is 30 times the level number (H.265 A.4.1).
	st.Level = fmt.Sprintf("%.1f", float64(ptl.GeneralLevelIdc)/30)
	st.Width, st.Height = sps.Width(), sps.Height()
	st.FPSDeclared = round(sps.FPS(), 2)
	return nil
}

// h264ProfileName names profile_idc as H.264 Annex A does; constraint_set1 turns Baseline into the
// Constrained Baseline that most cameras actually send.
func h264ProfileName(sps *h264.SPS) string {
	switch sps.ProfileIdc {
	case 66:
		if sps.ConstraintSet1Flag {
			return "Constrained Baseline"
		}
		return "Baseline"
	case 77:
		return "Main"
	case 88:
		return "Extended"
	case 100:
		return "High"
	case 110:
		return "High 10"
	case 122:
		return "High 4:2:2"
	case 244:
		return "High 4:4:4 Predictive"
	case 44:
		return "CAVLC 4:4:4 Intra"
	case 83:
		return "Scalable Baseline"
	case 86:
		return "Scalable High"
	case 118:
		return "Multiview High"
	case 128:
		return "Stereo High"
	}
	return fmt.Sprintf("profile %d", sps.ProfileIdc)
}

// h264LevelName writes level_idc as a level number; level 1b is coded as 9, or as 11 with
// constraint_set3 in the Baseline, Main and Extended profiles.
func h264LevelName(sps *h264.SPS) string {
	if sps.LevelIdc == 9 || sps.LevelIdc == 11 && sps.ConstraintSet3Flag &&
		(sps.ProfileIdc == 66 || sps.ProfileIdc == 77 || sps.ProfileIdc == 88) {
		return "1b"
	}
	return fmt.Sprintf("%.1f", float64(sps.LevelIdc)/10)
}

func h265ProfileName(idc uint8) string {
	switch idc {
	case 1:
		return "Main"
	case 2:
		return "Main 10"
	case 3:
		return "Main Still Picture"
	case 4:
		return "Range Extensions"
	case 5:
		return "High Throughput"
	case 9:
		return "Screen Content Coding"
	}
	return fmt.Sprintf("profile %d", idc)
}

package survey

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"vigil/config"
)

// What the minimum checks; a failing check is reported under its code, like a Reason.
const (
	CheckResolution = "resolution"
	CheckFPS        = "fps"
	CheckCodec      = "codec"
	CheckGOP        = "gop"
	CheckContinuity = "continuity"
)

// fpsTolerance lets a camera that stamps frames with a jittery clock (10 fps measured as 9.99) meet a
// minimum of 10 fps: half a percent is far below what an operator could see.
const fpsTolerance = 0.005

// Failure is one reason a camera does not meet the minimum.
type Failure struct {
	Code      string `json:"code"` // a Reason code (the stream could not be measured) or a Check code
	Message   string `json:"message"`
	MessageVI string `json:"message_vi"`
}

// Assess lists every reason the main stream s fails the minimum m, or nil when it meets it. A stream
// that could not be measured fails for that reason alone.
func Assess(s *Stream, m config.SurveyMinimum) []Failure {
	if s.Reason != "" {
		return []Failure{{Code: s.Reason, Message: s.Message, MessageVI: s.MessageVI}}
	}
	var fs []Failure
	for _, check := range []func(*Stream, config.SurveyMinimum) *Failure{
		checkCodec, checkResolution, checkFPS, checkGOP, checkContinuity,
	} {
		if f := check(s, m); f != nil {
			fs = append(fs, *f)
		}
	}
	return fs
}

func checkCodec(s *Stream, m config.SurveyMinimum) *Failure {
	if len(m.Codecs) == 0 || slices.Contains(m.Codecs, s.Codec) {
		return nil
	}
	allowed := strings.Join(m.Codecs, ", ")
	return &Failure{CheckCodec,
		fmt.Sprintf("codec %s is not allowed (allowed: %s)", s.Codec, allowed),
		fmt.Sprintf("Chuẩn nén %s không nằm trong danh sách cho phép (%s)", s.Codec, allowed)}
}

func checkResolution(s *Stream, m config.SurveyMinimum) *Failure {
	r := m.Resolution
	switch {
	case r.IsZero():
		return nil
	case s.Width == 0 || s.Height == 0:
		return &Failure{CheckResolution,
			fmt.Sprintf("resolution unknown (no readable SPS), minimum %s", r),
			fmt.Sprintf("Không xác định được độ phân giải (yêu cầu tối thiểu %s)", r)}
	case !r.Meets(s.Width, s.Height):
		return &Failure{CheckResolution,
			fmt.Sprintf("resolution %dx%d is below the minimum %s", s.Width, s.Height, r),
			fmt.Sprintf("Độ phân giải %dx%d thấp hơn mức tối thiểu %s", s.Width, s.Height, r)}
	}
	return nil
}

func checkFPS(s *Stream, m config.SurveyMinimum) *Failure {
	if m.FPS <= 0 || s.FPS >= m.FPS*(1-fpsTolerance) {
		return nil
	}
	want := strconv.FormatFloat(m.FPS, 'f', -1, 64)
	if s.FPS == 0 {
		return &Failure{CheckFPS,
			fmt.Sprintf("frame rate unknown (no frames decoded), minimum %s fps", want),
			fmt.Sprintf("Không đo được tốc độ khung hình (yêu cầu tối thiểu %s fps)", want)}
	}
	return &Failure{CheckFPS,
		fmt.Sprintf("%s fps is below the minimum %s fps", formatFloat(s.FPS, 2), want),
		fmt.Sprintf("Tốc độ khung hình %s fps thấp hơn mức tối thiểu %s fps", formatFloat(s.FPS, 2), want)}
}

// checkGOP fails a GOP longer than the maximum. An open GOP (fewer than two keyframes seen) is a lower
// bound: it fails when already too long and otherwise proves nothing, so it passes.
func checkGOP(s *Stream, m config.SurveyMinimum) *Failure {
	if m.MaxGOP <= 0 || s.GOPSeconds <= m.MaxGOP.Seconds() {
		return nil
	}
	maxGOP := formatFloat(m.MaxGOP.Seconds(), 3)
	if s.GOPOpen {
		return &Failure{CheckGOP,
			fmt.Sprintf("no keyframe for at least %s s (maximum GOP %s s)", formatFloat(s.GOPSeconds, 2), maxGOP),
			fmt.Sprintf("Không có khung hình khóa trong ít nhất %s giây (GOP tối đa %s giây)", formatFloat(s.GOPSeconds, 2), maxGOP)}
	}
	return &Failure{CheckGOP,
		fmt.Sprintf("GOP of %s s is longer than the maximum %s s", formatFloat(s.GOPSeconds, 2), maxGOP),
		fmt.Sprintf("Khoảng cách giữa hai khung hình khóa (GOP) %s giây, vượt mức tối đa %s giây", formatFloat(s.GOPSeconds, 2), maxGOP)}
}

func checkContinuity(s *Stream, m config.SurveyMinimum) *Failure {
	if !m.Continuous || s.MaxStall <= m.MaxStall.Seconds() {
		return nil
	}
	allowed := formatFloat(m.MaxStall.Seconds(), 3)
	return &Failure{CheckContinuity,
		fmt.Sprintf("video stopped for %s s (longest pause allowed %s s)", formatFloat(s.MaxStall, 2), allowed),
		fmt.Sprintf("Hình ảnh bị gián đoạn %s giây (cho phép tối đa %s giây)", formatFloat(s.MaxStall, 2), allowed)}
}

// reasonLabels are the short names of every Reason and Check code, in English and Vietnamese, for the
// summaries' failure counts.
var reasonLabels = map[string][2]string{
	ReasonRefused:          {"connection refused", "Từ chối kết nối"},
	ReasonAuthFailed:       {"wrong user name or password", "Sai tên đăng nhập hoặc mật khẩu"},
	ReasonTimeout:          {"no answer", "Không phản hồi"},
	ReasonDNS:              {"host name does not resolve", "Không phân giải được tên máy"},
	ReasonNotFound:         {"no stream at the path", "Sai đường dẫn luồng"},
	ReasonNoVideoTrack:     {"no video", "Không có hình ảnh"},
	ReasonUnsupportedCodec: {"unsupported codec", "Chuẩn nén không được hỗ trợ"},
	ReasonOther:            {"other error", "Lỗi khác"},
	CheckResolution:        {"resolution too low", "Độ phân giải thấp"},
	CheckFPS:               {"frame rate too low", "Tốc độ khung hình thấp"},
	CheckCodec:             {"codec not allowed", "Chuẩn nén không được phép"},
	CheckGOP:               {"GOP too long", "GOP quá dài"},
	CheckContinuity:        {"video not continuous", "Hình ảnh không liên tục"},
}

// ReasonLabel names a Reason or Check code in English and Vietnamese.
func ReasonLabel(code string) (en, vi string) {
	if l, ok := reasonLabels[code]; ok {
		return l[0], l[1]
	}
	return code, code
}

// formatFloat writes v with at most decimals digits after the point and no trailing zeros.
func formatFloat(v float64, decimals int) string {
	return strconv.FormatFloat(round(v, decimals), 'f', -1, 64)
}

package config

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Survey says how the camera survey (khảo sát, đánh giá hiện trạng) reads each camera and what it
// assesses the cameras against (issue 4).
type Survey struct {
	Duration          time.Duration // `duration`: how long each camera's main stream is read; default 10s; 1s to 5m
	SubstreamDuration time.Duration // `substream_duration`: the same for the substream, read beside it; default 3s; 1s to 5m, never more than Duration
	Parallel          int           // `parallel`: cameras surveyed at once; default 8; 1 to 64
	Minimum           SurveyMinimum // `minimum`: the province's minimum for a camera's main stream
}

// SurveyMinimum is the province's minimum for a camera's main stream. A check whose value is its zero
// (Resolution none, FPS 0, MaxGOP 0, Continuous false) is not made; empty Codecs means every codec
// vigil records.
type SurveyMinimum struct {
	Resolution Resolution    // `resolution`: 720p, 1280x720 or none; default 720p
	FPS        float64       // `fps`: measured frames per second, at least; 0 = not checked; default 10
	Codecs     []string      // `codecs`: allowed video codecs, from SurveyCodecs; default both
	MaxGOP     time.Duration // `max_gop`: longest interval between keyframes; 0 = not checked (the default)
	Continuous bool          // `continuous`: video must flow through the whole window; default true
	MaxStall   time.Duration // `max_stall`: the longest pause in video a continuous stream may have; default 2s

	// Zero is a valid choice for these, so ApplyDefaults needs to know
	// whether it was chosen or merely left out.
	resolutionSet, fpsSet, continuousSet bool
}

// SurveyCodecs are the video codecs vigil records, hence the only ones a minimum may allow.
var SurveyCodecs = []string{"H264", "H265"}

// Survey defaults and bounds.
const (
	defaultSurveyDuration    = 10 * time.Second
	defaultSubstreamDuration = 3 * time.Second
	defaultSurveyParallel    = 8
	defaultMinFPS            = 10
	defaultMaxStall          = 2 * time.Second
	defaultMinLines          = 720

	minSurveyDuration = time.Second
	maxSurveyDuration = 5 * time.Minute
	maxSurveyParallel = 64
	maxMinFPS         = 240
	maxResolutionSide = 16384
)

// Resolution is a minimum picture size. At most one form is set; neither means no minimum.
type Resolution struct {
	// Lines is the "720p" form: the picture's shorter side, so a camera turned on its side for a
	// corridor (720x1280) counts as 720p like a 1280x720 one.
	Lines int
	// Width and Height are the "1280x720" form: both sides at least.
	Width, Height int
}

// IsZero reports whether there is no minimum (written "none").
func (r Resolution) IsZero() bool { return r == Resolution{} }

// String gives the resolution in the syntax the configuration file accepts.
func (r Resolution) String() string {
	switch {
	case r.Lines > 0:
		return strconv.Itoa(r.Lines) + "p"
	case r.Width > 0 || r.Height > 0:
		return fmt.Sprintf("%dx%d", r.Width, r.Height)
	}
	return "none"
}

// Meets reports whether a width x height picture reaches the minimum.
func (r Resolution) Meets(width, height int) bool {
	if r.Lines > 0 {
		return min(width, height) >= r.Lines
	}
	return width >= r.Width && height >= r.Height
}

// ParseResolution reads "720p", "1080P", "1280x720" or "none".
func ParseResolution(s string) (Resolution, error) {
	bad := fmt.Errorf("invalid resolution %q (use e.g. 720p, 1080p, 1280x720 or none)", s)
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "none" {
		return Resolution{}, nil
	}
	if lines, ok := strings.CutSuffix(s, "p"); ok {
		n, err := strconv.Atoi(lines)
		if err != nil || n < 1 || n > maxResolutionSide {
			return Resolution{}, bad
		}
		return Resolution{Lines: n}, nil
	}
	w, h, ok := strings.Cut(s, "x")
	if !ok {
		return Resolution{}, bad
	}
	width, err1 := strconv.Atoi(strings.TrimSpace(w))
	height, err2 := strconv.Atoi(strings.TrimSpace(h))
	if err1 != nil || err2 != nil || width < 1 || height < 1 || width > maxResolutionSide || height > maxResolutionSide {
		return Resolution{}, bad
	}
	return Resolution{Width: width, Height: height}, nil
}

// NormalizeCodec maps the ways people write a codec (h264, H.264, AVC, HEVC…) to one of
// SurveyCodecs, or returns "" for a codec vigil does not record.
func NormalizeCodec(s string) string {
	switch strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), ".", "")) {
	case "H264", "AVC":
		return "H264"
	case "H265", "HEVC":
		return "H265"
	}
	return ""
}

func (d *decoder) survey(path string, n *yaml.Node, s *Survey) {
	d.mapping(path, n, []field{
		{"duration", d.duration(&s.Duration, nil, surveyDurationProblem(0))},
		{"substream_duration", d.duration(&s.SubstreamDuration, nil, surveyDurationProblem(0))},
		{"parallel", d.wholeNumber(&s.Parallel, parallelProblem(0))},
		{"minimum", func(p string, v *yaml.Node) { d.surveyMinimum(p, v, &s.Minimum) }},
	})
}

func (d *decoder) surveyMinimum(path string, n *yaml.Node, m *SurveyMinimum) {
	d.mapping(path, n, []field{
		{"resolution", func(p string, v *yaml.Node) {
			s, ok := d.scalar(p, v, "a resolution")
			if !ok {
				return
			}
			r, err := ParseResolution(s)
			if err != nil {
				d.reject(v, p, "%v", err)
				return
			}
			m.Resolution, m.resolutionSet = r, true
		}},
		{"fps", func(p string, v *yaml.Node) {
			s, ok := d.scalar(p, v, "a number")
			if !ok {
				return
			}
			f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
				d.reject(v, p, "expected a number of frames per second, got %s", describe(resolve(v)))
				return
			}
			m.FPS, m.fpsSet = f, true
		}},
		{"codecs", func(p string, v *yaml.Node) { d.surveyCodecs(p, v, m) }},
		{"max_gop", d.duration(&m.MaxGOP, nil, "")},
		{"continuous", d.boolean(&m.Continuous, &m.continuousSet)},
		{"max_stall", d.duration(&m.MaxStall, nil, positiveProblem(0))},
	})
}

// surveyCodecs decodes the list of allowed codecs, each normalised so that "h.264" and "AVC" mean H264.
func (d *decoder) surveyCodecs(path string, n *yaml.Node, m *SurveyMinimum) {
	seq := resolve(n)
	if seq.Kind != yaml.SequenceNode {
		d.reject(n, path, "expected a list such as [H264, H265], got %s", describe(seq))
		return
	}
	m.Codecs = []string{}
	for i, item := range seq.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		s, ok := d.scalar(p, item, "a codec name")
		if !ok {
			continue
		}
		c := NormalizeCodec(s)
		if c == "" {
			d.reject(item, p, "unknown codec %q: vigil records %s", s, strings.Join(SurveyCodecs, " and "))
			continue
		}
		if !slices.Contains(m.Codecs, c) {
			m.Codecs = append(m.Codecs, c)
		}
	}
}

// wholeNumber decodes a whole number; its range is Validate's to check, but an explicit zero is rejected
// here with zeroProblem, since ApplyDefaults would replace it without a word.
func (d *decoder) wholeNumber(dst *int, zeroProblem string) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		s, ok := d.scalar(path, v, "a whole number")
		if !ok {
			return
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			d.reject(v, path, "expected a whole number, got %s", describe(resolve(v)))
			return
		}
		if n == 0 {
			d.reject(v, path, "%s", zeroProblem)
			return
		}
		*dst = n
	}
}

func (s *Survey) applyDefaults() {
	if s.Duration == 0 {
		s.Duration = defaultSurveyDuration
	}
	if s.SubstreamDuration == 0 {
		s.SubstreamDuration = min(defaultSubstreamDuration, s.Duration)
	}
	if s.Parallel == 0 {
		s.Parallel = defaultSurveyParallel
	}
	m := &s.Minimum
	if !m.resolutionSet {
		if m.Resolution.IsZero() {
			m.Resolution = Resolution{Lines: defaultMinLines}
		}
		m.resolutionSet = true
	}
	if !m.fpsSet {
		if m.FPS == 0 {
			m.FPS = defaultMinFPS
		}
		m.fpsSet = true
	}
	if !m.continuousSet {
		m.Continuous, m.continuousSet = true, true
	}
	if len(m.Codecs) == 0 {
		m.Codecs = append([]string(nil), SurveyCodecs...)
	}
	if m.MaxStall == 0 {
		m.MaxStall = defaultMaxStall
	}
}

func (v *validator) survey(s *Survey) {
	if p := surveyDurationProblem(s.Duration); p != "" {
		v.errorf("survey.duration", "%s", p)
	}
	if p := surveyDurationProblem(s.SubstreamDuration); p != "" {
		v.errorf("survey.substream_duration", "%s", p)
	}
	if p := parallelProblem(s.Parallel); p != "" {
		v.errorf("survey.parallel", "%s", p)
	}
	m := &s.Minimum
	if m.FPS < 0 || m.FPS > maxMinFPS {
		v.errorf("survey.minimum.fps", "must be between 0 (not checked) and %d, got %s",
			maxMinFPS, strconv.FormatFloat(m.FPS, 'f', -1, 64))
	}
	for i, c := range m.Codecs {
		if NormalizeCodec(c) != c {
			v.errorf(fmt.Sprintf("survey.minimum.codecs[%d]", i), "must be one of %s; got %q",
				strings.Join(SurveyCodecs, ", "), c)
		}
	}
	if m.MaxGOP < 0 {
		v.errorf("survey.minimum.max_gop", "must be >= 0 (0: not checked), got %s", formatDuration(m.MaxGOP))
	}
	if p := positiveProblem(m.MaxStall); p != "" {
		v.errorf("survey.minimum.max_stall", "%s", p)
	}
}

func surveyDurationProblem(d time.Duration) string {
	if d < minSurveyDuration || d > maxSurveyDuration {
		return fmt.Sprintf("must be between %s and %s, got %s",
			formatDuration(minSurveyDuration), formatDuration(maxSurveyDuration), formatDuration(d))
	}
	return ""
}

func parallelProblem(n int) string {
	if n < 1 || n > maxSurveyParallel {
		return fmt.Sprintf("must be between 1 and %d, got %d", maxSurveyParallel, n)
	}
	return ""
}

// SurveyDurationProblem explains what is wrong with a survey reading window given on a command line,
// or returns "": the same bounds as the `survey.duration` key.
func SurveyDurationProblem(d time.Duration) string { return surveyDurationProblem(d) }

package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// surveyOnly blanks the bookkeeping flags so Surveys compare on what they say.
func surveyOnly(s Survey) Survey {
	s.Minimum.resolutionSet, s.Minimum.fpsSet, s.Minimum.continuousSet = false, false, false
	return s
}

func TestSurveyDefaults(t *testing.T) {
	_, c, err := loadIn(t, "storage: {path: ./data}\n")
	if err != nil {
		t.Fatal(err)
	}
	want := Survey{
		Duration: 10 * time.Second, SubstreamDuration: 3 * time.Second, Parallel: 8,
		Minimum: SurveyMinimum{
			Resolution: Resolution{Lines: 720}, FPS: 10, Codecs: []string{"H264", "H265"},
			Continuous: true, MaxStall: 2 * time.Second,
		},
	}
	if got := surveyOnly(c.Survey); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

func TestSurveyValues(t *testing.T) {
	_, c, err := loadIn(t, `
storage: {path: ./data}
survey:
  duration: 20s
  substream_duration: 5s
  parallel: 4
  minimum:
    resolution: 1280x720
    fps: 12.5
    codecs: [h.264, HEVC, H264]
    max_gop: 4s
    continuous: false
    max_stall: 3s
`)
	if err != nil {
		t.Fatal(err)
	}
	want := Survey{
		Duration: 20 * time.Second, SubstreamDuration: 5 * time.Second, Parallel: 4,
		Minimum: SurveyMinimum{
			Resolution: Resolution{Width: 1280, Height: 720}, FPS: 12.5, Codecs: []string{"H264", "H265"},
			MaxGOP: 4 * time.Second, Continuous: false, MaxStall: 3 * time.Second,
		},
	}
	if got := surveyOnly(c.Survey); !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
}

// TestSurveyChecksOff: the zero of each check switches it off and stays off through ApplyDefaults.
func TestSurveyChecksOff(t *testing.T) {
	_, c, err := loadIn(t, `
storage: {path: ./data}
survey:
  duration: 2s
  minimum: {resolution: none, fps: 0, max_gop: 0, continuous: false}
`)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		m := c.Survey.Minimum
		if !m.Resolution.IsZero() || m.FPS != 0 || m.MaxGOP != 0 || m.Continuous {
			t.Errorf("pass %d: minimum %+v, want every check off", i, m)
		}
		// The substream's default never exceeds the main window.
		if c.Survey.SubstreamDuration != 2*time.Second {
			t.Errorf("substream_duration %v, want 2s", c.Survey.SubstreamDuration)
		}
		c.ApplyDefaults()
	}
}

func TestSurveyErrors(t *testing.T) {
	for _, tt := range []struct{ name, yaml, want string }{
		{"zero duration", `
survey:
  duration: 0s
`, `vigil.yaml:3: survey.duration: must be between 1s and 5m, got 0s`},
		{"long duration", `
survey:
  duration: 10m
  substream_duration: 500ms
`, `vigil.yaml:3: survey.duration: must be between 1s and 5m, got 10m
vigil.yaml:4: survey.substream_duration: must be between 1s and 5m, got 500ms`},
		{"parallel", `
survey:
  parallel: 0
`, `vigil.yaml:3: survey.parallel: must be between 1 and 64, got 0`},
		{"parallel too many", `
survey: {parallel: 100}
`, `vigil.yaml:2: survey.parallel: must be between 1 and 64, got 100`},
		{"parallel not a number", `
survey:
  parallel: many
`, `vigil.yaml:3: survey.parallel: expected a whole number, got "many"`},
		{"bad resolution", `
survey:
  minimum:
    resolution: 720
`, `vigil.yaml:4: survey.minimum.resolution: invalid resolution "720" (use e.g. 720p, 1080p, 1280x720 or none)`},
		{"resolution as a list", `
survey:
  minimum:
    resolution: [1280, 720]
`, `vigil.yaml:4: survey.minimum.resolution: expected a resolution, got a list`},
		{"bad fps", `
survey:
  minimum:
    fps: fast
    max_gop: -1s
`, `vigil.yaml:4: survey.minimum.fps: expected a number of frames per second, got "fast"
vigil.yaml:5: survey.minimum.max_gop: must be >= 0 (0: not checked), got -1s`},
		{"fps out of range", `
survey:
  minimum: {fps: -1}
`, `vigil.yaml:3: survey.minimum.fps: must be between 0 (not checked) and 240, got -1`},
		{"unknown codec", `
survey:
  minimum:
    codecs:
      - H264
      - MJPEG
`, `vigil.yaml:6: survey.minimum.codecs[1]: unknown codec "MJPEG": vigil records H264 and H265`},
		{"codecs not a list", `
survey:
  minimum:
    codecs: H264
`, `vigil.yaml:4: survey.minimum.codecs: expected a list such as [H264, H265], got "H264"`},
		{"zero max_stall and text for bool", `
survey:
  minimum:
    continuous: yes
    max_stall: 0
`, `vigil.yaml:4: survey.minimum.continuous: expected a boolean (true or false), got "yes"
vigil.yaml:5: survey.minimum.max_stall: must be > 0, got 0s`},
		{"misspelt key", `
survey:
  minimum:
    fsp: 10
  duraton: 5s
`, `vigil.yaml:4: survey.minimum.fsp: unknown key (did you mean fps?)
vigil.yaml:5: survey.duraton: unknown key (did you mean duration?)`},
		{"not a mapping", `
survey: yes
`, `vigil.yaml:2: survey: expected a mapping, got "yes"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, c, err := loadIn(t, "storage: {path: ./data}"+tt.yaml)
			if err == nil {
				t.Fatalf("no error; survey %+v", c.Survey)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func TestSurveyBuiltInCode(t *testing.T) {
	c := &Config{Storage: Storage{Path: t.TempDir()}}
	c.ApplyDefaults()
	c.Survey.Parallel = 0
	c.Survey.Minimum.Codecs = []string{"h264"}
	c.Survey.Minimum.MaxStall = -time.Second
	want := `survey.parallel: must be between 1 and 64, got 0
survey.minimum.codecs[0]: must be one of H264, H265; got "h264"
survey.minimum.max_stall: must be > 0, got -1s`
	if err := c.Validate(); err == nil || err.Error() != want {
		t.Errorf("got:\n%v\nwant:\n%s", err, want)
	}
}

func TestResolution(t *testing.T) {
	for _, tt := range []struct {
		in    string
		want  Resolution
		str   string
		meets [][2]int
		fails [][2]int
	}{
		{"720p", Resolution{Lines: 720}, "720p", [][2]int{{1280, 720}, {720, 1280}, {1920, 1080}}, [][2]int{{640, 360}, {960, 540}}},
		{" 1080P ", Resolution{Lines: 1080}, "1080p", [][2]int{{1920, 1080}}, [][2]int{{1280, 720}}},
		{"1280x720", Resolution{Width: 1280, Height: 720}, "1280x720", [][2]int{{1280, 720}}, [][2]int{{720, 1280}, {1280, 719}}},
		{"none", Resolution{}, "none", [][2]int{{1, 1}}, nil},
	} {
		got, err := ParseResolution(tt.in)
		if err != nil || got != tt.want || got.String() != tt.str {
			t.Errorf("ParseResolution(%q) = %+v (%s), %v; want %+v", tt.in, got, got, err, tt.want)
		}
		for _, wh := range tt.meets {
			if !got.Meets(wh[0], wh[1]) {
				t.Errorf("%s should accept %dx%d", tt.str, wh[0], wh[1])
			}
		}
		for _, wh := range tt.fails {
			if got.Meets(wh[0], wh[1]) {
				t.Errorf("%s should refuse %dx%d", tt.str, wh[0], wh[1])
			}
		}
	}
	for _, in := range []string{"", "720", "p", "0p", "-720p", "1280x", "x720", "1280*720", "99999p", "hd"} {
		if got, err := ParseResolution(in); err == nil {
			t.Errorf("ParseResolution(%q) = %+v, want an error", in, got)
		}
	}
}

// TestExampleSurvey keeps the example's survey section loadable and every key documented.
func TestExampleSurvey(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	i := strings.Index(text, "\nsurvey:")
	if i < 0 {
		t.Fatal("config.example.yaml has no survey section")
	}
	for _, key := range []string{"duration", "substream_duration", "parallel", "minimum", "resolution", "fps",
		"codecs", "max_gop", "continuous", "max_stall"} {
		if !strings.Contains(text[i:], "  "+key+":") {
			t.Errorf("the example's survey section does not show %s", key)
		}
	}
	file := filepath.Join(t.TempDir(), "vigil.yaml")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(file)
	if err != nil {
		t.Skipf("the example does not load (another section's problem?): %v", err)
	}
	if c.Survey.Minimum.MaxGOP != 4*time.Second || c.Survey.Duration != 10*time.Second {
		t.Errorf("example survey %+v", c.Survey)
	}
}

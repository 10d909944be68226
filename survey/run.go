package survey

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"vigil/config"
)

// Result is one camera's survey: its main stream and, if it has one, its substream. Whether it meets
// the minimum is not part of it: that is Assess's answer, made when a report is built, so a stored
// measurement can be judged against the minimum in force.
type Result struct {
	CameraID string  `json:"camera_id"`
	Name     string  `json:"name"`
	Facility string  `json:"facility"`
	Location string  `json:"location,omitempty"`
	Enabled  bool    `json:"enabled"` // recorded by vigil; disabled cameras are surveyed too
	Main     Stream  `json:"main"`
	Sub      *Stream `json:"substream,omitempty"`
}

// Options says how Run reads the cameras.
type Options struct {
	Window          time.Duration // per main stream; DefaultWindow if 0
	SubstreamWindow time.Duration // per substream, read beside the main stream; at most Window
	Parallel        int           // cameras read at once; 8 if 0
	Log             *slog.Logger  // nil: slog.Default()
	// OnResult, if set, is called with each camera's result as soon as it is measured, from the
	// goroutine that measured it (several at once).
	OnResult func(Result)
}

// OptionsFrom takes the windows and parallelism from the survey section of the configuration.
func OptionsFrom(s config.Survey) Options {
	return Options{Window: s.Duration, SubstreamWindow: s.SubstreamDuration, Parallel: s.Parallel}
}

// Run surveys cams, Parallel at a time, and returns their results in the order of cams. A camera
// that fails is a finding in its result, never an error; a cancelled ctx ends every reading early.
func Run(ctx context.Context, cams []config.Camera, opt Options) []Result {
	parallel := opt.Parallel
	if parallel <= 0 {
		parallel = 8
	}
	log := opt.Log
	if log == nil {
		log = slog.Default()
	}
	results := make([]Result, len(cams))
	slots := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	for i, cam := range cams {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			results[i] = ProbeCamera(ctx, cam, opt)
			logResult(log, &results[i])
			if opt.OnResult != nil {
				opt.OnResult(results[i])
			}
		})
	}
	wg.Wait()
	return results
}

// ProbeCamera reads the camera's main stream for the window and, at the same time, its substream (if
// it has one) for the shorter substream window, so a camera costs one window whatever it has.
func ProbeCamera(ctx context.Context, cam config.Camera, opt Options) Result {
	r := Result{CameraID: cam.ID, Name: cam.Name, Facility: cam.Facility, Location: cam.Location, Enabled: cam.Enabled}
	window := opt.Window
	if window <= 0 {
		window = DefaultWindow
	}
	var sub chan Stream
	if cam.SubstreamURL != "" {
		subWindow := opt.SubstreamWindow
		if subWindow <= 0 || subWindow > window {
			subWindow = window
		}
		sub = make(chan Stream, 1)
		go func() { sub <- probeURL(ctx, cam, cam.SubstreamURL, subWindow) }()
	}
	r.Main = probeURL(ctx, cam, cam.URL, window)
	if sub != nil {
		s := <-sub
		r.Sub = &s
	}
	return r
}

func logResult(log *slog.Logger, r *Result) {
	s := &r.Main
	if s.Reason != "" {
		log.Info("survey: camera not measured", "camera", r.CameraID, "url", s.URL, "reason", s.Reason, "message", s.Message)
		return
	}
	log.Info("survey: camera measured", "camera", r.CameraID, "codec", s.Codec,
		"resolution", fmt.Sprintf("%dx%d", s.Width, s.Height), "fps", s.FPS, "gop_s", s.GOPSeconds,
		"bitrate_bps", s.Bitrate, "audio", s.Audio, "transport", s.Transport, "max_stall_s", s.MaxStall)
}

// Select picks the cameras to survey: all of cfg's, one facility's or one camera, disabled ones
// included. Naming both is allowed when the camera is at that facility.
func Select(cfg *config.Config, facility, camera string) ([]config.Camera, error) {
	var out []config.Camera
	for _, c := range cfg.Cameras {
		if (facility == "" || c.Facility == facility) && (camera == "" || c.ID == camera) {
			out = append(out, c)
		}
	}
	if len(out) > 0 {
		return out, nil
	}
	switch {
	case camera != "" && facility != "":
		return nil, fmt.Errorf("no camera %q at facility %q", camera, facility)
	case camera != "":
		return nil, fmt.Errorf("no camera %q in the configuration", camera)
	case facility != "":
		return nil, fmt.Errorf("no camera at facility %q in the configuration", facility)
	}
	return nil, fmt.Errorf("the configuration has no cameras")
}

// Scope names what a run covered, as the store keeps it: "" for every camera, "facility:ID" or
// "camera:ID".
func Scope(facility, camera string) string {
	switch {
	case camera != "":
		return "camera:" + camera
	case facility != "":
		return "facility:" + facility
	}
	return ""
}

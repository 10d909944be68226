package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"vigil/config"
	"vigil/simcam"
)

// demoCameras are the simulated cameras of `vigil demo`: two facilities, every codec the recorder handles.
// Each also has a 320x180 substream (at <id>-sub), which the live grid plays.
var demoCameras = []struct {
	id, name, facility string
	clip               []byte
}{
	{"cam-01", "Cổng chính (H.264 + AAC)", "ktx-a", simcam.ClipH264AAC},
	{"cam-02", "Hành lang tầng 2 (H.264)", "ktx-a", simcam.ClipH264},
	{"cam-03", "Sân trong (H.265)", "ktx-b", simcam.ClipH265},
	{"cam-04", "Phòng y tế (H.264)", "ktx-b", simcam.ClipH264},
}

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "demo-data", "folder for the demo's recordings and index")
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address")
	level := fs.String("log-level", "info", "debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := newLogger(stderr, *level)
	if err != nil {
		return err
	}
	cams := &simcam.Server{User: "demo", Pass: "demo-secret"}
	if err := cams.Start(); err != nil {
		return fmt.Errorf("simulated cameras: %w", err)
	}
	defer cams.Close()
	cfg := &config.Config{
		Listen:  *listen,
		Storage: config.Storage{Path: *data, SegmentDuration: time.Minute},
		Retention: config.Retention{
			MaxAge: 24 * time.Hour,
			Quota:  config.Quota{Bytes: 2 << 30},
		},
	}
	small, err := simcam.LoadClip(simcam.ClipH264Small)
	if err != nil {
		return err
	}
	for _, dc := range demoCameras {
		clip, err := simcam.LoadClip(dc.clip)
		if err != nil {
			return err
		}
		if err := cams.AddCamera(dc.id, clip); err != nil {
			return err
		}
		if err := cams.AddCamera(dc.id+"-sub", small); err != nil {
			return err
		}
		cfg.Cameras = append(cfg.Cameras, config.Camera{ID: dc.id, Name: dc.name, Facility: dc.facility,
			URL: cams.URL(dc.id), SubstreamURL: cams.URL(dc.id + "-sub"), Enabled: true})
	}
	abs, err := filepath.Abs(*data)
	if err != nil {
		return err
	}
	cfg.Storage.Path = abs
	cfg.ApplyDefaults()
	if err := cfg.Validate(); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "vigil demo: %d simulated cameras on rtsp://%s\n", len(demoCameras), cams.Addr())
	return serve(cfg, log, stdout, nil)
}

package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"vigil/auth"
	"vigil/config"
	"vigil/simcam"
	"vigil/store"
)

// demoCameras are the simulated cameras of `vigil demo`: two facilities, every codec the recorder handles.
// Each also has a 320x180 substream (at <id>-sub), which the live grid plays.
var demoCameras = []struct {
	id, name, facility, location string
	clip                         []byte
}{
	{"cam-01", "Cổng chính (H.264 + AAC)", "ktx-a", "Cổng ra vào", simcam.ClipH264AAC},
	{"cam-02", "Hành lang tầng 2 (H.264)", "ktx-a", "Hành lang tầng 2, dãy phòng cách ly", simcam.ClipH264},
	{"cam-03", "Sân trong (H.265)", "ktx-b", "Sân trong", simcam.ClipH265},
	{"cam-04", "Phòng y tế (H.264)", "ktx-b", "Phòng y tế", simcam.ClipH264},
}

// demoFacilities are the two facilities the demo's cameras belong to, each with its primary contact, in
// the province the source letter came from. Names, numbers and addresses are made up.
var demoFacilities = []config.Facility{{
	ID: "ktx-a", Name: "Khu cách ly tập trung Ký túc xá A", Address: "Số 1 đường số 5, khu phố 2",
	District: "Thành phố Biên Hòa", Commune: "Phường Tân Hiệp", Kind: "dormitory", Capacity: 300,
	StatusSince: time.Date(2021, 5, 5, 0, 0, 0, 0, time.UTC),
	Contacts: []config.Contact{{Name: "Nguyễn Văn An", Title: "Trưởng ban quản lý khu cách ly",
		Phone: "0900 000 001", Email: "ktx-a@example.com", Primary: true,
		Confirmed: time.Date(2021, 5, 7, 0, 0, 0, 0, time.UTC)}},
}, {
	ID: "ktx-b", Name: "Khu cách ly tập trung Ký túc xá B", Address: "Số 20 đường số 9, khu phố 3",
	District: "Thành phố Biên Hòa", Commune: "Phường Long Bình Tân", Kind: "dormitory", Capacity: 200,
	StatusSince: time.Date(2021, 5, 6, 0, 0, 0, 0, time.UTC),
	Contacts: []config.Contact{{Name: "Trần Thị Bích Ngọc", Title: "Phó trưởng ban, phụ trách y tế",
		Phone: "0900 000 002", Email: "ktx-b@example.com", Primary: true,
		Confirmed: time.Date(2021, 5, 7, 0, 0, 0, 0, time.UTC)}},
}}

func cmdDemo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	data := fs.String("data", "demo-data", "folder for the demo's recordings and index")
	listen := fs.String("listen", "127.0.0.1:8080", "HTTP address")
	rtspListen := fs.String("rtsp-listen", "127.0.0.1:8554", `the RTSP re-stream's address, or "off"`)
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
		Province:   config.Province{Name: "Tỉnh Đồng Nai"},
		Upstream:   config.Upstream{Listen: *rtspListen},
		Facilities: demoFacilities,
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
			Location: dc.location, URL: cams.URL(dc.id), SubstreamURL: cams.URL(dc.id + "-sub"), Enabled: true})
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
	return serve(cfg, log, stdout, serveHooks{beforeServe: demoAdmin})
}

// demoAdmin gives the demo's admin a new random password at every start and prints it: the demo has no
// install step where a first admin would be made, and a fixed password would be a known one.
func demoAdmin(ctx context.Context, st *store.Store, a *auth.Service, _ *config.Config, stdout io.Writer) error {
	const name = "admin"
	var pw string
	_, err := st.UserByName(ctx, name)
	switch {
	case errors.Is(err, store.ErrUserNotFound):
		pw, err = a.AddUser(ctx, auth.Account{Username: name, Name: "Quản trị (demo)", Role: auth.Admin}, "", func(string) bool { return false })
	case err == nil:
		pw, err = a.SetPassword(ctx, name, "", nil)
	}
	if err != nil {
		return fmt.Errorf("demo admin: %w", err)
	}
	fmt.Fprintf(stdout, "vigil demo: sign in as %q with the one-time password: %s\n", name, pw)
	return nil
}

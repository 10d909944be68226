package web

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"vigil/config"
	"vigil/recorder"
	"vigil/simcam"
	"vigil/store"
)

// surveyFixture serves the API over real HTTP for a configuration of two facilities: one camera that
// plays a real clip from simcam behind a password, and one where nothing listens. The cameras are
// disabled, so the recorder leaves them alone and only the survey connects.
func surveyFixture(t *testing.T) (*httptest.Server, *config.Config) {
	t.Helper()
	cams := &simcam.Server{User: "viewer", Pass: password}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cams.Close)
	if err := cams.AddClips(map[string][]byte{"live": simcam.ClipH264}); err != nil {
		t.Fatal(err)
	}
	closed, err := simcam.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}

	cfg := &config.Config{
		Storage:    config.Storage{Path: t.TempDir()},
		Facilities: []config.Facility{{ID: "f1", Name: "Khu cách ly Trường Chính trị tỉnh"}},
		Cameras: []config.Camera{
			{ID: "good", Facility: "f1", URL: cams.URL("live")},
			{ID: "down", Facility: "f2", URL: "rtsp://viewer:" + password + "@" + closed + "/x"},
		},
	}
	cfg.ApplyDefaults()
	for i := range cfg.Cameras {
		cfg.Cameras[i].Enabled = false
	}
	cfg.Survey.Duration = 2 * time.Second
	cfg.Survey.Minimum.Resolution = config.Resolution{Lines: 360}

	st, err := store.Open(cfg.Storage.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.DiscardHandler)
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: log}
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	srv := serveSignedIn(t, &Server{Config: cfg, Store: st, Recorder: rec, Log: log})
	return srv, cfg
}

func call(t *testing.T, method, url string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := clientFor(req.URL).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(body, []byte(password)) {
		t.Errorf("%s %s: the camera password is in the answer", method, url)
	}
	return resp, body
}

func callJSON(t *testing.T, method, url, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := clientFor(req.URL).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, out
}

// latestSurvey is the part of GET /api/v1/survey/latest the tests read.
type latestSurvey struct {
	Running *struct {
		RunID   int64 `json:"run_id"`
		Cameras int   `json:"cameras"`
	} `json:"running"`
	Report *struct {
		Total struct {
			Cameras, Reachable int
			Meeting            int `json:"meeting_minimum"`
			Failing            int
			StoragePerDay      int64 `json:"storage_per_day_bytes"`
		} `json:"province_summary"`
		Facilities []struct{ ID, Name string }
		Cameras    []struct {
			CameraID string `json:"camera_id"`
			Main     struct {
				URL, Codec, Reason string
				Width, Height      int
				FPS                float64
				At                 string
			}
			Meets    bool `json:"meets_minimum"`
			Failures []struct{ Code string }
		}
	} `json:"report"`
}

// waitSurvey polls GET .../latest until no survey runs.
func waitSurvey(t *testing.T, base string) latestSurvey {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, body := call(t, http.MethodGet, base+"/api/v1/survey/latest")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("latest: %d %s", resp.StatusCode, body)
		}
		var l latestSurvey
		if err := json.Unmarshal(body, &l); err != nil {
			t.Fatalf("latest: %v\n%s", err, body)
		}
		if l.Running == nil {
			return l
		}
		if time.Now().After(deadline) {
			t.Fatalf("the survey did not end: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func TestSurveyAPI(t *testing.T) {
	srv, _ := surveyFixture(t)
	base := srv.URL

	// Nothing surveyed yet.
	if l := waitSurvey(t, base); l.Report != nil {
		t.Errorf("report before any survey: %+v", l.Report)
	}
	resp, body := call(t, http.MethodGet, base+"/api/v1/survey/latest/report.csv")
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error":"no camera has been surveyed yet`) {
		t.Errorf("csv before any survey: %d %s", resp.StatusCode, body)
	}
	for _, q := range []string{"?camera=nope", "?facility=nope", "?facility=f1&camera=down"} {
		resp, body := call(t, http.MethodPost, base+"/api/v1/survey"+q)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"error":"no camera`) {
			t.Errorf("POST %s: %d %s", q, resp.StatusCode, body)
		}
	}

	resp, body = call(t, http.MethodPost, base+"/api/v1/survey")
	if resp.StatusCode != http.StatusAccepted || !strings.Contains(string(body), `"status":"running"`) {
		t.Fatalf("POST: %d %s", resp.StatusCode, body)
	}
	resp, body = call(t, http.MethodPost, base+"/api/v1/survey?camera=good")
	if resp.StatusCode != http.StatusConflict || !strings.Contains(string(body), "already running") {
		t.Errorf("second POST: %d %s", resp.StatusCode, body)
	}

	l := waitSurvey(t, base)
	if l.Report == nil || len(l.Report.Cameras) != 2 {
		t.Fatalf("report after the survey: %+v", l.Report)
	}
	tot := l.Report.Total
	if tot.Cameras != 2 || tot.Reachable != 1 || tot.Meeting != 1 || tot.Failing != 1 || tot.StoragePerDay <= 0 {
		t.Errorf("province summary %+v", tot)
	}
	if f := l.Report.Facilities; len(f) != 2 || f[0].Name != "Khu cách ly Trường Chính trị tỉnh" || f[1].Name != "f2" {
		t.Errorf("facilities %+v", f)
	}
	good, down := l.Report.Cameras[0], l.Report.Cameras[1]
	if good.CameraID != "good" || good.Main.Codec != "H264" || good.Main.Width != 640 || good.Main.FPS != 25 || !good.Meets {
		t.Errorf("good camera %+v", good)
	}
	if down.Main.Reason != "refused" || down.Meets || len(down.Failures) != 1 || down.Failures[0].Code != "refused" ||
		!strings.Contains(down.Main.URL, "viewer:***@") {
		t.Errorf("down camera %+v", down)
	}
	// Times in the configured zone.
	if !strings.HasSuffix(good.Main.At, "+07:00") {
		t.Errorf("time %q not in Asia/Ho_Chi_Minh", good.Main.At)
	}

	checkSurveyDownloads(t, base)

	// A facility named in the registry (edited in the UI) shows under that name.
	resp, body = callJSON(t, http.MethodPost, base+"/api/v1/facilities", `{"id": "f2", "name": "Bệnh viện dã chiến số 2"}`)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("creating a facility: %d %s", resp.StatusCode, body)
	}
	if l := waitSurvey(t, base); len(l.Report.Facilities) != 2 || l.Report.Facilities[1].Name != "Bệnh viện dã chiến số 2" {
		t.Errorf("facilities after the registry named f2: %+v", l.Report.Facilities)
	}

	// A survey of one facility updates its cameras only; the other keeps its last result.
	resp, body = call(t, http.MethodPost, base+"/api/v1/survey?facility=f2")
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("POST facility: %d %s", resp.StatusCode, body)
	}
	again := waitSurvey(t, base)
	if again.Report == nil || len(again.Report.Cameras) != 2 || again.Report.Cameras[0].Main.At != good.Main.At ||
		again.Report.Cameras[1].Main.At == down.Main.At {
		t.Errorf("after a facility survey: %+v (before: good %s, down %s)", again.Report, good.Main.At, down.Main.At)
	}
}

func checkSurveyDownloads(t *testing.T, base string) {
	t.Helper()
	resp, body := call(t, http.MethodGet, base+"/api/v1/survey/latest/report.csv")
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/csv; charset=utf-8" ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), `attachment; filename="khao-sat-camera_`) {
		t.Errorf("csv: %d %v", resp.StatusCode, resp.Header)
	}
	if !bytes.HasPrefix(body, []byte("\uFEFF")) || !strings.Contains(string(body), "Khu cách ly Trường Chính trị tỉnh") ||
		!strings.Contains(string(body), "Camera từ chối kết nối") {
		t.Errorf("csv body:\n%s", body)
	}
	resp, body = call(t, http.MethodGet, base+"/api/v1/survey/latest/report.xlsx")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("xlsx: %d %s", resp.StatusCode, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Camera")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || rows[1][1] != "Khu cách ly Trường Chính trị tỉnh" || rows[1][2] != "good" || rows[2][2] != "down" {
		t.Errorf("xlsx camera rows %q", rows)
	}
}

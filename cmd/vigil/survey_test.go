package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/xuri/excelize/v2"

	"vigil/simcam"
)

const surveyPass = "cam-secret-42"

// surveyConfig writes a config with a camera playing a 640x360 clip, one playing a 320x180 clip (at
// another facility), and one where nothing listens, all behind a password.
func surveyConfig(t *testing.T, dir, extra string) string {
	t.Helper()
	cams := &simcam.Server{User: "viewer", Pass: surveyPass}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cams.Close)
	if err := cams.AddClips(map[string][]byte{"gate": simcam.ClipH264AAC, "small": simcam.ClipH264Small}); err != nil {
		t.Fatal(err)
	}
	closed, err := simcam.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}
	text := fmt.Sprintf(`listen: 127.0.0.1:0
upstream: {listen: "127.0.0.1:0"}
storage:
  path: %s
cameras:
  - id: gate
    name: Cổng chính
    facility: ktx
    url: %s
  - id: small
    facility: bv
    url: %s
  - id: down
    facility: bv
    url: rtsp://viewer:%s@%s/x
    enabled: false
survey:
  duration: 2s
  minimum: {resolution: 360p, fps: 10}
%s`, filepath.Join(dir, "data"), cams.URL("gate"), cams.URL("small"), surveyPass, closed, extra)
	p := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// runVigil runs the binary and returns its exit code, stdout and stderr.
func runVigil(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	cmd := exec.Command(vigilBin, args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stdout.String()+stderr.String(), surveyPass) {
		t.Errorf("vigil %v printed the camera password", args)
	}
	return code, stdout.String(), stderr.String()
}

func TestSurveyCommand(t *testing.T) {
	dir := t.TempDir()
	cfg := surveyConfig(t, dir, "")
	xlsx := filepath.Join(dir, "report.xlsx")

	code, out, errOut := runVigil(t, "survey", "--config", cfg, "--out", xlsx)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, s := range []string{
		"Camera survey: 3 cameras",
		"Facility ktx", "gate", "H264 High 3.0", "640x360", "25 fr / 1 s", "AAC 48 kHz", "meets",
		"Facility bv", "small: resolution: resolution 320x180 is below the minimum 360p",
		"refused (disabled)", "down: refused: connection refused",
		"Province: 3 cameras, 2 reachable, 1 meets the minimum, 2 fail",
		"Report written to " + xlsx,
	} {
		if !strings.Contains(out, s) {
			t.Errorf("output lacks %q:\n%s", s, out)
		}
	}
	// No index yet: nothing is created, nothing recorded.
	if strings.Contains(out, "Recorded as survey run") {
		t.Errorf("recorded without an index:\n%s", out)
	}
	if _, err := os.Stat(filepath.Join(dir, "data")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the survey created the storage folder: %v", err)
	}
	f, err := excelize.OpenFile(xlsx)
	if err != nil {
		t.Fatal(err)
	}
	rows, err := f.GetRows("Camera")
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 4 || rows[0][3] != "Tên camera" || rows[1][3] != "Cổng chính" {
		t.Errorf("xlsx rows %q", rows)
	}

	// One facility, as CSV.
	csvPath := filepath.Join(dir, "bv.csv")
	code, out, errOut = runVigil(t, "survey", "--config", cfg, "--facility", "bv", "--duration", "1s", "--out", csvPath)
	if code != 0 || !strings.Contains(out, "Camera survey: 2 cameras") || strings.Contains(out, "Facility ktx") {
		t.Fatalf("facility survey: exit %d\n%s\n%s", code, out, errOut)
	}
	data, err := os.ReadFile(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, []byte("\uFEFF")) || !strings.Contains(string(data), "Độ phân giải 320x180 thấp hơn mức tối thiểu 360p") {
		t.Errorf("csv:\n%s", data)
	}
}

func TestSurveyCommandErrors(t *testing.T) {
	dir := t.TempDir()
	bad := surveyConfig(t, dir, "  parallel: 0\n")
	code, _, errOut := runVigil(t, "survey", "--config", bad)
	if code != 1 || !strings.Contains(errOut, "vigil.yaml:20: survey.parallel: must be between 1 and 64, got 0") {
		t.Errorf("bad config: exit %d\n%s", code, errOut)
	}
	good := surveyConfig(t, t.TempDir(), "")
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--camera", "nope"}, `no camera "nope" in the configuration`},
		{[]string{"--facility", "nope"}, `no camera at facility "nope"`},
		{[]string{"--duration", "0.5s"}, "--duration: must be between 1s and 5m, got 500ms"},
		{[]string{"--out", "report.pdf"}, "--out report.pdf: the report is written as .xlsx or .csv"},
	} {
		code, _, errOut := runVigil(t, append([]string{"survey", "--config", good}, tt.args...)...)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("%v: exit %d\n%s", tt.args, code, errOut)
		}
	}
}

// TestSurveyBesideServe runs a survey while vigil serves the same storage: the survey needs no lock,
// records its results in the running vigil's index, and the API shows them.
func TestSurveyBesideServe(t *testing.T) {
	dir := t.TempDir()
	cfg := surveyConfig(t, dir, "")
	p := startVigil(t, cfg)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	code, out, errOut := runVigil(t, "survey", "--config", cfg, "--camera", "gate")
	if code != 0 || !strings.Contains(out, "Recorded as survey run 1 in ") {
		t.Fatalf("survey beside serve: exit %d\n%s\n%s", code, out, errOut)
	}
	resp, err := authedGet(p.url + "api/v1/survey/latest")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var latest struct {
		Report struct {
			Cameras []struct {
				CameraID string `json:"camera_id"`
				Main     struct{ Width, Height int }
			}
			NotSurveyed []string `json:"not_surveyed"`
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&latest); err != nil {
		t.Fatal(err)
	}
	cams := latest.Report.Cameras
	if len(cams) != 1 || cams[0].CameraID != "gate" || cams[0].Main.Width != 640 ||
		strings.Join(latest.Report.NotSurveyed, ",") != "small,down" {
		t.Errorf("the API shows %+v", latest.Report)
	}
}

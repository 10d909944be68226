package main

import (
	"bytes"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/simcam"
)

// The passwords of this test: each must never appear in anything vigil prints or serves. They hold
// characters that URL encoding changes, so every form a careless message could quote is looked for.
const (
	cameraPass = "Cam#Pass/7?"
	wrongPass  = "Wr0ng&Guess"
	pushPass   = "Push:Secret@9"
	brokenPass = "Br0ken%zz"
	cameraUser = "viewer"
)

func passwordForms(passwords ...string) []string {
	var forms []string
	for _, p := range passwords {
		forms = append(forms, p, url.QueryEscape(p), url.PathEscape(p), (&url.URL{User: url.UserPassword("u", p)}).User.String())
	}
	return forms
}

// TestNoPasswordAnywhere runs vigil with cameras that play, refuse their password and cannot be reached,
// a substream and a push target with passwords, asks for every page and API answer an admin can read and
// a few that fail, and then greps all of it, with vigil's own output at debug level, for the passwords.
func TestNoPasswordAnywhere(t *testing.T) {
	dir := t.TempDir()
	cams := &simcam.Server{User: cameraUser, Pass: cameraPass}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	defer cams.Close()
	if err := cams.AddClips(map[string][]byte{"good": simcam.ClipH264, "good-sub": simcam.ClipH264Small}); err != nil {
		t.Fatal(err)
	}
	withPass := func(pass, path string) string {
		return (&url.URL{Scheme: "rtsp", User: url.UserPassword(cameraUser, pass), Host: cams.Addr(), Path: "/" + path}).String()
	}
	closed, err := simcam.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}
	cfgText := fmt.Sprintf(`listen: 127.0.0.1:0
upstream:
  listen: 127.0.0.1:0
  push:
    - url: %q
storage:
  path: %s
  segment_duration: 10s
facilities:
  - {id: f1, name: Khu A}
cameras:
  - {id: good, facility: f1, url: %q, substream_url: %q}
  - {id: wrong, facility: f1, url: %q}
  - {id: gone, facility: f1, url: %q}
`, "rtsp://central:"+url.PathEscape(pushPass)+"@"+closed+"/dongnai/{camera}", filepath.Join(dir, "data"),
		cams.URL("good"), cams.URL("good-sub"), withPass(wrongPass, "good"), "rtsp://u:"+url.PathEscape(cameraPass)+"@"+closed+"/x")
	cfgPath := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	var seen bytes.Buffer
	sink := &lockedWriter{w: &seen}

	// A URL that does not parse: check-config names the problem without quoting the password.
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte(fmt.Sprintf("storage: {path: %s}\ncameras:\n  - {id: x, facility: f1, url: \"rtsp://u:%s#x@10.0.0.1/a\"}\n", dir, brokenPass)), 0o600)
	out, _ := exec.Command(vigilBin, "check-config", broken).CombinedOutput()
	if !strings.Contains(string(out), "broken.yaml:3") {
		t.Errorf("check-config on a broken URL: %s", out)
	}
	sink.Write(out)

	p := startVigilArgs(t, cfgPath, sink, "--log-level", "debug")
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		states := map[string]string{}
		for _, c := range p.cameras(t) {
			states[c.ID] = c.State
		}
		if states["good"] == "online" && states["wrong"] == "offline" && states["gone"] == "offline" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cameras never settled: %v", states)
		}
	}
	time.Sleep(2 * time.Second) // a push attempt or two, and their errors
	now := time.Now()
	rng := "?start=" + url.QueryEscape(now.Add(-time.Minute).Format(time.RFC3339)) + "&end=" + url.QueryEscape(now.Format(time.RFC3339))
	for _, path := range []string{
		"", "camera/good", "dashboard", "facilities", "facilities/f1", "survey", "continuity", "users", "audit", "login",
		"api/v1/health", "api/v1/settings", "api/v1/auth/me", "api/v1/cameras", "api/v1/cameras/good", "api/v1/cameras/wrong",
		"api/v1/cameras/gone", "api/v1/cameras/good/links", "api/v1/cameras/good/timeline" + rng, "api/v1/cameras/wrong/timeline" + rng,
		"api/v1/cameras/gone/export.mp4" + rng, "api/v1/cameras/nope", "api/v1/province", "api/v1/facilities", "api/v1/facilities/f1",
		"api/v1/facilities/f1/contacts", "api/v1/contacts", "api/v1/contacts/export.csv", "api/v1/uptime", "api/v1/alerts",
		"api/v1/dashboard", "api/v1/survey/latest", "api/v1/users", "api/v1/tokens", "api/v1/audit", "api/v1/audit/export.csv",
		"api/v1/upstream/status", "live/good/index.m3u8", "live/good/index.m3u8?quality=sub", "live/wrong/index.m3u8",
		"live/gone/sub/index.m3u8", "metrics",
	} {
		resp, err := authedGet(p.url + path)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Fprintf(sink, "GET /%s %d %v\n%s\n", path, resp.StatusCode, resp.Header, body)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	p.cmd.Wait()

	time.Sleep(100 * time.Millisecond) // the stdout copier's last lines
	sink.mu.Lock()
	text := seen.String()
	sink.mu.Unlock()
	for _, form := range passwordForms(cameraPass, wrongPass, pushPass, brokenPass) {
		if i := strings.Index(text, form); i >= 0 {
			t.Errorf("password form %q found: …%s…", form, text[max(0, i-200):min(len(text), i+100)])
		}
	}
	for _, want := range []string{"auth", "refused", "/live/good/index.m3u8"} {
		if !strings.Contains(text, want) {
			t.Errorf("%q is in nothing vigil printed or served: the test did not see what it should have", want)
		}
	}
}

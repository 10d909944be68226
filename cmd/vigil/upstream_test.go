package main

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"vigil/simcam"
)

// centralToken makes an API token with the real command line, for the central system or a facility.
func centralToken(t *testing.T, configPath, name, role, facility string) string {
	t.Helper()
	out, err := exec.Command(vigilBin, "token", "add", "--config", configPath, "--role", role, "--facility", facility, name).CombinedOutput()
	if err != nil {
		t.Fatalf("vigil token add: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`token ` + regexp.QuoteMeta(name) + `: (vgl_\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("no token printed:\n%s", out)
	}
	return string(m[1])
}

// TestCentralSystem is the central system's view of a province: it reads a camera through the RTSP
// re-stream with its token (and nobody reads without one), and polls the status feed.
func TestCentralSystem(t *testing.T) {
	requireFFprobe(t)
	dir := t.TempDir()
	cams := &simcam.Server{}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	defer cams.Close()
	if err := cams.AddClips(map[string][]byte{"cam-a": simcam.ClipH264}); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, dir, cams, "cam-a")
	appendFile(t, cfg, "facilities:\n  - {id: f1, name: Khu A}\n  - {id: f2, name: Khu B}\n")
	central := centralToken(t, cfg, "central", "viewer", "*")
	other := centralToken(t, cfg, "other-facility", "viewer", "f2")
	p := startVigil(t, cfg)
	defer func() {
		p.cmd.Process.Signal(syscall.SIGTERM)
		p.cmd.Wait()
	}()
	if p.rtsp == "" {
		t.Fatal("vigil printed no RTSP re-stream address")
	}
	for deadline := time.Now().Add(20 * time.Second); p.cameras(t)[0].State != "online"; time.Sleep(100 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("cam-a never came online")
		}
	}

	// probe answers what ffprobe printed on stdout (the streams) and on stderr (why it failed).
	probe := func(userinfo string) (string, string, error) {
		var stdout, stderr strings.Builder
		cmd := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-show_entries", "stream=codec_name,width,height",
			"-of", "csv=p=0", "rtsp://"+userinfo+p.rtsp+"/cam-a")
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return strings.TrimSpace(stdout.String()), stderr.String(), err
	}
	if _, why, err := probe(""); err == nil || !strings.Contains(why, "401") {
		t.Errorf("a reader without credentials: %v %s, want 401", err, why)
	}
	if _, why, err := probe("central:" + other + "@"); err == nil || !strings.Contains(why, "403") {
		t.Errorf("a token of another facility: %v %s, want 403", err, why)
	}
	if out, why, err := probe("central:" + central + "@"); err != nil || out != "h264,640,360" {
		t.Errorf("the central system's token: %v %q %s, want h264,640,360", err, out, why)
	}
	// One view read, one live event in the audit log: the refused reader and a camera that does not exist
	// leave none.
	out, err := exec.Command("ffprobe", "-v", "error", "-rtsp_transport", "tcp", "rtsp://central:"+central+"@"+p.rtsp+"/nope").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "404") {
		t.Errorf("an unknown camera: %v %s, want 404", err, out)
	}
	resp, err := authedGet(p.url + "api/v1/audit?action=live")
	if err != nil {
		t.Fatal(err)
	}
	var audit struct {
		Events []struct{ Actor, ActorKind, Camera, Detail string }
	}
	json.NewDecoder(resp.Body).Decode(&audit)
	resp.Body.Close()
	if len(audit.Events) != 1 || audit.Events[0].Actor != "central" || audit.Events[0].Camera != "cam-a" {
		t.Errorf("live events in the audit log: %+v, want the central system's one view of cam-a", audit.Events)
	}

	status := func(token string) (int, upstreamFeed) {
		req, _ := http.NewRequest("GET", p.url+"api/v1/upstream/status", nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var feed upstreamFeed
		json.NewDecoder(resp.Body).Decode(&feed)
		return resp.StatusCode, feed
	}
	if code, _ := status(""); code != http.StatusUnauthorized {
		t.Errorf("status feed without a token: %d", code)
	}
	code, feed := status(central)
	if code != http.StatusOK || feed.Schema != "vigil.upstream.status/v1" || len(feed.Cameras) != 1 {
		t.Fatalf("status feed: %d %+v", code, feed)
	}
	c := feed.Cameras[0]
	if c.ID != "cam-a" || c.State != "online" || c.RTSPURL != "rtsp://"+p.rtsp+"/cam-a" || c.Uptime.Today == nil {
		t.Errorf("camera in the feed: %+v", c)
	}
	if _, feed := status(other); len(feed.Cameras) != 0 {
		t.Errorf("a token of another facility sees %d cameras", len(feed.Cameras))
	}
}

type upstreamFeed struct {
	Schema  string
	Cameras []struct {
		ID      string
		State   string
		RTSPURL string `json:"rtsp_url"`
		Uptime  struct{ Today *float64 }
	}
}

func appendFile(t *testing.T, path, text string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

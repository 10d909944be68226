package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"vigil/auth"
	"vigil/config"
	"vigil/recorder"
	"vigil/simcam"
	"vigil/store"
)

// TestLiveSubstreamOverHTTP plays the live grid's quality as a player does: index.m3u8?quality=sub
// redirects to sub/index.m3u8, whose relative URIs stay on the substream, and ffprobe reads 320x180 there
// while the single view (no quality) reads the recorded 640x360 main stream. A camera without a
// substream serves its main stream for the grid; a bad quality is a 400; an unreachable substream is a
// 503 that says why without the password.
func TestLiveSubstreamOverHTTP(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is required (apt-get install ffmpeg); .ci/run installs it")
	}
	cams := &simcam.Server{}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	defer cams.Close()
	if err := cams.AddClips(map[string][]byte{"cam": simcam.ClipH264, "cam-sub": simcam.ClipH264Small,
		"plain": simcam.ClipH264AAC}); err != nil {
		t.Fatal(err)
	}
	closed, err := simcam.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}
	cfg := &config.Config{
		Storage: config.Storage{Path: t.TempDir()},
		Cameras: []config.Camera{
			{ID: "cam", Facility: "f1", URL: cams.URL("cam"), SubstreamURL: cams.URL("cam-sub")},
			{ID: "plain", Facility: "f1", URL: cams.URL("plain")},
			{ID: "broken", Facility: "f1", URL: cams.URL("cam"), SubstreamURL: "rtsp://u:" + password + "@" + closed + "/s"},
		},
	}
	cfg.ApplyDefaults()
	cfg.Retention.MaxAge, cfg.Retention.Quota = 0, config.Quota{}
	st, err := store.Open(cfg.Storage.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	defer rec.Close()
	logs := &syncBuffer{}
	web := &Server{Config: cfg, Store: st, Recorder: rec,
		Log: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	srv := serveSignedIn(t, web)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		a, _ := rec.Camera("cam")
		b, _ := rec.Camera("plain")
		if a.State == store.StateOnline && b.State == store.StateOnline {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cameras not online: %s, %s", a.State, b.State)
		}
	}

	// The redirect, as a player sees it: relative, keeping any other parameter.
	noFollow := &http.Client{Transport: clientFor(mustURL(srv.URL)).Transport, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(srv.URL + "/live/cam/index.m3u8?quality=sub&token=abc")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound || resp.Header.Get("Location") != "sub/index.m3u8?token=abc" {
		t.Fatalf("index.m3u8?quality=sub: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	// Followed, it is the substream's playlist, whose URIs are relative and carry no quality.
	resp, err = getAuthed(srv.URL + "/live/cam/index.m3u8?quality=sub")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/live/cam/sub/index.m3u8" ||
		!strings.HasPrefix(string(body), "#EXTM3U") {
		t.Fatalf("followed: %d at %s\n%s", resp.StatusCode, resp.Request.URL, body)
	}
	for _, line := range strings.Split(string(body), "\n") {
		if line != "" && !strings.HasPrefix(line, "#") && strings.ContainsAny(line, "/?") {
			t.Errorf("playlist URI %q is not a plain relative name", line)
		}
	}

	for _, tc := range []struct {
		path   string
		w, h   int
		codecs string
	}{
		{"/live/cam/index.m3u8?quality=sub", 320, 180, "h264"},
		{"/live/cam/index.m3u8", 640, 360, "h264"},
		{"/live/cam/index.m3u8?quality=main", 640, 360, "h264"},
		{"/live/plain/index.m3u8?quality=sub", 640, 360, "aac,h264"}, // no substream: the main stream
	} {
		// ffprobe carries no token: it plays a signed link, which every playlist hands on to the files it names.
		w, h, codecs := probeLive(t, signedURL(t, srv.URL, tc.path))
		if w != tc.w || h != tc.h || codecs != tc.codecs {
			t.Errorf("%s: ffprobe reads %dx%d %s, want %dx%d %s", tc.path, w, h, codecs, tc.w, tc.h, tc.codecs)
		}
	}
	if s, _ := rec.Camera("cam"); s.Substream == nil || s.Substream.State != store.StateOnline {
		t.Errorf("substream status while watched: %+v", s.Substream)
	}
	// Each view is audited once, at its start, however many playlists the player reloads: the admin
	// watched cam's substream and main stream, and plain's main stream (its "sub" is the main stream).
	views := func(actor string) []string {
		events, err := st.AuditEvents(context.Background(), store.AuditFilter{Action: "live", Actor: actor})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range events {
			out = append(out, e.Camera+" "+e.Detail)
		}
		slices.Sort(out)
		return out
	}
	if got := strings.Join(views("test admin"), ", "); got != "cam quality main, cam quality sub, plain quality main" {
		t.Errorf("live views audited: %s", got)
	}
	// A player that skips the multivariant playlist is a view all the same.
	viewer := newToken(t, web, auth.Viewer, store.Grant{Facility: "f1"})
	req, _ := http.NewRequest("GET", srv.URL+"/live/cam/sub/video1_stream.m3u8", nil)
	req.Header.Set("Authorization", "Bearer "+viewer)
	if code, body := sendRaw(t, req); code != http.StatusOK {
		t.Fatalf("a stream playlist straight away: %d %s", code, body)
	}
	if got := strings.Join(views("test viewer"), ", "); got != "cam quality sub" {
		t.Errorf("the viewer's views audited: %q", got)
	}
	resp, err = noFollow.Get(srv.URL + "/live/plain/index.m3u8?quality=sub")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("a camera without a substream redirects: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	for _, tc := range []struct {
		path string
		code int
		want string
	}{
		{"/live/cam/index.m3u8?quality=hd", 400, `quality must be "main" or "sub", not "hd"`},
		{"/live/cam/sub/index.m3u8?quality=4k", 400, "quality must be"},
		{"/live/nope/index.m3u8?quality=sub", 404, `camera "nope" not found`},
		{"/live/cam/other/index.m3u8", 404, "no such live file"},
		{"/live/cam/sub/", 404, "no such live file"},
		{"/live/broken/index.m3u8?quality=sub", 503, "substream unavailable"},
		{"/live/broken/sub/index.m3u8", 503, "substream unavailable"},
	} {
		resp, err := getAuthed(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		var e errorBody
		json.NewDecoder(resp.Body).Decode(&e)
		resp.Body.Close()
		if resp.StatusCode != tc.code || !strings.Contains(e.Error, tc.want) || strings.Contains(e.Error, password) {
			t.Errorf("%s: %d %q, want %d with %q", tc.path, resp.StatusCode, e.Error, tc.code, tc.want)
		}
	}
	if s, _ := rec.Camera("broken"); s.State != store.StateOnline || s.LastError != "" {
		t.Errorf("the broken substream disturbed its camera: %+v", s)
	}
	if strings.Contains(logs.String(), password) {
		t.Error("logs show the substream's password")
	}
}

// probeLive has ffprobe play a live playlist and returns the video size and the codecs it found, sorted.
func probeLive(t *testing.T, u string) (w, h int, codecs string) {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height",
		"-of", "json", u).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", u, err)
	}
	var p struct {
		Streams []struct {
			CodecName string `json:"codec_name"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
		}
	}
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range p.Streams {
		names = append(names, s.CodecName)
		if s.Width > 0 {
			w, h = s.Width, s.Height
		}
	}
	slices.Sort(names)
	return w, h, strings.Join(names, ",")
}

// signedURL is path (a live URL of one camera) with the signed link /api/v1/cameras/{id}/links gives.
func signedURL(t *testing.T, base, path string) string {
	t.Helper()
	u := mustURL(base + path)
	camera := strings.Split(strings.TrimPrefix(u.Path, "/live/"), "/")[0]
	resp, err := getAuthed(base + "/api/v1/cameras/" + camera + "/links")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var links struct{ Live string }
	if err := json.NewDecoder(resp.Body).Decode(&links); err != nil || links.Live == "" {
		t.Fatalf("links of %s: %d, %v", camera, resp.StatusCode, err)
	}
	q := u.Query()
	q.Set(linkParam, mustURL(links.Live).Query().Get(linkParam))
	u.RawQuery = q.Encode()
	return u.String()
}

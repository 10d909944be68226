package web

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/config"
	"vigil/recorder"
	"vigil/store"
)

const password = "topsecret"

// fixture is a running recorder whose cameras point at a closed loopback port, with a real store and
// the API served over real HTTP.
type fixture struct {
	cfg  *config.Config
	st   *store.Store
	rec  *recorder.Recorder
	srv  *Server
	http *httptest.Server
	logs *syncBuffer
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	cfg := &config.Config{
		Storage: config.Storage{Path: t.TempDir()},
		Cameras: []config.Camera{
			{ID: "cam-1", Facility: "f1", URL: "rtsp://user:" + password + "@127.0.0.1:1/x"},
			{ID: "cam-2", Facility: "f1", URL: "rtsp://user:" + password + "@127.0.0.1:1/y"},
		},
	}
	cfg.ApplyDefaults()
	cfg.Cameras[1].Enabled = false
	// Retention must not touch the rows the tests insert without files.
	cfg.Retention.MaxAge, cfg.Retention.Quota = 0, config.Quota{}

	st, err := store.Open(cfg.Storage.Database)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })

	f := &fixture{cfg: cfg, st: st, rec: rec, logs: &syncBuffer{}}
	f.srv = &Server{Config: cfg, Store: st, Recorder: rec, Version: "test-1.2.3",
		Log: slog.New(slog.NewTextHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	f.http = serveSignedIn(t, f.srv)
	return f
}

// syncBuffer is a log sink the test can read while the server writes to it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (f *fixture) do(t *testing.T, method, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, f.http.URL+path, nil)
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
	return resp.StatusCode, string(body)
}

func (f *fixture) get(t *testing.T, path string) (int, string) {
	t.Helper()
	return f.do(t, http.MethodGet, path)
}

func decode(t *testing.T, body string, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(body), v); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, body)
	}
}

// waitOffline polls until the recorder has given up on cam-1, which takes one refused connection.
func (f *fixture) waitOffline(t *testing.T) {
	t.Helper()
	waitState(t, f, "cam-1", store.StateOffline)
}

func TestHealth(t *testing.T) {
	f := newFixture(t)
	f.waitOffline(t)
	code, body := f.get(t, "/api/v1/health")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var h struct {
		Status        string         `json:"status"`
		Version       string         `json:"version"`
		UptimeSeconds *int64         `json:"uptime_seconds"`
		Cameras       map[string]int `json:"cameras"`
		Database      string         `json:"database"`
	}
	decode(t, body, &h)
	if h.Status != "degraded" || h.Version != "test-1.2.3" || h.Database != "ok" || h.UptimeSeconds == nil {
		t.Errorf("health = %s", body)
	}
	want := map[string]int{"total": 2, "online": 0, "offline": 1, "connecting": 0, "disabled": 1}
	for k, v := range want {
		if h.Cameras[k] != v {
			t.Errorf("cameras.%s = %d, want %d (%s)", k, h.Cameras[k], v, body)
		}
	}
}

func TestHealthOKWithoutOfflineCameras(t *testing.T) {
	counts, degraded := countCameras([]recorder.CameraStatus{
		{State: store.StateOnline, Enabled: true},
		{State: store.StateConnecting, Enabled: true},
		{State: recorder.StateDisabled},
	})
	if degraded {
		t.Error("degraded without an offline camera")
	}
	if want := (cameraCounts{Total: 3, Online: 1, Connecting: 1, Disabled: 1}); counts != want {
		t.Errorf("counts = %+v, want %+v", counts, want)
	}
}

func TestHealthDatabaseDown(t *testing.T) {
	f := newFixture(t)
	closed, err := store.Open(filepath.Join(t.TempDir(), "closed.db"))
	if err != nil {
		t.Fatal(err)
	}
	closed.Close()
	s := *f.srv
	s.Store = closed
	srv := httptest.NewServer(s.Handler())
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var h healthAnswer
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusServiceUnavailable || h.Status != "down" || h.Database != "error" {
		t.Errorf("got %d %+v, want 503 down/error", resp.StatusCode, h)
	}
}

var apiTimePattern = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+07:00$`)

func TestCameras(t *testing.T) {
	f := newFixture(t)
	f.waitOffline(t)
	code, body := f.get(t, "/api/v1/cameras")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var list struct {
		Cameras []map[string]any `json:"cameras"`
	}
	decode(t, body, &list)
	if len(list.Cameras) != 2 {
		t.Fatalf("want 2 cameras: %s", body)
	}
	c1, c2 := list.Cameras[0], list.Cameras[1]
	if c1["id"] != "cam-1" || c1["state"] != "offline" || c1["enabled"] != true || c1["facility"] != "f1" {
		t.Errorf("cam-1 = %v", c1)
	}
	if c1["url"] != "rtsp://user:***@127.0.0.1:1/x" {
		t.Errorf("cam-1 url = %v", c1["url"])
	}
	if c2["id"] != "cam-2" || c2["state"] != "disabled" || c2["enabled"] != false {
		t.Errorf("cam-2 = %v", c2)
	}
	for _, c := range list.Cameras {
		if s, _ := c["since"].(string); !apiTimePattern.MatchString(s) {
			t.Errorf("%v: since = %q, want RFC 3339 with milliseconds in +07:00", c["id"], c["since"])
		}
	}
	if next, ok := c1["next_attempt"].(string); ok && !apiTimePattern.MatchString(next) {
		t.Errorf("next_attempt = %q, want RFC 3339 with milliseconds in +07:00", next)
	}

	code, body = f.get(t, "/api/v1/cameras/cam-1")
	var one map[string]any
	decode(t, body, &one)
	if code != http.StatusOK || one["id"] != "cam-1" || one["url"] != c1["url"] {
		t.Errorf("GET cam-1: %d %s", code, body)
	}

	code, body = f.get(t, "/api/v1/cameras/nope")
	if code != http.StatusNotFound || body != `{"error":"camera \"nope\" not found"}`+"\n" {
		t.Errorf("unknown camera: %d %s", code, body)
	}
}

// TestPasswordNeverInAnswers asks every endpoint, after the camera has failed (so its last error is
// filled in), and checks that no answer and no log line carries the camera password.
func TestPasswordNeverInAnswers(t *testing.T) {
	f := newFixture(t)
	f.waitOffline(t)
	for _, path := range []string{
		"/api/v1/health",
		"/api/v1/cameras",
		"/api/v1/cameras/cam-1",
		"/api/v1/cameras/cam-2",
		"/api/v1/cameras/cam-1/recordings?start=2026-11-27T08:00:00Z&end=2026-11-27T09:00:00Z",
		"/api/v1/cameras/cam-1/recordings",
		"/metrics",
		"/",
		"/nope",
	} {
		_, body := f.get(t, path)
		if strings.Contains(body, password) {
			t.Errorf("%s shows the password:\n%s", path, body)
		}
	}
	if strings.Contains(f.logs.String(), password) {
		t.Errorf("log shows the password:\n%s", f.logs)
	}
}

// insert indexes segments directly, as the recorder would.
func (f *fixture) insert(t *testing.T, segs ...*store.Segment) {
	t.Helper()
	for _, s := range segs {
		s.Path = filepath.Join(s.CameraID, time.Unix(0, s.Start).UTC().Format("2006-01-02T15-04-05.000000000")+".mp4")
		s.VideoCodec, s.Width, s.Height = "H264", 1920, 1080
	}
	if err := f.st.Apply(context.Background(), &store.Batch{Segments: segs}); err != nil {
		t.Fatal(err)
	}
}

func segment(camera string, start, end time.Time) *store.Segment {
	return &store.Segment{CameraID: camera, RunID: "r1", Start: start.UnixNano(), End: end.UnixNano()}
}

func TestRecordings(t *testing.T) {
	f := newFixture(t)
	at := func(hms string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04:05.000", "2026-11-27 "+hms, f.cfg.Location)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	writing := segment("cam-1", at("08:25:00.000"), at("08:30:00.500"))
	writing.Writing = true
	f.insert(t,
		segment("cam-1", at("07:55:00.000"), at("08:10:00.000")),
		// A few milliseconds of rotation jitter: still one span.
		segment("cam-1", at("08:10:00.004"), at("08:20:00.000")),
		writing,
		// Another camera's footage must not fill cam-1's gaps.
		segment("cam-2", at("08:00:00.000"), at("09:00:00.000")),
	)

	want := `{"camera":"cam-1","start":"2026-11-27T08:05:00.000+07:00","end":"2026-11-27T08:40:00.000+07:00",` +
		`"spans":[{"start":"2026-11-27T08:05:00.000+07:00","end":"2026-11-27T08:20:00.000+07:00"},` +
		`{"start":"2026-11-27T08:25:00.000+07:00","end":"2026-11-27T08:30:00.500+07:00"}],` +
		`"gaps":[{"start":"2026-11-27T08:20:00.000+07:00","end":"2026-11-27T08:25:00.000+07:00"},` +
		`{"start":"2026-11-27T08:30:00.500+07:00","end":"2026-11-27T08:40:00.000+07:00"}]}` + "\n"
	for name, query := range map[string]string{
		"local offset":   "start=" + url.QueryEscape("2026-11-27T08:05:00+07:00") + "&end=" + url.QueryEscape("2026-11-27T08:40:00+07:00"),
		"UTC":            "start=2026-11-27T01:05:00Z&end=2026-11-27T01:40:00.000Z",
		"other offset":   "start=" + url.QueryEscape("2026-11-27T10:05:00+09:00") + "&end=2026-11-27T01:40:00Z",
		"unencoded plus": "start=2026-11-27T08:05:00+07:00&end=2026-11-27T08:40:00+07:00",
	} {
		code, body := f.get(t, "/api/v1/cameras/cam-1/recordings?"+query)
		if code != http.StatusOK || body != want {
			t.Errorf("%s: %d\n got %s\nwant %s", name, code, body, want)
		}
	}

	code, body := f.get(t, "/api/v1/cameras/cam-1/recordings?start=2026-11-28T00:00:00Z&end=2026-11-28T01:00:00Z")
	wantEmpty := `{"camera":"cam-1","start":"2026-11-28T07:00:00.000+07:00","end":"2026-11-28T08:00:00.000+07:00",` +
		`"spans":[],"gaps":[{"start":"2026-11-28T07:00:00.000+07:00","end":"2026-11-28T08:00:00.000+07:00"}]}` + "\n"
	if code != http.StatusOK || body != wantEmpty {
		t.Errorf("nothing recorded: %d\n got %s\nwant %s", code, body, wantEmpty)
	}
}

func TestRecordingsBadRequests(t *testing.T) {
	f := newFixture(t)
	const path = "/api/v1/cameras/cam-1/recordings"
	tests := []struct {
		query, want string
	}{
		{"", "start is required (RFC 3339, e.g. 2026-11-27T08:00:00+07:00)"},
		{"end=2026-11-27T09:00:00Z", "start is required (RFC 3339, e.g. 2026-11-27T08:00:00+07:00)"},
		{"start=2026-11-27T08:00:00Z", "end is required (RFC 3339, e.g. 2026-11-27T08:00:00+07:00)"},
		{"start=yesterday&end=2026-11-27T09:00:00Z", `start is not an RFC 3339 time: "yesterday" (e.g. 2026-11-27T08:00:00+07:00)`},
		{"start=2026-11-27T08:00:00Z&end=2026-11-27", `end is not an RFC 3339 time: "2026-11-27" (e.g. 2026-11-27T08:00:00+07:00)`},
		{"start=2026-11-27T08:00:00Z&end=2026-11-27T08:00:00Z", "end must be after start"},
		{"start=2026-11-27T08:00:00Z&end=2026-11-27T07:00:00Z", "end must be after start"},
		{"start=2026-11-01T00:00:00Z&end=2026-12-02T00:00:01Z", "end is more than 31 days after start; ask for a shorter range"},
	}
	for _, tt := range tests {
		code, body := f.get(t, path+"?"+tt.query)
		var e errorBody
		decode(t, body, &e)
		if code != http.StatusBadRequest || e.Error != tt.want {
			t.Errorf("?%s: %d %q, want 400 %q", tt.query, code, e.Error, tt.want)
		}
	}
	// Exactly 31 days is allowed.
	if code, body := f.get(t, path+"?start=2026-11-01T00:00:00Z&end=2026-12-02T00:00:00Z"); code != http.StatusOK {
		t.Errorf("31 days: %d %s", code, body)
	}
	code, body := f.get(t, "/api/v1/cameras/nope/recordings?start=2026-11-27T08:00:00Z&end=2026-11-27T09:00:00Z")
	if code != http.StatusNotFound || body != `{"error":"camera \"nope\" not found"}`+"\n" {
		t.Errorf("unknown camera: %d %s", code, body)
	}
}

// TestErrorsAreJSON checks that every kind of client error, including the router's own, answers with a
// JSON object carrying "error".
func TestErrorsAreJSON(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		method, path string
		code         int
		want         string
	}{
		{"GET", "/nope", 404, "no such endpoint: /nope"},
		{"GET", "/api/v1/cameras/cam-1/nope", 404, "no such endpoint: /api/v1/cameras/cam-1/nope"},
		{"GET", "/api/v1/cameras/nope", 404, `camera "nope" not found`},
		{"POST", "/api/v1/health", 405, "method POST not allowed on /api/v1/health"},
		{"DELETE", "/api/v1/cameras/cam-1", 405, "method DELETE not allowed on /api/v1/cameras/cam-1"},
		{"GET", "/api/v1/cameras/cam-1/recordings", 400, "start is required (RFC 3339, e.g. 2026-11-27T08:00:00+07:00)"},
	}
	for _, tt := range tests {
		code, body := f.do(t, tt.method, tt.path)
		var e map[string]any
		decode(t, body, &e)
		if code != tt.code || e["error"] != tt.want || len(e) != 1 {
			t.Errorf("%s %s: %d %s, want %d {\"error\":%q}", tt.method, tt.path, code, body, tt.code, tt.want)
		}
	}
}

func TestPanicIsRecovered(t *testing.T) {
	f := newFixture(t)
	e := f.srv.newEcho()
	e.GET("/boom", func(echo.Context) error { panic("kaboom") })
	srv := httptest.NewServer(e)
	defer srv.Close()
	resp, err := http.Get(srv.URL + "/boom")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusInternalServerError || string(body) != `{"error":"internal server error"}`+"\n" {
		t.Errorf("got %d %s", resp.StatusCode, body)
	}
	logs := f.logs.String()
	if !strings.Contains(logs, "panic serving request") || !strings.Contains(logs, "kaboom") {
		t.Errorf("panic not logged:\n%s", logs)
	}
	if !strings.Contains(logs, "path=/boom status=500") {
		t.Errorf("request line missing:\n%s", logs)
	}
	// The server keeps serving.
	if code, _ := f.get(t, "/api/v1/health"); code != http.StatusOK {
		t.Errorf("health after panic: %d", code)
	}
}

func TestRequestLogOmitsQueryString(t *testing.T) {
	f := newFixture(t)
	f.get(t, "/api/v1/cameras/cam-1/recordings?start=2025-03-04T05:06:07Z&end=2025-03-04T06:06:07Z&token=abc")
	f.get(t, "/api/v1/cameras/cam-1/recordings?start=bad")
	logs := f.logs.String()
	var lines []string
	for _, l := range strings.Split(logs, "\n") {
		if strings.Contains(l, "msg=request ") {
			lines = append(lines, l)
		}
	}
	if len(lines) != 2 {
		t.Fatalf("want 2 request lines:\n%s", logs)
	}
	for i, status := range []string{"200", "400"} {
		l := lines[i]
		if !strings.Contains(l, "level=DEBUG") || !strings.Contains(l, "method=GET") ||
			!strings.Contains(l, "path=/api/v1/cameras/cam-1/recordings status="+status) || !strings.Contains(l, "duration=") {
			t.Errorf("request line %q", l)
		}
	}
	for _, secret := range []string{"?", "start=", "token", "abc", "05:06:07", "06:06:07"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log contains %q:\n%s", secret, logs)
		}
	}
}

func TestMetrics(t *testing.T) {
	f := newFixture(t)
	const want = `vigil_camera_state{camera="cam-1",state="offline"} 1`
	deadline := time.Now().Add(15 * time.Second)
	for {
		code, body := f.get(t, "/metrics")
		if code != http.StatusOK {
			t.Fatalf("status %d: %s", code, body)
		}
		if strings.Contains(body, want) {
			for _, also := range []string{
				`vigil_camera_state{camera="cam-2",state="disabled"} 1`,
				"go_goroutines ",
				"process_start_time_seconds ",
			} {
				if !strings.Contains(body, also) {
					t.Errorf("metrics lack %q", also)
				}
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics never showed %q:\n%s", want, body)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestListenAndServe(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	addrs := make(chan net.Addr, 1)
	done := make(chan error, 1)
	go func() {
		done <- f.srv.ListenAndServe(ctx, "127.0.0.1:0", func(a net.Addr) { addrs <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrs:
	case err := <-done:
		t.Fatalf("ListenAndServe returned early: %v", err)
	}
	resp, err := http.Get("http://" + addr.String() + "/api/v1/health")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("health: %d", resp.StatusCode)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("ListenAndServe: %v", err)
		}
	case <-time.After(2 * shutdownGrace):
		t.Fatal("ListenAndServe did not return after cancel")
	}
	if _, err := http.Get("http://" + addr.String() + "/api/v1/health"); err == nil {
		t.Error("still serving after shutdown")
	}
}

func TestListenAndServeBadAddress(t *testing.T) {
	f := newFixture(t)
	err := f.srv.ListenAndServe(context.Background(), "127.0.0.1:bad", func(net.Addr) { t.Error("ready called") })
	if err == nil {
		t.Fatal("no error for a bad address")
	}
}

func TestUIPagesAndAssets(t *testing.T) {
	f := newFixture(t)
	for _, p := range []string{"/", "/camera/cam-1", "/dashboard", "/facilities", "/facilities/ktx-a", "/survey", "/continuity"} {
		code, body := f.get(t, p)
		if code != 200 || !strings.Contains(body, `src="/ui/app.js"`) {
			t.Errorf("GET %s: %d\n%s", p, code, body)
		}
	}
	resp, err := http.Get(f.http.URL + "/ui/app.js")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if resp.StatusCode != 200 || etag == "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("app.js: %d, ETag %q, Content-Type %q", resp.StatusCode, etag, resp.Header.Get("Content-Type"))
	}
	req, _ := http.NewRequest("GET", f.http.URL+"/ui/app.js", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = clientFor(req.URL).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with the same ETag: %d, want 304", resp.StatusCode)
	}
	if code, body := f.get(t, "/ui/nothing.js"); code != 404 || !strings.Contains(body, `"error"`) {
		t.Errorf("missing UI file: %d %s", code, body)
	}
}

func TestSettingsNameTheZone(t *testing.T) {
	f := newFixture(t)
	code, body := f.get(t, "/api/v1/settings")
	if code != 200 || !strings.Contains(body, `"time_zone":"Asia/Ho_Chi_Minh"`) {
		t.Fatalf("settings %d: %s", code, body)
	}
}

func TestCrossSiteWritesAreRefused(t *testing.T) {
	f := newFixture(t)
	post := func(headers map[string]string) (int, string) {
		req, err := http.NewRequest(http.MethodPost, f.http.URL+"/api/v1/facilities", strings.NewReader(`{"id":"ks-1","name":"Khách sạn 1"}`))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range headers {
			req.Header.Set(k, v)
		}
		resp, err := clientFor(req.URL).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(body)
	}
	for _, h := range []map[string]string{
		{"Origin": "http://evil.example"},
		{"Sec-Fetch-Site": "cross-site"},
		{"Sec-Fetch-Site": "same-site", "Origin": "http://other.local"},
	} {
		if code, body := post(h); code != http.StatusForbidden || !strings.Contains(body, `"error":"refused`) {
			t.Errorf("%v: %d %s, want 403", h, code, body)
		}
	}
	if fa, err := f.st.Facility(context.Background(), "ks-1"); err == nil || fa.ID != "" {
		t.Errorf("a refused request created the facility: %+v", fa)
	}
	host := strings.TrimPrefix(f.http.URL, "http://")
	if code, body := post(map[string]string{"Origin": "http://" + host, "Sec-Fetch-Site": "same-origin"}); code != http.StatusCreated {
		t.Errorf("same origin: %d %s, want 201", code, body)
	}
	if code, body := post(nil); code != http.StatusConflict && code != http.StatusCreated {
		t.Errorf("no browser headers (curl): %d %s", code, body)
	}
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"vigil/segfile"
	"vigil/simcam"
	"vigil/store"
)

var vigilBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "vigil-bin")
	if err != nil {
		panic(err)
	}
	vigilBin = filepath.Join(dir, "vigil")
	if out, err := exec.Command("go", "build", "-o", vigilBin, ".").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build vigil: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// process is the real vigil binary running `serve`.
type process struct {
	cmd *exec.Cmd
	url string
	// token is an admin API token made with `vigil token add` before the start; get and clientFor use it.
	token string
	// rtsp is the re-stream's host:port, as vigil printed it ("" when off).
	rtsp string
}

var rtspLine = regexp.MustCompile(`RTSP re-stream for the central system at rtsp://(\S+)/\{camera\}`)

// adminTokens maps a running vigil's host:port to its admin token.
var adminTokens sync.Map

// adminToken makes an admin API token with the real command line, as an installer would.
func adminToken(t *testing.T, configPath string) string {
	t.Helper()
	out, err := exec.Command(vigilBin, "token", "add", "--config", configPath, "--role", "admin", "test-suite").CombinedOutput()
	if err != nil {
		t.Fatalf("vigil token add: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`token test-suite: (vgl_\S+)`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("vigil token add printed no token:\n%s", out)
	}
	return string(m[1])
}

// clientFor is a client that signs requests to a vigil the tests started in with its admin token.
func clientFor(u *url.URL) *http.Client {
	token, ok := adminTokens.Load(u.Host)
	if !ok {
		return http.DefaultClient
	}
	return &http.Client{Transport: bearer{token.(string)}}
}

type bearer struct{ token string }

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+b.token)
	return http.DefaultTransport.RoundTrip(r)
}

// authedGet is http.Get signed in as an admin.
func authedGet(raw string) (*http.Response, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return clientFor(u).Get(raw)
}

// ffprobeAuth are ffprobe's options that send the admin token with every HTTP request, the HLS demuxer's
// playlist reloads and segment reads included.
func (p *process) ffprobeAuth() []string {
	return []string{"-headers", "Authorization: Bearer " + p.token + "\r\n"}
}

func startVigil(t *testing.T, configPath string) *process {
	t.Helper()
	return startVigilArgs(t, configPath, io.Discard)
}

// lockedWriter lets the process's stdout and stderr copiers share one sink.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// startVigilArgs starts `vigil serve` with extra flags, copying everything it prints into sink.
func startVigilArgs(t *testing.T, configPath string, sink io.Writer, extra ...string) *process {
	t.Helper()
	token := adminToken(t, configPath)
	cmd := exec.Command(vigilBin, append([]string{"serve", "--config", configPath}, extra...)...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	shared := &lockedWriter{w: sink}
	cmd.Stderr = io.MultiWriter(&stderr, shared)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	exited := make(chan struct{})
	var rtsp string
	go func() {
		defer close(exited)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			fmt.Fprintln(shared, sc.Text())
			if m := rtspLine.FindStringSubmatch(sc.Text()); m != nil {
				rtsp = m[1] // written before the web server's line, read after it arrives
			}
			if i := strings.Index(sc.Text(), "web server at "); i >= 0 {
				ready <- strings.TrimSpace(sc.Text()[i+len("web server at "):])
			}
		}
	}()
	select {
	case raw := <-ready:
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatal(err)
		}
		adminTokens.Store(u.Host, token)
		return &process{cmd: cmd, url: raw, token: token, rtsp: rtsp}
	case <-exited:
		cmd.Wait()
		t.Fatalf("vigil exited at start:\n%s", stderr.String())
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("vigil did not start:\n%s", stderr.String())
	}
	return nil
}

type apiCamera struct {
	ID        string `json:"id"`
	State     string `json:"state"`
	Fragments uint64 `json:"fragments"`
}

func (p *process) cameras(t *testing.T) []apiCamera {
	t.Helper()
	resp, err := authedGet(p.url + "api/v1/cameras")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body struct{ Cameras []apiCamera }
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	return body.Cameras
}

// diskFragments scans every segment file under root: complete fragments per file, as on disk now.
func diskFragments(t *testing.T, root string) map[string][]store.Fragment {
	t.Helper()
	out := map[string][]store.Fragment{}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || filepath.Ext(p) != ".mp4" {
			return nil
		}
		f, err := segfile.ScanFile(p)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		rel, _ := filepath.Rel(root, p)
		out[rel] = f.Fragments
		return nil
	})
	return out
}

func writeConfig(t *testing.T, dir string, cams *simcam.Server, ids ...string) string {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "listen: 127.0.0.1:0\nupstream: {listen: \"127.0.0.1:0\"}\nstorage:\n  path: %s\n  segment_duration: 10s\ncameras:\n", filepath.Join(dir, "data"))
	for _, id := range ids {
		fmt.Fprintf(&b, "  - id: %s\n    facility: f1\n    url: %s\n", id, cams.URL(id))
	}
	p := filepath.Join(dir, "vigil.yaml")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCrashLosesAtMostTheLastFragment kills the real binary with SIGKILL in the middle of fragments,
// restarts it, and checks that every fragment that was complete on disk is still indexed, that the index
// and the files agree exactly, and that `vigil reindex` rebuilds the same index from the files alone.
func TestCrashLosesAtMostTheLastFragment(t *testing.T) {
	cams := &simcam.Server{}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	defer cams.Close()
	ids := []string{"cam-a", "cam-b", "cam-c"}
	for i, id := range ids {
		clip, _ := simcam.LoadClip([][]byte{simcam.ClipH264AAC, simcam.ClipH264, simcam.ClipH265}[i])
		cams.AddCamera(id, clip)
	}
	dir := t.TempDir()
	cfgPath := writeConfig(t, dir, cams, ids...)
	root := filepath.Join(dir, "data")

	p := startVigil(t, cfgPath)
	deadline := time.Now().Add(30 * time.Second)
	for {
		ok := true
		for _, c := range p.cameras(t) {
			ok = ok && c.Fragments >= 4
		}
		if ok {
			break
		}
		if time.Now().After(deadline) {
			p.cmd.Process.Kill()
			t.Fatal("cameras did not record 4 fragments in 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(450 * time.Millisecond) // land inside a fragment, not on its boundary
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()

	atKill := diskFragments(t, root)
	st, err := store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	// The index trailed the files by at most about a second.
	for _, id := range ids {
		segs, _ := st.SegmentsOverlapping(context.Background(), id, 0, 1<<62, false)
		var diskEnd, indexEnd int64
		for path, frags := range atKill {
			if strings.HasPrefix(path, id+"/") && len(frags) > 0 {
				diskEnd = max(diskEnd, frags[len(frags)-1].End())
			}
		}
		for _, s := range segs {
			indexEnd = max(indexEnd, s.End)
		}
		if lag := time.Duration(diskEnd - indexEnd); lag > 2500*time.Millisecond {
			t.Errorf("%s: index was %v behind the files at the crash", id, lag)
		}
	}
	st.Close()

	p = startVigil(t, cfgPath)
	// While it runs, the storage is locked: a reindex (or a second vigil) is refused.
	if out, err := exec.Command(vigilBin, "reindex", "--config", cfgPath).CombinedOutput(); err == nil ||
		!strings.Contains(string(out), "is in use by another vigil (pid") {
		t.Errorf("reindex beside a running vigil: %v\n%s", err, out)
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	if err := p.cmd.Wait(); err != nil {
		t.Fatalf("graceful stop: %v", err)
	}

	st, err = store.Open(filepath.Join(root, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	indexed := indexedSegments(t, st, ids)
	onDisk := diskFragments(t, root)
	assertIndexMatchesDisk(t, root, indexed, onDisk)
	for path, frags := range atKill {
		row, ok := indexed[path]
		if len(frags) == 0 {
			continue // a file with only its init may rightly be gone
		}
		if !ok {
			t.Errorf("%s: %d complete fragments at the crash, no row after recovery", path, len(frags))
			continue
		}
		if len(row.Fragments) < len(frags) {
			t.Errorf("%s: %d complete fragments at the crash, %d after recovery", path, len(frags), len(row.Fragments))
		}
	}

	// reindex from the files alone gives the same rows.
	out, err := exec.Command(vigilBin, "reindex", "--config", cfgPath).CombinedOutput()
	if err != nil {
		t.Fatalf("reindex: %v\n%s", err, out)
	}
	reindexed := indexedSegments(t, st, ids)
	if len(reindexed) != len(indexed) {
		t.Fatalf("reindex: %d segments, before %d", len(reindexed), len(indexed))
	}
	for path, a := range indexed {
		b := reindexed[path]
		if b == nil || a.Start != b.Start || a.End != b.End || a.Bytes != b.Bytes || a.RunID != b.RunID ||
			a.VideoCodec != b.VideoCodec || a.AudioCodec != b.AudioCodec || a.Width != b.Width ||
			fmt.Sprint(a.Fragments) != fmt.Sprint(b.Fragments) {
			t.Errorf("reindex changed %s:\n before %+v\n after  %+v", path, a, b)
		}
	}
}

func indexedSegments(t *testing.T, st *store.Store, ids []string) map[string]*store.Segment {
	t.Helper()
	out := map[string]*store.Segment{}
	for _, id := range ids {
		segs, err := st.SegmentsOverlapping(context.Background(), id, 0, 1<<62, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range segs {
			out[s.Path] = s
		}
	}
	return out
}

// assertIndexMatchesDisk: no row without its file, no file without its row, and every row's fragment
// map and size are exactly what the file holds.
func assertIndexMatchesDisk(t *testing.T, root string, indexed map[string]*store.Segment, onDisk map[string][]store.Fragment) {
	t.Helper()
	for path := range onDisk {
		if indexed[path] == nil {
			t.Errorf("file %s has no row", path)
		}
	}
	for path, row := range indexed {
		frags, ok := onDisk[path]
		if !ok {
			t.Errorf("row %s has no file", path)
			continue
		}
		if row.Writing {
			t.Errorf("row %s still marked as being written", path)
		}
		if fmt.Sprint(row.Fragments) != fmt.Sprint(frags) {
			t.Errorf("%s: index has %d fragments, file %d", path, len(row.Fragments), len(frags))
		}
		fi, err := os.Stat(filepath.Join(root, path))
		if err == nil && fi.Size() != row.Bytes {
			t.Errorf("%s: index says %d bytes, file has %d", path, row.Bytes, fi.Size())
		}
	}
}

func TestCheckConfig(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte("storage:\n  path: ./data\ncameras:\n  - id: c1\n    facility: f1\n    url: rtsp://u:pw@10.0.0.1/s\n"), 0o644)
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("storage:\n  path: ./data\n  segment_duration: 10x\ncameras:\n  - id: c1\n    facility: f1\n    urll: rtsp://x\n"), 0o644)

	var stdout, stderr bytes.Buffer
	if code := run([]string{"check-config", good}, &stdout, &stderr); code != 0 {
		t.Fatalf("good config: exit %d: %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "ok: 1 cameras (1 enabled) at 1 facilities") {
		t.Errorf("good config: %q", stdout.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run([]string{"check-config", bad}, &stdout, &stderr); code != 1 {
		t.Fatalf("bad config: exit %d", code)
	}
	want := bad + ":3: storage.segment_duration: invalid duration \"10x\""
	if !strings.Contains(stderr.String(), want) || !strings.Contains(stderr.String(), bad+":7: cameras[0].urll: unknown key") {
		t.Errorf("bad config said:\n%s\nwant lines like %q", stderr.String(), want)
	}
	if code := run([]string{"version"}, &stdout, io.Discard); code != 0 || !strings.Contains(stdout.String(), "vigil ") {
		t.Errorf("version: %d %q", code, stdout.String())
	}
	if code := run([]string{"nonsense"}, io.Discard, io.Discard); code != 2 {
		t.Errorf("unknown command: exit %d", code)
	}
}

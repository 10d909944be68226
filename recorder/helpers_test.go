package recorder

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"vigil/config"
	"vigil/segfile"
	"vigil/simcam"
	"vigil/store"
)

// testRig is a recorder recording simulated cameras into a temp folder, with a real SQLite file.
type testRig struct {
	t     *testing.T
	cams  *simcam.Server
	cfg   *config.Config
	store *store.Store
	rec   *Recorder
	flush chan struct{}
	log   *slog.Logger // defaults to testLogger
	// wrapFile is handed to the Recorder (see Recorder.wrapFile).
	wrapFile func(camera string, f segfile.VectorWriter) segfile.VectorWriter
	// subIdle is handed to the Recorder (SubstreamIdle).
	subIdle time.Duration
}

type rigCamera struct {
	id   string
	clip []byte
}

func newRig(t *testing.T, segment time.Duration, cams ...rigCamera) *testRig {
	t.Helper()
	srv := &simcam.Server{}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg := &config.Config{Storage: config.Storage{Path: dir, SegmentDuration: segment}}
	for _, c := range cams {
		clip, err := simcam.LoadClip(c.clip)
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.AddCamera(c.id, clip); err != nil {
			t.Fatal(err)
		}
		cfg.Cameras = append(cfg.Cameras, config.Camera{ID: c.id, Facility: "f1", URL: srv.URL(c.id)})
	}
	cfg.ApplyDefaults()
	cfg.CameraDefaults.ReadTimeout = 2 * time.Second
	for i := range cfg.Cameras {
		cfg.Cameras[i].ReadTimeout = 2 * time.Second
	}
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r := &testRig{t: t, cams: srv, cfg: cfg, store: st, flush: make(chan struct{}, 1)}
	return r
}

func (r *testRig) start() {
	r.t.Helper()
	if r.log == nil {
		r.log = testLogger(r.t)
	}
	r.rec = &Recorder{Config: r.cfg, Store: r.store, Log: r.log,
		OnIndexFlush: func() {
			select {
			case r.flush <- struct{}{}:
			default:
			}
		}}
	r.rec.wrapFile, r.rec.SubstreamIdle = r.wrapFile, r.subIdle
	if err := r.rec.Start(); err != nil {
		r.t.Fatal(err)
	}
}

func (r *testRig) stop() {
	r.t.Helper()
	if err := r.rec.Close(); err != nil {
		r.t.Fatal(err)
	}
}

// waitFor polls cond after every index flush (and at least every 100 ms) until it holds or the deadline.
func (r *testRig) waitFor(what string, timeout time.Duration, cond func() bool) {
	r.t.Helper()
	deadline := time.After(timeout)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-deadline:
			r.t.Fatalf("timed out after %v waiting for %s", timeout, what)
		case <-r.flush:
		case <-tick.C:
		}
	}
}

func (r *testRig) segments(camera string) []*store.Segment {
	r.t.Helper()
	segs, err := r.store.SegmentsOverlapping(context.Background(), camera, 0, 1<<62, true)
	if err != nil {
		r.t.Fatal(err)
	}
	return segs
}

// recordedDuration is the media recorded for camera so far according to the index.
func (r *testRig) recordedDuration(camera string) time.Duration {
	var d int64
	for _, s := range r.segments(camera) {
		d += s.Duration()
	}
	return time.Duration(d)
}

func testLogger(t *testing.T) *slog.Logger {
	if testing.Verbose() {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// probe is what ffprobe says of a media file.
type probe struct {
	Streams []struct {
		CodecType    string `json:"codec_type"`
		CodecName    string `json:"codec_name"`
		Width        int    `json:"width"`
		Height       int    `json:"height"`
		NbReadFrames string `json:"nb_read_frames"`
		Duration     string `json:"duration"`
	} `json:"streams"`
	Format struct {
		Duration string            `json:"duration"`
		Tags     map[string]string `json:"tags"`
	} `json:"format"`
}

func ffprobe(t *testing.T, path string) probe {
	t.Helper()
	out := runFFprobe(t, path, "-count_frames", "-show_streams", "-show_format")
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// runFFprobe runs ffprobe with args on path and returns its JSON; any failure ends the test with
// ffprobe's own words.
func runFFprobe(t *testing.T, path string, args ...string) []byte {
	t.Helper()
	args = append(append([]string{"-v", "error"}, args...), "-of", "json", path)
	out, err := exec.Command("ffprobe", args...).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("ffprobe %s: %v %s", path, err, stderr)
	}
	return out
}

func atof(t *testing.T, s string) float64 {
	t.Helper()
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return f
}

func requireFFprobe(t *testing.T) {
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is required (apt-get install ffmpeg); .ci/run installs it")
	}
}

var _ = fmt.Sprint

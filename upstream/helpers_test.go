package upstream_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
	"github.com/pion/rtp"

	"vigil/config"
	"vigil/media"
	"vigil/recorder"
	"vigil/simcam"
	"vigil/store"
	"vigil/upstream"
)

// Accounts of the test Authorizer: the central system signs in with an API token (any user name), a
// facility's user may read its own camera only.
const (
	tokenUser    = "token"
	tokenPass    = "api-t0ken-XYZ"
	facilityUser = "facility"
	facilityPass = "fac1lity-PW"
	facilityCam  = "cam"
)

// testAuth is the Authorizer of these tests: fixed accounts, one of them limited to one camera. Revoking
// the token (revoked) withdraws the permits it gave; started counts the views begun.
type testAuth struct {
	revoked atomic.Bool
	started atomic.Int64
}

func (a *testAuth) AuthorizeRTSP(user, pass, camera string, _ net.Addr) (upstream.Permit, error) {
	switch {
	case user == tokenUser && pass == tokenPass && !a.revoked.Load():
		return testPermit{a, true}, nil
	case user == facilityUser && pass == facilityPass:
		if camera != facilityCam {
			return nil, upstream.ErrForbidden
		}
		return testPermit{a, false}, nil
	}
	return nil, upstream.ErrUnauthenticated
}

type testPermit struct {
	a     *testAuth
	token bool
}

func (p testPermit) Valid() bool { return !p.token || !p.a.revoked.Load() }
func (p testPermit) Started()    { p.a.started.Add(1) }

type rigCamera struct {
	id   string
	clip []byte // nil: a camera that refuses every connection (enabled, never online)
}

// rig is a recorder recording simulated cameras into a temp folder with a real store, and an upstream
// RTSP server re-streaming them.
type rig struct {
	auth *testAuth
	tls  *tls.Config // set before startServer for an RTSPS server
	t    *testing.T
	cams *simcam.Server
	cfg  *config.Config
	rec  *recorder.Recorder
	srv  *upstream.Server
	subs *subCounter
	logs *syncBuffer
	log  *slog.Logger
}

func newRig(t *testing.T, cams ...rigCamera) *rig {
	t.Helper()
	return newRigOn(t, &simcam.Server{}, cams...)
}

// newRigOn is newRig with the simulated cameras served by sim (not started yet), for its options.
func newRigOn(t *testing.T, sim *simcam.Server, cams ...rigCamera) *rig {
	t.Helper()
	if err := sim.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sim.Close)
	dead, err := simcam.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cfg := &config.Config{Storage: config.Storage{Path: dir, SegmentDuration: time.Minute}}
	for _, c := range cams {
		url := "rtsp://" + dead + "/" + c.id
		if c.clip != nil {
			clip, err := simcam.LoadClip(c.clip)
			if err != nil {
				t.Fatal(err)
			}
			if err := sim.AddCamera(c.id, clip); err != nil {
				t.Fatal(err)
			}
			url = sim.URL(c.id)
		}
		cfg.Cameras = append(cfg.Cameras, config.Camera{ID: c.id, Facility: "f1", URL: url})
	}
	cfg.ApplyDefaults()
	for i := range cfg.Cameras {
		cfg.Cameras[i].ReadTimeout = 2 * time.Second
	}
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &recorder.Recorder{Config: cfg, Store: st, Log: slog.New(slog.DiscardHandler)}
	if err := rec.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rec.Close() })
	r := &rig{t: t, cams: sim, cfg: cfg, rec: rec, subs: newSubCounter(rec.Subscribe), logs: &syncBuffer{}}
	r.log = testLogger(r.logs)
	for _, c := range cams {
		if c.clip != nil {
			r.waitLive(c.id)
		}
	}
	return r
}

// startServer starts the re-stream server on a free loopback port.
func (r *rig) startServer() {
	r.t.Helper()
	r.auth = &testAuth{}
	var ids []string
	for _, c := range r.cfg.Cameras {
		ids = append(ids, c.ID)
	}
	r.srv = &upstream.Server{Listen: "127.0.0.1:0", Subscribe: r.subs.subscribe, Cameras: func() []string { return ids },
		Authorize: r.auth, Log: r.log, Grace: 300 * time.Millisecond, Recheck: 100 * time.Millisecond, TLS: r.tls}
	if err := r.srv.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(r.srv.Close)
}

// url is the re-stream URL of a camera, with credentials when user is not empty.
func (r *rig) url(user, pass, camera string) string {
	cred := ""
	if user != "" {
		cred = user + ":" + pass + "@"
	}
	return "rtsp://" + cred + r.srv.Addr().String() + "/" + camera
}

// waitLive waits until the recorder has a live session for camera.
func (r *rig) waitLive(camera string) {
	r.t.Helper()
	waitFor(r.t, camera+" live", 20*time.Second, func() bool {
		f, err := r.rec.Subscribe(camera, media.MainStream)
		if err != nil {
			return false
		}
		f.Close()
		return true
	})
}

// streamStatus is the server's status of one camera, if it is re-streamed.
func (r *rig) streamStatus(camera string) (upstream.StreamStatus, bool) {
	for _, s := range r.srv.Status() {
		if s.Camera == camera {
			return s, true
		}
	}
	return upstream.StreamStatus{}, false
}

// subCounter stands between the server and the recorder's Subscribe and counts the fan-out
// subscriptions per camera: open now, ever opened, and the most open at once.
type subCounter struct {
	sub func(string, media.Quality) (*media.Feed, error)

	mu                sync.Mutex
	open, total, peak map[string]int
}

func newSubCounter(sub func(string, media.Quality) (*media.Feed, error)) *subCounter {
	return &subCounter{sub: sub, open: map[string]int{}, total: map[string]int{}, peak: map[string]int{}}
}

func (c *subCounter) subscribe(camera string, q media.Quality) (*media.Feed, error) {
	f, err := c.sub(camera, q)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	c.open[camera]++
	c.total[camera]++
	c.peak[camera] = max(c.peak[camera], c.open[camera])
	c.mu.Unlock()
	return media.NewFeed(f.Tracks, f.Units, func() {
		c.mu.Lock()
		c.open[camera]--
		c.mu.Unlock()
		f.Close()
	}), nil
}

func (c *subCounter) counts(camera string) (open, total, peak int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.open[camera], c.total[camera], c.peak[camera]
}

// waitFor polls cond every 50 ms until it holds, or fails the test after timeout.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
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

// testLogger writes to buf, and to stderr too with -v.
func testLogger(buf *syncBuffer) *slog.Logger {
	var w io.Writer = buf
	if testing.Verbose() {
		w = io.MultiWriter(buf, os.Stderr)
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// rtspClient starts a gortsplib client (TCP) for the host of rawURL.
func rtspClient(rawURL string) (*gortsplib.Client, *base.URL, error) {
	u, err := base.ParseURL(rawURL)
	if err != nil {
		return nil, nil, err
	}
	tcp := gortsplib.ProtocolTCP
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, Protocol: &tcp, ReadTimeout: 10 * time.Second,
		OnPacketsLost: func(uint64) {}, OnDecodeError: func(error) {}}
	if err := c.Start(); err != nil {
		return nil, nil, err
	}
	return c, u, nil
}

// describe sends DESCRIBE to rawURL.
func describe(rawURL string) (*description.Session, error) {
	c, u, err := rtspClient(rawURL)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	desc, _, err := c.Describe(u)
	return desc, err
}

// statusCode is the RTSP status of a refused request, or 0.
func statusCode(err error) int {
	var bad liberrors.ErrClientBadStatusCode
	if errors.As(err, &bad) {
		return int(bad.Code)
	}
	return 0
}

// session is a gortsplib reader playing a stream, counting the RTP packets it receives.
type session struct {
	c     *gortsplib.Client
	desc  *description.Session
	video atomic.Int64
	audio atomic.Int64
}

// play DESCRIBEs, SETUPs every media and PLAYs rawURL. It does not touch t: readers run on goroutines.
func play(rawURL string) (*session, error) {
	c, u, err := rtspClient(rawURL)
	if err != nil {
		return nil, err
	}
	s := &session{c: c}
	s.desc, _, err = c.Describe(u)
	if err == nil {
		err = c.SetupAll(s.desc.BaseURL, s.desc.Medias)
	}
	if err != nil {
		c.Close()
		return nil, err
	}
	c.OnPacketRTPAny(func(medi *description.Media, _ format.Format, _ *rtp.Packet) {
		if medi.Type == description.MediaTypeVideo {
			s.video.Add(1)
		} else {
			s.audio.Add(1)
		}
	})
	if _, err := c.Play(nil); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// probe is what ffprobe says of a stream.
type probe struct {
	Streams []probeStream `json:"streams"`
}

type probeStream struct {
	CodecType string `json:"codec_type"`
	CodecName string `json:"codec_name"`
	Width     int    `json:"width"`
	Height    int    `json:"height"`
}

// ffprobe runs ffprobe on an RTSP URL (TCP transport), returning its JSON or its error output.
func ffprobe(t *testing.T, rawURL string) (probe, string, error) {
	t.Helper()
	if _, err := exec.LookPath("ffprobe"); err != nil {
		t.Fatal("ffprobe is required (apt-get install ffmpeg); .ci/run installs it")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ffprobe", "-v", "error", "-rtsp_transport", "tcp", "-user_agent", "vigil-test",
		"-show_streams", "-of", "json", rawURL)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return probe{}, stderr.String(), err
	}
	var p probe
	if err := json.Unmarshal(out, &p); err != nil {
		t.Fatalf("ffprobe output: %v\n%s", err, out)
	}
	return p, stderr.String(), nil
}

// stream finds the stream of a codec in ffprobe's answer.
func (p probe) stream(codecName string) (probeStream, bool) {
	i := slices.IndexFunc(p.Streams, func(s probeStream) bool { return s.CodecName == codecName })
	if i < 0 {
		return probeStream{}, false
	}
	return p.Streams[i], true
}

package recorder

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"vigil/config"
	"vigil/playback"
	"vigil/simcam"
	"vigil/store"
)

// TestCameraOutageLeavesAGapAndANewRun kills a camera mid-stream: the recorder marks it offline with a
// reason, retries, and when the camera returns records a new run in a new segment after a gap.
func TestCameraOutageLeavesAGapAndANewRun(t *testing.T) {
	rig := newRig(t, time.Minute, rigCamera{"cam", simcam.ClipH264}, rigCamera{"other", simcam.ClipH264AAC})
	rig.start()
	defer rig.stop()
	rig.waitFor("2 s recorded", 20*time.Second, func() bool { return rig.recordedDuration("cam") >= 2*time.Second })

	rig.cams.StopCamera("cam")
	rig.waitFor("camera offline", 20*time.Second, func() bool {
		s, _ := rig.rec.Camera("cam")
		return s.State == store.StateOffline
	})
	down := time.Now()
	if s, _ := rig.rec.Camera("cam"); s.LastError == "" {
		t.Error("offline camera has no reason")
	}
	time.Sleep(1500 * time.Millisecond) // the outage the recording must show
	if err := rig.cams.StartCamera("cam"); err != nil {
		t.Fatal(err)
	}
	rig.waitFor("a second run recorded", 30*time.Second, func() bool {
		segs := rig.segments("cam")
		return len(segs) >= 2 && segs[len(segs)-1].Duration() >= int64(time.Second)
	})

	segs := rig.segments("cam")
	first, last := segs[0], segs[len(segs)-1]
	if first.RunID == last.RunID {
		t.Fatal("the reconnect did not start a new run")
	}
	gap := time.Duration(last.Start - segs[len(segs)-2].End)
	if gap < time.Second {
		t.Fatalf("gap of %v between runs, want at least the 1.5 s outage", gap)
	}
	if first.End > down.UnixNano() {
		t.Errorf("the first run ends after the camera went offline")
	}
	// What the recordings API answers: two spans with the outage between them.
	from, to := time.Unix(0, first.Start), time.Unix(0, last.End)
	spans, gaps := playback.Spans(segs, from, to, playback.MergeTolerance)
	if len(spans) != 2 || len(gaps) != 1 || gaps[0].End.Sub(gaps[0].Start) < time.Second {
		t.Errorf("recordings: spans %v, gaps %v; want two spans around one gap of at least 1 s", spans, gaps)
	}
	if s, _ := rig.rec.Camera("cam"); s.State != store.StateOnline || s.Reconnects == 0 {
		t.Errorf("after the camera came back: state %s, %d reconnects", s.State, s.Reconnects)
	}
	// An export across the outage is one file that skips the hole and says where it was.
	plan, err := playback.PlanExport(segs, from, to, time.UTC)
	if err == nil {
		err = plan.LoadInit(rig.cfg.Storage.Path, "cam")
	}
	if err != nil {
		t.Fatal(err)
	}
	clip := filepath.Join(t.TempDir(), "export.mp4")
	f, _ := os.Create(clip)
	n, err := plan.WriteTo(f, rig.cfg.Storage.Path)
	f.Close()
	if err != nil || n != plan.Size || len(plan.Gaps) != 1 || plan.Gaps[0].End.Sub(plan.Gaps[0].Start) < time.Second {
		t.Fatalf("export: %d of %d bytes (%v), gaps %v", n, plan.Size, err, plan.Gaps)
	}
	p := ffprobe(t, clip)
	frames := atof(t, p.Streams[0].NbReadFrames)
	if d := plan.Duration().Seconds(); abs(int64((atof(t, p.Format.Duration)-d)*1000)) > 150 || abs(int64((frames/25-d)*1000)) > 100 {
		t.Errorf("export plays %s s with %v frames; the plan says %.3f s", p.Format.Duration, frames, d)
	}
	gapText := plan.Gaps[0].Start.Format("15:04:05") + " +00:00 – " + plan.Gaps[0].End.Format("02/01/2006 15:04:05")
	if c := p.Format.Tags["comment"]; !strings.Contains(c, "gaps left out") || !strings.Contains(c, gapText) {
		t.Errorf("the export's comment does not state the gap %s: %q", gapText, c)
	}

	// The other camera never noticed.
	other := rig.segments("other")
	if len(other) != 1 {
		t.Errorf("the other camera has %d segments, want 1 uninterrupted", len(other))
	}
	events, err := rig.store.Events(context.Background(), "cam", 0, 1<<62)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, e := range events {
		states = append(states, e.State)
	}
	if got := strings.Join(states, ","); got != "connecting,online,offline,online" {
		t.Errorf("events %s, want connecting,online,offline,online", got)
	}
}

// TestInBandParameterSets records a camera whose SDP carries no SPS/PPS: the recorder waits for the
// in-band ones.
func TestInBandParameterSets(t *testing.T) {
	srv := &simcam.Server{OmitParams: true}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	rig := newRig(t, time.Minute)
	clip, _ := simcam.LoadClip(simcam.ClipH264)
	srv.AddCamera("cam", clip)
	rig.cfg.Cameras = append(rig.cfg.Cameras, cameraFor(rig, "cam", srv.URL("cam")))
	rig.start()
	defer rig.stop()
	rig.waitFor("1 s recorded", 20*time.Second, func() bool { return rig.recordedDuration("cam") >= time.Second })
	if s := rig.segments("cam")[0]; s.Width != 640 || s.Height != 360 {
		t.Fatalf("resolution %dx%d from in-band SPS", s.Width, s.Height)
	}
}

// TestBadCamerasAreMarkedAndRetried: a server that answers garbage, one that accepts and says nothing,
// and a wrong password each leave their camera offline with a reason, while a good camera records.
// The password never appears in logs or status.
func TestBadCamerasAreMarkedAndRetried(t *testing.T) {
	garbage := listen(t, func(c net.Conn) { c.Write([]byte("HTTP/1.0 200 OK\r\n\r\n\x00\x01garbage")); c.Close() })
	silent := listen(t, func(c net.Conn) { time.Sleep(5 * time.Second); c.Close() })
	auth := &simcam.Server{User: "admin", Pass: "right-password"}
	if err := auth.Start(); err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	clip, _ := simcam.LoadClip(simcam.ClipH264)
	auth.AddCamera("cam", clip)

	var logs syncBuffer
	rig := newRig(t, time.Minute, rigCamera{"good", simcam.ClipH264})
	const secret = "wrong-s3cret-pw"
	rig.cfg.Cameras = append(rig.cfg.Cameras,
		cameraFor(rig, "garbage", "rtsp://"+garbage+"/x"),
		cameraFor(rig, "silent", "rtsp://"+silent+"/x"),
		cameraFor(rig, "badpass", "rtsp://admin:"+secret+"@"+auth.Addr()+"/cam"),
		cameraFor(rig, "nostream", rig.cams.URL("missing")))
	rig.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rig.start()
	defer rig.stop()
	rig.waitFor("every bad camera offline, with a retry", 30*time.Second, func() bool {
		for _, id := range []string{"garbage", "silent", "badpass", "nostream"} {
			s, _ := rig.rec.Camera(id)
			if s.State != store.StateOffline || s.LastError == "" || s.Reconnects < 1 {
				return false
			}
		}
		return rig.recordedDuration("good") >= 2*time.Second
	})
	for _, id := range []string{"garbage", "silent", "badpass", "nostream"} {
		s, _ := rig.rec.Camera(id)
		t.Logf("%s: %s", id, s.LastError)
		if strings.Contains(s.LastError, secret) || strings.Contains(s.URL, secret) {
			t.Errorf("%s: status shows the password: %+v", id, s)
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Errorf("logs show the password")
	}
	if len(rig.segments("good")) != 1 {
		t.Errorf("the good camera was disturbed")
	}
}

type configCamera = config.Camera

func cameraFor(rig *testRig, id, url string) (c configCamera) {
	c = configCamera{ID: id, Facility: "f1", URL: url, Name: id, Enabled: true, Transport: "tcp",
		ReadTimeout: 2 * time.Second}
	return c
}

func listen(t *testing.T, handle func(net.Conn)) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go handle(c)
		}
	}()
	return l.Addr().String()
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestParameterChangeStartsANewSegment: the camera's resolution changes mid-session (new SPS/PPS in-band
// only). The run goes on in a new segment whose init carries the new parameters.
func TestParameterChangeStartsANewSegment(t *testing.T) {
	requireFFprobe(t)
	rig := newRig(t, time.Minute, rigCamera{"cam", simcam.ClipH264})
	rig.start()
	rig.waitFor("1 s recorded", 20*time.Second, func() bool { return rig.recordedDuration("cam") >= time.Second })
	small, _ := simcam.LoadClip(simcam.ClipH264Small)
	if err := rig.cams.SwitchClip("cam", small); err != nil {
		t.Fatal(err)
	}
	rig.waitFor("1 s at the new resolution", 30*time.Second, func() bool {
		segs := rig.segments("cam")
		last := segs[len(segs)-1]
		return last.Width == 320 && last.Duration() >= int64(time.Second)
	})
	rig.stop()
	segs := rig.segments("cam")
	if len(segs) != 2 {
		t.Fatalf("%d segments, want 2", len(segs))
	}
	a, b := segs[0], segs[1]
	if a.Width != 640 || b.Width != 320 || b.Height != 180 || a.RunID != b.RunID {
		t.Fatalf("segments %dx%d run %s, %dx%d run %s", a.Width, a.Height, a.RunID, b.Width, b.Height, b.RunID)
	}
	if gap := time.Duration(b.Start - a.End); gap < -time.Millisecond || gap > 50*time.Millisecond {
		t.Errorf("%v between the segments of one run", gap)
	}
	for _, s := range frameSizes(ffprobe(t, filepath.Join(rig.cfg.Storage.Path, b.Path))) {
		if s != "320x180" {
			t.Errorf("ffprobe reads the new segment as %s", s)
		}
	}
}

func frameSizes(p probe) (sizes []string) {
	for _, s := range p.Streams {
		sizes = append(sizes, fmt.Sprintf("%dx%d", s.Width, s.Height))
	}
	return sizes
}

// TestRTPTimestampWrapAround: the camera's 32-bit RTP timestamp wraps 2 s into the session. The
// recording goes on in one segment, its frames and duration matching the wall clock.
func TestRTPTimestampWrapAround(t *testing.T) {
	requireFFprobe(t)
	srv := &simcam.Server{VideoTimestampStart: 1<<32 - 2*videoClockRate}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	clip, _ := simcam.LoadClip(simcam.ClipH264)
	srv.AddCamera("cam", clip)
	rig := newRig(t, time.Minute)
	rig.cfg.Cameras = append(rig.cfg.Cameras, cameraFor(rig, "cam", srv.URL("cam")))
	rig.start()
	rig.waitFor("5 s recorded", 30*time.Second, func() bool { return rig.recordedDuration("cam") >= 5*time.Second })
	rig.stop()
	segs := rig.segments("cam")
	if len(segs) != 1 {
		t.Fatalf("%d segments across the wrap, want 1", len(segs))
	}
	if s, _ := rig.rec.Camera("cam"); s.DecodeErrors != 0 || s.Reconnects != 0 {
		t.Fatalf("wrap caused %d decode errors, %d reconnects", s.DecodeErrors, s.Reconnects)
	}
	p := ffprobe(t, filepath.Join(rig.cfg.Storage.Path, segs[0].Path))
	frames := atof(t, p.Streams[0].NbReadFrames)
	if idx := time.Duration(segs[0].Duration()).Seconds(); frames/25 < idx-0.08 || frames/25 > idx+0.08 {
		t.Fatalf("%v frames for %.2f s indexed", frames, idx)
	}
}

// TestUDPTransport records over RTP/UDP, asked for explicitly and through "auto" (UDP first).
func TestUDPTransport(t *testing.T) {
	srv := &simcam.Server{UDP: true}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	clip, _ := simcam.LoadClip(simcam.ClipH264AAC)
	rig := newRig(t, time.Minute)
	for _, tr := range []string{"udp", "auto"} {
		// One stream per reader: gortsplib's server races (caught by -race) when two UDP readers set up
		// the same stream at once, a bug of the simulator's side, not the recorder's.
		srv.AddCamera(tr, clip)
		c := cameraFor(rig, tr, srv.URL(tr))
		c.Transport = tr
		rig.cfg.Cameras = append(rig.cfg.Cameras, c)
	}
	rig.start()
	defer rig.stop()
	rig.waitFor("3 s recorded over UDP by both cameras", 30*time.Second, func() bool {
		return rig.recordedDuration("udp") >= 3*time.Second && rig.recordedDuration("auto") >= 3*time.Second
	})
	for _, id := range []string{"udp", "auto"} {
		s, _ := rig.rec.Camera(id)
		if s.Reconnects != 0 || len(rig.segments(id)) != 1 || s.AudioCodec != "MPEG4Audio" {
			t.Errorf("%s: %d reconnects, %d segments, audio %q", id, s.Reconnects, len(rig.segments(id)), s.AudioCodec)
		}
	}
}

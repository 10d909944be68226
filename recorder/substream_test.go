package recorder

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"

	"vigil/media"
	"vigil/simcam"
	"vigil/store"
)

// TestSubstreamOnDemandForTheGrid: a camera with a 640x360 main stream and a 320x180 substream (both
// served by the simulated camera; the substream through a TCP relay that counts connections). The
// substream is connected only while someone watches it, once for any number of viewers, and closed
// after the idle time; its viewers get 320x180, the main stream's 640x360, and the recording carries on
// from the main stream untouched. A camera without a substream serves its main stream to grid viewers.
func TestSubstreamOnDemandForTheGrid(t *testing.T) {
	requireFFprobe(t)
	rig := newRig(t, time.Minute, rigCamera{"cam", simcam.ClipH264}, rigCamera{"plain", simcam.ClipH264})
	small, err := simcam.LoadClip(simcam.ClipH264Small)
	if err != nil {
		t.Fatal(err)
	}
	if err := rig.cams.AddCamera("cam-sub", small); err != nil {
		t.Fatal(err)
	}
	relay := newCountingRelay(t, rig.cams.Addr())
	rig.cfg.Cameras[0].SubstreamURL = "rtsp://" + relay.addr + "/cam-sub"
	rig.subIdle = 300 * time.Millisecond
	rig.start()
	stopped := false
	defer func() {
		if !stopped {
			rig.stop()
		}
	}()
	rig.waitFor("both cameras recording", 20*time.Second, func() bool {
		return rig.recordedDuration("cam") >= time.Second && rig.recordedDuration("plain") >= time.Second
	})
	if n := relay.accepted.Load(); n != 0 {
		t.Fatalf("%d connections to the substream before anyone watched", n)
	}
	if s, _ := rig.rec.Camera("cam"); s.Substream == nil || s.Substream.State != StateIdle {
		t.Fatalf("substream status before viewers: %+v", s.Substream)
	}
	if s, _ := rig.rec.Camera("plain"); s.Substream != nil {
		t.Fatalf("a camera without substream_url shows a substream: %+v", s.Substream)
	}

	// Eight grid viewers arrive at once: one connection.
	var wg sync.WaitGroup
	feeds := make([]*media.Feed, 8)
	errs := make([]error, len(feeds))
	for i := range feeds {
		wg.Add(1)
		go func() {
			defer wg.Done()
			feeds[i], errs[i] = rig.rec.Subscribe("cam", media.Substream)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if a, o := relay.accepted.Load(), relay.open.Load(); a != 1 || o != 1 {
		t.Fatalf("%d viewers: %d connections made, %d open; want 1 and 1", len(feeds), a, o)
	}
	if s, _ := rig.rec.Camera("cam"); s.Substream.State != store.StateOnline || s.Substream.Viewers != len(feeds) {
		t.Fatalf("substream status with viewers: %+v", s.Substream)
	}
	mainFeed, err := rig.rec.Subscribe("cam", media.MainStream)
	if err != nil {
		t.Fatal(err)
	}
	defer mainFeed.Close()
	plainFeed, err := rig.rec.Subscribe("plain", media.Substream)
	if err != nil {
		t.Fatal(err)
	}
	defer plainFeed.Close()
	for _, tc := range []struct {
		name string
		feed *media.Feed
		w, h int
	}{{"substream", feeds[0], 320, 180}, {"substream, last viewer", feeds[7], 320, 180},
		{"main stream", mainFeed, 640, 360}, {"fallback to the main stream", plainFeed, 640, 360}} {
		if w, h := spsSize(t, tc.feed.Tracks.SPS); w != tc.w || h != tc.h {
			t.Errorf("%s: the SDP says %dx%d, want %dx%d", tc.name, w, h, tc.w, tc.h)
		}
		if w, h := inBandSize(t, tc.feed, 50); w != tc.w || h != tc.h {
			t.Errorf("%s: the stream says %dx%d, want %dx%d", tc.name, w, h, tc.w, tc.h)
		}
	}

	// All but one leave: the connection stays for the one (well past the idle time).
	for _, f := range feeds[1:] {
		f.Close()
	}
	time.Sleep(3 * rig.subIdle)
	if a, o := relay.accepted.Load(), relay.open.Load(); a != 1 || o != 1 {
		t.Fatalf("one viewer left: %d connections made, %d open; want 1 and 1", a, o)
	}
	inBandSize(t, feeds[0], 25) // still playing
	// The last one leaves: the substream closes after the idle time.
	feeds[0].Close()
	rig.waitFor("the substream closed", 10*time.Second, func() bool { return relay.open.Load() == 0 })
	if s, _ := rig.rec.Camera("cam"); s.Substream.State != StateIdle || s.Substream.Viewers != 0 {
		t.Fatalf("substream status after the viewers left: %+v", s.Substream)
	}

	// A viewer who comes back gets a new connection, and a recorder that stops ends its feed.
	again, err := rig.rec.Subscribe("cam", media.Substream)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if a := relay.accepted.Load(); a != 2 {
		t.Fatalf("%d connections after a viewer came back, want 2", a)
	}
	inBandSize(t, again, 25)

	before := rig.recordedDuration("cam")
	rig.waitFor("the recording goes on", 20*time.Second, func() bool { return rig.recordedDuration("cam") >= before+time.Second })
	s, _ := rig.rec.Camera("cam")
	if s.State != store.StateOnline || s.Reconnects != 0 || s.LastError != "" || len(s.Warnings) != 0 ||
		s.Width != 640 || s.Height != 360 {
		t.Fatalf("the main stream was disturbed: %+v", s)
	}
	rig.stop()
	stopped = true
	for range again.Units { // ends with the recorder
	}
	rig.waitFor("the substream closed", 10*time.Second, func() bool { return relay.open.Load() == 0 })

	// What was recorded is the main stream alone: one run, 640x360 throughout.
	segs := rig.segments("cam")
	if len(segs) != 1 {
		t.Fatalf("%d segments of cam, want 1 (one run, under a minute)", len(segs))
	}
	for _, seg := range segs {
		p := ffprobe(t, rig.cfg.Storage.Path+"/"+seg.Path)
		if len(p.Streams) != 1 || p.Streams[0].Width != 640 || p.Streams[0].Height != 360 {
			t.Errorf("%s: %+v", seg.Path, p.Streams)
		}
	}
}

// TestSubstreamUnreachable: a substream that refuses connections, and one that refuses the password.
// The viewer gets the reason (without the password) at once, the next one the same until the backoff has
// passed, and the main stream records on, online, as if nothing happened.
func TestSubstreamUnreachable(t *testing.T) {
	const secret = "sub-s3cret-pw"
	auth := &simcam.Server{User: "admin", Pass: "right-password"}
	if err := auth.Start(); err != nil {
		t.Fatal(err)
	}
	defer auth.Close()
	if err := auth.AddClips(map[string][]byte{"sub": simcam.ClipH264Small}); err != nil {
		t.Fatal(err)
	}
	closed, err := simcam.UnusedAddr()
	if err != nil {
		t.Fatal(err)
	}

	var logs syncBuffer
	rig := newRig(t, time.Minute, rigCamera{"refused", simcam.ClipH264}, rigCamera{"badpass", simcam.ClipH264})
	rig.cfg.Cameras[0].SubstreamURL = "rtsp://admin:" + secret + "@" + closed + "/sub"
	rig.cfg.Cameras[1].SubstreamURL = "rtsp://admin:" + secret + "@" + auth.Addr() + "/sub"
	rig.log = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	rig.start()
	defer rig.stop()
	rig.waitFor("both recording", 20*time.Second, func() bool {
		return rig.recordedDuration("refused") >= time.Second && rig.recordedDuration("badpass") >= time.Second
	})
	for _, id := range []string{"refused", "badpass"} {
		_, err := rig.rec.Subscribe(id, media.Substream)
		t.Logf("%s: %v", id, err)
		if !errors.Is(err, ErrSubstreamDown) || strings.Contains(err.Error(), secret) {
			t.Fatalf("%s: %v, want ErrSubstreamDown with a reason and no password", id, err)
		}
		_, again := rig.rec.Subscribe(id, media.Substream)
		if !errors.Is(again, ErrSubstreamDown) || !strings.Contains(again.Error(), "next attempt in") {
			t.Fatalf("%s: a second viewer at once: %v, want the same reason and when the next attempt is", id, again)
		}
		s, _ := rig.rec.Camera(id)
		if s.Substream.State != store.StateOffline || s.Substream.LastError == "" ||
			strings.Contains(s.Substream.LastError+s.Substream.URL, secret) {
			t.Fatalf("%s: substream status %+v", id, s.Substream)
		}
	}
	if !strings.Contains(mustSub(rig, "refused"), "refused") || !strings.Contains(mustSub(rig, "badpass"), "401") {
		t.Errorf("reasons do not say what went wrong: %q, %q", mustSub(rig, "refused"), mustSub(rig, "badpass"))
	}

	before := rig.recordedDuration("refused")
	rig.waitFor("the recordings go on", 20*time.Second, func() bool {
		return rig.recordedDuration("refused") >= before+time.Second
	})
	for _, id := range []string{"refused", "badpass"} {
		s, _ := rig.rec.Camera(id)
		if s.State != store.StateOnline || s.Reconnects != 0 || s.LastError != "" || len(s.Warnings) != 0 {
			t.Errorf("%s: the main stream was disturbed: %+v", id, s)
		}
		if len(rig.segments(id)) != 1 {
			t.Errorf("%s: %d segments, want 1 (one run)", id, len(rig.segments(id)))
		}
	}
	if strings.Contains(logs.String(), secret) {
		t.Error("logs show the substream's password")
	}
}

func mustSub(rig *testRig, id string) string {
	s, _ := rig.rec.Camera(id)
	return s.Substream.LastError
}

func spsSize(t *testing.T, sps []byte) (int, int) {
	t.Helper()
	var s h264.SPS
	if err := s.Unmarshal(sps); err != nil {
		t.Fatalf("SPS: %v", err)
	}
	return s.Width(), s.Height()
}

// inBandSize reads video units from a feed until it has read n, and returns the size the last in-band
// SPS announced.
func inBandSize(t *testing.T, f *media.Feed, n int) (w, h int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for video := 0; video < n || w == 0; {
		select {
		case u, ok := <-f.Units:
			if !ok {
				t.Fatal("the feed ended")
			}
			if u.Audio {
				continue
			}
			video++
			for _, nalu := range u.AU {
				if len(nalu) > 0 && h264.NALUType(nalu[0]&0x1f) == h264.NALUTypeSPS {
					w, h = spsSize(t, nalu)
				}
			}
		case <-deadline:
			t.Fatalf("only %d video units in 20 s", video)
		}
	}
	return w, h
}

// countingRelay forwards TCP connections to target and counts them: how many connections the recorder
// opens to a camera, seen from outside the recorder.
type countingRelay struct {
	addr           string
	accepted, open atomic.Int64
}

func newCountingRelay(t *testing.T, target string) *countingRelay {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	r := &countingRelay{addr: l.Addr().String()}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			r.accepted.Add(1)
			r.open.Add(1)
			go r.pipe(c, target)
		}
	}()
	return r
}

func (r *countingRelay) pipe(c net.Conn, target string) {
	defer r.open.Add(-1)
	defer c.Close()
	up, err := net.Dial("tcp", target)
	if err != nil {
		return
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); done <- struct{}{} }()
	go func() { io.Copy(c, up); done <- struct{}{} }()
	<-done // either side closing ends both
}

package simcam

import (
	"io"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/description"
	"github.com/bluenviron/gortsplib/v5/pkg/format"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h264"
	"github.com/bluenviron/mediacommon/v2/pkg/codecs/h265"
	"github.com/pion/rtp"
)

const frameTicks = 90000 / 25

var clips = []struct {
	name  string
	data  []byte
	codec string
	audio bool
}{
	{"h264_aac", ClipH264AAC, "H264", true},
	{"h264", ClipH264, "H264", false},
	{"h265", ClipH265, "H265", false},
}

func mustLoad(t testing.TB, data []byte) *Clip {
	t.Helper()
	c, err := LoadClip(data)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestLoadClip(t *testing.T) {
	for _, tc := range clips {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.data) == 0 || len(tc.data) > 400<<10 {
				t.Fatalf("embedded clip is %d bytes", len(tc.data))
			}
			c := mustLoad(t, tc.data)
			if c.Codec() != tc.codec {
				t.Errorf("Codec() = %q, want %q", c.Codec(), tc.codec)
			}
			if c.FrameCount() != 100 {
				t.Errorf("FrameCount() = %d, want 100", c.FrameCount())
			}
			if c.Duration() != 4*time.Second {
				t.Errorf("Duration() = %v, want 4s", c.Duration())
			}
			if c.FrameDuration() != 40*time.Millisecond {
				t.Errorf("FrameDuration() = %v, want 40ms", c.FrameDuration())
			}
			if c.KeyframeCount() != 4 {
				t.Errorf("KeyframeCount() = %d, want 4 (1 s GOPs)", c.KeyframeCount())
			}
			if !c.frames[0].key {
				t.Error("loop does not start on a keyframe")
			}
			vps, sps, pps := c.Params()
			if sps == nil || pps == nil || (tc.codec == "H265") != (vps != nil) {
				t.Errorf("params: vps=%d sps=%d pps=%d bytes", len(vps), len(sps), len(pps))
			}
			if c.HasAudio() != tc.audio {
				t.Errorf("HasAudio() = %v, want %v", c.HasAudio(), tc.audio)
			}
			if tc.audio {
				conf := c.AudioConfig()
				if conf.SampleRate != 48000 || conf.ChannelConfig != 1 {
					t.Errorf("audio config %+v", conf)
				}
				// 4 s at 48 kHz is 187.5 AUs; the half one is left as a gap.
				if len(c.audio) != 187 {
					t.Errorf("%d audio AUs, want 187", len(c.audio))
				}
			}
			// Send order must be by time, or pacing would stall.
			if !slices.IsSortedFunc(c.sched, func(a, b event) int { return int(a.at - b.at) }) {
				t.Error("schedule not sorted")
			}
			// B-frames: presentation order differs from decode order.
			reordered := false
			for i := 1; i < len(c.frames); i++ {
				if c.frames[i].pts < c.frames[i-1].pts {
					reordered = true
				}
			}
			if !reordered {
				t.Error("clip has no B-frames")
			}
		})
	}
}

func TestLoadClipRejectsGarbage(t *testing.T) {
	if _, err := LoadClip([]byte("not a transport stream")); err == nil {
		t.Fatal("LoadClip accepted garbage")
	}
}

func startServer(t *testing.T, s *Server) *Server {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Close)
	return s
}

// reader is a gortsplib client playing every media of a camera.
type reader struct {
	c    *gortsplib.Client
	desc *description.Session
}

func dial(t testing.TB, rawURL string) (*reader, error) {
	t.Helper()
	u, err := base.ParseURL(rawURL)
	if err != nil {
		t.Fatal(err)
	}
	// Protocol left unset, as most clients do: UDP is tried first and
	// refused, so this also covers the fallback to TCP.
	c := &gortsplib.Client{Scheme: u.Scheme, Host: u.Host, ReadTimeout: 3 * time.Second}
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	desc, _, err := c.Describe(u)
	if err != nil {
		c.Close()
		return nil, err
	}
	t.Cleanup(c.Close)
	// Set up now: gortsplib only accepts packet callbacks after SETUP.
	if err := c.SetupAll(desc.BaseURL, desc.Medias); err != nil {
		t.Fatal(err)
	}
	return &reader{c: c, desc: desc}, nil
}

func (r *reader) play(t testing.TB) {
	t.Helper()
	if _, err := r.c.Play(nil); err != nil {
		t.Fatal(err)
	}
}

type au struct {
	pts  int64
	nalu [][]byte
}

// onVideoAUs decodes the video media into access units. cb runs on the
// client's reading goroutine.
func (r *reader) onVideoAUs(t testing.TB, cb func(au)) {
	t.Helper()
	var (
		decode func(*rtp.Packet) ([][]byte, error)
		medi   *description.Media
		forma  format.Format
	)
	var f264 *format.H264
	var f265 *format.H265
	if m := r.desc.FindFormat(&f264); m != nil {
		d, err := f264.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		decode, medi, forma = d.Decode, m, f264
	} else if m := r.desc.FindFormat(&f265); m != nil {
		d, err := f265.CreateDecoder()
		if err != nil {
			t.Fatal(err)
		}
		decode, medi, forma = d.Decode, m, f265
	} else {
		t.Fatal("no video format in SDP")
	}
	r.c.OnPacketRTP(medi, forma, func(pkt *rtp.Packet) {
		pts, ok := r.c.PacketPTS(medi, pkt)
		if !ok {
			return
		}
		nalus, err := decode(pkt)
		if err != nil {
			return // fragments and the tail of a unit joined midway
		}
		cb(au{pts: pts, nalu: nalus})
	})
}

// recvUntil waits for done to be closed or fails after timeout.
func recvUntil(t *testing.T, done <-chan struct{}, timeout time.Duration, what string) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(timeout):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// seamCheck is one camera's reception for TestPlayAcrossLoopSeam.
type seamCheck struct {
	mu       sync.Mutex
	videoPTS []int64 // decode order
	audioPTS []int64
	done     chan struct{}
}

func TestPlayAcrossLoopSeam(t *testing.T) {
	t.Parallel()
	s := startServer(t, &Server{})
	for _, tc := range clips {
		if err := s.AddCamera(tc.name, mustLoad(t, tc.data)); err != nil {
			t.Fatal(err)
		}
	}

	// All cameras are received at once (not with t.Parallel, which is
	// capped at GOMAXPROCS) so the test costs one loop and a half in total.
	checks := make([]*seamCheck, len(clips))
	for i, tc := range clips {
		r, err := dial(t, s.URL(tc.name))
		if err != nil {
			t.Fatal(err)
		}

		var f264 *format.H264
		var f265 *format.H265
		var aac *format.MPEG4Audio
		switch tc.codec {
		case "H264":
			if r.desc.FindFormat(&f264) == nil || f264.SPS == nil || f264.PPS == nil {
				t.Fatalf("%s: SDP lacks H.264 with SPS/PPS", tc.name)
			}
		case "H265":
			if r.desc.FindFormat(&f265) == nil || f265.VPS == nil || f265.SPS == nil || f265.PPS == nil {
				t.Fatalf("%s: SDP lacks H.265 with VPS/SPS/PPS", tc.name)
			}
		}
		audioMedia := r.desc.FindFormat(&aac)
		if (audioMedia != nil) != tc.audio {
			t.Fatalf("%s: SDP audio present = %v, want %v", tc.name, audioMedia != nil, tc.audio)
		}
		if aac != nil && (aac.ClockRate() != 48000 || aac.SizeLength != 13) {
			t.Fatalf("%s: unexpected AAC format %+v", tc.name, aac)
		}

		sc := &seamCheck{done: make(chan struct{})}
		checks[i] = sc
		// A little over one loop of presentation time guarantees the seam
		// is inside what we received.
		const want = 90000 * 9 / 2
		audio := tc.audio
		r.onVideoAUs(t, func(a au) {
			sc.mu.Lock()
			defer sc.mu.Unlock()
			sc.videoPTS = append(sc.videoPTS, a.pts)
			if a.pts-sc.videoPTS[0] >= want && (!audio || len(sc.audioPTS) > 0) {
				select {
				case <-sc.done:
				default:
					close(sc.done)
				}
			}
		})
		if aac != nil {
			dec, err := aac.CreateDecoder()
			if err != nil {
				t.Fatal(err)
			}
			r.c.OnPacketRTP(audioMedia, aac, func(pkt *rtp.Packet) {
				pts, ok := r.c.PacketPTS(audioMedia, pkt)
				if !ok {
					return
				}
				aus, err := dec.Decode(pkt)
				if err != nil {
					return
				}
				sc.mu.Lock()
				for i := range aus {
					sc.audioPTS = append(sc.audioPTS, pts+int64(i)*1024)
				}
				sc.mu.Unlock()
			})
		}
		r.play(t)
	}

	for i, tc := range clips {
		t.Run(tc.name, func(t *testing.T) {
			sc := checks[i]
			recvUntil(t, sc.done, 10*time.Second, "a loop and a half of video")

			sc.mu.Lock()
			defer sc.mu.Unlock()
			// Decode order is not presentation order, so sort before
			// looking for gaps; duplicates would mean a timestamp went
			// back. The newest frames' B-frames are still in flight, so
			// the last reorder window is left out.
			pts := slices.Clone(sc.videoPTS)
			slices.Sort(pts)
			pts = pts[:len(pts)-3]
			for i := 1; i < len(pts); i++ {
				if d := pts[i] - pts[i-1]; d != frameTicks {
					t.Errorf("video PTS step %d at %d/%d, want %d", d, i, len(pts), frameTicks)
				}
			}
			// In decode order a timestamp may only go back by the B-frame
			// reorder depth, never by a loop.
			for i := 1; i < len(sc.videoPTS); i++ {
				if sc.videoPTS[i] < sc.videoPTS[i-1]-3*frameTicks {
					t.Errorf("video PTS jumped back from %d to %d", sc.videoPTS[i-1], sc.videoPTS[i])
				}
			}
			if tc.audio {
				if len(sc.audioPTS) < 100 {
					t.Fatalf("only %d audio AUs", len(sc.audioPTS))
				}
				for i := 1; i < len(sc.audioPTS); i++ {
					// Back to back, but for the half unit a 4 s loop
					// cannot hold.
					if d := sc.audioPTS[i] - sc.audioPTS[i-1]; d != 1024 && d != 1536 {
						t.Errorf("audio PTS step %d at %d", d, i)
					}
				}
			}
		})
	}
}

func TestPacing(t *testing.T) {
	// A live camera delivers in real time, not as fast as the socket allows.
	t.Parallel()
	s := startServer(t, &Server{})
	if err := s.AddCamera("cam", mustLoad(t, ClipH264)); err != nil {
		t.Fatal(err)
	}
	r, err := dial(t, s.URL("cam"))
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var first time.Time
	var firstPTS int64
	done := make(chan struct{})
	var elapsed time.Duration
	r.onVideoAUs(t, func(a au) {
		mu.Lock()
		defer mu.Unlock()
		if first.IsZero() {
			first, firstPTS = time.Now(), a.pts
			return
		}
		if a.pts-firstPTS >= 25*frameTicks && elapsed == 0 {
			elapsed = time.Since(first)
			close(done)
		}
	})
	r.play(t)
	recvUntil(t, done, 5*time.Second, "one second of video")
	mu.Lock()
	defer mu.Unlock()
	if elapsed < 800*time.Millisecond || elapsed > 1500*time.Millisecond {
		t.Fatalf("one second of video took %v to arrive", elapsed)
	}
}

func TestStopStartCamera(t *testing.T) {
	t.Parallel()
	s := startServer(t, &Server{})
	if err := s.AddCamera("/cam1", mustLoad(t, ClipH264)); err != nil {
		t.Fatal(err)
	}
	if err := s.AddCamera("cam1", mustLoad(t, ClipH264)); err == nil {
		t.Fatal("duplicate camera accepted")
	}

	playOne := func() *reader {
		r, err := dial(t, s.URL("cam1"))
		if err != nil {
			t.Fatal(err)
		}
		got := make(chan struct{})
		var once sync.Once
		r.onVideoAUs(t, func(au) { once.Do(func() { close(got) }) })
		r.play(t)
		recvUntil(t, got, 5*time.Second, "video")
		return r
	}

	r := playOne()
	waited := make(chan error, 1)
	go func() { waited <- r.c.Wait() }()

	s.StopCamera("cam1")
	select {
	case err := <-waited:
		if err == nil {
			t.Fatal("Wait returned nil after the camera died")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("client still connected after StopCamera")
	}

	if _, err := dial(t, s.URL("cam1")); err == nil || !strings.Contains(err.Error(), "404") {
		t.Fatalf("DESCRIBE of a stopped camera: %v, want 404", err)
	}

	if err := s.StartCamera("cam1"); err != nil {
		t.Fatal(err)
	}
	playOne()

	if err := s.StartCamera("nope"); err == nil {
		t.Fatal("StartCamera of an unknown path succeeded")
	}
	if _, err := dial(t, s.URL("nope")); err == nil {
		t.Fatal("DESCRIBE of an unknown path succeeded")
	}
}

func TestAuth(t *testing.T) {
	t.Parallel()
	s := startServer(t, &Server{User: "admin", Pass: "s3cr:t@"})
	if err := s.AddCamera("cam", mustLoad(t, ClipH264)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.URL("cam"), "admin:") {
		t.Fatalf("URL %q lacks credentials", s.URL("cam"))
	}

	bare := "rtsp://" + s.Addr() + "/cam"
	if _, err := dial(t, bare); err == nil || !strings.Contains(err.Error(), "401") {
		t.Fatalf("no credentials: %v, want 401", err)
	}
	if _, err := dial(t, "rtsp://admin:wrong@"+s.Addr()+"/cam"); err == nil {
		t.Fatal("wrong password accepted")
	}

	r, err := dial(t, s.URL("cam"))
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{})
	var once sync.Once
	r.onVideoAUs(t, func(au) { once.Do(func() { close(got) }) })
	r.play(t)
	recvUntil(t, got, 5*time.Second, "video with credentials")
}

func TestOmitParams(t *testing.T) {
	t.Parallel()
	s := startServer(t, &Server{OmitParams: true})
	for _, tc := range clips[1:] {
		if err := s.AddCamera(tc.name, mustLoad(t, tc.data)); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range clips[1:] {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r, err := dial(t, s.URL(tc.name))
			if err != nil {
				t.Fatal(err)
			}
			for _, m := range r.desc.Medias {
				for _, f := range m.Formats {
					for k := range f.FMTP() {
						if strings.HasPrefix(k, "sprop-") {
							t.Errorf("SDP carries %s", k)
						}
					}
				}
			}

			// The first keyframe must bring its own parameter sets.
			done := make(chan struct{})
			var once sync.Once
			r.onVideoAUs(t, func(a au) {
				if hasParams(tc.codec, a.nalu) {
					once.Do(func() { close(done) })
				}
			})
			r.play(t)
			recvUntil(t, done, 3*time.Second, "in-band parameter sets")
		})
	}
}

func hasParams(codec string, au [][]byte) bool {
	seen := map[int]bool{}
	for _, n := range au {
		if codec == "H264" {
			seen[int(h264.NALUType(n[0]&0x1f))] = true
		} else {
			seen[int(h265.NALUType((n[0]>>1)&0x3f))] = true
		}
	}
	if codec == "H264" {
		return seen[int(h264.NALUTypeSPS)] && seen[int(h264.NALUTypePPS)]
	}
	return seen[int(h265.NALUType_VPS_NUT)] && seen[int(h265.NALUType_SPS_NUT)] && seen[int(h265.NALUType_PPS_NUT)]
}

func TestTimestampsContinueAcrossLoops(t *testing.T) {
	// Drive the sender by hand over many loops, without pacing, and check
	// the RTP headers it stamps: no jump at any seam.
	t.Parallel()
	s := startServer(t, &Server{})
	clip := mustLoad(t, ClipH264AAC)
	sn := handDrivenSender(t, s, clip)
	var video, audio []int64
	var lastSeq [2]uint16
	var sent [2]bool
	const loops = 5
	for loop := int64(0); loop < loops; loop++ {
		sn.setLoop(loop)
		for _, ev := range clip.sched {
			if err := sn.send(ev); err != nil {
				t.Fatal(err)
			}
			// Every packet of a unit carries its timestamp; the last one
			// is still in the reused packet.
			var k, n int
			if ev.video {
				video = append(video, int64(sn.pkt.Timestamp-sn.videoTS))
				n = len(clip.frames[ev.idx].pkts)
			} else {
				audio = append(audio, int64(sn.pkt.Timestamp-sn.audioTS))
				k, n = 1, len(clip.audio[ev.idx].pkts)
			}
			if sent[k] && sn.pkt.SequenceNumber != lastSeq[k]+uint16(n) {
				t.Fatalf("sequence number jumped from %d to %d", lastSeq[k], sn.pkt.SequenceNumber)
			}
			lastSeq[k], sent[k] = sn.pkt.SequenceNumber, true
		}
	}
	if len(video) != loops*clip.FrameCount() {
		t.Fatalf("%d frames sent, want %d", len(video), loops*clip.FrameCount())
	}
	slices.Sort(video)
	for i := 1; i < len(video); i++ {
		if d := video[i] - video[i-1]; d != frameTicks {
			t.Fatalf("video timestamp step %d at frame %d", d, i)
		}
	}
	slices.Sort(audio)
	for i := 1; i < len(audio); i++ {
		if d := audio[i] - audio[i-1]; d != 1024 && d != 1536 {
			t.Fatalf("audio timestamp step %d at unit %d", d, i)
		}
	}
}

func BenchmarkSendFrame(b *testing.B) {
	// The cost of stamping one schedule event and handing its packets to
	// gortsplib, without any reader: the floor of a camera's CPU use.
	s := &Server{}
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	clip := mustLoad(b, ClipH264)
	sn := handDrivenSender(b, s, clip)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		loop := int64(i / len(clip.sched))
		if i%len(clip.sched) == 0 {
			sn.setLoop(loop)
		}
		if err := sn.send(clip.sched[i%len(clip.sched)]); err != nil {
			b.Fatal(err)
		}
	}
}

func TestBatchConnDeliversEverythingInOrder(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bl := batchListener{l}
	defer bl.Close()

	received := make(chan []byte, 1)
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			received <- nil
			return
		}
		defer c.Close()
		b, _ := io.ReadAll(c)
		received <- b
	}()
	sc, err := bl.Accept()
	if err != nil {
		t.Fatal(err)
	}

	// Two writers, as gortsplib has (responses and the session's packets):
	// each Write must arrive whole and each writer's order must hold.
	const perWriter = 5000
	var wg sync.WaitGroup
	for w := byte(0); w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWriter {
				msg := make([]byte, 4+i%1500)
				msg[0], msg[1] = w, byte(len(msg)>>8)
				msg[2], msg[3] = byte(len(msg)), byte(i)
				if _, err := sc.Write(msg); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	// Close must flush what is still pending before closing the socket.
	sc.Close()

	var b []byte
	select {
	case b = <-received:
	case <-time.After(10 * time.Second):
		t.Fatal("reader did not finish")
	}
	next := [2]int{}
	for len(b) > 0 {
		if len(b) < 4 {
			t.Fatalf("%d trailing bytes", len(b))
		}
		w, n := b[0], int(b[1])<<8|int(b[2])
		if w > 1 || n < 4 || n > len(b) {
			t.Fatalf("corrupt stream: writer %d, length %d, %d bytes left", w, n, len(b))
		}
		if b[3] != byte(next[w]) || n != 4+next[w]%1500 {
			t.Fatalf("writer %d: message %d out of order", w, next[w])
		}
		next[w]++
		b = b[n:]
	}
	if next != [2]int{perWriter, perWriter} {
		t.Fatalf("received %v messages, want %d each", next, perWriter)
	}
}

// handDrivenSender returns a sender for clip on s whose pacing goroutine is stopped, so that only the
// test drives it.
func handDrivenSender(tb testing.TB, s *Server, clip *Clip) *sender {
	tb.Helper()
	st, err := newStream(s.rtsp, clip, streamOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	close(st.stop)
	<-st.done
	tb.Cleanup(st.rtsp.Close)
	return newSender(st)
}

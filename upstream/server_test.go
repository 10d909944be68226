package upstream_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"net"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bluenviron/gortsplib/v5/pkg/format"

	"vigil/simcam"
)

// TestReaderAccess: without credentials, with wrong ones, or with ones for another camera a reader
// (gortsplib or ffprobe) is refused, and the challenge offers Basic only; unknown and offline cameras get
// their own answers; allowed readers get the stream whatever the URL's trailing slash or query.
func TestReaderAccess(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"cam", simcam.ClipH264}, rigCamera{"other", simcam.ClipH264}, rigCamera{"dead", nil})
	r.startServer()

	const wrongPass = "Wr0ng-pass"
	for _, c := range []struct {
		name string
		url  string
		want int
	}{
		{"no credentials", r.url("", "", "cam"), 401},
		{"wrong password", r.url(tokenUser, wrongPass, "cam"), 401},
		{"unknown user", r.url("nobody", tokenPass, "cam"), 401},
		{"another facility's camera", r.url(facilityUser, facilityPass, "other"), 403},
		{"unknown camera without credentials", r.url("", "", "nope"), 401},
		{"unknown camera", r.url(tokenUser, tokenPass, "nope"), 404},
		{"camera offline", r.url(tokenUser, tokenPass, "dead"), 503},
	} {
		if _, err := describe(c.url); statusCode(err) != c.want {
			t.Errorf("%s: got %v, want status %d", c.name, err, c.want)
		}
	}

	for _, url := range []string{
		r.url(facilityUser, facilityPass, "cam"),
		r.url(tokenUser, tokenPass, "other/"),
		r.url(tokenUser, tokenPass, "cam?via=central"),
	} {
		s, err := play(url)
		if err != nil {
			t.Fatalf("%s: %v", url, err)
		}
		var h264 *format.H264
		if s.desc.FindFormat(&h264) == nil || h264.SPS == nil || h264.PPS == nil {
			t.Errorf("%s: SDP without H.264 parameter sets: %+v", url, s.desc.Medias)
		}
		waitFor(t, "video from "+url, 20*time.Second, func() bool { return s.video.Load() > 0 })
		s.c.Close()
	}

	if head := rawDescribe(t, r.srv.Addr().String(), "cam"); !strings.HasPrefix(head, "RTSP/1.0 401") ||
		!strings.Contains(head, "WWW-Authenticate: Basic realm=") || strings.Contains(head, "Digest") {
		t.Errorf("challenge without credentials:\n%s", head)
	}

	for _, url := range []string{r.url("", "", "cam"), r.url(tokenUser, wrongPass, "cam")} {
		if _, stderr, err := ffprobe(t, url); err == nil || !strings.Contains(stderr, "401") {
			t.Errorf("ffprobe %s: err %v, output %q; want a 401 refusal", url, err, stderr)
		}
	}

	logs := r.logs.String()
	for _, secret := range []string{tokenPass, facilityPass, wrongPass} {
		if strings.Contains(logs, secret) {
			t.Errorf("a password is in the logs:\n%s", logs)
		}
	}
	if !strings.Contains(logs, "wrong credentials") || !strings.Contains(logs, "camera not allowed") {
		t.Errorf("refusals not logged:\n%s", logs)
	}
}

// rawDescribe sends a DESCRIBE without credentials over a plain socket and returns the response's head.
func rawDescribe(t *testing.T, addr, camera string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprintf(conn, "DESCRIBE rtsp://%s/%s RTSP/1.0\r\nCSeq: 1\r\n\r\n", addr, camera)
	var head strings.Builder
	rd := bufio.NewReader(conn)
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the response: %v (so far %q)", err, head.String())
		}
		if line == "\r\n" {
			return head.String()
		}
		head.WriteString(line)
	}
}

// TestFFprobeReads: ffprobe, given credentials in the URL, reads H.264 with AAC, H.265, and H.264 with
// Opus at the clips' size, and each reader's session is logged with its user, never its password.
func TestFFprobeReads(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"h264", simcam.ClipH264AAC}, rigCamera{"h265", simcam.ClipH265},
		rigCamera{"opus", simcam.ClipH264Opus})
	r.startServer()
	for _, c := range []struct{ camera, video, audio string }{
		{"h264", "h264", "aac"},
		{"h265", "hevc", ""},
		{"opus", "h264", "opus"},
	} {
		p, stderr, err := ffprobe(t, r.url(tokenUser, tokenPass, c.camera))
		if err != nil {
			t.Fatalf("ffprobe %s: %v\n%s", c.camera, err, stderr)
		}
		v, ok := p.stream(c.video)
		if !ok || v.CodecType != "video" || v.Width != 640 || v.Height != 360 {
			t.Errorf("%s: want %s 640x360, ffprobe says %+v", c.camera, c.video, p.Streams)
		}
		if _, ok := p.stream(c.audio); c.audio != "" && !ok {
			t.Errorf("%s: no %s audio, ffprobe says %+v", c.camera, c.audio, p.Streams)
		}
	}
	waitFor(t, "every session's end logged", 20*time.Second, func() bool {
		return strings.Count(r.logs.String(), `msg="reader session ended"`) >= 3
	})
	logs := r.logs.String()
	started := regexp.MustCompile(`msg="reader session started" .*camera=h265 remote=127\.0\.0\.1:\d+ user=` + tokenUser)
	if !started.MatchString(logs) {
		t.Errorf("session start not logged with camera, address and user:\n%s", logs)
	}
	if strings.Contains(logs, tokenPass) {
		t.Errorf("the password is in the logs:\n%s", logs)
	}
}

// TestReadersShareOneSubscription: ten readers of one camera cost one subscription to the recorder's
// fan-out (whose one session is the only camera connection), each receives RTP, and the subscription is
// closed once the last reader has left; the next reader subscribes again.
func TestReadersShareOneSubscription(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"cam", simcam.ClipH264AAC})
	r.startServer()
	const n = 10
	url := r.url(tokenUser, tokenPass, "cam")
	sessions := make([]*session, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { sessions[i], errs[i] = play(url) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("reader %d: %v", i, err)
		}
	}
	defer func() {
		for _, s := range sessions {
			s.c.Close()
		}
	}()

	start := time.Now()
	waitFor(t, "ten readers in the status", 20*time.Second, func() bool {
		st, ok := r.streamStatus("cam")
		return ok && st.Readers == n
	})
	for i, s := range sessions {
		waitFor(t, fmt.Sprintf("reader %d's video and audio", i), 20*time.Second, func() bool {
			return s.video.Load() > 0 && s.audio.Load() > 0
		})
	}
	// Let them read together for a while: more readers never mean more subscriptions.
	time.Sleep(max(0, 2*time.Second-time.Since(start)))
	if open, total, _ := r.subs.counts("cam"); open != 1 || total != 1 {
		t.Fatalf("%d readers: %d subscriptions open, %d made; want 1", n, open, total)
	}
	if st, _ := r.streamStatus("cam"); st.Readers != n || st.Packets == 0 || st.Bytes == 0 {
		t.Errorf("status %+v", st)
	}

	for _, s := range sessions {
		s.c.Close()
	}
	waitFor(t, "the stream to end after its last reader", 20*time.Second, func() bool {
		_, ok := r.streamStatus("cam")
		open, _, _ := r.subs.counts("cam")
		return !ok && open == 0
	})
	if _, _, peak := r.subs.counts("cam"); peak != 1 {
		t.Errorf("%d subscriptions open at once, want 1", peak)
	}

	playing(t, url, "video after subscribing again")
	if _, total, _ := r.subs.counts("cam"); total != 2 {
		t.Errorf("%d subscriptions made, want 2", total)
	}
}

// TestCameraDisconnectEndsReaders: when the camera's session ends, its readers are disconnected and the
// camera answers 503 until it is back; then a reader gets the new session.
func TestCameraDisconnectEndsReaders(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"cam", simcam.ClipH265})
	r.startServer()
	url := r.url(tokenUser, tokenPass, "cam")
	s := playing(t, url, "video")

	r.cams.StopCamera("cam")
	ended := make(chan error, 1)
	go func() { ended <- s.c.Wait() }()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the reader was not disconnected when the camera went away")
	}
	waitFor(t, "the stream and its subscription to end", 20*time.Second, func() bool {
		_, ok := r.streamStatus("cam")
		open, _, _ := r.subs.counts("cam")
		return !ok && open == 0
	})
	waitFor(t, "503 while the camera is offline", 20*time.Second, func() bool {
		_, err := describe(url)
		return statusCode(err) == 503
	})

	if err := r.cams.StartCamera("cam"); err != nil {
		t.Fatal(err)
	}
	r.waitLive("cam")
	playing(t, url, "video from the camera's new session")
}

// TestParamsLearnedInBand: a camera that sends its parameter sets only in-band is re-streamed with them
// in the SDP (learned from its first keyframe), so a reader can start from the SDP alone.
func TestParamsLearnedInBand(t *testing.T) {
	t.Parallel()
	r := newRigOn(t, &simcam.Server{OmitParams: true}, rigCamera{"cam", simcam.ClipH265})
	r.startServer()
	s, err := play(r.url(tokenUser, tokenPass, "cam"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.c.Close()
	var h265 *format.H265
	if s.desc.FindFormat(&h265) == nil || h265.VPS == nil || h265.SPS == nil || h265.PPS == nil {
		t.Fatalf("SDP without H.265 parameter sets: %+v", s.desc.Medias)
	}
	p, stderr, err := ffprobe(t, r.url(tokenUser, tokenPass, "cam"))
	if err != nil {
		t.Fatalf("ffprobe: %v\n%s", err, stderr)
	}
	if v, ok := p.stream("hevc"); !ok || v.Width != 640 || v.Height != 360 {
		t.Errorf("ffprobe says %+v", p.Streams)
	}
}

// TestRevokedReaderIsDisconnected: a reader whose token is revoked while it reads is cut off at the next
// recheck, and cannot come back; a view that started is counted once.
func TestRevokedReaderIsDisconnected(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"cam", simcam.ClipH264})
	r.startServer()
	url := r.url(tokenUser, tokenPass, "cam")
	s := playing(t, url, "video")
	if n := r.auth.started.Load(); n != 1 {
		t.Errorf("%d views started, want 1 (one DESCRIBE, two SETUPs, one PLAY)", n)
	}
	r.auth.revoked.Store(true)
	ended := make(chan error, 1)
	go func() { ended <- s.c.Wait() }()
	select {
	case <-ended:
	case <-time.After(20 * time.Second):
		t.Fatal("the reader of a revoked token is still connected")
	}
	if _, err := describe(url); statusCode(err) != 401 {
		t.Errorf("the revoked token again: %v, want 401", err)
	}
}

// TestRTSPS: with a certificate the re-stream speaks RTSPS only: ffprobe reads it over TLS, and a plain
// RTSP client gets nothing, so no password crosses the network in clear.
func TestRTSPS(t *testing.T) {
	t.Parallel()
	r := newRig(t, rigCamera{"cam", simcam.ClipH264})
	r.tls = &tls.Config{Certificates: []tls.Certificate{selfSigned(t)}}
	r.startServer()
	r.waitLive("cam")
	secure := strings.Replace(r.url(tokenUser, tokenPass, "cam"), "rtsp://", "rtsps://", 1)
	p, errOut, err := ffprobe(t, secure)
	if err != nil {
		t.Fatalf("ffprobe over RTSPS: %v\n%s", err, errOut)
	}
	if v, ok := p.stream("h264"); !ok || v.Width != 640 {
		t.Errorf("ffprobe over RTSPS reads %+v", p.Streams)
	}
	if _, errOut, err := ffprobe(t, r.url(tokenUser, tokenPass, "cam")); err == nil {
		t.Errorf("plain RTSP to the RTSPS server was answered: %s", errOut)
	}
}

// selfSigned makes a certificate for 127.0.0.1 (ffprobe does not verify certificates unless asked).
func selfSigned(t *testing.T) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "vigil test"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// playing plays url and waits until video arrives (what), closing the reader when the test ends.
func playing(t *testing.T, url, what string) *session {
	t.Helper()
	s, err := play(url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.c.Close() })
	waitFor(t, what, 20*time.Second, func() bool { return s.video.Load() > 0 })
	return s
}

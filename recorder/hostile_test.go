package recorder

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	"vigil/simcam"
	"vigil/store"
)

// scriptedCamera answers RTSP requests itself and, once playing, sends what play writes: a camera that
// misbehaves in ways a real server library would never produce.
func scriptedCamera(t *testing.T, sdp string, play func(w *bufio.Writer)) string {
	return listen(t, func(c net.Conn) {
		defer c.Close()
		r := textproto.NewReader(bufio.NewReader(c))
		w := bufio.NewWriter(c)
		for {
			line, err := r.ReadLine()
			if err != nil {
				return
			}
			hdr, err := r.ReadMIMEHeader()
			if err != nil {
				return
			}
			method := strings.Fields(line)[0]
			fmt.Fprintf(w, "RTSP/1.0 200 OK\r\nCSeq: %s\r\n", hdr.Get("Cseq"))
			switch method {
			case "OPTIONS":
				fmt.Fprintf(w, "Public: DESCRIBE, SETUP, PLAY, TEARDOWN\r\n\r\n")
			case "DESCRIBE":
				fmt.Fprintf(w, "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s", len(sdp), sdp)
			case "SETUP":
				fmt.Fprintf(w, "Transport: RTP/AVP/TCP;unicast;interleaved=0-1\r\nSession: 12345678\r\n\r\n")
			case "PLAY":
				fmt.Fprintf(w, "Session: 12345678\r\n\r\n")
				w.Flush()
				play(w)
				return
			default:
				fmt.Fprintf(w, "\r\n")
			}
			w.Flush()
		}
	})
}

const h264SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\ns=cam\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n" +
	"m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\na=fmtp:96 packetization-mode=1\r\na=control:trackID=0\r\n"

func interleaved(w *bufio.Writer, payload []byte) {
	w.Write([]byte{'$', 0})
	binary.Write(w, binary.BigEndian, uint16(len(payload)))
	w.Write(payload)
	w.Flush()
}

// TestHostileCameras: broken SDPs, garbage and truncated RTP, and absurd sizes. Each bad camera is marked
// with a reason and retried or keeps counting errors; the good camera beside them records undisturbed.
func TestHostileCameras(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 7))
	garbageRTP := scriptedCamera(t, h264SDP, func(w *bufio.Writer) {
		for i := 0; i < 2000; i++ {
			p := make([]byte, 1+rng.IntN(1400))
			for j := range p {
				p[j] = byte(rng.Uint32())
			}
			interleaved(w, p)
		}
		time.Sleep(time.Second)
	})
	truncatedRTP := scriptedCamera(t, h264SDP, func(w *bufio.Writer) {
		for seq := 0; seq < 500; seq++ {
			// valid headers, FU-A fragments that never end, then headers cut short
			pkt := []byte{0x80, 96, byte(seq >> 8), byte(seq), 0, 0, 0, byte(seq), 0, 0, 0, 1, 28, 0x85}
			pkt = append(pkt, make([]byte, 1000)...)
			interleaved(w, pkt)
			interleaved(w, pkt[:5])
		}
		time.Sleep(time.Second)
	})
	absurd := scriptedCamera(t, h264SDP, func(w *bufio.Writer) {
		// an interleaved frame announcing 65535 bytes that never come, then silence
		w.Write([]byte{'$', 0, 0xff, 0xff, 0x80, 96})
		w.Flush()
		time.Sleep(5 * time.Second)
	})
	brokenSDP := scriptedCamera(t, "v=0\r\nm=video banana\r\n\x00\x01", func(*bufio.Writer) {})
	noVideoSDP := scriptedCamera(t, strings.Replace(h264SDP, "m=video 0 RTP/AVP 96\r\na=rtpmap:96 H264/90000",
		"m=audio 0 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000", 1), func(*bufio.Writer) {})

	rig := newRig(t, time.Minute, rigCamera{"good", simcam.ClipH264})
	bad := map[string]string{"garbage-rtp": garbageRTP, "truncated-rtp": truncatedRTP, "absurd": absurd,
		"broken-sdp": brokenSDP, "no-video": noVideoSDP}
	for id, addr := range bad {
		rig.cfg.Cameras = append(rig.cfg.Cameras, cameraFor(rig, id, "rtsp://"+addr+"/stream"))
	}
	rig.start()
	defer rig.stop()
	rig.waitFor("every hostile camera offline with a reason, the good one recording", 40*time.Second, func() bool {
		for id := range bad {
			s, _ := rig.rec.Camera(id)
			if s.State != store.StateOffline || s.LastError == "" {
				return false
			}
		}
		return rig.recordedDuration("good") >= 3*time.Second
	})
	for id := range bad {
		s, _ := rig.rec.Camera(id)
		t.Logf("%s: %s (decode errors %d, lost %d)", id, s.LastError, s.DecodeErrors, s.PacketsLost)
		if len(rig.segments(id)) != 0 {
			t.Errorf("%s: recorded segments from garbage", id)
		}
	}
	if s, _ := rig.rec.Camera("no-video"); !strings.Contains(s.LastError, "no H.264 or H.265 video") {
		t.Errorf("no-video camera: %q", s.LastError)
	}
	if s, _ := rig.rec.Camera("garbage-rtp"); s.DecodeErrors == 0 {
		t.Errorf("garbage RTP counted no decode errors")
	}
	if segs := rig.segments("good"); len(segs) != 1 {
		t.Errorf("the good camera has %d segments, want 1 uninterrupted", len(segs))
	}
}

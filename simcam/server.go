package simcam

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"
)

// Server is an RTSP server on loopback with any number of camera paths.
// By default only the TCP (interleaved) transport is offered, and clients that
// try UDP first are refused with 461 and fall back to TCP; with UDP set, a free
// port pair is found at Start so that tests running in parallel do not collide.
type Server struct {
	// Address is the listen address; default "127.0.0.1:0" (a free port).
	Address string
	// User and Pass, if set, are required from clients (Basic or Digest MD5).
	User, Pass string
	// OmitParams leaves SPS/PPS (and VPS) out of the SDP, so clients must
	// take them from the stream, as with some real cameras.
	OmitParams bool
	// UDP also offers the UDP transport, on a free pair of loopback ports (RTP even, RTCP the next).
	// Without it only TCP (interleaved) is offered and clients that try UDP first fall back to TCP.
	UDP bool
	// VideoTimestampStart, if not zero, is the first video RTP timestamp of every stream (random
	// otherwise). Near 1<<32 it makes the 32-bit timestamp wrap around soon after the stream starts.
	VideoTimestampStart uint32

	mu      sync.Mutex
	rtsp    *gortsplib.Server
	addr    string
	cameras map[string]*camera
	closed  bool
	dropped atomic.Uint64
}

// writeQueueSize is each reader's queue of outgoing packets. gortsplib's
// default of 256 overflows when a loaded host briefly starves the writers of
// a few hundred 1080p streams, and a dropped packet would look like a
// recorder bug in the load test; 1024 is a few seconds of such a stream.
const writeQueueSize = 1024

// Start listens and serves. Cameras added before Start begin playing now.
// The exported fields must not change after Start.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rtsp != nil {
		return errors.New("simcam: server already started")
	}
	addr := s.Address
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	rs, err := s.startRTSP(addr)
	if err != nil {
		return err
	}
	for _, c := range s.cameras {
		if !c.wantRunning {
			continue
		}
		if err := c.start(rs, s.streamOptions()); err != nil {
			for _, c := range s.cameras {
				c.detach().close()
			}
			rs.Close()
			return err
		}
	}
	s.rtsp = rs
	s.addr = rs.NetListener().Addr().String()
	return nil
}

func (s *Server) streamOptions() streamOptions {
	return streamOptions{omitParams: s.OmitParams, videoTS: s.VideoTimestampStart}
}

// startRTSP starts gortsplib's server. With UDP, the port pair is found by binding and releasing it, so
// another process can take it in between: a failed start is retried with a new pair.
func (s *Server) startRTSP(addr string) (*gortsplib.Server, error) {
	for attempt := 0; ; attempt++ {
		rs := &gortsplib.Server{
			Handler:        (*handler)(s),
			RTSPAddress:    addr,
			WriteQueueSize: writeQueueSize,
			Listen: func(network, address string) (net.Listener, error) {
				l, err := net.Listen(network, address)
				if err != nil {
					return nil, err
				}
				return batchListener{l}, nil
			},
		}
		if s.UDP {
			rtp, err := freeUDPPortPair()
			if err != nil {
				return nil, fmt.Errorf("simcam: %w", err)
			}
			rs.UDPRTPAddress = fmt.Sprintf("127.0.0.1:%d", rtp)
			rs.UDPRTCPAddress = fmt.Sprintf("127.0.0.1:%d", rtp+1)
		}
		err := rs.Start()
		if err == nil {
			return rs, nil
		}
		if !s.UDP || attempt == 5 {
			return nil, fmt.Errorf("simcam: %w", err)
		}
	}
}

// freeUDPPortPair returns an even port p such that p and p+1 were both free on loopback.
func freeUDPPortPair() (int, error) {
	for i := 0; i < 50; i++ {
		a, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		p := a.LocalAddr().(*net.UDPAddr).Port
		a.Close()
		if p%2 != 0 {
			continue
		}
		b, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p+1))
		if err != nil {
			continue
		}
		b.Close()
		return p, nil
	}
	return 0, errors.New("no free UDP port pair on loopback")
}

// Addr is the actual host:port after Start.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// URL is "rtsp://[user:pass@]addr/path".
func (s *Server) URL(path string) string {
	u := url.URL{Scheme: "rtsp", Host: s.Addr(), Path: "/" + cleanPath(path)}
	if s.User != "" || s.Pass != "" {
		u.User = url.UserPassword(s.User, s.Pass)
	}
	return u.String()
}

// AddCamera serves clip at rtsp://Addr()/path. The camera plays from now on,
// paced by the wall clock like a live camera, whether or not anyone watches.
func (s *Server) AddCamera(path string, clip *Clip) error {
	if clip == nil {
		return errors.New("simcam: nil clip")
	}
	path = cleanPath(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("simcam: server closed")
	}
	if s.cameras == nil {
		s.cameras = make(map[string]*camera)
	}
	if _, ok := s.cameras[path]; ok {
		return fmt.Errorf("simcam: camera %q already exists", path)
	}
	c := &camera{clip: clip, wantRunning: true}
	if s.rtsp != nil {
		if err := c.start(s.rtsp, s.streamOptions()); err != nil {
			return err
		}
	}
	s.cameras[path] = c
	return nil
}

// SwitchClip makes a running camera play clip from its next loop on, in the same RTSP session, its
// timestamps continuing: a camera whose encoder settings (say, its resolution) change mid-stream. The
// SDP is not changed, so the new parameter sets arrive in-band only. Both clips must have the same codec
// and no audio.
func (s *Server) SwitchClip(path string, clip *Clip) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cameras[cleanPath(path)]
	if c == nil || c.cur == nil {
		return fmt.Errorf("simcam: camera %q is not running", path)
	}
	if clip.Codec() != c.clip.Codec() || clip.HasAudio() || c.clip.HasAudio() {
		return errors.New("simcam: SwitchClip needs two clips of one codec, without audio")
	}
	c.clip = clip
	c.cur.next.Store(clip)
	return nil
}

// StopCamera makes the camera die: its stream is closed, connected clients
// are disconnected and DESCRIBE answers 404 until StartCamera.
func (s *Server) StopCamera(path string) {
	s.mu.Lock()
	c := s.cameras[cleanPath(path)]
	var st *stream
	if c != nil {
		c.wantRunning = false
		st = c.detach()
	}
	s.mu.Unlock()
	// Outside the lock: closing kicks sessions, whose teardown may call back
	// into the handler.
	st.close()
}

// StartCamera brings a stopped camera back as a new session; its RTP
// sequence numbers and timestamps start afresh.
func (s *Server) StartCamera(path string) error {
	path = cleanPath(path)
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.cameras[path]
	if c == nil {
		return fmt.Errorf("simcam: no camera %q", path)
	}
	if s.closed {
		return errors.New("simcam: server closed")
	}
	c.wantRunning = true
	if s.rtsp == nil || c.cur != nil {
		return nil
	}
	return c.start(s.rtsp, s.streamOptions())
}

// Close stops every camera and the server.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	var streams []*stream
	for _, c := range s.cameras {
		streams = append(streams, c.detach())
	}
	rs := s.rtsp
	s.mu.Unlock()
	for _, st := range streams {
		st.close()
	}
	if rs != nil {
		rs.Close()
	}
}

// DroppedPackets counts RTP packets not delivered because a reader's write
// queue was full: non-zero means the cameras, not the client, fell behind.
func (s *Server) DroppedPackets() uint64 { return s.dropped.Load() }

func (s *Server) lookup(path string) *stream {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.cameras[cleanPath(path)]; c != nil {
		return c.cur
	}
	return nil
}

func cleanPath(p string) string { return strings.Trim(p, "/") }

// handler keeps gortsplib's callbacks off Server's exported method set.
type handler Server

func (h *handler) authorized(conn *gortsplib.ServerConn, req *base.Request) bool {
	if h.User == "" && h.Pass == "" {
		return true
	}
	return conn.VerifyCredentials(req, h.User, h.Pass)
}

func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.streamFor(ctx.Conn, ctx.Request, ctx.Path)
}

func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	return h.streamFor(ctx.Conn, ctx.Request, ctx.Path)
}

// streamFor answers DESCRIBE and SETUP alike: authenticate, then find the camera's live stream.
func (h *handler) streamFor(conn *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *gortsplib.ServerStream, error) {
	if !h.authorized(conn, req) {
		return &base.Response{StatusCode: base.StatusUnauthorized}, nil, liberrors.ErrServerAuth{}
	}
	st := (*Server)(h).lookup(path)
	if st == nil {
		return &base.Response{StatusCode: base.StatusNotFound}, nil, nil
	}
	return &base.Response{StatusCode: base.StatusOK}, st.rtsp, nil
}

// gortsplib logs these to the standard logger unless handled; a busy load
// test would flood it, so they are counted instead.
func (h *handler) OnStreamWriteError(*gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	h.dropped.Add(1)
}

// Readers only send RTCP receiver reports; their losses and malformed
// packets are theirs to report.
func (h *handler) OnPacketsLost(*gortsplib.ServerHandlerOnPacketsLostCtx) {}

func (h *handler) OnDecodeError(*gortsplib.ServerHandlerOnDecodeErrorCtx) {}

func (h *handler) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

// AddClips adds one camera per path, each looping its clip (MPEG-TS bytes, as LoadClip takes them).
func (s *Server) AddClips(clips map[string][]byte) error {
	for path, ts := range clips {
		clip, err := LoadClip(ts)
		if err != nil {
			return fmt.Errorf("clip for %s: %w", path, err)
		}
		if err := s.AddCamera(path, clip); err != nil {
			return err
		}
	}
	return nil
}

// UnusedAddr is a loopback address where nothing listens (a port just bound and released): where a
// camera that refuses every connection would be.
func UnusedAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

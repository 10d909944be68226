package upstream

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/bluenviron/gortsplib/v5"
	"github.com/bluenviron/gortsplib/v5/pkg/auth"
	"github.com/bluenviron/gortsplib/v5/pkg/base"
	"github.com/bluenviron/gortsplib/v5/pkg/headers"
	"github.com/bluenviron/gortsplib/v5/pkg/liberrors"

	vauth "vigil/auth"
	"vigil/config"
	"vigil/media"
)

// defaultGrace is how long a camera's re-stream outlives its last reader: a reader that reconnects at
// once (a player reloading, a central system cycling its sessions) finds it still running.
const defaultGrace = 10 * time.Second

// defaultRecheck: a token revoked or a user disabled stops reading within this long.
const defaultRecheck = 15 * time.Second

// writeQueueSize is each reader's queue of outgoing RTP packets. gortsplib's default (256) is about a
// second of a 4 Mbit/s stream: a reader on a congested WAN link would lose packets at the first hiccup.
const writeQueueSize = 1024

// Server re-streams cameras over RTSP at rtsp://host:port/{camera} (a trailing slash or a query is
// ignored), from the recorder's live fan-out: however many readers a camera has, it costs one
// subscription, and never a second connection to the camera. Only TCP (interleaved) transport is offered,
// which is what crosses the firewalls between a facility and the central system; a client that asks for
// UDP first is answered 461 and falls back to TCP.
//
// Answers: 401 with a Basic challenge without (or with wrong) credentials; 404 for a camera that does
// not exist or may not be served (asked with valid credentials, so the camera list is not given away to
// strangers); 403 when the credentials are not for that camera; 503 "Camera Not Online" when the camera
// has no live session now.
//
// The first reader of a camera subscribes to its feed and starts its stream; the stream ends Grace after
// its last reader left, or when the camera's session ends, which disconnects its readers (the next
// DESCRIBE subscribes again). Every reader session's start and end is logged at info with the camera,
// the remote address and the user name; refusals with credentials at warn.
//
// Basic authentication sends the password in clear: across networks, carry it over a VPN.
type Server struct {
	Listen string // host:port; port 0 picks a free one (see Addr)
	// Subscribe opens a feed of a camera's live stream: the recorder's Subscribe.
	Subscribe func(camera string, q media.Quality) (*media.Feed, error)
	// Cameras returns the ids of the cameras that may be served (the enabled ones).
	Cameras func() []string
	// Authorize decides who reads what; without one every reader is refused.
	Authorize Authorizer
	// Log defaults to slog.Default().
	Log *slog.Logger
	// Grace is how long a camera's stream outlives its last reader; it defaults to 10 seconds.
	Grace time.Duration
	// TLS, when set, makes the server speak RTSPS only: Basic credentials then cross the network encrypted.
	TLS *tls.Config
	// Recheck is how often every reading session's Permit is asked whether it still holds; one that does not
	// is disconnected. It defaults to 15 seconds.
	Recheck time.Duration

	log     *slog.Logger
	rtsp    *gortsplib.Server
	mu      sync.Mutex
	streams map[string]*camStream
	readers map[*gortsplib.ServerSession]*reader
	closed  bool
	wg      sync.WaitGroup // the streams' goroutines and the recheck loop
	done    chan struct{}  // closed by Close: ends the recheck loop
}

// StreamStatus is one camera currently re-streamed.
type StreamStatus struct {
	Camera  string    `json:"camera"`
	Readers int       `json:"readers"`
	Since   time.Time `json:"since"`   // when its stream started
	Bytes   uint64    `json:"bytes"`   // sent to all its readers
	Packets uint64    `json:"packets"` // RTP packets sent to all its readers
	// Dropped counts packets not sent because a reader's queue was full (a reader too slow for the stream).
	Dropped uint64 `json:"dropped"`
}

// camStream is one camera's re-stream: a subscription and the gortsplib stream it feeds. err, stream and
// since are set before ready is closed and not changed after; readers, dropped, idle and ended are
// guarded by Server.mu.
type camStream struct {
	camera string
	ready  chan struct{}
	err    error // why it could not start, set before ready is closed
	stream *gortsplib.ServerStream
	since  time.Time

	readers int
	dropped uint64
	idle    *time.Timer
	ended   bool

	stopOnce sync.Once
	stop     chan struct{} // closed to end it
	why      string        // why it was ended, set before stop is closed
}

// end stops the stream, saying why (the first reason given stands).
func (cs *camStream) end(why string) {
	cs.stopOnce.Do(func() {
		cs.why = why
		close(cs.stop)
	})
}

// reader is one RTSP session reading a camera.
type reader struct {
	cs     *camStream
	user   string
	from   net.Addr
	since  time.Time
	permit Permit
}

// Start binds the listener and serves.
func (s *Server) Start() error {
	if s.Listen == "" || s.Listen == config.UpstreamOff {
		return fmt.Errorf("upstream: no listen address (%q)", s.Listen)
	}
	s.log = s.Log
	if s.log == nil {
		s.log = slog.Default()
	}
	s.log = s.log.With("component", "upstream")
	s.streams = map[string]*camStream{}
	s.readers = map[*gortsplib.ServerSession]*reader{}
	s.rtsp = &gortsplib.Server{
		Handler:        (*handler)(s),
		RTSPAddress:    s.Listen,
		WriteQueueSize: writeQueueSize,
		// Basic only: the Authorizer needs the password in clear to check it against a hash.
		AuthMethods: []auth.VerifyMethod{auth.VerifyMethodBasic},
		TLSConfig:   s.TLS,
	}
	if err := s.rtsp.Start(); err != nil {
		return fmt.Errorf("upstream: %w", err)
	}
	s.done = make(chan struct{})
	s.wg.Add(1)
	go s.recheckLoop()
	s.log.Info("RTSP re-stream listening", "addr", s.Addr().String())
	return nil
}

// recheckLoop disconnects, every Recheck, the readers whose permit no longer holds.
func (s *Server) recheckLoop() {
	defer s.wg.Done()
	every := s.Recheck
	if every <= 0 {
		every = defaultRecheck
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case <-t.C:
			s.recheck()
		}
	}
}

func (s *Server) recheck() {
	s.mu.Lock()
	sessions := make(map[*gortsplib.ServerSession]*reader, len(s.readers))
	for ss, r := range s.readers {
		sessions[ss] = r
	}
	s.mu.Unlock()
	// Asked outside the lock: a permit may read the store.
	for ss, r := range sessions {
		if r.permit == nil || r.permit.Valid() {
			continue
		}
		s.log.Warn("RTSP reader disconnected: its access was withdrawn", "camera", r.cs.camera, "remote", r.from.String(), "user", r.user)
		ss.Close()
	}
}

// Addr is the bound address, after Start.
func (s *Server) Addr() net.Addr { return s.rtsp.NetListener().Addr() }

// Close ends every stream, disconnecting their readers, and stops listening.
func (s *Server) Close() {
	if s.rtsp == nil {
		return
	}
	s.mu.Lock()
	if !s.closed && s.done != nil {
		close(s.done)
	}
	s.closed = true
	all := make([]*camStream, 0, len(s.streams))
	for id, cs := range s.streams {
		all = append(all, cs)
		delete(s.streams, id)
	}
	s.mu.Unlock()
	for _, cs := range all {
		cs.end("vigil is stopping")
	}
	s.wg.Wait()
	s.rtsp.Close()
}

// Status lists the cameras re-streamed now, by camera id.
func (s *Server) Status() []StreamStatus {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]StreamStatus, 0, len(s.streams))
	for _, cs := range s.streams {
		if !isReady(cs) || cs.err != nil {
			continue
		}
		st := cs.stream.Stats()
		out = append(out, StreamStatus{Camera: cs.camera, Readers: cs.readers, Since: cs.since,
			Bytes: st.OutboundBytes, Packets: st.OutboundRTPPackets, Dropped: cs.dropped})
	}
	slices.SortFunc(out, func(a, b StreamStatus) int { return strings.Compare(a.Camera, b.Camera) })
	return out
}

func isReady(cs *camStream) bool {
	select {
	case <-cs.ready:
		return true
	default:
		return false
	}
}

// streamFor returns the running stream of a camera, starting it if needed; concurrent first readers wait
// for the same start.
func (s *Server) streamFor(camera string) (*camStream, error) {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil, errStopped
	}
	cs := s.streams[camera]
	if cs == nil {
		cs = &camStream{camera: camera, ready: make(chan struct{}), stop: make(chan struct{})}
		s.streams[camera] = cs
		s.wg.Add(1)
		go s.run(cs)
	}
	s.mu.Unlock()
	<-cs.ready
	if cs.err != nil {
		return nil, cs.err
	}
	return cs, nil
}

// run subscribes, starts the stream and pumps the feed into it until the feed ends or the stream is
// ended (no reader for Grace, or Close).
func (s *Server) run(cs *camStream) {
	defer s.wg.Done()
	feed, pz, first, err := s.open(cs)
	if err == nil {
		cs.stream = &gortsplib.ServerStream{Server: s.rtsp, Desc: pz.desc}
		if err = cs.stream.Initialize(); err != nil {
			feed.Close()
		}
	}
	if err != nil {
		cs.err = err
		s.forget(cs)
		close(cs.ready)
		return
	}
	pz.onNewParams = cs.stream.ReloadDesc
	cs.since = time.Now()
	s.mu.Lock()
	s.startIdle(cs)
	s.mu.Unlock()
	close(cs.ready)
	log := s.log.With("camera", cs.camera)
	log.Info("re-stream started", "codec", feed.Tracks.VideoCodec, "audio", feed.Tracks.AudioCodec)
	reason := s.pump(cs, feed, pz, first, log)
	// Forgotten first, so that a reader arriving now starts a new stream rather than joining this one.
	s.forget(cs)
	cs.stream.Close() // disconnects its readers
	feed.Close()
	log.Info("re-stream ended", "reason", reason)
}

// open subscribes to a camera and waits for what its SDP needs.
func (s *Server) open(cs *camStream) (*media.Feed, *packetizer, *media.Unit, error) {
	feed, err := s.Subscribe(cs.camera, media.MainStream)
	if err != nil {
		return nil, nil, nil, err
	}
	params, first, err := waitParams(feed, cs.stop, paramsWait)
	if err == nil {
		var pz *packetizer
		if pz, err = newPacketizer(feed.Tracks, params); err == nil {
			return feed, pz, first, nil
		}
	}
	feed.Close()
	return nil, nil, nil, err
}

// pump writes the feed's units to the stream and says why it stopped.
func (s *Server) pump(cs *camStream, feed *media.Feed, pz *packetizer, first *media.Unit, log *slog.Logger) string {
	if first != nil {
		s.write(cs, pz, *first, log)
	}
	for {
		select {
		case u, ok := <-feed.Units:
			if !ok {
				return errFeedEnded.Error()
			}
			if err := s.write(cs, pz, u, log); err != nil {
				return err.Error()
			}
		case <-cs.stop:
			return cs.why
		}
	}
}

// write sends one unit; only a closed stream is an error, a unit that cannot be packetized is skipped.
func (s *Server) write(cs *camStream, pz *packetizer, u media.Unit, log *slog.Logger) error {
	medi, pkts, ntp, err := pz.packetize(u)
	if err != nil {
		log.Debug("unit not re-streamed", "err", err)
		return nil
	}
	for _, pkt := range pkts {
		err := cs.stream.WritePacketRTPWithNTP(medi, pkt, ntp)
		if errors.As(err, &liberrors.ErrServerStreamClosed{}) {
			return err
		}
	}
	return nil
}

// forget removes an ended stream, so that the next reader starts a new one.
func (s *Server) forget(cs *camStream) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cs.ended = true
	if cs.idle != nil {
		cs.idle.Stop()
	}
	if s.streams[cs.camera] == cs {
		delete(s.streams, cs.camera)
	}
}

// startIdle ends cs after Grace unless a reader comes. Called with s.mu held.
func (s *Server) startIdle(cs *camStream) {
	if cs.ended || cs.readers > 0 {
		return
	}
	grace := s.Grace
	if grace <= 0 {
		grace = defaultGrace
	}
	if cs.idle != nil {
		cs.idle.Stop()
	}
	cs.idle = time.AfterFunc(grace, func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if cs.readers > 0 || s.streams[cs.camera] != cs {
			return
		}
		// Forgotten here rather than when its goroutine returns, so a reader arriving meanwhile starts
		// a new stream instead of joining one that is closing.
		delete(s.streams, cs.camera)
		cs.end("no reader left")
	})
}

// addReader counts a session as a reader of cs, once however many medias it sets up, and tells its permit
// the view started. It reports false when cs ended meanwhile (its grace ran out between DESCRIBE and SETUP).
func (s *Server) addReader(ss *gortsplib.ServerSession, cs *camStream, user string, from net.Addr, permit Permit) bool {
	added, ok := s.joinStream(ss, cs, user, from, permit)
	if added && permit != nil {
		permit.Started() // outside the lock: it writes to the audit log
	}
	return ok
}

func (s *Server) joinStream(ss *gortsplib.ServerSession, cs *camStream, user string, from net.Addr, permit Permit) (added, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.readers[ss]; ok {
		return false, true
	}
	if cs.ended || s.streams[cs.camera] != cs {
		return false, false
	}
	s.readers[ss] = &reader{cs: cs, user: user, from: from, since: time.Now(), permit: permit}
	cs.readers++
	if cs.idle != nil {
		cs.idle.Stop()
		cs.idle = nil
	}
	s.log.Info("reader session started", "camera", cs.camera, "remote", from.String(), "user", user)
	return true, true
}

// removeReader forgets a closed session; the stream idles when it was the last.
func (s *Server) removeReader(ss *gortsplib.ServerSession, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.readers[ss]
	if r == nil {
		return
	}
	delete(s.readers, ss)
	r.cs.readers--
	s.startIdle(r.cs)
	s.log.Info("reader session ended", "camera", r.cs.camera, "remote", r.from.String(), "user", r.user,
		"duration", time.Since(r.since).Round(time.Second).String(), "bytes", ss.Stats().OutboundBytes,
		"reason", errText(err))
}

func (s *Server) countDrop(ss *gortsplib.ServerSession) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if r := s.readers[ss]; r != nil {
		r.cs.dropped++
	}
}

func (s *Server) servable(camera string) bool {
	return camera != "" && s.Cameras != nil && slices.Contains(s.Cameras(), camera)
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// handler keeps gortsplib's callbacks off Server's exported method set.
type handler Server

// access answers DESCRIBE and SETUP alike: who may read what, then the camera's stream. A nil response
// means go on with the stream.
func (h *handler) access(conn *gortsplib.ServerConn, req *base.Request, path string) (*base.Response, *camStream, creds, error) {
	s := (*Server)(h)
	camera := strings.Trim(path, "/")
	c := credentials(req)
	if res, err := h.authorize(conn, c, camera); res != nil {
		return res, nil, c, err
	}
	cs, err := s.streamFor(camera)
	if err != nil {
		s.log.Info("RTSP reader refused: camera not online", "camera", camera,
			"remote", conn.NetConn().RemoteAddr().String(), "user", c.shown, "err", err)
		return &base.Response{StatusCode: base.StatusServiceUnavailable, StatusMessage: "Camera Not Online"}, nil, c, nil
	}
	return nil, cs, c, nil
}

// authorize returns the refusal for a client that may not read camera, or nil.
func (h *handler) authorize(conn *gortsplib.ServerConn, c creds, camera string) (*base.Response, error) {
	s := (*Server)(h)
	from := conn.NetConn().RemoteAddr()
	err := h.check(conn, c, camera, from)
	switch {
	case errors.Is(err, ErrUnauthenticated):
		if c.user != "" {
			s.log.Warn("RTSP reader refused: wrong credentials", "camera", camera, "remote", from.String(), "user", c.shown)
		}
		// gortsplib adds the challenge when no credentials came, and closes the connection when wrong
		// ones did.
		return &base.Response{StatusCode: base.StatusUnauthorized}, liberrors.ErrServerAuth{}
	case !s.servable(camera):
		return &base.Response{StatusCode: base.StatusNotFound}, nil
	case errors.Is(err, ErrForbidden):
		s.log.Warn("RTSP reader refused: camera not allowed", "camera", camera, "remote", from.String(), "user", c.shown)
		return &base.Response{StatusCode: base.StatusForbidden}, nil
	case err != nil:
		s.log.Error("RTSP authorization failed", "camera", camera, "remote", from.String(), "user", c.shown, "err", err)
		return &base.Response{StatusCode: base.StatusInternalServerError}, nil
	}
	return nil, nil
}

// check asks the Authorizer, once per connection, camera and credentials while the permit holds: a client
// sends the same Authorization header with DESCRIBE and each SETUP, and checking a password hash is slow
// on purpose.
func (h *handler) check(conn *gortsplib.ServerConn, c creds, camera string, from net.Addr) error {
	if c.digest {
		return ErrUnauthenticated
	}
	key := grantKey{header: c.header, camera: camera}
	if g, ok := conn.UserData().(*grant); ok && g.key == key && g.permit.Valid() {
		return nil
	}
	if h.Authorize == nil {
		return ErrUnauthenticated
	}
	permit, err := h.Authorize.AuthorizeRTSP(c.user, c.pass, camera, from)
	if err == nil && (c.user != "" || c.pass != "") && permit != nil {
		conn.SetUserData(&grant{key: key, permit: permit})
	}
	return err
}

// grant is what a connection was last allowed: these credentials, that camera, and the permit given.
type grant struct {
	key    grantKey
	permit Permit
}

type grantKey struct{ header, camera string }

// permitOf is the permit the connection's last check gave, or nil.
func permitOf(conn *gortsplib.ServerConn) Permit {
	if g, ok := conn.UserData().(*grant); ok {
		return g.permit
	}
	return nil
}

// creds are what a client sent in its Authorization header.
type creds struct {
	user, pass string
	shown      string // user as logs may show it (an API token typed as the name is hidden)
	header     string
	digest     bool // Digest cannot be checked against a hash; only Basic is offered
}

func credentials(req *base.Request) creds {
	var a headers.Authorization
	v := req.Header["Authorization"]
	if err := a.Unmarshal(v); err != nil {
		return creds{}
	}
	c := creds{user: a.Username, shown: vauth.SafeName(a.Username), header: v[0]}
	if a.Method == headers.AuthMethodBasic {
		c.pass = a.BasicPass
	} else {
		c.digest = true
	}
	return c
}

func (h *handler) OnDescribe(ctx *gortsplib.ServerHandlerOnDescribeCtx) (*base.Response, *gortsplib.ServerStream, error) {
	res, cs, _, err := h.access(ctx.Conn, ctx.Request, ctx.Path)
	if res != nil {
		return res, nil, err
	}
	return &base.Response{StatusCode: base.StatusOK}, cs.stream, nil
}

func (h *handler) OnSetup(ctx *gortsplib.ServerHandlerOnSetupCtx) (*base.Response, *gortsplib.ServerStream, error) {
	s := (*Server)(h)
	if ctx.Session.State() == gortsplib.ServerSessionStatePrePlay {
		// A further media of the same session: gortsplib requires the same stream.
		c := credentials(ctx.Request)
		if res, err := h.authorize(ctx.Conn, c, strings.Trim(ctx.Path, "/")); res != nil {
			return res, nil, err
		}
		return &base.Response{StatusCode: base.StatusOK}, ctx.Session.Stream(), nil
	}
	// Twice at most: the stream found may end before the session joins it; a new one then starts.
	for range 2 {
		res, cs, c, err := h.access(ctx.Conn, ctx.Request, ctx.Path)
		if res != nil {
			return res, nil, err
		}
		if s.addReader(ctx.Session, cs, c.shown, ctx.Conn.NetConn().RemoteAddr(), permitOf(ctx.Conn)) {
			return &base.Response{StatusCode: base.StatusOK}, cs.stream, nil
		}
	}
	return &base.Response{StatusCode: base.StatusServiceUnavailable}, nil, nil
}

func (h *handler) OnPlay(*gortsplib.ServerHandlerOnPlayCtx) (*base.Response, error) {
	return &base.Response{StatusCode: base.StatusOK}, nil
}

func (h *handler) OnSessionClose(ctx *gortsplib.ServerHandlerOnSessionCloseCtx) {
	(*Server)(h).removeReader(ctx.Session, ctx.Error)
}

// The following keep gortsplib from printing to the standard logger.

func (h *handler) OnStreamWriteError(ctx *gortsplib.ServerHandlerOnStreamWriteErrorCtx) {
	(*Server)(h).countDrop(ctx.Session)
}

// Readers send only RTCP receiver reports: their losses are theirs to report.
func (h *handler) OnPacketsLost(*gortsplib.ServerHandlerOnPacketsLostCtx) {}

func (h *handler) OnDecodeError(*gortsplib.ServerHandlerOnDecodeErrorCtx) {}

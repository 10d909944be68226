package main

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"

	"vigil/auth"
	"vigil/config"
	"vigil/recorder"
	"vigil/store"
	"vigil/upstream"
	"vigil/web"
)

// rtspGate lets RTSP readers of the re-stream in with a user's password or an API token (as the password,
// any user name), under the same lockouts as the web sign-in; its permits audit each view as it starts and
// are re-checked while it lasts.
type rtspGate struct {
	auth       *auth.Service
	store      *store.Store
	facilities map[string]string // camera → facility
	log        *slog.Logger
}

func (g *rtspGate) AuthorizeRTSP(user, pass, camera string, from net.Addr) (upstream.Permit, error) {
	ctx := context.Background()
	addr := hostOf(from)
	if user == "" && pass == "" {
		return nil, upstream.ErrUnauthenticated
	}
	p, err := g.auth.Password(ctx, user, pass, auth.Client{Address: addr, UserAgent: "rtsp"})
	if err != nil {
		g.audit(ctx, &store.AuditEvent{Actor: auth.SafeName(user), ActorKind: "anonymous", Address: addr, Action: "login_failed",
			Camera: camera, Detail: "rtsp: " + err.Error(), Outcome: "refused"})
		if errors.Is(err, auth.ErrBadCredentials) || errors.Is(err, auth.ErrDisabled) || isLocked(err) {
			return nil, upstream.ErrUnauthenticated
		}
		return nil, err
	}
	facility := g.facilities[camera]
	if !p.CanAt(auth.Live, facility) {
		return nil, upstream.ErrForbidden
	}
	return &rtspPermit{gate: g, principal: p, camera: camera, facility: facility, addr: addr}, nil
}

// rtspPermit is one RTSP reader's access to one camera.
type rtspPermit struct {
	gate             *rtspGate
	principal        *auth.Principal
	camera, facility string
	addr             string
}

// Valid: the user or token as it is now still reaches the camera.
func (p *rtspPermit) Valid() bool {
	now, ok := p.gate.auth.Current(context.Background(), p.principal)
	return ok && now.CanAt(auth.Live, p.facility)
}

// Started audits the view once its session has joined the camera's stream.
func (p *rtspPermit) Started() {
	p.gate.audit(context.Background(), &store.AuditEvent{Actor: p.principal.Name, ActorKind: string(p.principal.Kind),
		Role: string(p.principal.Role), Address: p.addr, Action: "live", Camera: p.camera, Facility: p.facility, Detail: "rtsp re-stream"})
}

func (g *rtspGate) audit(ctx context.Context, e *store.AuditEvent) {
	if err := g.store.AppendAudit(ctx, e); err != nil {
		g.log.Error("audit event not written", "action", e.Action, "camera", e.Camera, "err", err)
	}
}

func isLocked(err error) bool {
	var locked *auth.LockedError
	return errors.As(err, &locked)
}

func hostOf(a net.Addr) string {
	if a == nil {
		return ""
	}
	host, _, err := net.SplitHostPort(a.String())
	if err != nil {
		return a.String()
	}
	return host
}

// upstreamLink is the connection to the central system: the re-stream (nil when upstream.listen is off)
// and the push publishers.
type upstreamLink struct {
	server *upstream.Server
	pusher *upstream.Pusher
	public string
	scheme string // rtsp or rtsps
	// stopPush ends the publishers; pushed is closed once they all have.
	stopPush context.CancelFunc
	pushed   chan struct{}
}

// startUpstream starts the RTSP re-stream and the publishers; the publishers stop with ctx.
func startUpstream(ctx context.Context, cfg *config.Config, rec *recorder.Recorder, a *auth.Service, st *store.Store, log *slog.Logger) (*upstreamLink, error) {
	l := &upstreamLink{public: cfg.Upstream.PublicURL, scheme: cfg.Upstream.Scheme()}
	facilities := map[string]string{}
	var ids []string
	for _, c := range cfg.Cameras {
		facilities[c.ID] = c.Facility
		if c.Enabled {
			ids = append(ids, c.ID)
		}
	}
	if cfg.Upstream.Listen != config.UpstreamOff {
		l.server = &upstream.Server{Listen: cfg.Upstream.Listen, Subscribe: rec.Subscribe, Cameras: func() []string { return ids },
			Authorize: &rtspGate{auth: a, store: st, facilities: facilities, log: log}, Log: log}
		if cfg.Upstream.TLSCert != "" {
			cert, err := tls.LoadX509KeyPair(cfg.Upstream.TLSCert, cfg.Upstream.TLSKey)
			if err != nil {
				return nil, err
			}
			l.server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
		}
		if err := l.server.Start(); err != nil {
			return nil, err
		}
	}
	if len(cfg.Upstream.Push) > 0 {
		l.pusher = &upstream.Pusher{Targets: cfg.Upstream.Push, Cameras: cfg.Cameras, Subscribe: rec.Subscribe, Log: log}
		var pctx context.Context
		pctx, l.stopPush = context.WithCancel(ctx)
		l.pushed = make(chan struct{})
		go func() {
			defer close(l.pushed)
			l.pusher.Run(pctx)
		}()
	}
	return l, nil
}

// RTSPAddr is the re-stream's scheme://host:port, or "" when it is off.
func (l *upstreamLink) RTSPAddr() string {
	if l.server == nil {
		return ""
	}
	return l.scheme + "://" + l.server.Addr().String()
}

// Close disconnects the readers and stops the publishers, waiting for them: the recorder they read from
// closes next.
func (l *upstreamLink) Close() {
	if l.server != nil {
		l.server.Close()
	}
	if l.pusher != nil {
		l.stopPush()
		<-l.pushed
	}
}

// UpstreamState is what the status feed reports (web.UpstreamReporter).
func (l *upstreamLink) UpstreamState() web.UpstreamState {
	s := web.UpstreamState{PublicURL: l.public, Scheme: l.scheme, Readers: map[string]int{}}
	if l.server != nil {
		if a, ok := l.server.Addr().(*net.TCPAddr); ok {
			s.RTSPPort = a.Port
		}
		for _, st := range l.server.Status() {
			s.Readers[st.Camera] = st.Readers
		}
	}
	if l.pusher != nil {
		for _, ps := range l.pusher.Status() {
			s.Push = append(s.Push, web.PushState{Camera: ps.Camera, Target: ps.Target, State: ps.State, Since: ps.Since, Error: ps.LastError})
		}
	}
	return s
}

// Package web serves vigil's HTTP API, metrics, HLS and the embedded UI; every route is registered in one
// place so authentication (a later issue) can wrap them all.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus"

	"vigil/auth"
	"vigil/config"
	"vigil/playback"
	"vigil/recorder"
	"vigil/store"
)

// Server is the HTTP side of vigil. Its fields are set before Handler or ListenAndServe is called and
// not changed afterwards.
type Server struct {
	Config   *config.Config
	Store    *store.Store
	Recorder *recorder.Recorder
	// Auth signs people and machines in; every route but the login form goes through it.
	Auth *auth.Service
	// Upstream reports the RTSP re-stream and the push publishers for the status feed; nil when off.
	Upstream UpstreamReporter
	// Log defaults to slog.Default().
	Log     *slog.Logger
	Version string
}

// shutdownGrace is how long in-flight requests get to finish once the server is told to stop.
const shutdownGrace = 5 * time.Second

// Handler builds the Echo instance with every route. Each call builds a new one, with its own metrics
// registry.
func (s *Server) Handler() http.Handler { return s.newEcho() }

func (s *Server) newEcho() *echo.Echo {
	if s.Auth == nil {
		// Without it every route would be open or every request would fail: neither is a server to start.
		panic("web.Server.Auth is nil")
	}
	h := &handlers{Server: s, log: s.logger(), loc: s.location(), loginFailures: newLoginFailures()}
	assets, err := uiAssets()
	if err != nil {
		// The files are compiled in: a failure to read them is a broken build, and the API still works.
		h.log.Error("the embedded UI cannot be read", "err", err)
	}
	h.ui = assets
	h.live = &playback.Live{Subscribe: s.Recorder.Subscribe, Log: h.log}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.IPExtractor = clientAddress(s.Config.Auth.ProxyNets())
	e.HTTPErrorHandler = h.handleError
	// The request log is outermost so it sees the status of every answer, including recovered panics.
	e.Use(h.logRequests, h.recoverPanics, h.refuseCrossSite)
	h.routes(e)
	return e
}

// routes is the one place where routes are registered, each with what it requires (auth.go). Signed links
// (media) work only on the HLS routes; province-wide answers need every facility (everywhere).
func (h *handlers) routes(e *echo.Echo) {
	type r = access
	add := func(method, path string, a access, fn echo.HandlerFunc) { h.add(e, method, path, a, fn) }
	const api = "/api/v1"
	get, post, put, del := http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete

	add(get, api+"/health", r{public: true}, h.health)
	add(post, api+"/auth/login", r{public: true}, h.login)
	add(post, api+"/auth/logout", r{signedIn: true}, h.logout)
	add(get, api+"/auth/me", r{signedIn: true}, h.me)
	add(get, api+"/settings", r{signedIn: true}, h.settings)

	// Cameras are listed to whoever may watch or play back any (the handlers filter by facility).
	add(get, api+"/cameras", r{signedIn: true}, h.cameras)
	add(get, api+"/cameras/:id", r{signedIn: true}, h.camera)
	add(get, api+"/cameras/:id/recordings", r{perm: auth.Playback, scope: cameraParam}, h.recordings)
	add(get, api+"/cameras/:id/timeline", r{perm: auth.Playback, scope: cameraParam}, h.timeline)
	add(get, api+"/cameras/:id/export.mp4", r{perm: auth.Export, scope: cameraParam}, h.export)
	add(get, api+"/cameras/:id/links", r{signedIn: true}, h.mediaLinks)

	add(get, api+"/province", r{perm: auth.RegistryRead}, h.regProvince)
	add(get, api+"/provinces", r{perm: auth.RegistryRead}, h.regProvinces)
	add(get, api+"/facilities", r{perm: auth.RegistryRead, scope: anyFacility}, h.regFacilities)
	add(post, api+"/facilities", r{perm: auth.RegistryWrite, scope: everywhere, audit: "registry.change"}, h.regCreateFacility)
	add(get, api+"/facilities/:id", r{perm: auth.RegistryRead, scope: facilityParam}, h.regFacility)
	add(put, api+"/facilities/:id", r{perm: auth.RegistryWrite, scope: facilityParam, audit: "registry.change"}, h.regUpdateFacility)
	add(del, api+"/facilities/:id", r{perm: auth.RegistryWrite, scope: facilityParam, audit: "registry.change"}, h.regDeleteFacility)
	add(get, api+"/facilities/:id/contacts", r{perm: auth.RegistryRead, scope: facilityParam}, h.regContacts)
	add(post, api+"/facilities/:id/contacts", r{perm: auth.RegistryWrite, scope: facilityParam, audit: "registry.change"}, h.regAddContact)
	add(put, api+"/facilities/:id/contacts/:contact", r{perm: auth.RegistryWrite, scope: facilityParam, audit: "registry.change"}, h.regUpdateContact)
	add(del, api+"/facilities/:id/contacts/:contact", r{perm: auth.RegistryWrite, scope: facilityParam, audit: "registry.change"}, h.regDeleteContact)
	add(get, api+"/contacts", r{perm: auth.RegistryRead, scope: everywhere}, h.regSearch)
	add(get, api+"/contacts/export.csv", r{perm: auth.RegistryRead, scope: everywhere, audit: "registry.export"}, h.regExportCSV)
	add(get, api+"/contacts/export.xlsx", r{perm: auth.RegistryRead, scope: everywhere, audit: "registry.export"}, h.regExportXLSX)
	add(post, api+"/contacts/import", r{perm: auth.RegistryWrite, scope: everywhere, audit: "registry.import"}, h.regImport)

	add(get, api+"/uptime", r{perm: auth.Continuity, scope: everywhere}, h.uptime)
	add(get, api+"/alerts", r{perm: auth.Continuity, scope: everywhere}, h.alerts)
	add(get, api+"/dashboard", r{perm: auth.Continuity, scope: everywhere}, h.dashboard)
	sv := h.newSurveyAPI()
	add(post, api+"/survey", r{perm: auth.Survey, scope: everywhere}, sv.start)
	add(get, api+"/survey/latest", r{perm: auth.Survey, scope: everywhere}, sv.latest)
	add(get, api+"/survey/latest/report.csv", r{perm: auth.Survey, scope: everywhere}, sv.reportCSV)
	add(get, api+"/survey/latest/report.xlsx", r{perm: auth.Survey, scope: everywhere}, sv.reportXLSX)

	add(get, api+"/users", r{perm: auth.Users}, h.users)
	add(post, api+"/users", r{perm: auth.Users}, h.createUser)
	add(put, api+"/users/:username", r{perm: auth.Users}, h.updateUser)
	add(post, api+"/users/:username/password", r{perm: auth.Users}, h.resetPassword)
	add(get, api+"/tokens", r{perm: auth.Users}, h.tokens)
	add(post, api+"/tokens", r{perm: auth.Users}, h.createToken)
	add(del, api+"/tokens/:id", r{perm: auth.Users}, h.revokeToken)
	add(get, api+"/audit", r{perm: auth.Audit}, h.auditList)
	add(get, api+"/audit/export.csv", r{perm: auth.Audit}, h.auditExportCSV)
	add(get, api+"/upstream/status", r{perm: auth.Upstream, scope: anyFacility}, h.upstreamStatus)

	add(get, "/playback/:id/index.m3u8", r{perm: auth.Playback, scope: cameraParam, media: true}, h.playlist)
	add(get, "/live/:id/*", r{perm: auth.Live, scope: cameraParam, media: true}, h.liveHLS)
	add(get, recordingsPrefix+"*", r{perm: auth.Playback, scope: inHandler, media: true}, h.recordingFile)
	add(get, "/metrics", r{perm: auth.Metrics}, echo.WrapHandler(h.metricsHandler()))

	add(get, "/ui/*", r{public: true}, h.uiFile)
	add(get, "/login", r{public: true}, h.uiPage)
	for _, page := range []string{"/", "/camera/:id", "/dashboard", "/facilities", "/facilities/:id", "/survey", "/continuity", "/users", "/audit"} {
		add(get, page, r{page: true}, h.uiPage)
	}
}

// clientAddress is how the audit log and the login limits learn where a request comes from: the
// connection's own address, or, behind one of the configured reverse proxies, what X-Forwarded-For says
// (read from the right, trusting only those proxies). Nothing else is trusted: X-Forwarded-For is whatever
// a client wants it to be.
func clientAddress(proxies []*net.IPNet) echo.IPExtractor {
	if len(proxies) == 0 {
		return echo.ExtractIPDirect()
	}
	opts := []echo.TrustOption{echo.TrustLoopback(false), echo.TrustLinkLocal(false), echo.TrustPrivateNet(false)}
	for _, n := range proxies {
		opts = append(opts, echo.TrustIPRange(n))
	}
	return echo.ExtractIPFromXFFHeader(opts...)
}

// ListenAndServe serves on addr until ctx is done, then shuts down gracefully, giving in-flight requests
// shutdownGrace to finish. ready, if not nil, is called with the bound address once the port is open,
// which is how a caller that asked for port 0 learns the port.
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler: s.Handler(),
		// Slow-header clients would otherwise hold connections forever; there is no write timeout
		// because exports and live streams legitimately take long.
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(s.logger().Handler(), slog.LevelWarn),
	}
	if ready != nil {
		ready(ln.Addr())
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	go s.housekeep(ctx)
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	return shutdown(srv, served)
}

// shutdown stops accepting connections, waits up to shutdownGrace for requests in flight, then cuts
// whatever is left.
func shutdown(srv *http.Server, served <-chan error) error {
	sctx, cancel := context.WithTimeout(context.Background(), shutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if err != nil {
		err = errors.Join(fmt.Errorf("graceful shutdown: %w", err), srv.Close())
	}
	if serr := <-served; !errors.Is(serr, http.ErrServerClosed) {
		err = errors.Join(err, serr)
	}
	return err
}

func (s *Server) logger() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.Default()
}

// location is the zone the API writes times in. A config that went through ApplyDefaults always has
// one; the fallback covers a Server built by hand.
func (s *Server) location() *time.Location {
	if s.Config != nil && s.Config.Location != nil {
		return s.Config.Location
	}
	if loc, err := time.LoadLocation(config.DefaultTimeZone); err == nil {
		return loc
	}
	return time.UTC
}

// handlers holds what the route handlers share, resolved once per Handler call.
type handlers struct {
	*Server
	log  *slog.Logger
	loc  *time.Location
	live *playback.Live
	// views tells live view starts apart from the playlist reloads of a view going on, for the audit log.
	views liveViews
	ui    map[string]uiAsset
	// loginFailures counts refused logins at the login route.
	loginFailures prometheus.Counter
}

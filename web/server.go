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
	h := &handlers{Server: s, log: s.logger(), loc: s.location()}
	assets, err := uiAssets()
	if err != nil {
		// The files are compiled in: a failure to read them is a broken build, and the API still works.
		h.log.Error("the embedded UI cannot be read", "err", err)
	}
	h.ui = assets
	h.live = &playback.Live{Subscribe: s.Recorder.Subscribe, Log: h.log}
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = h.handleError
	// The request log is outermost so it sees the status of every answer, including recovered panics.
	e.Use(h.logRequests, h.recoverPanics, h.refuseCrossSite)
	h.routes(e)
	return e
}

// routes is the one place where routes are registered.
func (h *handlers) routes(e *echo.Echo) {
	api := e.Group("/api/v1")
	api.GET("/health", h.health)
	api.GET("/settings", h.settings)
	api.GET("/cameras", h.cameras)
	api.GET("/cameras/:id", h.camera)
	api.GET("/cameras/:id/recordings", h.recordings)
	api.GET("/cameras/:id/timeline", h.timeline)
	api.GET("/cameras/:id/export.mp4", h.export)
	api.GET("/province", h.regProvince)
	api.GET("/provinces", h.regProvinces)
	api.GET("/facilities", h.regFacilities)
	api.POST("/facilities", h.regCreateFacility)
	api.GET("/facilities/:id", h.regFacility)
	api.PUT("/facilities/:id", h.regUpdateFacility)
	api.DELETE("/facilities/:id", h.regDeleteFacility)
	api.GET("/facilities/:id/contacts", h.regContacts)
	api.POST("/facilities/:id/contacts", h.regAddContact)
	api.PUT("/facilities/:id/contacts/:contact", h.regUpdateContact)
	api.DELETE("/facilities/:id/contacts/:contact", h.regDeleteContact)
	api.GET("/contacts", h.regSearch)
	api.GET("/contacts/export.csv", h.regExportCSV)
	api.GET("/contacts/export.xlsx", h.regExportXLSX)
	api.POST("/contacts/import", h.regImport)
	api.GET("/uptime", h.uptime)
	api.GET("/alerts", h.alerts)
	api.GET("/dashboard", h.dashboard)
	sv := h.newSurveyAPI()
	api.POST("/survey", sv.start)
	api.GET("/survey/latest", sv.latest)
	api.GET("/survey/latest/report.csv", sv.reportCSV)
	api.GET("/survey/latest/report.xlsx", sv.reportXLSX)
	e.GET("/playback/:id/index.m3u8", h.playlist)
	e.GET("/live/:id/*", h.liveHLS)
	e.GET(recordingsPrefix+"*", h.recordingFile)
	e.GET("/metrics", echo.WrapHandler(h.metricsHandler()))
	e.GET("/ui/*", h.uiFile)
	e.GET("/", h.uiPage)
	e.GET("/camera/:id", h.uiPage)
	e.GET("/dashboard", h.uiPage)
	e.GET("/facilities", h.uiPage)
	e.GET("/facilities/:id", h.uiPage)
	e.GET("/survey", h.uiPage)
	e.GET("/continuity", h.uiPage)
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
	ui   map[string]uiAsset
}

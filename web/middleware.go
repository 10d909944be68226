package web

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"runtime"
	"time"

	"github.com/labstack/echo/v4"
)

// logRequests writes one debug line per request. It logs the path only: query strings and headers can
// carry tokens and time ranges of footage someone looked at, which belong in the audit log, not here.
func (h *handlers) logRequests(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := time.Now()
		if err := next(c); err != nil {
			// Answer here rather than upstream so the logged status is the one the client got.
			c.Error(err)
		}
		ctx := c.Request().Context()
		if !h.log.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		h.log.LogAttrs(ctx, slog.LevelDebug, "request",
			slog.String("method", c.Request().Method),
			slog.String("path", c.Request().URL.Path),
			slog.Int("status", c.Response().Status),
			slog.Duration("duration", time.Since(start)))
		return nil
	}
}

// recoverPanics turns a panicking handler into a 500 answer and a logged stack, so one bad request does
// not take the recorder down with it.
func (h *handlers) recoverPanics(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) (err error) {
		defer func() {
			r := recover()
			if r == nil {
				return
			}
			// net/http uses this panic to abort a response on purpose; it is not a bug to report.
			if r == http.ErrAbortHandler {
				panic(r)
			}
			stack := make([]byte, 8<<10)
			stack = stack[:runtime.Stack(stack, false)]
			h.log.LogAttrs(context.Background(), slog.LevelError, "panic serving request",
				slog.String("method", c.Request().Method),
				slog.String("path", c.Request().URL.Path),
				slog.String("panic", fmt.Sprint(r)),
				slog.String("stack", string(stack)))
			err = apiError(http.StatusInternalServerError, "internal server error")
		}()
		return next(c)
	}
}

// refuseCrossSite turns away a state-changing request that a page of another site made the browser send
// (a form posting a contact list, a script deleting a facility): browsers say where a request comes from
// in Sec-Fetch-Site, or at least in Origin. Requests without either (curl, scripts, the central system)
// pass; authentication comes with the users issue.
func (h *handlers) refuseCrossSite(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			return next(c)
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			return apiError(http.StatusForbidden, "refused: a %s request from another site (Sec-Fetch-Site: %s)", r.Method, site)
		}
		if origin := r.Header.Get("Origin"); origin != "" {
			u, err := url.Parse(origin)
			if err != nil || u.Host != r.Host {
				return apiError(http.StatusForbidden, "refused: a %s request from another origin (%s)", r.Method, truncate(origin, 100))
			}
		}
		return next(c)
	}
}

package web

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/labstack/echo/v4"
)

// errorBody is the shape of every error answer, so a client needs one code path for all of them.
type errorBody struct {
	Error string `json:"error"`
	// Code names the few refusals a client acts on by itself (account_disabled, locked); messages are for people.
	Code string `json:"code,omitempty"`
	// RetryAfter: with locked, the seconds until a sign-in is taken again (as the Retry-After header).
	RetryAfter int `json:"retry_after,omitempty"`
}

// coded is an error answer with a Code.
func coded(status int, code, msg string) error {
	return &echo.HTTPError{Code: status, Message: errorBody{Error: msg, Code: code}}
}

// apiError is an error answer with a message meant for the client.
func apiError(code int, format string, args ...any) error {
	return echo.NewHTTPError(code, fmt.Sprintf(format, args...))
}

// handleError turns any error a handler returns into a JSON answer. An echo.HTTPError is an answer the
// handler chose and carries its message; any other error is logged and answered with a generic 500,
// because internal messages can name files and queries that are none of the client's business.
func (h *handlers) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	code, body := h.describeError(err, c.Request())
	if c.Request().Method == http.MethodHead {
		err = c.NoContent(code)
	} else {
		err = c.JSON(code, body)
	}
	if err != nil {
		h.log.Warn("writing error answer", "err", err)
	}
}

func (h *handlers) describeError(err error, r *http.Request) (int, errorBody) {
	var he *echo.HTTPError
	if !errors.As(err, &he) {
		h.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
		return http.StatusInternalServerError, errorBody{Error: "internal server error"}
	}
	// Echo's router answers unknown paths and methods with these sentinels; say what was asked for.
	switch he {
	case echo.ErrNotFound:
		return he.Code, errorBody{Error: fmt.Sprintf("no such endpoint: %s", r.URL.Path)}
	case echo.ErrMethodNotAllowed:
		return he.Code, errorBody{Error: fmt.Sprintf("method %s not allowed on %s", r.Method, r.URL.Path)}
	}
	switch m := he.Message.(type) {
	case string:
		return he.Code, errorBody{Error: m}
	case errorBody:
		return he.Code, m
	}
	return he.Code, errorBody{Error: http.StatusText(he.Code)}
}

package web

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/store"
)

// meAnswer tells the UI who is signed in and what to show them.
type meAnswer struct {
	Username    string            `json:"username"`
	Name        string            `json:"name"`
	Role        auth.Role         `json:"role"`
	Kind        auth.Kind         `json:"kind"`
	Grants      []grantView       `json:"grants"`
	Permissions []auth.Permission `json:"permissions"`
	CSRF        string            `json:"csrf,omitempty"`
}

// grantView is a grant as the API writes it: RFC 3339 bounds instead of nanoseconds.
type grantView struct {
	Facility string   `json:"facility"`
	From     *apiTime `json:"from,omitempty"`
	Until    *apiTime `json:"until,omitempty"`
}

func (h *handlers) grantViews(grants []store.Grant) []grantView {
	out := make([]grantView, len(grants))
	for i, g := range grants {
		out[i] = grantView{Facility: g.Facility, From: h.optionalTime(g.FromNs), Until: h.optionalTime(g.UntilNs)}
	}
	return out
}

func (h *handlers) meAnswer(p *auth.Principal) meAnswer {
	return meAnswer{Username: p.Name, Name: p.Display, Role: p.Role, Kind: p.Kind, Grants: h.grantViews(p.Grants),
		Permissions: p.Role.Permissions(), CSRF: p.CSRF}
}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// login checks a user name and password, sets the session cookie and answers who signed in. Every attempt
// is audited, the failed ones with the user name tried.
func (h *handlers) login(c echo.Context) error {
	var req loginRequest
	if err := c.Bind(&req); err != nil {
		return apiError(http.StatusBadRequest, "send {\"username\": …, \"password\": …} as JSON")
	}
	if req.Username == "" || req.Password == "" {
		return apiError(http.StatusBadRequest, "user name and password are both required")
	}
	secret, p, err := h.Auth.Login(c.Request().Context(), req.Username, req.Password, clientOf(c))
	if err != nil {
		h.refusedSignIn(c, req.Username, err)
		return h.signInError(c, err)
	}
	c.Set(principalKey, p)
	h.setSessionCookie(c, secret)
	h.audit(c, auditEvent{action: "login"})
	return c.JSON(http.StatusOK, h.meAnswer(p))
}

// refusedSignIn counts and audits a refused sign-in, at the login form or by an Authorization header; the
// name tried is kept (a token's secret never): it tells an admin whose account is being guessed.
func (h *handlers) refusedSignIn(c echo.Context, username string, err error) {
	var locked *auth.LockedError
	outcome := "refused"
	if errors.As(err, &locked) {
		outcome = "locked"
	} else if !errors.Is(err, auth.ErrBadCredentials) && !errors.Is(err, auth.ErrDisabled) {
		return // a malformed header, or a store failure: the error answer says or logs it
	}
	h.loginFailures.Inc()
	h.audit(c, auditEvent{action: "login_failed", actor: auth.SafeName(username), outcome: outcome,
		detail: c.Request().Method + " " + c.Request().URL.Path + ": " + err.Error()})
}

func (h *handlers) logout(c echo.Context) error {
	p := principal(c)
	if err := h.Auth.Logout(c.Request().Context(), p); err != nil {
		return err
	}
	h.clearSessionCookie(c)
	h.audit(c, auditEvent{action: "logout"})
	return c.NoContent(http.StatusNoContent)
}

func (h *handlers) me(c echo.Context) error {
	return c.JSON(http.StatusOK, h.meAnswer(principal(c)))
}

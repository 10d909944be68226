package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
	"vigil/store"
)

// userView is a user as the API writes it: never its password hash.
type userView struct {
	Username    string      `json:"username"`
	Name        string      `json:"name"`
	Role        string      `json:"role"`
	Grants      []grantView `json:"grants"`
	Disabled    bool        `json:"disabled"`
	Created     apiTime     `json:"created"`
	LastLogin   *apiTime    `json:"last_login"`
	LockedUntil *apiTime    `json:"locked_until"`
}

func (h *handlers) userView(u store.User) userView {
	v := userView{Username: u.Username, Name: u.Name, Role: u.Role, Grants: h.grantViews(u.Grants), Disabled: u.Disabled,
		Created: h.apiTime(time.Unix(0, u.Created)), LastLogin: h.optionalTime(u.LastLogin)}
	if u.LockedUntil > time.Now().UnixNano() {
		v.LockedUntil = h.optionalTime(u.LockedUntil)
	}
	return v
}

// accountRequest is the body of user creation and update.
type accountRequest struct {
	Name     string         `json:"name"`
	Role     auth.Role      `json:"role"`
	Grants   []grantRequest `json:"grants"`
	Disabled bool           `json:"disabled"`
	Username string         `json:"username"` // creation only
	Password string         `json:"password"` // creation only; empty = generate one
}

type grantRequest struct {
	Facility string `json:"facility"`
	From     string `json:"from"`
	Until    string `json:"until"`
}

func (h *handlers) storeGrants(reqs []grantRequest) ([]store.Grant, error) {
	grants := make([]store.Grant, len(reqs))
	for i, g := range reqs {
		grants[i].Facility = g.Facility
		for _, b := range []struct {
			name, text string
			dst        *int64
		}{{"from", g.From, &grants[i].FromNs}, {"until", g.Until, &grants[i].UntilNs}} {
			if b.text == "" {
				continue
			}
			t, err := time.Parse(time.RFC3339, b.text)
			if err != nil {
				return nil, apiError(http.StatusBadRequest, "grant of %s: %s must be an RFC 3339 time, got %q", g.Facility, b.name, b.text)
			}
			*b.dst = t.UnixNano()
		}
	}
	return grants, nil
}

// accountError answers a refused account change: 400 with the reason, 404, 409.
func accountError(err error) error {
	switch {
	case errors.Is(err, auth.ErrInvalid):
		return apiError(http.StatusBadRequest, "%v", err)
	case errors.Is(err, store.ErrUserNotFound), errors.Is(err, store.ErrTokenNotFound):
		return apiError(http.StatusNotFound, "%v", err)
	case errors.Is(err, store.ErrUserExists):
		return apiError(http.StatusConflict, "%v", err)
	}
	return err
}

func (h *handlers) users(c echo.Context) error {
	users, err := h.Store.Users(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]userView, len(users))
	for i, u := range users {
		out[i] = h.userView(u)
	}
	return c.JSON(http.StatusOK, map[string]any{"users": out})
}

func (h *handlers) bindAccount(c echo.Context) (auth.Account, accountRequest, error) {
	var req accountRequest
	if err := c.Bind(&req); err != nil {
		return auth.Account{}, req, apiError(http.StatusBadRequest, "the body must be a JSON user: %v", err)
	}
	grants, err := h.storeGrants(req.Grants)
	if err != nil {
		return auth.Account{}, req, err
	}
	return auth.Account{Username: req.Username, Name: req.Name, Role: req.Role, Grants: grants, Disabled: req.Disabled}, req, nil
}

// createUser adds a user and answers its password once: the one given, or a generated one.
func (h *handlers) createUser(c echo.Context) error {
	ctx := c.Request().Context()
	a, req, err := h.bindAccount(c)
	if err != nil {
		return err
	}
	password, err := h.Auth.AddUser(ctx, a, req.Password, h.reg().Known(ctx))
	if err != nil {
		return accountError(err)
	}
	u, err := h.Store.UserByName(ctx, a.Username)
	if err != nil {
		return err
	}
	h.audit(c, auditEvent{action: "user.create", detail: describeAccount(u)})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"user": h.userView(u), "password": password})
}

func (h *handlers) updateUser(c echo.Context) error {
	ctx := c.Request().Context()
	a, _, err := h.bindAccount(c)
	if err != nil {
		return err
	}
	a.Username = c.Param("username")
	if p := principal(c); p.Kind == auth.UserKind && p.Name == a.Username && (a.Disabled || a.Role != auth.Admin) {
		return apiError(http.StatusConflict, "you cannot disable yourself or give up your own admin role: another admin must do it")
	}
	before, err := h.Store.UserByName(ctx, a.Username)
	if err != nil {
		return accountError(err)
	}
	if err := h.Auth.UpdateUser(ctx, a, h.reg().Known(ctx)); err != nil {
		return accountError(err)
	}
	u, err := h.Store.UserByName(ctx, a.Username)
	if err != nil {
		return err
	}
	h.audit(c, auditEvent{action: "user.update", detail: "was " + describeAccount(before) + "; now " + describeAccount(u)})
	return c.JSON(http.StatusOK, h.userView(u))
}

type passwordRequest struct {
	Password string `json:"password"`
}

// resetPassword sets a user's password (generated when none is sent), unlocks the account and ends its
// sessions.
func (h *handlers) resetPassword(c echo.Context) error {
	var req passwordRequest
	if err := c.Bind(&req); err != nil {
		return apiError(http.StatusBadRequest, "the body must be {\"password\": …} or {}")
	}
	username := c.Param("username")
	var keep []byte
	if p := principal(c); p.Kind == auth.UserKind && p.Name == username {
		keep = p.SessionHash // every other session of the user ends; the one asking goes on
	}
	password, err := h.Auth.SetPassword(c.Request().Context(), username, req.Password, keep)
	if err != nil {
		return accountError(err)
	}
	h.audit(c, auditEvent{action: "user.password", detail: username})
	c.Response().Header().Set("Cache-Control", "no-store")
	answer := map[string]any{"username": username}
	if req.Password == "" {
		answer["password"] = password
	}
	return c.JSON(http.StatusOK, answer)
}

func describeAccount(u store.User) string {
	s := fmt.Sprintf("%s role=%s grants=%s", u.Username, u.Role, grantsText(u.Grants))
	if u.Disabled {
		s += " disabled"
	}
	return s
}

func grantsText(grants []store.Grant) string {
	s := "["
	for i, g := range grants {
		if i > 0 {
			s += " "
		}
		s += g.Facility
		if g.FromNs != 0 || g.UntilNs != 0 {
			s += fmt.Sprintf("(%s..%s)", nsText(g.FromNs), nsText(g.UntilNs))
		}
	}
	return s + "]"
}

func nsText(ns int64) string {
	if ns == 0 {
		return ""
	}
	return time.Unix(0, ns).UTC().Format(time.RFC3339)
}

// tokenView is an API token as the API writes it: never its secret or hash.
type tokenView struct {
	ID           int64       `json:"id"`
	Name         string      `json:"name"`
	Role         string      `json:"role"`
	Grants       []grantView `json:"grants"`
	Created      apiTime     `json:"created"`
	CreatedBy    string      `json:"created_by"`
	LastUsed     *apiTime    `json:"last_used"`
	LastUsedFrom string      `json:"last_used_from"`
	Revoked      *apiTime    `json:"revoked"`
}

func (h *handlers) tokenView(t store.Token) tokenView {
	return tokenView{ID: t.ID, Name: t.Name, Role: t.Role, Grants: h.grantViews(t.Grants), Created: h.apiTime(time.Unix(0, t.Created)),
		CreatedBy: t.CreatedBy, LastUsed: h.optionalTime(t.LastUsed), LastUsedFrom: t.LastUsedFrom, Revoked: h.optionalTime(t.Revoked)}
}

func (h *handlers) tokens(c echo.Context) error {
	tokens, err := h.Store.Tokens(c.Request().Context())
	if err != nil {
		return err
	}
	out := make([]tokenView, len(tokens))
	for i, t := range tokens {
		out[i] = h.tokenView(t)
	}
	return c.JSON(http.StatusOK, map[string]any{"tokens": out})
}

// createToken makes a token and answers its secret, the only time it is shown.
func (h *handlers) createToken(c echo.Context) error {
	ctx := c.Request().Context()
	a, _, err := h.bindAccount(c)
	if err != nil {
		return err
	}
	if err := auth.CheckToken(a.Name, a.Role, a.Grants, h.reg().Known(ctx)); err != nil {
		return accountError(err)
	}
	t := &store.Token{Name: a.Name, Role: string(a.Role), Grants: a.Grants, CreatedBy: principal(c).Actor()}
	secret, err := h.Auth.NewToken(ctx, t)
	if err != nil {
		return err
	}
	h.audit(c, auditEvent{action: "token.create", detail: fmt.Sprintf("#%d %s role=%s grants=%s", t.ID, t.Name, t.Role, grantsText(t.Grants))})
	c.Response().Header().Set("Cache-Control", "no-store")
	return c.JSON(http.StatusCreated, map[string]any{"token": h.tokenView(*t), "secret": secret})
}

func (h *handlers) revokeToken(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return apiError(http.StatusBadRequest, "token id must be a number, got %q", c.Param("id"))
	}
	if err := h.Store.RevokeToken(c.Request().Context(), id, time.Now().UnixNano()); err != nil {
		return accountError(err)
	}
	h.audit(c, auditEvent{action: "token.revoke", detail: fmt.Sprintf("#%d", id)})
	return c.NoContent(http.StatusNoContent)
}

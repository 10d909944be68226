package web

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"vigil/auth"
)

// sessionCookie holds a browser's session secret.
const sessionCookie = "vigil_session"

// csrfHeader carries the session's anti-forgery token on every state-changing request a browser makes.
const csrfHeader = "X-CSRF-Token"

// linkParam carries a signed media link (auth.Service.SignLink) on HLS URLs, for players without a cookie.
const linkParam = "access"

// scope says which facility a route's permission is checked against.
type scope int

const (
	// anyFacility: the permission is enough; the handler shows only what the principal's grants reach.
	anyFacility scope = iota
	// cameraParam: :id is a camera; the principal needs the permission at its facility.
	cameraParam
	// facilityParam: :id is a facility.
	facilityParam
	// everywhere: province-wide data (contact lists, survey, uptime, alerts); needs every facility.
	everywhere
	// inHandler: the handler finds the camera itself (recording files) and checks it with mayFootage.
	inHandler
)

// access is what a route requires. The zero value is not valid: every route names its permission, or says
// it is public or a page.
type access struct {
	perm   auth.Permission
	scope  scope
	public bool // anyone: the login form and its assets, the health probe
	page   bool // a UI page: any signed-in user; without a session, a redirect to the login form
	// signedIn: any signed-in principal (who am I, logout).
	signedIn bool
	// media: the route serves HLS files, which a player without a cookie may fetch with a signed link.
	media bool
	// audit names the audit action written after a successful state-changing request ("" = the handler
	// audits by itself, or the route changes nothing).
	audit string
}

// principalKey is where the guard leaves the principal in the Echo context.
const principalKey = "vigil.principal"

// principal is who the request acts for; the guard has run, so it is never nil on a guarded route.
func principal(c echo.Context) *auth.Principal {
	p, _ := c.Get(principalKey).(*auth.Principal)
	return p
}

// add registers a route behind the guard. Every route goes through here: the route walk test requests each
// registered route without credentials and fails on any that answers.
func (h *handlers) add(e *echo.Echo, method, path string, a access, fn echo.HandlerFunc) {
	if a.perm == "" && !a.public && !a.page && !a.signedIn {
		panic("route " + method + " " + path + " has no access rule")
	}
	e.Add(method, path, h.guard(a, fn))
}

// guard authenticates the request, checks its permission and scope, and audits state changes.
func (h *handlers) guard(a access, next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if a.public {
			return next(c)
		}
		p, err := h.authenticate(c, a)
		if err != nil {
			if a.page && (errors.Is(err, errNoCredentials) || isUnauthenticated(err)) {
				return c.Redirect(http.StatusFound, "/login?next="+url.QueryEscape(c.Request().URL.RequestURI()))
			}
			return err
		}
		c.Set(principalKey, p)
		if !a.page && !a.signedIn {
			if err := h.authorize(c, p, a); err != nil {
				return err
			}
		}
		if err := next(c); err != nil {
			return err
		}
		if a.audit != "" && c.Response().Status < 400 {
			h.audit(c, auditEvent{action: a.audit, detail: c.Request().Method + " " + c.Request().URL.Path})
		}
		return nil
	}
}

var errNoCredentials = errors.New("no credentials")

// authenticate finds the principal: an API token or a Basic password in Authorization, else the session
// cookie (with its CSRF token on state changes), else a signed link on a media route.
func (h *handlers) authenticate(c echo.Context, a access) (*auth.Principal, error) {
	r := c.Request()
	ctx := r.Context()
	from := clientOf(c)
	if authz := r.Header.Get(echo.HeaderAuthorization); authz != "" {
		p, err := h.fromAuthorization(ctx, authz, from)
		if err != nil {
			h.refusedSignIn(c, authorizationName(authz), err)
		}
		return p, h.signInError(c, err)
	}
	if ck, err := r.Cookie(sessionCookie); err == nil && ck.Value != "" {
		p, err := h.Auth.Session(ctx, ck.Value)
		if err != nil {
			h.clearSessionCookie(c)
			return nil, h.signInError(c, err)
		}
		if !safeMethod(r.Method) && subtle.ConstantTimeCompare([]byte(r.Header.Get(csrfHeader)), []byte(p.CSRF)) != 1 {
			return nil, apiError(http.StatusForbidden, "missing or wrong %s header: reload the page and try again", csrfHeader)
		}
		if site := r.Header.Get("Sec-Fetch-Site"); !a.page && (site == "cross-site" || site == "same-site") {
			// A link on another site would otherwise make the browser fetch footage or an export in the
			// user's name, and write it in the audit log as theirs. Pages may be linked to; they fetch
			// their data from this origin.
			return nil, apiError(http.StatusForbidden, "refused: a request from another site with your session (Sec-Fetch-Site: %s); open it from vigil's pages", site)
		}
		return p, nil
	}
	if link := c.QueryParam(linkParam); link != "" && a.media {
		camera := h.linkCamera(c)
		p, err := h.Auth.Link(ctx, link, camera)
		if err != nil {
			return nil, apiError(http.StatusUnauthorized, "%v", err)
		}
		c.Set(linkKey, camera)
		return p, nil
	}
	if a.page {
		return nil, errNoCredentials
	}
	return nil, unauthenticated("sign in first: this needs a session, or an API token (Authorization: Bearer vgl_…)")
}

// authorizationName is who an Authorization header claims to be, for the audit log: the Basic user name,
// or "token" for a Bearer token (whose secret is never written down).
func authorizationName(authz string) string {
	if user, _, ok := basicCredentials(authz); ok {
		return auth.SafeName(user)
	}
	return "token"
}

// basicCredentials reads an Authorization header's Basic user name and password (net/http's parser).
func basicCredentials(authz string) (user, pass string, ok bool) {
	return (&http.Request{Header: http.Header{"Authorization": {authz}}}).BasicAuth()
}

func (h *handlers) fromAuthorization(ctx context.Context, authz string, from auth.Client) (*auth.Principal, error) {
	scheme, cred, _ := strings.Cut(authz, " ")
	switch strings.ToLower(scheme) {
	case "bearer":
		return h.Auth.Token(ctx, strings.TrimSpace(cred), from)
	case "basic":
		user, pass, ok := basicCredentials(authz)
		if !ok {
			return nil, apiError(http.StatusBadRequest, "malformed Basic credentials")
		}
		return h.Auth.Password(ctx, user, pass, from)
	}
	return nil, apiError(http.StatusBadRequest, "unsupported Authorization scheme %q: use Bearer (API token) or Basic", truncate(scheme, 20))
}

// signInError turns a sign-in failure into its answer: 401 for wrong or expired credentials, 403 for a
// disabled account, 429 with Retry-After for a lockout.
func (h *handlers) signInError(c echo.Context, err error) error {
	var locked *auth.LockedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &locked):
		wait := max(1, int(math.Ceil(time.Until(locked.Until).Seconds())))
		c.Response().Header().Set("Retry-After", strconv.Itoa(wait))
		return &echo.HTTPError{Code: http.StatusTooManyRequests, Message: errorBody{Error: locked.Error(), Code: "locked", RetryAfter: wait}}
	case errors.Is(err, auth.ErrBadCredentials), errors.Is(err, auth.ErrSessionExpired):
		return unauthenticated(err.Error())
	case errors.Is(err, auth.ErrDisabled):
		return coded(http.StatusForbidden, "account_disabled", err.Error())
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("sign-in: %w", err)
}

func isUnauthenticated(err error) bool {
	var he *echo.HTTPError
	return errors.As(err, &he) && he.Code == http.StatusUnauthorized
}

// unauthenticated is a 401. It sends no WWW-Authenticate challenge on purpose: a browser would answer one
// with its own password prompt, outside the login form and its limits' messages.
func unauthenticated(msg string) error {
	return &echo.HTTPError{Code: http.StatusUnauthorized, Message: msg}
}

// authorize checks the route's permission against the principal's role and scope.
func (h *handlers) authorize(c echo.Context, p *auth.Principal, a access) error {
	if !p.Can(a.perm) {
		return apiError(http.StatusForbidden, "your role (%s) does not allow %s", p.Role, a.perm)
	}
	switch a.scope {
	case cameraParam:
		return h.mayCamera(c, p, a.perm, c.Param("id"))
	case facilityParam:
		if !p.CanAt(a.perm, c.Param("id")) {
			return apiError(http.StatusForbidden, "you have no access to facility %q", c.Param("id"))
		}
	case everywhere:
		if !p.Everywhere() {
			return apiError(http.StatusForbidden, "this covers every facility of the province; your access is limited to some")
		}
	}
	return nil
}

// mayCamera: 404 for an unknown camera, 403 for one of a facility the principal may not reach.
func (h *handlers) mayCamera(c echo.Context, p *auth.Principal, perm auth.Permission, camera string) error {
	s, err := h.lookupCamera(camera)
	if err != nil {
		return err
	}
	if !p.CanAt(perm, s.Facility) {
		return apiError(http.StatusForbidden, "you have no access to camera %q (facility %s)", camera, s.Facility)
	}
	return nil
}

// footageWindow narrows [t0, t1) of camera to what the principal may see (an investigator's grant may bound
// it), and refuses a range wholly outside.
func (h *handlers) footageWindow(c echo.Context, camera string, t0, t1 time.Time) (time.Time, time.Time, error) {
	p := principal(c)
	s, err := h.lookupCamera(camera)
	if err != nil {
		return t0, t1, err
	}
	w := p.FootageWindow(s.Facility)
	if !w.From.IsZero() && t0.Before(w.From) {
		t0 = w.From
	}
	if !w.Until.IsZero() && t1.After(w.Until) {
		t1 = w.Until
	}
	if !t0.Before(t1) {
		return t0, t1, apiError(http.StatusForbidden, "your access to camera %q covers footage from %s to %s only", camera,
			h.apiTimeText(w.From), h.apiTimeText(w.Until))
	}
	return t0, t1, nil
}

func (h *handlers) apiTimeText(t time.Time) string {
	if t.IsZero() {
		return "(open)"
	}
	return t.In(h.loc).Format(time.RFC3339)
}

// linkCamera is the camera a media request is for: :id on live and playlist routes; for a recording file,
// the camera whose folder it is in (recordingFile then checks the index agrees).
func (h *handlers) linkCamera(c echo.Context) string {
	if id := c.Param("id"); id != "" {
		return id
	}
	return cameraOfPath(c.Param("*"))
}

// linkKey holds the camera of a request authenticated by a signed link, whose playlists must hand the link on.
const linkKey = "vigil.link"

func clientOf(c echo.Context) auth.Client {
	return auth.Client{Address: c.RealIP(), UserAgent: c.Request().UserAgent()}
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}

// secureCookies decides the Secure flag: always, never, or (auto) when the browser reached vigil over TLS,
// directly or through a proxy that says so.
func (h *handlers) secureCookies(r *http.Request) bool {
	switch h.Config.Auth.SecureCookies {
	case "always":
		return true
	case "never":
		return false
	}
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (h *handlers) setSessionCookie(c echo.Context, secret string) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.secureCookies(c.Request()), MaxAge: int(h.Config.Auth.SessionMax.Seconds())})
}

func (h *handlers) clearSessionCookie(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: h.secureCookies(c.Request()), MaxAge: -1})
}

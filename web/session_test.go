package web

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"vigil/auth"
	"vigil/recorder"
	"vigil/store"
)

// login posts a user name and password to the login route and returns the answer and its session cookie;
// the answer's error body, if any, is in lastLoginError.
func login(t *testing.T, f *fixture, username, password string) (*http.Response, *http.Cookie) {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(f.http.URL+"/api/v1/auth/login", "application/json", strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	lastLoginError = errorBody{}
	json.NewDecoder(resp.Body).Decode(&lastLoginError)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookie {
			return resp, c
		}
	}
	return resp, nil
}

var lastLoginError errorBody

func withCookie(t *testing.T, f *fixture, method, path string, ck *http.Cookie, csrf string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.http.URL+path, nil)
	req.AddCookie(ck)
	if csrf != "" {
		req.Header.Set(csrfHeader, csrf)
	}
	return sendRaw(t, req)
}

func TestLoginSessionAndCSRF(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.srv.Auth.AddUser(ctx, auth.Account{Username: "lan", Role: auth.FacilityRole, Grants: []store.Grant{{Facility: "f1"}}},
		"đúng mật khẩu rồi", func(string) bool { return true }); err != nil {
		t.Fatal(err)
	}
	if resp, ck := login(t, f, "lan", "sai mật khẩu"); resp.StatusCode != http.StatusUnauthorized || ck != nil {
		t.Fatalf("wrong password: %d, cookie %v", resp.StatusCode, ck)
	}
	resp, ck := login(t, f, "lan", "đúng mật khẩu rồi")
	if resp.StatusCode != http.StatusOK || ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" {
		t.Fatalf("login: %d, cookie %+v", resp.StatusCode, ck)
	}
	code, body := withCookie(t, f, "GET", "/api/v1/auth/me", ck, "")
	var me meAnswer
	json.Unmarshal([]byte(body), &me)
	if code != http.StatusOK || me.Username != "lan" || me.CSRF == "" || me.Role != auth.FacilityRole {
		t.Fatalf("me: %d %s", code, body)
	}
	// A state change without the session's CSRF token is what a forged cross-site request looks like.
	if code, body := withCookie(t, f, "POST", "/api/v1/auth/logout", ck, ""); code != http.StatusForbidden {
		t.Errorf("logout without the CSRF token: %d %s", code, body)
	}
	if code, body := withCookie(t, f, "POST", "/api/v1/auth/logout", ck, "wrong"); code != http.StatusForbidden {
		t.Errorf("logout with a wrong CSRF token: %d %s", code, body)
	}
	if code, _ := withCookie(t, f, "POST", "/api/v1/auth/logout", ck, me.CSRF); code != http.StatusNoContent {
		t.Errorf("logout: %d", code)
	}
	if code, _ := withCookie(t, f, "GET", "/api/v1/auth/me", ck, ""); code != http.StatusUnauthorized {
		t.Errorf("the session after logout: %d", code)
	}
	events, _ := f.st.AuditEvents(ctx, store.AuditFilter{})
	var actions []string
	for _, e := range events {
		actions = append(actions, e.Action+":"+e.Actor+":"+e.Outcome)
	}
	if got := strings.Join(actions, " "); got != "logout:lan:ok login:lan:ok login_failed:lan:refused" {
		t.Errorf("audit: %s", got)
	}
}

// TestBruteForce: the account locks after lockout_after failures, refuses even the right password while
// locked, and opens again after lockout_for; an address guessing many names is refused as a whole.
func TestBruteForce(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.srv.Auth.Config.LockoutAfter, f.srv.Auth.Config.LockoutFor, f.srv.Auth.Config.AddressLimit = 3, 2*time.Second, 6
	if _, err := f.srv.Auth.AddUser(ctx, auth.Account{Username: "lan", Role: auth.Operator}, "đúng mật khẩu rồi", nil); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 2; i++ {
		if resp, _ := login(t, f, "lan", "guess"+strconv.Itoa(i)); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	resp, _ := login(t, f, "lan", "guess3")
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" ||
		lastLoginError.Code != "locked" || lastLoginError.RetryAfter < 1 || !strings.Contains(lastLoginError.Error, "locked") {
		t.Fatalf("third guess: %d, Retry-After %q, %+v; want 429 saying the account is locked and for how long",
			resp.StatusCode, resp.Header.Get("Retry-After"), lastLoginError)
	}
	if resp, ck := login(t, f, "lan", "đúng mật khẩu rồi"); resp.StatusCode != http.StatusTooManyRequests || ck != nil {
		t.Fatalf("right password while locked: %d", resp.StatusCode)
	}
	unlocked := time.Now().Add(2 * time.Second)
	time.Sleep(time.Until(unlocked) + 100*time.Millisecond)
	if resp, ck := login(t, f, "lan", "đúng mật khẩu rồi"); resp.StatusCode != http.StatusOK || ck == nil {
		t.Fatalf("after lockout_for: %d", resp.StatusCode)
	}
	// The earlier failures have aged out with lockout_for; six guesses at other names use up the address.
	for _, name := range []string{"admin", "root", "test", "user", "vigil", "camera"} {
		if resp, _ := login(t, f, name, "123456"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("guessing %s: %d", name, resp.StatusCode)
		}
	}
	if resp, _ := login(t, f, "lan", "đúng mật khẩu rồi"); resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("a right password from an address that guessed too much: %d, want 429", resp.StatusCode)
	}
}

// TestOwnPasswordReset: an admin who resets their own password stays signed in to read the new one; their
// other sessions end.
func TestOwnPasswordReset(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	if _, err := f.srv.Auth.AddUser(ctx, auth.Account{Username: "lan", Role: auth.Admin}, "đúng mật khẩu rồi", nil); err != nil {
		t.Fatal(err)
	}
	_, here := login(t, f, "lan", "đúng mật khẩu rồi")
	_, elsewhere := login(t, f, "lan", "đúng mật khẩu rồi")
	_, body := withCookie(t, f, "GET", "/api/v1/auth/me", here, "")
	var me meAnswer
	json.Unmarshal([]byte(body), &me)
	code, body := withCookie(t, f, "POST", "/api/v1/users/lan/password", here, me.CSRF)
	if code != http.StatusOK || !strings.Contains(body, `"password"`) {
		t.Fatalf("own reset: %d %s", code, body)
	}
	if code, _ := withCookie(t, f, "GET", "/api/v1/auth/me", here, ""); code != http.StatusOK {
		t.Errorf("the session that reset its password: %d, want it still signed in", code)
	}
	if code, _ := withCookie(t, f, "GET", "/api/v1/auth/me", elsewhere, ""); code != http.StatusUnauthorized {
		t.Errorf("another session of the same user: %d, want 401", code)
	}
}

// TestCrossSiteWithSession: another site's link cannot make a signed-in browser fetch data or footage (and
// write it in the audit log as the user's); pages can still be linked to.
func TestCrossSiteWithSession(t *testing.T) {
	f := newFixture(t)
	if _, err := f.srv.Auth.AddUser(context.Background(), auth.Account{Username: "lan", Role: auth.Admin}, "đúng mật khẩu rồi", nil); err != nil {
		t.Fatal(err)
	}
	_, ck := login(t, f, "lan", "đúng mật khẩu rồi")
	for _, tc := range []struct {
		path, site string
		want       int
	}{
		{"/api/v1/cameras", "cross-site", http.StatusForbidden},
		{"/api/v1/cameras/cam-1/export.mp4?start=2026-11-27T08:00:00Z&end=2026-11-27T08:01:00Z", "same-site", http.StatusForbidden},
		{"/api/v1/cameras", "same-origin", http.StatusOK},
		{"/camera/cam-1", "cross-site", http.StatusOK},
	} {
		req, _ := http.NewRequest("GET", f.http.URL+tc.path, nil)
		req.AddCookie(ck)
		req.Header.Set("Sec-Fetch-Site", tc.site)
		if code, body := sendRaw(t, req); code != tc.want {
			t.Errorf("%s from %s: %d %s, want %d", tc.path, tc.site, code, body, tc.want)
		}
	}
}

// TestRefusedTokensAndBasicAreAudited: guessing through the Authorization header leaves the same trace
// as at the login form, and never the token guessed.
func TestRefusedTokensAndBasicAreAudited(t *testing.T) {
	f := newFixture(t)
	for _, authz := range []string{"Bearer vgl_guessed-secret", "Basic " + base64.StdEncoding.EncodeToString([]byte("lan:guess"))} {
		req, _ := http.NewRequest("GET", f.http.URL+"/api/v1/cameras", nil)
		req.Header.Set("Authorization", authz)
		if code, _ := sendRaw(t, req); code != http.StatusUnauthorized {
			t.Errorf("%s: %d", authz, code)
		}
	}
	events, _ := f.st.AuditEvents(context.Background(), store.AuditFilter{Action: "login_failed"})
	var actors []string
	for _, e := range events {
		actors = append(actors, e.Actor)
		if strings.Contains(e.Actor+e.Detail, "guessed-secret") {
			t.Errorf("the token guessed is in the audit log: %+v", e)
		}
	}
	if got := strings.Join(actors, ","); got != "lan,token" {
		t.Errorf("refused sign-ins audited as %q, want lan,token", got)
	}
}

// TestCameraAddressesHiddenFromViewers: the redacted camera and substream addresses (user name, host,
// path) name a facility's network; only those who edit the registry see them, and the recorder's own
// status is left as it was.
func TestCameraAddressesHiddenFromViewers(t *testing.T) {
	f := newFixture(t)
	h := &handlers{Server: f.srv, loc: time.UTC}
	sub := &recorder.SubstreamStatus{URL: "rtsp://user:***@10.1.2.3/sub"}
	st := recorder.CameraStatus{ID: "cam-1", Facility: "f1", URL: "rtsp://user:***@10.1.2.3/main", Substream: sub}
	viewer := &auth.Principal{Role: auth.Viewer, Grants: []store.Grant{{Facility: "f1"}}}
	v := h.cameraViewFor(viewer, st)
	if v.URL != "" || v.Substream == nil || v.Substream.URL != "" {
		t.Errorf("a viewer sees %q and %+v", v.URL, v.Substream)
	}
	if sub.URL == "" {
		t.Error("the recorder's substream status was changed")
	}
	op := h.cameraViewFor(&auth.Principal{Role: auth.Operator}, st)
	if op.URL == "" || op.Substream.URL == "" {
		t.Errorf("an operator sees %q and %+v", op.URL, op.Substream)
	}
}

// TestClientAddressBehindProxies: X-Forwarded-For names the client only when the connection comes from a
// configured proxy; otherwise the audit log keeps the connection's own address.
func TestClientAddressBehindProxies(t *testing.T) {
	for _, tc := range []struct {
		proxies []string
		want    string
	}{
		{nil, "127.0.0.1"},
		{[]string{"10.0.0.0/8"}, "127.0.0.1"},
		{[]string{"127.0.0.1"}, "203.0.113.7"},
	} {
		f := newFixture(t)
		f.cfg.Auth.TrustedProxies = tc.proxies
		hs := httptest.NewServer(f.srv.Handler())
		req, _ := http.NewRequest("POST", hs.URL+"/api/v1/auth/login", strings.NewReader(`{"username":"nobody","password":"guess"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		if code, body := sendRaw(t, req); code != http.StatusUnauthorized {
			t.Fatalf("login: %d %s", code, body)
		}
		hs.Close()
		events, _ := f.st.AuditEvents(context.Background(), store.AuditFilter{Action: "login_failed"})
		if len(events) != 1 || events[0].Address != tc.want {
			t.Errorf("trusted proxies %v: audited %+v, want the address %s", tc.proxies, events, tc.want)
		}
	}
}

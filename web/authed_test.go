package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"

	"vigil/auth"
	"vigil/store"
)

// adminClients maps each test server's host to a client that signs its requests in as an admin, so tests
// written against the open API of earlier issues exercise the guard instead of skipping it.
var adminClients sync.Map

// serveSignedIn gives srv an auth service on its store and serves it; requests made through clientFor
// (or getAuthed) carry an admin's API token.
func serveSignedIn(t testing.TB, srv *Server) *httptest.Server {
	t.Helper()
	if srv.Auth == nil {
		srv.Auth = &auth.Service{Store: srv.Store, Config: srv.Config.Auth}
	}
	secret := newToken(t, srv, auth.Admin)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	u, _ := url.Parse(hs.URL)
	adminClients.Store(u.Host, &http.Client{Transport: bearer{secret, http.DefaultTransport}})
	t.Cleanup(func() { adminClients.Delete(u.Host) })
	return hs
}

// newToken makes an API token of role for every facility (admins and operators take none).
func newToken(t testing.TB, srv *Server, role auth.Role, grants ...store.Grant) string {
	t.Helper()
	secret, err := srv.Auth.NewToken(context.Background(), &store.Token{Name: "test " + string(role), Role: string(role), Grants: grants, CreatedBy: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

type bearer struct {
	token string
	base  http.RoundTripper
}

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Header.Get("Authorization") == "" {
		r = r.Clone(r.Context())
		r.Header.Set("Authorization", "Bearer "+b.token)
	}
	return b.base.RoundTrip(r)
}

// clientFor is the admin client of the test server u belongs to (http.DefaultClient for any other).
func clientFor(u *url.URL) *http.Client {
	if c, ok := adminClients.Load(u.Host); ok {
		return c.(*http.Client)
	}
	return http.DefaultClient
}

// getAuthed is http.Get as an admin.
func getAuthed(raw string) (*http.Response, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return clientFor(u).Get(raw)
}

func mustURL(raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		panic(err)
	}
	return u
}

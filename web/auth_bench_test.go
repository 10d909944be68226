package web

import (
	"context"
	"io"
	"net/http"
	"testing"

	"vigil/auth"
)

// BenchmarkGuard measures what signing a request in costs, over loopback HTTP: the public health probe
// (no guard) against the same kind of small answer behind a token, a session cookie and a signed link.
func BenchmarkGuard(b *testing.B) {
	f := newFixture(b)
	ctx := context.Background()
	if _, err := f.srv.Auth.AddUser(ctx, auth.Account{Username: "lan", Role: auth.Admin}, "benchmark password", nil); err != nil {
		b.Fatal(err)
	}
	cookie, p, err := f.srv.Auth.Login(ctx, "lan", "benchmark password", auth.Client{})
	if err != nil {
		b.Fatal(err)
	}
	token := newToken(b, f.srv, auth.Admin)
	link, err := f.srv.Auth.SignLink(ctx, p, "cam-1")
	if err != nil {
		b.Fatal(err)
	}
	client := &http.Client{}
	run := func(b *testing.B, path string, sign func(*http.Request)) {
		for b.Loop() {
			req, _ := http.NewRequest("GET", f.http.URL+path, nil)
			sign(req)
			resp, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 400 && resp.StatusCode != http.StatusServiceUnavailable {
				b.Fatalf("%s: %d", path, resp.StatusCode)
			}
		}
	}
	b.Run("public", func(b *testing.B) { run(b, "/api/v1/health", func(*http.Request) {}) })
	b.Run("token", func(b *testing.B) {
		run(b, "/api/v1/settings", func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+token) })
	})
	b.Run("session", func(b *testing.B) {
		run(b, "/api/v1/settings", func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: cookie}) })
	})
	// The camera is offline, so the muxer answers 503 at once: what is measured is the link's check.
	b.Run("signed-link", func(b *testing.B) { run(b, "/live/cam-1/index.m3u8?access="+link, func(*http.Request) {}) })
}

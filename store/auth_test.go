package store

import (
	"context"
	"errors"
	"strings"
	"testing"
)

func TestAuditIsAppendOnly(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for i, at := range []int64{100, 200, 300} {
		e := &AuditEvent{At: at, Actor: "lan", ActorKind: "user", Action: "live", Camera: "gate"}
		if err := s.AppendAudit(ctx, e); err != nil || e.ID != int64(i+1) {
			t.Fatalf("append: id %d, %v", e.ID, err)
		}
	}
	if _, err := s.write.Exec(`UPDATE audit SET actor = 'someone else'`); err == nil || !strings.Contains(err.Error(), "append-only") {
		t.Errorf("update: %v, want the trigger's refusal", err)
	}
	if _, err := s.write.Exec(`DELETE FROM audit WHERE at_ns = 300`); err == nil {
		t.Error("a delete above the horizon went through")
	}
	n, err := s.PruneAudit(ctx, 250)
	if err != nil || n != 2 {
		t.Fatalf("prune below 250: %d rows, %v; want 2", n, err)
	}
	// A clock set back cannot move the horizon back and so cannot open recent rows to deletion.
	if n, err := s.PruneAudit(ctx, 50); err != nil || n != 0 {
		t.Fatalf("prune below 50: %d, %v", n, err)
	}
	if _, err := s.write.Exec(`UPDATE audit_horizon SET before_ns = 0`); err == nil {
		t.Error("the horizon moved back")
	}
	if _, err := s.write.Exec(`DELETE FROM audit_horizon`); err == nil {
		t.Error("the horizon was removed")
	}
	events, err := s.AuditEvents(ctx, AuditFilter{})
	if err != nil || len(events) != 1 || events[0].At != 300 {
		t.Fatalf("events left: %+v, %v", events, err)
	}
}

func TestAuditFilter(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	for i := range 10 {
		cam := "gate"
		if i%2 == 1 {
			cam = "ward"
		}
		if err := s.AppendAudit(ctx, &AuditEvent{At: int64(i * 10), Actor: "lan", ActorKind: "user", Action: "playback", Camera: cam}); err != nil {
			t.Fatal(err)
		}
	}
	got, err := s.AuditEvents(ctx, AuditFilter{Camera: "ward", From: 20, To: 80, Limit: 2})
	if err != nil || len(got) != 2 || got[0].At != 70 || got[1].At != 50 {
		t.Fatalf("first page: %+v, %v", got, err)
	}
	got, err = s.AuditEvents(ctx, AuditFilter{Camera: "ward", From: 20, To: 80, Before: got[1].ID})
	if err != nil || len(got) != 1 || got[0].At != 30 {
		t.Fatalf("second page: %+v, %v", got, err)
	}
}

func TestUserLockoutAndSessions(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	u := &User{Username: "lan", Role: "facility", Grants: []Grant{{Facility: "ktx-a"}}, PasswordHash: "h", Created: 1}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateUser(ctx, &User{Username: "lan", Role: "viewer", PasswordHash: "h"}); !errors.Is(err, ErrUserExists) {
		t.Errorf("second lan: %v, want ErrUserExists", err)
	}
	for i := 1; i <= 3; i++ {
		locked, err := s.RecordLoginFailure(ctx, u.ID, 3, 999)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[bool]int64{true: 999, false: 0}[i == 3]; locked != want {
			t.Errorf("failure %d: locked until %d, want %d", i, locked, want)
		}
	}
	got, _ := s.UserByName(ctx, "lan")
	if got.LockedUntil != 999 || got.FailedLogins != 0 || got.Grants[0].Facility != "ktx-a" {
		t.Errorf("after the lock: %+v", got)
	}
	if err := s.CreateSession(ctx, Session{IDHash: []byte("h1"), UserID: u.ID, CSRF: "c", Created: 5, Seen: 5}); err != nil {
		t.Fatal(err)
	}
	if _, su, err := s.SessionByHash(ctx, []byte("h1")); err != nil || su.Username != "lan" {
		t.Fatalf("session: %+v, %v", su, err)
	}
	// A new password ends every session and the lock.
	if err := s.CreateSession(ctx, Session{IDHash: []byte("own"), UserID: u.ID, CSRF: "c", Created: 5, Seen: 5}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(ctx, "lan", "h2", []byte("own")); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.SessionByHash(ctx, []byte("h1")); !errors.Is(err, ErrSessionNotFound) {
		t.Errorf("session after a password change: %v", err)
	}
	if _, _, err := s.SessionByHash(ctx, []byte("own")); err != nil {
		t.Errorf("the session that changed its own password: %v", err)
	}
	if got, _ := s.UserByName(ctx, "lan"); got.LockedUntil != 0 || got.PasswordHash != "h2" {
		t.Errorf("after SetPassword: %+v", got)
	}
}

func TestTokens(t *testing.T) {
	s, _ := openTest(t)
	ctx := context.Background()
	tok := &Token{Name: "central", SecretHash: []byte("sh"), Role: "viewer", Grants: []Grant{{Facility: "*"}}, Created: 1, CreatedBy: "admin"}
	if err := s.CreateToken(ctx, tok); err != nil {
		t.Fatal(err)
	}
	if err := s.TouchToken(ctx, tok.ID, 7, "10.0.0.9"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, tok.ID, 9); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, tok.ID, 11); err != nil {
		t.Fatal(err)
	}
	got, err := s.TokenByHash(ctx, []byte("sh"))
	if err != nil || got.Revoked != 9 || got.LastUsed != 7 || got.LastUsedFrom != "10.0.0.9" {
		t.Fatalf("token: %+v, %v", got, err)
	}
	if err := s.RevokeToken(ctx, 42, 9); !errors.Is(err, ErrTokenNotFound) {
		t.Errorf("revoking a missing token: %v", err)
	}
	a, _ := s.ServerSecret(ctx, "media", 32)
	b, _ := s.ServerSecret(ctx, "media", 32)
	if len(a) != 32 || string(a) != string(b) {
		t.Error("the server secret is not kept")
	}
}

package auth

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"vigil/config"
	"vigil/store"
)

// clock is a test's time, moved by hand.
type clock struct{ t time.Time }

func (c *clock) now() time.Time       { return c.t }
func (c *clock) move(d time.Duration) { c.t = c.t.Add(d) }
func facilities(id string) bool       { return id == "ktx-a" || id == "ktx-b" }
func newService(t *testing.T) (*Service, *clock) {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	c := &config.Config{}
	c.ApplyDefaults()
	c.Auth.LockoutAfter, c.Auth.AddressLimit = 3, 5
	clk := &clock{t: time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)}
	return &Service{Store: st, Config: c.Auth, Now: clk.now}, clk
}

func addUser(t *testing.T, s *Service, a Account, password string) {
	t.Helper()
	if _, err := s.AddUser(context.Background(), a, password, facilities); err != nil {
		t.Fatal(err)
	}
}

func TestPasswordHash(t *testing.T) {
	h := HashPassword("mật khẩu dài đủ")
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not an argon2id PHC string", h)
	}
	if !VerifyPassword(h, "mật khẩu dài đủ") || VerifyPassword(h, "mật khẩu dài đu") || VerifyPassword("garbage", "x") {
		t.Error("verification is wrong")
	}
	if a, b := HashPassword("same"), HashPassword("same"); a == b {
		t.Error("two hashes of one password are equal: no salt")
	}
	if g := GeneratePassword(); len(g) != 16 || strings.ContainsAny(g, "0O1lI") {
		t.Errorf("generated %q", g)
	}
}

func TestLockoutUnlocksAfterItsPeriod(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	addUser(t, s, Account{Username: "lan", Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a"}}}, "correct horse battery")
	from := Client{Address: "10.0.0.1"}
	for i := 1; i <= 2; i++ {
		if _, _, err := s.Login(ctx, "lan", "wrong password", from); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("attempt %d: %v", i, err)
		}
	}
	var locked *LockedError
	if _, _, err := s.Login(ctx, "lan", "wrong password", from); !errors.As(err, &locked) || locked.Address {
		t.Fatalf("third failure: %v, want the account locked", err)
	}
	// While locked, even the right password is refused.
	if _, _, err := s.Login(ctx, "lan", "correct horse battery", Client{Address: "10.0.0.2"}); !errors.As(err, &locked) {
		t.Fatalf("right password while locked: %v", err)
	}
	clk.move(s.Config.LockoutFor + time.Second)
	if _, p, err := s.Login(ctx, "lan", "correct horse battery", Client{Address: "10.0.0.2"}); err != nil || p.Name != "lan" {
		t.Fatalf("after the lock: %v", err)
	}
}

func TestAddressLimit(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	addUser(t, s, Account{Username: "lan", Role: Viewer, Grants: []store.Grant{{Facility: "*"}}}, "correct horse battery")
	from := Client{Address: "203.0.113.9"}
	// Guessing names spreads failures over accounts; the address still runs out.
	for i := range 5 {
		if _, _, err := s.Login(ctx, "nobody"+string(rune('a'+i)), "guess", from); !errors.Is(err, ErrBadCredentials) {
			t.Fatalf("guess %d: %v", i, err)
		}
	}
	var locked *LockedError
	if _, _, err := s.Login(ctx, "lan", "correct horse battery", from); !errors.As(err, &locked) || !locked.Address {
		t.Fatalf("after 5 failures from one address: %v", err)
	}
	if _, _, err := s.Login(ctx, "lan", "correct horse battery", Client{Address: "203.0.113.10"}); err != nil {
		t.Fatalf("another address: %v", err)
	}
	clk.move(s.Config.LockoutFor)
	if _, _, err := s.Login(ctx, "lan", "correct horse battery", from); err != nil {
		t.Fatalf("after the period: %v", err)
	}
}

func TestSessionExpiry(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	addUser(t, s, Account{Username: "lan", Role: Operator}, "correct horse battery")
	cookie, p, err := s.Login(ctx, "lan", "correct horse battery", Client{})
	if err != nil || p.CSRF == "" {
		t.Fatal(err)
	}
	// Used every hour, it lives until session_max (12 h), not longer.
	for range 11 {
		clk.move(time.Hour)
		if _, err := s.Session(ctx, cookie); err != nil {
			t.Fatalf("at %v: %v", clk.t, err)
		}
	}
	clk.move(time.Hour + time.Second)
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("past session_max: %v", err)
	}
	cookie, _, _ = s.Login(ctx, "lan", "correct horse battery", Client{})
	clk.move(s.Config.SessionIdle + time.Second)
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("idle past session_idle: %v", err)
	}
	cookie, p, _ = s.Login(ctx, "lan", "correct horse battery", Client{})
	if err := s.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Session(ctx, cookie); !errors.Is(err, ErrSessionExpired) {
		t.Fatalf("after logout: %v", err)
	}
}

func TestTokensAndLinks(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	tok := &store.Token{Name: "central", Role: string(Viewer), Grants: []store.Grant{{Facility: "*"}}, CreatedBy: "admin"}
	secret, err := s.NewToken(ctx, tok)
	if err != nil || !strings.HasPrefix(secret, TokenPrefix) {
		t.Fatal(secret, err)
	}
	p, err := s.Password(ctx, "anything", secret, Client{Address: "10.1.1.1"})
	if err != nil || p.Kind != TokenKind || !p.CanAt(Live, "ktx-b") || p.Can(Playback) {
		t.Fatalf("token as a password: %+v, %v", p, err)
	}
	link, err := s.SignLink(ctx, p, "gate")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, link, "gate"); err != nil {
		t.Fatalf("fresh link: %v", err)
	}
	if _, err := s.Link(ctx, link, "ward"); !errors.Is(err, ErrBadLink) {
		t.Errorf("link for another camera: %v", err)
	}
	if _, err := s.Link(ctx, link[:len(link)-2]+"xx", "gate"); !errors.Is(err, ErrBadLink) {
		t.Errorf("tampered link: %v", err)
	}
	if err := s.Store.RevokeToken(ctx, tok.ID, clk.t.UnixNano()); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, link, "gate"); !errors.Is(err, ErrBadLink) {
		t.Errorf("link of a revoked token: %v", err)
	}
	if _, err := s.Token(ctx, secret, Client{}); !errors.Is(err, ErrBadCredentials) {
		t.Errorf("revoked token: %v", err)
	}
	addUser(t, s, Account{Username: "lan", Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a"}}}, "")
	u, _ := s.Store.UserByName(ctx, "lan")
	link, _ = s.SignLink(ctx, userPrincipal(u), "gate")
	clk.move(s.Config.MediaLinkTTL + time.Second)
	if _, err := s.Link(ctx, link, "gate"); !errors.Is(err, ErrBadLink) {
		t.Errorf("expired link: %v", err)
	}
}

func TestScope(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 11, d, 0, 0, 0, 0, time.UTC) }
	inv := &Principal{Role: Investigator, Grants: []store.Grant{{Facility: "ktx-a", FromNs: day(10).UnixNano(), UntilNs: day(12).UnixNano()}}}
	cases := []struct {
		name string
		got  bool
		want bool
	}{
		{"investigator plays back inside the window", inv.Footage(Playback, "ktx-a", day(10), day(11)), true},
		{"investigator outside the window", inv.Footage(Playback, "ktx-a", day(11), day(13)), false},
		{"investigator at another facility", inv.Footage(Export, "ktx-b", day(10), day(11)), false},
		{"investigator has no live", inv.CanAt(Live, "ktx-a"), false},
		{"investigator is not everywhere", inv.Everywhere(), false},
		{"facility staff at home", (&Principal{Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a"}}}).CanAt(Playback, "ktx-a"), true},
		{"facility staff elsewhere", (&Principal{Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a"}}}).CanAt(Live, "ktx-b"), false},
		{"facility staff cannot export", (&Principal{Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a"}}}).CanAt(Export, "ktx-a"), false},
		{"viewer with all facilities", (&Principal{Role: Viewer, Grants: []store.Grant{{Facility: "*"}}}).CanAt(Live, "ktx-b"), true},
		{"operator everywhere without grants", (&Principal{Role: Operator}).Everywhere(), true},
		{"operator manages no users", (&Principal{Role: Operator}).Can(Users), false},
		{"a facility's own window beats the grant of all, listed first", (&Principal{Role: Investigator, Grants: []store.Grant{
			{Facility: "*"}, {Facility: "ktx-a", FromNs: day(10).UnixNano(), UntilNs: day(12).UnixNano()}}}).Footage(Playback, "ktx-a", day(13), day(14)), false},
		{"the grant of all still covers the others", (&Principal{Role: Investigator, Grants: []store.Grant{
			{Facility: "*"}, {Facility: "ktx-a", FromNs: day(10).UnixNano(), UntilNs: day(12).UnixNano()}}}).Footage(Playback, "ktx-b", day(13), day(14)), true},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestAccountChecks(t *testing.T) {
	for _, c := range []struct {
		a    Account
		want string
	}{
		{Account{Username: "Lan", Role: Viewer, Grants: []store.Grant{{Facility: "*"}}}, "user name"},
		{Account{Username: "lan", Role: "boss"}, "unknown role"},
		{Account{Username: "lan", Role: FacilityRole}, "needs at least one facility"},
		{Account{Username: "lan", Role: Admin, Grants: []store.Grant{{Facility: "ktx-a"}}}, "leave its grants empty"},
		{Account{Username: "lan", Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-z"}}}, `no facility has the id "ktx-z"`},
		{Account{Username: "lan", Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a", FromNs: 5}}}, "only an investigator"},
		{Account{Username: "lan", Role: Investigator, Grants: []store.Grant{{Facility: "ktx-a", FromNs: 5, UntilNs: 4}}}, "ends before it starts"},
	} {
		err := c.a.Check(facilities)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want %q", c.a, err, c.want)
		}
	}
	if err := CheckPassword("lan", "lan-password-123"); !errors.Is(err, ErrWeakPassword) {
		t.Errorf("password with the user name: %v", err)
	}
}

// BenchmarkVerifyPassword is what one sign-in costs in CPU (argon2id, 19 MiB, 2 passes).
func BenchmarkVerifyPassword(b *testing.B) {
	h := HashPassword("correct horse battery staple")
	for b.Loop() {
		if !VerifyPassword(h, "correct horse battery staple") {
			b.Fatal("no match")
		}
	}
}

// TestUnknownNamesLockLikeAccounts: a name that does not exist is refused and locked exactly as one that
// does, so neither answer tells a guesser which names exist.
func TestUnknownNamesLockLikeAccounts(t *testing.T) {
	s, _ := newService(t)
	ctx := context.Background()
	addUser(t, s, Account{Username: "lan", Role: Operator}, "correct horse battery")
	answers := func(name string) []string {
		var out []string
		for i := range s.Config.LockoutAfter + 1 {
			_, _, err := s.Login(ctx, name, "guess", Client{Address: "10.9.9." + string(rune('0'+i))})
			var locked *LockedError
			switch {
			case errors.As(err, &locked):
				out = append(out, "locked")
			case errors.Is(err, ErrBadCredentials):
				out = append(out, "refused")
			default:
				out = append(out, err.Error())
			}
		}
		return out
	}
	known, unknown := answers("lan"), answers("nobody")
	if strings.Join(known, ",") != strings.Join(unknown, ",") || known[len(known)-1] != "locked" {
		t.Errorf("an existing name answers %v, a missing one %v: they must not differ", known, unknown)
	}
}

func TestAddressKey(t *testing.T) {
	for in, want := range map[string]string{
		"203.0.113.9":           "203.0.113.9",
		"2001:db8:1:2:3:4:5:6":  "2001:db8:1:2::/64",
		"2001:db8:1:2:ffff::99": "2001:db8:1:2::/64",
		"not an address":        "not an address",
	} {
		if got := addressKey(in); got != want {
			t.Errorf("addressKey(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestFailureLogIsBounded: failures from ever new addresses never grow the log past its bound.
func TestFailureLogIsBounded(t *testing.T) {
	var f failureLog
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	for i := range 3 * maxFailureKeys {
		f.add(fmt.Sprintf("key-%d", i), now.Add(time.Duration(i)*time.Millisecond), time.Hour)
	}
	if n := len(f.byKey); n > maxFailureKeys+1000 {
		t.Errorf("%d keys kept, bound %d", n, maxFailureKeys)
	}
}

// TestLinksEndWithTheirSession: a link made in a session stops at logout; one made without a session stops
// when the password changes; neither outlives its expiry, however often it is used.
func TestLinksEndWithTheirSession(t *testing.T) {
	s, clk := newService(t)
	ctx := context.Background()
	addUser(t, s, Account{Username: "lan", Role: FacilityRole, Grants: []store.Grant{{Facility: "ktx-a"}}}, "correct horse battery")
	_, p, err := s.Login(ctx, "lan", "correct horse battery", Client{})
	if err != nil {
		t.Fatal(err)
	}
	inSession, _ := s.SignLink(ctx, p, "gate")
	bare, _ := s.Password(ctx, "lan", "correct horse battery", Client{})
	sessionless, _ := s.SignLink(ctx, bare, "gate")
	for _, l := range []string{inSession, sessionless} {
		if _, err := s.Link(ctx, l, "gate"); err != nil {
			t.Fatalf("fresh link: %v", err)
		}
	}
	if err := s.Logout(ctx, p); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, inSession, "gate"); !errors.Is(err, ErrBadLink) {
		t.Errorf("a session's link after logout: %v", err)
	}
	if _, err := s.Link(ctx, sessionless, "gate"); err != nil {
		t.Errorf("a link without a session after someone else's logout: %v", err)
	}
	if _, err := s.SetPassword(ctx, "lan", "a new horse battery", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Link(ctx, sessionless, "gate"); !errors.Is(err, ErrBadLink) {
		t.Errorf("a link after the password changed: %v", err)
	}
	bare, _ = s.Password(ctx, "lan", "a new horse battery", Client{})
	fresh, _ := s.SignLink(ctx, bare, "gate")
	clk.move(s.Config.MediaLinkTTL - time.Second)
	if _, err := s.Link(ctx, fresh, "gate"); err != nil {
		t.Errorf("just before its expiry: %v", err)
	}
	clk.move(2 * time.Second)
	if _, err := s.Link(ctx, fresh, "gate"); !errors.Is(err, ErrBadLink) {
		t.Errorf("after its expiry: %v", err)
	}
}

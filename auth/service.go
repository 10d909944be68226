package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"vigil/config"
	"vigil/store"
)

// Errors of sign-in, for errors.Is and errors.As.
var (
	// ErrBadCredentials covers an unknown user, a wrong password and an unknown or revoked token alike, so
	// an answer never tells which user names exist.
	ErrBadCredentials = errors.New("wrong user name or password")
	ErrDisabled       = errors.New("this account is disabled")
	ErrSessionExpired = errors.New("the session has ended; sign in again")
	ErrBadLink        = errors.New("the link is invalid or has expired")
)

// LockedError says that sign-in is refused until Until: the account, or the address, failed too often.
type LockedError struct {
	Until   time.Time
	Address bool // the address is limited rather than the account
}

func (e *LockedError) Error() string {
	what := "this account is locked"
	if e.Address {
		what = "too many failed sign-ins from this address"
	}
	return fmt.Sprintf("%s; try again after %s", what, e.Until.Format(time.RFC3339))
}

// TokenPrefix starts every API token, so a token pasted where a password goes is told apart.
const TokenPrefix = "vgl_"

// touchEvery bounds the writes a busy session or token makes: its last use is recorded at most this often.
const touchEvery = time.Minute

// Service signs people and machines in. Its fields are set before first use.
type Service struct {
	Store  *store.Store
	Config config.Auth
	// Now defaults to time.Now; tests move it.
	Now func() time.Time

	mu      sync.Mutex
	linkKey []byte
	// addrFails are the recent failed sign-ins per client address; nameFails per user name that does not
	// exist, which lock like an account so a lockout does not tell which names exist.
	addrFails, nameFails failureLog
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Client is where a sign-in comes from.
type Client struct {
	Address   string // IP address, no port
	UserAgent string
}

// Login checks a user name and password and opens a session. It returns the cookie value (shown to the
// browser only) and the principal.
func (s *Service) Login(ctx context.Context, username, password string, from Client) (string, *Principal, error) {
	u, err := s.checkPassword(ctx, username, password, from.Address)
	if err != nil {
		return "", nil, err
	}
	secret := randomSecret()
	now := s.now().UnixNano()
	ss := store.Session{IDHash: hashSecret(secret), UserID: u.ID, CSRF: randomSecret(), Created: now, Seen: now,
		Address: from.Address, UserAgent: truncate(from.UserAgent, 200)}
	if err := s.Store.CreateSession(ctx, ss); err != nil {
		return "", nil, err
	}
	p := userPrincipal(u)
	p.CSRF, p.SessionHash = ss.CSRF, ss.IDHash
	return secret, p, nil
}

// Password checks a user name and password without opening a session (RTSP readers, HTTP Basic), under the
// same limits as Login. A password that is an API token signs the token in, whatever the user name.
func (s *Service) Password(ctx context.Context, username, password string, from Client) (*Principal, error) {
	if strings.HasPrefix(password, TokenPrefix) {
		return s.Token(ctx, password, from)
	}
	u, err := s.checkPassword(ctx, username, password, from.Address)
	if err != nil {
		return nil, err
	}
	return userPrincipal(u), nil
}

func (s *Service) checkPassword(ctx context.Context, username, password, addr string) (store.User, error) {
	now := s.now()
	if until, limited := s.addressLimited(addr, now); limited {
		return store.User{}, &LockedError{Until: until, Address: true}
	}
	u, err := s.Store.UserByName(ctx, username)
	if errors.Is(err, store.ErrUserNotFound) {
		return u, s.unknownUser(username, password, addr, now)
	}
	if err != nil {
		return u, err
	}
	if u.LockedUntil > now.UnixNano() {
		// The answer does not depend on the password, so a locked account gives a guesser nothing; the hash
		// is computed all the same, so the answer takes as long as any other.
		VerifyPassword(dummyHash, password)
		s.addressFailed(addr, now)
		return u, &LockedError{Until: time.Unix(0, u.LockedUntil)}
	}
	if !VerifyPassword(u.PasswordHash, password) {
		s.addressFailed(addr, now)
		locked, err := s.Store.RecordLoginFailure(ctx, u.ID, s.Config.LockoutAfter, now.Add(s.Config.LockoutFor).UnixNano())
		if err != nil {
			return u, err
		}
		if locked != 0 {
			return u, &LockedError{Until: time.Unix(0, locked)}
		}
		return u, ErrBadCredentials
	}
	if u.Disabled {
		return u, ErrDisabled
	}
	return u, s.Store.RecordLoginSuccess(ctx, u.ID, now.UnixNano())
}

// unknownUser refuses a user name that does not exist the way an account is refused: as long, and locked
// after as many failures, so neither the time nor a lockout tells which names exist.
func (s *Service) unknownUser(username, password, addr string, now time.Time) error {
	VerifyPassword(dummyHash, password)
	s.addressFailed(addr, now)
	key := strings.ToLower(username)
	if until, locked := s.limited(&s.nameFails, key, now, s.Config.LockoutAfter); locked {
		return &LockedError{Until: until}
	}
	if fails := s.nameFails.add(key, now, s.Config.LockoutFor); len(fails) >= s.Config.LockoutAfter {
		return &LockedError{Until: now.Add(s.Config.LockoutFor)}
	}
	return ErrBadCredentials
}

// addressLimited tells whether addr has failed AddressLimit times within the last LockoutFor, and until when.
func (s *Service) addressLimited(addr string, now time.Time) (time.Time, bool) {
	return s.limited(&s.addrFails, addressKey(addr), now, s.Config.AddressLimit)
}

func (s *Service) addressFailed(addr string, now time.Time) {
	s.addrFails.add(addressKey(addr), now, s.Config.LockoutFor)
}

// limited tells whether key has failed limit times within the last LockoutFor in log, and until when.
func (s *Service) limited(log *failureLog, key string, now time.Time, limit int) (time.Time, bool) {
	recent := log.recent(key, now, s.Config.LockoutFor)
	if len(recent) < limit {
		return time.Time{}, false
	}
	return recent[len(recent)-limit].Add(s.Config.LockoutFor), true
}

// Session finds the principal of a session cookie, ending the session if it has idled or lived too long.
func (s *Service) Session(ctx context.Context, cookie string) (*Principal, error) {
	h := hashSecret(cookie)
	ss, u, err := s.Store.SessionByHash(ctx, h)
	if errors.Is(err, store.ErrSessionNotFound) {
		return nil, ErrSessionExpired
	}
	if err != nil {
		return nil, err
	}
	now := s.now()
	idle, age := now.Sub(time.Unix(0, ss.Seen)), now.Sub(time.Unix(0, ss.Created))
	if u.Disabled || idle > s.Config.SessionIdle || age > s.Config.SessionMax {
		if err := s.Store.DeleteSession(ctx, h); err != nil {
			return nil, err
		}
		return nil, ErrSessionExpired
	}
	if idle > touchEvery {
		if err := s.Store.TouchSession(ctx, h, now.UnixNano()); err != nil {
			return nil, err
		}
	}
	p := userPrincipal(u)
	p.CSRF, p.SessionHash = ss.CSRF, h
	return p, nil
}

// Logout ends the principal's session.
func (s *Service) Logout(ctx context.Context, p *Principal) error {
	if p.SessionHash == nil {
		return nil
	}
	return s.Store.DeleteSession(ctx, p.SessionHash)
}

// PruneSessions forgets sessions that can no longer be used.
func (s *Service) PruneSessions(ctx context.Context) (int64, error) {
	now := s.now()
	return s.Store.PruneSessions(ctx, now.Add(-s.Config.SessionIdle).UnixNano(), now.Add(-s.Config.SessionMax).UnixNano())
}

// Token finds the principal of an API token and records its use.
func (s *Service) Token(ctx context.Context, secret string, from Client) (*Principal, error) {
	now := s.now()
	if until, limited := s.addressLimited(from.Address, now); limited {
		return nil, &LockedError{Until: until, Address: true}
	}
	t, err := s.Store.TokenByHash(ctx, hashSecret(secret))
	if errors.Is(err, store.ErrTokenNotFound) || (err == nil && t.Revoked != 0) {
		s.addressFailed(from.Address, now)
		return nil, ErrBadCredentials
	}
	if err != nil {
		return nil, err
	}
	if now.Sub(time.Unix(0, t.LastUsed)) > touchEvery || t.LastUsedFrom != from.Address {
		if err := s.Store.TouchToken(ctx, t.ID, now.UnixNano(), from.Address); err != nil {
			return nil, err
		}
	}
	return tokenPrincipal(t), nil
}

// NewToken makes a token's secret and stores the token; the secret is returned once and never kept.
func (s *Service) NewToken(ctx context.Context, t *store.Token) (string, error) {
	secret := TokenPrefix + randomSecret()
	t.SecretHash = hashSecret(secret)
	t.Created = s.now().UnixNano()
	if err := s.Store.CreateToken(ctx, t); err != nil {
		return "", err
	}
	return secret, nil
}

func userPrincipal(u store.User) *Principal {
	display := u.Name
	if display == "" {
		display = u.Username
	}
	return &Principal{Kind: UserKind, ID: u.ID, Name: u.Username, Display: display, Role: Role(u.Role), Grants: u.Grants,
		passwordHash: u.PasswordHash}
}

// Current is the principal as it stands now, for a sign-in that lasts (an RTSP session): false when the
// user was disabled or its password changed, or the token revoked, since p was signed in. It reads the
// store, never hashes a password.
func (s *Service) Current(ctx context.Context, p *Principal) (*Principal, bool) {
	if p.Kind == TokenKind {
		t, err := s.Store.TokenByID(ctx, p.ID)
		if err != nil || t.Revoked != 0 {
			return nil, false
		}
		return tokenPrincipal(t), true
	}
	u, err := s.Store.UserByID(ctx, p.ID)
	if err != nil || u.Disabled || u.PasswordHash != p.passwordHash {
		return nil, false
	}
	return userPrincipal(u), true
}

func tokenPrincipal(t store.Token) *Principal {
	return &Principal{Kind: TokenKind, ID: t.ID, Name: t.Name, Display: t.Name, Role: Role(t.Role), Grants: t.Grants}
}

// SignLink makes a short-lived credential for one camera's HLS files, for players that carry no cookie:
// it names the principal, the camera and the expiry (media_link_ttl from now, never extended), sealed with
// the server's key. A user's link also names the session it was made in, if any, and its password: it
// ends with the session (logout, expiry) and with a new password.
func (s *Service) SignLink(ctx context.Context, p *Principal, camera string) (string, error) {
	key, err := s.key(ctx)
	if err != nil {
		return "", err
	}
	kind, bound := "t", "-"
	if p.Kind == UserKind {
		kind, bound = "u", hex.EncodeToString(fingerprint(p.passwordHash))
		if p.SessionHash != nil {
			bound += ":" + hex.EncodeToString(p.SessionHash)
		}
	}
	exp := s.now().Add(s.Config.MediaLinkTTL).Unix()
	payload := strings.Join([]string{kind, strconv.FormatInt(p.ID, 10), strconv.FormatInt(exp, 10), bound, camera}, ".")
	b64 := base64.RawURLEncoding
	return b64.EncodeToString([]byte(payload)) + "." + b64.EncodeToString(sign(key, payload)), nil
}

// fingerprint identifies a password hash without giving it away.
func fingerprint(passwordHash string) []byte {
	h := sha256.Sum256([]byte("link:" + passwordHash))
	return h[:8]
}

// Link checks a signed link for camera and returns its principal, as it is now: expired, a user disabled,
// signed out of the session the link was made in or with a new password, or a token revoked, and it is
// refused.
func (s *Service) Link(ctx context.Context, link, camera string) (*Principal, error) {
	key, err := s.key(ctx)
	if err != nil {
		return nil, err
	}
	b64 := base64.RawURLEncoding
	enc, mac, ok := strings.Cut(link, ".")
	payload, err1 := b64.DecodeString(enc)
	sig, err2 := b64.DecodeString(mac)
	if !ok || err1 != nil || err2 != nil || !hmac.Equal(sig, sign(key, string(payload))) {
		return nil, ErrBadLink
	}
	parts := strings.SplitN(string(payload), ".", 5)
	if len(parts) != 5 || parts[4] != camera {
		return nil, ErrBadLink
	}
	id, _ := strconv.ParseInt(parts[1], 10, 64)
	exp, _ := strconv.ParseInt(parts[2], 10, 64)
	if s.now().Unix() > exp {
		return nil, ErrBadLink
	}
	if parts[0] == "t" {
		t, err := s.Store.TokenByID(ctx, id)
		if err != nil || t.Revoked != 0 {
			return nil, ErrBadLink
		}
		return tokenPrincipal(t), nil
	}
	u, err := s.Store.UserByID(ctx, id)
	if err != nil || u.Disabled || !s.linkBoundHolds(ctx, parts[3], u) {
		return nil, ErrBadLink
	}
	return userPrincipal(u), nil
}

// linkBoundHolds checks what a user's link is bound to: the password it was made under, and the session.
func (s *Service) linkBoundHolds(ctx context.Context, bound string, u store.User) bool {
	pw, session, hasSession := strings.Cut(bound, ":")
	if pw != hex.EncodeToString(fingerprint(u.PasswordHash)) {
		return false
	}
	if !hasSession {
		return true
	}
	h, err := hex.DecodeString(session)
	if err != nil {
		return false
	}
	ss, _, err := s.Store.SessionByHash(ctx, h)
	return err == nil && ss.UserID == u.ID && s.now().Sub(time.Unix(0, ss.Created)) <= s.Config.SessionMax
}

func (s *Service) key(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.linkKey == nil {
		k, err := s.Store.ServerSecret(ctx, "media-links", 32)
		if err != nil {
			return nil, err
		}
		s.linkKey = k
	}
	return s.linkKey, nil
}

func sign(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(payload))
	return m.Sum(nil)[:20]
}

// randomSecret is 256 random bits, URL-safe.
func randomSecret() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// hashSecret: a secret of 256 random bits needs no slow hash; SHA-256 keeps a stolen database useless.
func hashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

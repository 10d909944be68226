package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
)

// Grant lets a user or token reach one facility's cameras, or every facility's ("*"). FromNs/UntilNs, when
// not zero, bound the footage an investigator may see to [FromNs, UntilNs).
type Grant struct {
	Facility string `json:"facility"`
	FromNs   int64  `json:"from_ns,omitempty"`
	UntilNs  int64  `json:"until_ns,omitempty"`
}

// User is a person who signs in.
type User struct {
	ID           int64
	Username     string
	Name         string
	Role         string
	Grants       []Grant
	PasswordHash string
	Disabled     bool
	Created      int64
	LastLogin    int64 // 0 = never
	FailedLogins int
	LockedUntil  int64 // 0 = not locked
}

// Session is one signed-in browser.
type Session struct {
	IDHash    []byte
	UserID    int64
	CSRF      string
	Created   int64
	Seen      int64
	Address   string
	UserAgent string
}

// Token is a machine's credential.
type Token struct {
	ID           int64
	Name         string
	SecretHash   []byte
	Role         string
	Grants       []Grant
	Created      int64
	CreatedBy    string
	LastUsed     int64
	LastUsedFrom string
	Revoked      int64 // 0 = valid
}

// Errors of the user, session and token accessors, for errors.Is.
var (
	ErrUserNotFound    = errors.New("user not found")
	ErrUserExists      = errors.New("user already exists")
	ErrSessionNotFound = errors.New("session not found")
	ErrTokenNotFound   = errors.New("token not found")
)

const userColumns = `id, username, name, role, grants, password_hash, disabled, created_ns, last_login_ns,
  failed_logins, locked_until`

func scanUser(r registryScanner) (User, error) {
	var u User
	var grants string
	err := r.Scan(&u.ID, &u.Username, &u.Name, &u.Role, &grants, &u.PasswordHash, &u.Disabled, &u.Created,
		&u.LastLogin, &u.FailedLogins, &u.LockedUntil)
	if err != nil {
		return u, err
	}
	u.Grants, err = decodeGrants(grants)
	return u, err
}

func encodeGrants(g []Grant) string {
	if g == nil {
		g = []Grant{}
	}
	b, _ := json.Marshal(g) // a slice of plain structs always encodes
	return string(b)
}

func decodeGrants(s string) ([]Grant, error) {
	var g []Grant
	if err := json.Unmarshal([]byte(s), &g); err != nil {
		return nil, fmt.Errorf("grants %q: %w", s, err)
	}
	return g, nil
}

// CreateUser adds a user; its ID is set on return.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	res, err := s.write.ExecContext(ctx, `INSERT INTO user (username, name, role, grants, password_hash, disabled, created_ns)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, u.Username, u.Name, u.Role, encodeGrants(u.Grants), u.PasswordHash, u.Disabled, u.Created)
	if err != nil {
		if isUniqueViolation(err) {
			return fmt.Errorf("%w: %s", ErrUserExists, u.Username)
		}
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}

// UserByName finds a user by user name.
func (s *Store) UserByName(ctx context.Context, username string) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM user WHERE username = ?`, username))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: %s", ErrUserNotFound, username)
	}
	return u, err
}

// UserByID finds a user by id.
func (s *Store) UserByID(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.read.QueryRowContext(ctx, `SELECT `+userColumns+` FROM user WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("%w: #%d", ErrUserNotFound, id)
	}
	return u, err
}

// Users lists every user by user name.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+userColumns+` FROM user ORDER BY username`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	users := []User{}
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// CountUsers says how many users exist (the first start has none).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM user`).Scan(&n)
	return n, err
}

// UpdateUser changes a user's name, role, grants and disabled flag. Disabling a user or changing what it
// may see ends its sessions, so the change is in force at its next request.
func (s *Store) UpdateUser(ctx context.Context, u User) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE user SET name = ?, role = ?, grants = ?, disabled = ? WHERE username = ?`,
			u.Name, u.Role, encodeGrants(u.Grants), u.Disabled, u.Username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %s", ErrUserNotFound, u.Username)
		}
		if !u.Disabled {
			return nil
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM session WHERE user_id = (SELECT id FROM user WHERE username = ?)`, u.Username)
		return err
	})
}

// SetPassword replaces a user's password hash, clears its lockout and ends its sessions but keep (the
// session of a user changing their own password; nil for none).
func (s *Store) SetPassword(ctx context.Context, username, hash string, keep []byte) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE user SET password_hash = ?, failed_logins = 0, locked_until = 0 WHERE username = ?`, hash, username)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("%w: %s", ErrUserNotFound, username)
		}
		_, err = tx.ExecContext(ctx, `DELETE FROM session WHERE user_id = (SELECT id FROM user WHERE username = ?) AND id_hash IS NOT ?`,
			username, keep)
		return err
	})
}

// RecordLoginFailure counts a failed login; the lockAfter-th failure in a row locks the account until
// lockUntil and starts the count again. It returns the lock's end, or 0 if the account is not locked.
func (s *Store) RecordLoginFailure(ctx context.Context, userID int64, lockAfter int, lockUntil int64) (int64, error) {
	var locked int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var failed int
		if err := tx.QueryRowContext(ctx, `UPDATE user SET failed_logins = failed_logins + 1 WHERE id = ? RETURNING failed_logins`, userID).Scan(&failed); err != nil {
			return err
		}
		if failed < lockAfter {
			return nil
		}
		locked = lockUntil
		_, err := tx.ExecContext(ctx, `UPDATE user SET failed_logins = 0, locked_until = ? WHERE id = ?`, lockUntil, userID)
		return err
	})
	return locked, err
}

// RecordLoginSuccess clears the failure count and notes the time.
func (s *Store) RecordLoginSuccess(ctx context.Context, userID, at int64) error {
	_, err := s.write.ExecContext(ctx, `UPDATE user SET failed_logins = 0, locked_until = 0, last_login_ns = ? WHERE id = ?`, at, userID)
	return err
}

// CreateSession stores a new session.
func (s *Store) CreateSession(ctx context.Context, ss Session) error {
	_, err := s.write.ExecContext(ctx, `INSERT INTO session (id_hash, user_id, csrf, created_ns, seen_ns, address, user_agent)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, ss.IDHash, ss.UserID, ss.CSRF, ss.Created, ss.Seen, ss.Address, ss.UserAgent)
	return err
}

// SessionByHash finds a session and its user.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte) (Session, User, error) {
	var ss Session
	row := s.read.QueryRowContext(ctx, `SELECT s.id_hash, s.user_id, s.csrf, s.created_ns, s.seen_ns, s.address, s.user_agent,
		`+prefixColumns("u.", userColumns)+` FROM session s JOIN user u ON u.id = s.user_id WHERE s.id_hash = ?`, idHash)
	var u User
	var grants string
	err := row.Scan(&ss.IDHash, &ss.UserID, &ss.CSRF, &ss.Created, &ss.Seen, &ss.Address, &ss.UserAgent,
		&u.ID, &u.Username, &u.Name, &u.Role, &grants, &u.PasswordHash, &u.Disabled, &u.Created, &u.LastLogin, &u.FailedLogins, &u.LockedUntil)
	if errors.Is(err, sql.ErrNoRows) {
		return ss, u, ErrSessionNotFound
	}
	if err != nil {
		return ss, u, err
	}
	u.Grants, err = decodeGrants(grants)
	return ss, u, err
}

func prefixColumns(prefix, columns string) string {
	parts := strings.Split(columns, ",")
	for i, p := range parts {
		parts[i] = prefix + strings.TrimSpace(p)
	}
	return strings.Join(parts, ", ")
}

// TouchSession notes that a session was used.
func (s *Store) TouchSession(ctx context.Context, idHash []byte, at int64) error {
	_, err := s.write.ExecContext(ctx, `UPDATE session SET seen_ns = ? WHERE id_hash = ?`, at, idHash)
	return err
}

// DeleteSession ends one session.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	_, err := s.write.ExecContext(ctx, `DELETE FROM session WHERE id_hash = ?`, idHash)
	return err
}

// PruneSessions deletes sessions unused since seenBefore or created before createdBefore.
func (s *Store) PruneSessions(ctx context.Context, seenBefore, createdBefore int64) (int64, error) {
	res, err := s.write.ExecContext(ctx, `DELETE FROM session WHERE seen_ns < ? OR created_ns < ?`, seenBefore, createdBefore)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const tokenColumns = `id, name, secret_hash, role, grants, created_ns, created_by, last_used_ns, last_used_from, revoked_ns`

func scanToken(r registryScanner) (Token, error) {
	var t Token
	var grants string
	err := r.Scan(&t.ID, &t.Name, &t.SecretHash, &t.Role, &grants, &t.Created, &t.CreatedBy, &t.LastUsed, &t.LastUsedFrom, &t.Revoked)
	if err != nil {
		return t, err
	}
	t.Grants, err = decodeGrants(grants)
	return t, err
}

// CreateToken stores a new API token; its ID is set on return.
func (s *Store) CreateToken(ctx context.Context, t *Token) error {
	res, err := s.write.ExecContext(ctx, `INSERT INTO api_token (name, secret_hash, role, grants, created_ns, created_by)
		VALUES (?, ?, ?, ?, ?, ?)`, t.Name, t.SecretHash, t.Role, encodeGrants(t.Grants), t.Created, t.CreatedBy)
	if err != nil {
		return err
	}
	t.ID, err = res.LastInsertId()
	return err
}

// TokenByHash finds a token by its secret's hash, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, secretHash []byte) (Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_token WHERE secret_hash = ?`, secretHash))
	if errors.Is(err, sql.ErrNoRows) {
		return t, ErrTokenNotFound
	}
	return t, err
}

// TokenByID finds a token by id, revoked or not.
func (s *Store) TokenByID(ctx context.Context, id int64) (Token, error) {
	t, err := scanToken(s.read.QueryRowContext(ctx, `SELECT `+tokenColumns+` FROM api_token WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("%w: #%d", ErrTokenNotFound, id)
	}
	return t, err
}

// Tokens lists every token, newest first.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+tokenColumns+` FROM api_token ORDER BY id DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	tokens := []Token{}
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		tokens = append(tokens, t)
	}
	return tokens, rows.Err()
}

// RevokeToken ends a token; revoking one already revoked keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id, at int64) error {
	res, err := s.write.ExecContext(ctx, `UPDATE api_token SET revoked_ns = ? WHERE id = ? AND revoked_ns = 0`, at, id)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.TokenByID(ctx, id); err != nil {
			return err
		}
	}
	return nil
}

// TouchToken records a token's use.
func (s *Store) TouchToken(ctx context.Context, id, at int64, from string) error {
	_, err := s.write.ExecContext(ctx, `UPDATE api_token SET last_used_ns = ?, last_used_from = ? WHERE id = ?`, at, from, id)
	return err
}

// ServerSecret returns the secret called name, making size random bytes for it the first time.
func (s *Store) ServerSecret(ctx context.Context, name string, size int) ([]byte, error) {
	fresh := make([]byte, size)
	rand.Read(fresh)
	if _, err := s.write.ExecContext(ctx, `INSERT INTO server_secret (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, fresh); err != nil {
		return nil, err
	}
	var v []byte
	err := s.write.QueryRowContext(ctx, `SELECT value FROM server_secret WHERE name = ?`, name).Scan(&v)
	return v, err
}

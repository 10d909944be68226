package auth

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"vigil/store"
)

// ErrInvalid marks a request that is wrong in itself (a bad user name, role or grant); its message says why.
var ErrInvalid = errors.New("invalid")

var usernamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{1,63}$`)

// Account is what an admin says about a user.
type Account struct {
	Username string
	Name     string
	Role     Role
	Grants   []store.Grant
	Disabled bool
}

// Check validates an account; facilityExists reports whether a facility id is known.
func (a Account) Check(facilityExists func(string) bool) error {
	if !usernamePattern.MatchString(a.Username) {
		return fmt.Errorf("%w: user name %q: use 2 to 64 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit", ErrInvalid, a.Username)
	}
	return checkScope(a.Role, a.Grants, facilityExists)
}

// checkScope: admins and operators act for the whole province and take no grants; every other role needs
// at least one, or it could see nothing.
func checkScope(r Role, grants []store.Grant, facilityExists func(string) bool) error {
	if _, err := ParseRole(string(r)); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	if r.seesEverything() && len(grants) > 0 {
		return fmt.Errorf("%w: an %s sees every facility; leave its grants empty", ErrInvalid, r)
	}
	if !r.seesEverything() && len(grants) == 0 {
		return fmt.Errorf("%w: a %s needs at least one facility (or %q for all)", ErrInvalid, r, AllFacilities)
	}
	if err := CheckGrants(r, grants, facilityExists); err != nil {
		return fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return nil
}

// AddUser creates a user. With an empty password one is generated; the password is returned either way,
// to be shown once.
func (s *Service) AddUser(ctx context.Context, a Account, password string, facilityExists func(string) bool) (string, error) {
	if err := a.Check(facilityExists); err != nil {
		return "", err
	}
	password, err := choosePassword(a.Username, password)
	if err != nil {
		return "", err
	}
	u := &store.User{Username: a.Username, Name: a.Name, Role: string(a.Role), Grants: a.Grants,
		PasswordHash: HashPassword(password), Disabled: a.Disabled, Created: s.now().UnixNano()}
	return password, s.Store.CreateUser(ctx, u)
}

// UpdateUser changes a user's name, role, grants and disabled flag.
func (s *Service) UpdateUser(ctx context.Context, a Account, facilityExists func(string) bool) error {
	if err := a.Check(facilityExists); err != nil {
		return err
	}
	return s.Store.UpdateUser(ctx, store.User{Username: a.Username, Name: a.Name, Role: string(a.Role), Grants: a.Grants, Disabled: a.Disabled})
}

// SetPassword replaces a user's password (generated when empty, and returned), unlocks the account and ends
// its sessions but keep (the session of a user changing their own password, who must see the new one).
func (s *Service) SetPassword(ctx context.Context, username, password string, keep []byte) (string, error) {
	password, err := choosePassword(username, password)
	if err != nil {
		return "", err
	}
	return password, s.Store.SetPassword(ctx, username, HashPassword(password), keep)
}

// CheckToken validates a token's name, role and grants.
func CheckToken(name string, r Role, grants []store.Grant, facilityExists func(string) bool) error {
	if name == "" || len(name) > 100 {
		return fmt.Errorf("%w: a token needs a name of at most 100 characters (who uses it: the central system, a script)", ErrInvalid)
	}
	return checkScope(r, grants, facilityExists)
}

func choosePassword(username, password string) (string, error) {
	if password == "" {
		return GeneratePassword(), nil
	}
	if err := CheckPassword(username, password); err != nil {
		return "", fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return password, nil
}

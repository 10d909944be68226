package auth

import (
	"time"

	"vigil/store"
)

// Kind says what signed a request in.
type Kind string

// Kinds of principal.
const (
	UserKind  Kind = "user"
	TokenKind Kind = "token"
)

// Principal is who a request acts for.
type Principal struct {
	Kind    Kind
	ID      int64  // user or token id
	Name    string // user name, or the token's name
	Display string // a person's full name; the token's name
	Role    Role
	Grants  []store.Grant
	// CSRF is the session's anti-forgery token; "" for tokens and signed links, which a browser never
	// sends by itself.
	CSRF string
	// SessionHash identifies the session, for logout.
	SessionHash []byte

	// passwordHash is the user's hash when it signed in: a password changed since ends what it opened.
	passwordHash string
}

// Actor is how the audit log names the principal.
func (p *Principal) Actor() string {
	if p.Kind == TokenKind {
		return "token:" + p.Name
	}
	return p.Name
}

// Can tells whether the principal may do perm at all.
func (p *Principal) Can(perm Permission) bool { return p != nil && p.Role.Has(perm) }

// Everywhere tells whether the principal reaches every facility (province-wide pages need it).
func (p *Principal) Everywhere() bool {
	if p.Role.seesEverything() {
		return true
	}
	for _, g := range p.Grants {
		if g.Facility == AllFacilities && grantWindow(g).Open() {
			return true
		}
	}
	return false
}

// CanAt tells whether the principal may do perm on the cameras of facility.
func (p *Principal) CanAt(perm Permission, facility string) bool {
	if !p.Can(perm) {
		return false
	}
	_, ok := p.window(facility)
	return ok
}

// Footage tells whether the principal may see the footage of facility in [start, end) with perm.
func (p *Principal) Footage(perm Permission, facility string, start, end time.Time) bool {
	if !p.Can(perm) {
		return false
	}
	w, ok := p.window(facility)
	return ok && w.Contains(start, end)
}

// FootageWindow is the part of a facility's footage the principal may see (open when unbounded).
func (p *Principal) FootageWindow(facility string) Window {
	w, _ := p.window(facility)
	return w
}

// window is the grant that applies to facility: its own grant if it has one, else the grant of every
// facility; the order grants were given in does not matter.
func (p *Principal) window(facility string) (Window, bool) {
	if p.Role.seesEverything() {
		return Window{}, true
	}
	for _, want := range []string{facility, AllFacilities} {
		for _, g := range p.Grants {
			if g.Facility == want {
				return grantWindow(g), true
			}
		}
	}
	return Window{}, false
}

// Package auth decides who someone is and what they may see: roles and their permissions, grants per
// facility, password hashing, sessions, API tokens, login limits and signed media links.
package auth

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"vigil/store"
)

// Role is what a user or token is for.
type Role string

// The roles of issue 5.
const (
	Admin        Role = "admin"        // everything: users, tokens, the audit log, configuration
	Operator     Role = "operator"     // province staff: every facility, live and playback, the registry, no user management
	Investigator Role = "investigator" // playback and export of the facilities (and footage window) granted
	FacilityRole Role = "facility"     // a facility's staff: live and playback of its own cameras
	Viewer       Role = "viewer"       // live only (e.g. the steering committee); the central system's tokens
)

// Roles lists every role, most powerful first.
var Roles = []Role{Admin, Operator, Investigator, FacilityRole, Viewer}

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	r := Role(s)
	if slices.Contains(Roles, r) {
		return r, nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", fmt.Errorf("unknown role %q: use one of %s", s, strings.Join(names, ", "))
}

// Permission is one kind of thing a route does.
type Permission string

// Permissions, each checked by exactly one layer (web's route table, the RTSP server).
const (
	Live          Permission = "live"           // live view, the RTSP re-stream
	Playback      Permission = "playback"       // recorded footage: timeline, playlists, recording bytes
	Export        Permission = "export"         // MP4 export
	RegistryRead  Permission = "registry.read"  // facilities and contacts
	RegistryWrite Permission = "registry.write" // edit facilities and contacts, import
	Survey        Permission = "survey"         // run and read the camera survey
	Continuity    Permission = "continuity"     // uptime, alerts, the dashboard
	Upstream      Permission = "upstream"       // the central system's status feed
	Users         Permission = "users"          // users and tokens
	Audit         Permission = "audit"          // read the audit log
	Metrics       Permission = "metrics"        // Prometheus metrics
)

var rolePermissions = map[Role][]Permission{
	Admin:        {Live, Playback, Export, RegistryRead, RegistryWrite, Survey, Continuity, Upstream, Users, Audit, Metrics},
	Operator:     {Live, Playback, RegistryRead, RegistryWrite, Survey, Continuity, Upstream, Metrics},
	Investigator: {Playback, Export},
	FacilityRole: {Live, Playback, RegistryRead},
	Viewer:       {Live, Upstream},
}

// Permissions lists what a role may do.
func (r Role) Permissions() []Permission { return slices.Clone(rolePermissions[r]) }

// Has tells whether the role may do p at all (for some facility).
func (r Role) Has(p Permission) bool { return slices.Contains(rolePermissions[r], p) }

// seesEverything: these roles act for the whole province whatever their grants.
func (r Role) seesEverything() bool { return r == Admin || r == Operator }

// AllFacilities is the grant's facility that stands for every facility.
const AllFacilities = "*"

// Window is the footage an investigator's grant allows; a zero bound is open.
type Window struct{ From, Until time.Time }

// Contains tells whether [start, end) lies inside the window.
func (w Window) Contains(start, end time.Time) bool {
	return (w.From.IsZero() || !start.Before(w.From)) && (w.Until.IsZero() || !end.After(w.Until))
}

// Open tells whether the window has no bound.
func (w Window) Open() bool { return w.From.IsZero() && w.Until.IsZero() }

func grantWindow(g store.Grant) Window {
	var w Window
	if g.FromNs != 0 {
		w.From = time.Unix(0, g.FromNs)
	}
	if g.UntilNs != 0 {
		w.Until = time.Unix(0, g.UntilNs)
	}
	return w
}

// CheckGrants validates grants for a role: known facilities (known(id) reports whether one exists), no
// duplicates, windows only for investigators and in order.
func CheckGrants(r Role, grants []store.Grant, known func(string) bool) error {
	seen := map[string]bool{}
	for _, g := range grants {
		switch {
		case g.Facility == "":
			return fmt.Errorf("a grant needs a facility (or %q for all)", AllFacilities)
		case g.Facility != AllFacilities && !known(g.Facility):
			return fmt.Errorf("no facility has the id %q", g.Facility)
		case seen[g.Facility]:
			return fmt.Errorf("facility %q is granted twice", g.Facility)
		case (g.FromNs != 0 || g.UntilNs != 0) && r != Investigator:
			return fmt.Errorf("only an investigator's grant can have a footage window (%s)", g.Facility)
		case g.FromNs != 0 && g.UntilNs != 0 && g.UntilNs <= g.FromNs:
			return fmt.Errorf("the footage window of %s ends before it starts", g.Facility)
		}
		seen[g.Facility] = true
	}
	return nil
}

// SafeName is a user name fit for logs and the audit log: an API token typed where the name goes (as in
// rtsp://TOKEN@host/camera) is not written down.
func SafeName(name string) string {
	if strings.HasPrefix(name, TokenPrefix) {
		return TokenPrefix + "…(hidden)"
	}
	if len(name) > 64 {
		return name[:64] + "…"
	}
	return name
}

// Package upstream hands every camera to the central monitoring system: an RTSP server re-streaming the
// recorder's live fan-out, and publishers pushing streams to servers that want them.
package upstream

import (
	"errors"
	"net"
)

// Errors an Authorizer returns; the RTSP server answers them with 401 (and a Basic challenge) and 403.
var (
	ErrUnauthenticated = errors.New("missing or wrong credentials")
	ErrForbidden       = errors.New("not allowed to read this camera")
)

// Authorizer decides whether an RTSP client may read a camera.
type Authorizer interface {
	// AuthorizeRTSP checks the user name and password a client sent (in clear: the server offers Basic
	// only, because passwords and API tokens are stored hashed and Digest needs the clear password on the
	// server's side). An empty user means the client sent no credentials. It returns nil to allow,
	// ErrUnauthenticated when the credentials are missing or wrong, ErrForbidden when they are valid but
	// not for this camera; any other error is answered 500 and logged. What it allows comes as a Permit.
	AuthorizeRTSP(user, pass, camera string, from net.Addr) (Permit, error)
}

// Permit is what an Authorizer allowed one client for one camera.
type Permit interface {
	// Valid tells whether the permit still holds: a token revoked, a user disabled, a password changed or
	// a grant taken away since end it. The server asks every Server.Recheck for every reading session
	// (an RTSP session has no next request at which to check), so it must be cheap: no password hashing.
	Valid() bool
	// Started is called once the client's session has joined the camera's stream (the camera is served
	// and online): the moment a view begins, for the audit log.
	Started()
}

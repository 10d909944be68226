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
	// not for this camera; any other error is answered 500 and logged.
	AuthorizeRTSP(user, pass, camera string, from net.Addr) error
}

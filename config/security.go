package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of the auth, audit and upstream sections.
const (
	defaultSessionIdle   = 2 * time.Hour
	defaultSessionMax    = 12 * time.Hour
	defaultSecureCookies = "auto"
	defaultLockoutAfter  = 5
	defaultLockoutFor    = 15 * time.Minute
	defaultAddressLimit  = 30
	defaultMediaLinkTTL  = time.Hour
	// Footage is kept a month; who looked at it must outlive it by far, for complaints that come late.
	defaultAuditRetention = 5 * 365 * day
	// minAuditRetention: whatever the footage's retention, a year of audit log is kept, so a config edit
	// cannot wipe the record of who watched what (and of the edit itself).
	minAuditRetention     = 365 * day
	defaultUpstreamListen = "127.0.0.1:8554"

	// UpstreamOff is the upstream.listen value that switches the RTSP re-stream off.
	UpstreamOff = "off"
	// PushCameraPlaceholder is replaced by each camera's id in a push URL that serves every camera.
	PushCameraPlaceholder = "{camera}"
)

var secureCookieModes = []string{"auto", "always", "never"}

// Auth says how people and machines sign in (issue 5). Users and tokens themselves live in the store.
type Auth struct {
	SessionIdle time.Duration // `session_idle`: a session unused this long ends; default 2h
	SessionMax  time.Duration // `session_max`: a session ends this long after login whatever its use; default 12h
	// SecureCookies: `secure_cookies`: auto (default: when the request came over TLS, or through a proxy
	// that says X-Forwarded-Proto: https) | always | never.
	SecureCookies string
	LockoutAfter  int           // `lockout_after`: failed logins in a row that lock an account; default 5
	LockoutFor    time.Duration // `lockout_for`: how long a locked account stays locked; default 15m
	AddressLimit  int           // `address_limit`: failed logins from one address within lockout_for before it is refused; default 30
	MediaLinkTTL  time.Duration // `media_link_ttl`: lifetime of the signed links in HLS playlists for players without a session; default 1h
	// TrustedProxies: `trusted_proxies`: addresses or CIDR ranges of reverse proxies whose X-Forwarded-For
	// names the client (for the audit log and the address limit); empty (default): the connection's own
	// address, whatever a client writes in the header.
	TrustedProxies []string
}

// ProxyNets is TrustedProxies parsed; entries that do not parse (Validate reports them) are left out.
func (a Auth) ProxyNets() []*net.IPNet {
	var nets []*net.IPNet
	for _, s := range a.TrustedProxies {
		if n, ok := parseNet(s); ok {
			nets = append(nets, n)
		}
	}
	return nets
}

// parseNet reads a CIDR range, or one address as a range of one.
func parseNet(s string) (*net.IPNet, bool) {
	if _, n, err := net.ParseCIDR(s); err == nil {
		return n, true
	}
	ip := net.ParseIP(s)
	if ip == nil {
		return nil, false
	}
	bits := 128
	if ip.To4() != nil {
		ip, bits = ip.To4(), 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}, true
}

// Audit says how long the audit log is kept.
type Audit struct {
	Retention time.Duration // `retention`: default 5 years; must be longer than any footage is kept
}

// Upstream is the connection to the central monitoring system: the RTSP re-stream it pulls from, and the
// servers vigil pushes to.
type Upstream struct {
	// Listen: `listen`: the RTSP re-stream's host:port, default 127.0.0.1:8554 (set e.g. :8554 to serve the
	// central system), or "off".
	Listen string
	// PublicURL: `public_url`: rtsp://host:port the status feed advertises for the re-stream; default: the
	// host the feed was asked on, with Listen's port.
	PublicURL string
	// TLSCert, TLSKey: `tls_cert`, `tls_key`: PEM files (relative to the config file's folder); with both,
	// the re-stream speaks RTSPS only (rtsps://), so passwords and tokens cross the network encrypted.
	TLSCert, TLSKey string
	Push            []PushTarget // `push`: servers vigil publishes streams to
}

// Scheme is the re-stream's URL scheme: rtsps with a certificate, rtsp without.
func (u Upstream) Scheme() string {
	if u.TLSCert != "" {
		return "rtsps"
	}
	return "rtsp"
}

// PushTarget is one RTSP server that receives a camera's stream by ANNOUNCE/RECORD.
type PushTarget struct {
	// Camera: `camera`: the camera to push; empty = every enabled camera, and then URL must hold {camera}.
	Camera    string
	URL       string // `url`: rtsp:// or rtsps://, may hold user:password@ (never shown)
	Transport string // `transport`: tcp (default) | udp
}

// URLFor is the target URL for one camera.
func (p PushTarget) URLFor(camera string) string {
	return strings.ReplaceAll(p.URL, PushCameraPlaceholder, camera)
}

func (d *decoder) auth(path string, n *yaml.Node, a *Auth) {
	d.mapping(path, n, []field{
		{"session_idle", d.duration(&a.SessionIdle, nil, positiveProblem(0))},
		{"session_max", d.duration(&a.SessionMax, nil, positiveProblem(0))},
		{"secure_cookies", d.str(&a.SecureCookies)},
		{"lockout_after", d.wholeNumber(&a.LockoutAfter, "must be at least 1")},
		{"lockout_for", d.duration(&a.LockoutFor, nil, positiveProblem(0))},
		{"address_limit", d.wholeNumber(&a.AddressLimit, "must be at least 1")},
		{"media_link_ttl", d.duration(&a.MediaLinkTTL, nil, positiveProblem(0))},
		{"trusted_proxies", d.stringList(&a.TrustedProxies)},
	})
}

func (d *decoder) audit(path string, n *yaml.Node, a *Audit) {
	d.mapping(path, n, []field{
		{"retention", d.duration(&a.Retention, nil, "a zero retention would delete the audit log; leave it out for the default (5 years)")},
	})
}

func (d *decoder) upstream(path string, n *yaml.Node, u *Upstream) {
	d.mapping(path, n, []field{
		{"listen", d.str(&u.Listen)},
		{"public_url", d.str(&u.PublicURL)},
		{"tls_cert", d.str(&u.TLSCert)},
		{"tls_key", d.str(&u.TLSKey)},
		{"push", func(p string, v *yaml.Node) {
			seq := resolve(v)
			if seq.Kind != yaml.SequenceNode {
				d.reject(v, p, "expected a list, got %s", describe(seq))
				return
			}
			u.Push = make([]PushTarget, len(seq.Content))
			for i, item := range seq.Content {
				ip := fmt.Sprintf("%s[%d]", p, i)
				d.lines[ip] = item.Line
				t := &u.Push[i]
				d.mapping(ip, item, []field{
					{"camera", d.str(&t.Camera)},
					{"url", d.str(&t.URL)},
					{"transport", d.str(&t.Transport)},
				})
			}
		}},
	})
}

func (c *Config) applySecurityDefaults() {
	a := &c.Auth
	if a.SessionIdle == 0 {
		a.SessionIdle = defaultSessionIdle
	}
	if a.SessionMax == 0 {
		a.SessionMax = defaultSessionMax
	}
	if a.SecureCookies == "" {
		a.SecureCookies = defaultSecureCookies
	}
	if a.LockoutAfter == 0 {
		a.LockoutAfter = defaultLockoutAfter
	}
	if a.LockoutFor == 0 {
		a.LockoutFor = defaultLockoutFor
	}
	if a.AddressLimit == 0 {
		a.AddressLimit = defaultAddressLimit
	}
	if a.MediaLinkTTL == 0 {
		a.MediaLinkTTL = defaultMediaLinkTTL
	}
	if c.Audit.Retention == 0 {
		c.Audit.Retention = defaultAuditRetention
	}
	if c.Upstream.Listen == "" {
		c.Upstream.Listen = defaultUpstreamListen
	}
	for _, p := range []*string{&c.Upstream.TLSCert, &c.Upstream.TLSKey} {
		if *p != "" {
			*p = c.resolve(*p)
		}
	}
	for i := range c.Upstream.Push {
		if c.Upstream.Push[i].Transport == "" {
			c.Upstream.Push[i].Transport = defaultTransport
		}
	}
}

func (v *validator) security() {
	a := v.c.Auth
	for _, f := range []struct {
		field string
		d     time.Duration
	}{{"auth.session_idle", a.SessionIdle}, {"auth.session_max", a.SessionMax}, {"auth.lockout_for", a.LockoutFor}, {"auth.media_link_ttl", a.MediaLinkTTL}} {
		if p := positiveProblem(f.d); p != "" {
			v.errorf(f.field, "%s", p)
		}
	}
	if a.SessionIdle > a.SessionMax {
		v.errorf("auth.session_idle", "must not be longer than session_max (%s), got %s", formatDuration(a.SessionMax), formatDuration(a.SessionIdle))
	}
	v.oneOf("auth.secure_cookies", a.SecureCookies, secureCookieModes)
	if a.LockoutAfter < 1 {
		v.errorf("auth.lockout_after", "must be at least 1, got %d", a.LockoutAfter)
	}
	if a.AddressLimit < 1 {
		v.errorf("auth.address_limit", "must be at least 1, got %d", a.AddressLimit)
	}
	for i, p := range a.TrustedProxies {
		if _, ok := parseNet(p); !ok {
			v.errorf(fmt.Sprintf("auth.trusted_proxies[%d]", i), "must be an IP address or a CIDR range (10.0.0.5, 10.0.0.0/24), got %q", p)
		}
	}
	v.auditRetention()
	v.upstream(&v.c.Upstream)
}

// auditRetention keeps the record of who watched footage at least as long as the footage.
func (v *validator) auditRetention() {
	longest := v.c.Retention.MaxAge
	for _, cam := range v.c.Cameras {
		longest = max(longest, cam.MaxAge)
	}
	r := v.c.Audit.Retention
	switch {
	case r < minAuditRetention:
		v.errorf("audit.retention", "must be at least %s, got %s", formatDuration(minAuditRetention), formatDuration(r))
	case v.c.Retention.MaxAge == 0:
		// Footage kept until the quota has no fixed age to compare with.
	case r <= longest:
		v.errorf("audit.retention", "must be longer than footage is kept (%s), got %s", formatDuration(longest), formatDuration(r))
	}
}

func (v *validator) upstream(u *Upstream) {
	if u.Listen != UpstreamOff {
		if _, port, err := net.SplitHostPort(u.Listen); err != nil {
			v.errorf("upstream.listen", `must be host:port (e.g. :8554) or "off", got %q`, u.Listen)
		} else if !validPort(port) && port != "0" {
			v.errorf("upstream.listen", "invalid port %q", port)
		}
	}
	if u.PublicURL != "" {
		if p, err := url.Parse(u.PublicURL); err != nil || (p.Scheme != "rtsp" && p.Scheme != "rtsps") || p.Host == "" || p.User != nil {
			v.errorf("upstream.public_url", "must be rtsp://host[:port] without credentials, got %q", Redact(u.PublicURL))
		}
	}
	v.upstreamTLS(u)
	cameras := map[string]bool{}
	for _, cam := range v.c.Cameras {
		cameras[cam.ID] = true
	}
	for i, t := range u.Push {
		path := fmt.Sprintf("upstream.push[%d]", i)
		if t.URL == "" {
			v.errorf(path+".url", "required")
		} else if p := urlProblem(t.URL); p != "" {
			v.errorf(path+".url", "%s", p)
		} else if t.Camera == "" && !strings.Contains(t.URL, PushCameraPlaceholder) {
			v.errorf(path+".url", "must contain %s when no camera is named, or every camera would publish to the same path", PushCameraPlaceholder)
		}
		if t.Camera != "" && !cameras[t.Camera] {
			v.errorf(path+".camera", "no camera has the id %q", t.Camera)
		}
		v.oneOf(path+".transport", t.Transport, []string{"tcp", "udp"})
	}
}

// upstreamTLS checks that the certificate and key come together and load (the message never quotes them).
func (v *validator) upstreamTLS(u *Upstream) {
	switch {
	case u.TLSCert == "" && u.TLSKey == "":
	case u.TLSCert == "":
		v.errorf("upstream.tls_cert", "required with tls_key")
	case u.TLSKey == "":
		v.errorf("upstream.tls_key", "required with tls_cert")
	default:
		if _, err := tls.LoadX509KeyPair(u.TLSCert, u.TLSKey); err != nil {
			v.errorf("upstream.tls_cert", "cannot load the certificate and key: %s", tlsProblem(err))
		}
	}
}

// tlsProblem says what is wrong with a certificate pair without repeating any of its bytes.
func tlsProblem(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Op + " " + pe.Path + ": " + pe.Err.Error()
	}
	return err.Error()
}

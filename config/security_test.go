package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSecurityDefaults(t *testing.T) {
	_, c, err := loadIn(t, "storage: {path: ./data}\n")
	if err != nil {
		t.Fatal(err)
	}
	wantAuth := Auth{SessionIdle: 2 * time.Hour, SessionMax: 12 * time.Hour, SecureCookies: "auto",
		LockoutAfter: 5, LockoutFor: 15 * time.Minute, AddressLimit: 30, MediaLinkTTL: time.Hour}
	if !reflect.DeepEqual(c.Auth, wantAuth) {
		t.Errorf("Auth = %+v, want %+v", c.Auth, wantAuth)
	}
	if c.Audit.Retention != 5*365*day {
		t.Errorf("Audit.Retention = %v, want 5 years", c.Audit.Retention)
	}
	if c.Upstream.Listen != "127.0.0.1:8554" || len(c.Upstream.Push) != 0 {
		t.Errorf("Upstream = %+v, want the loopback listener and no push", c.Upstream)
	}
}

func TestSecurityValid(t *testing.T) {
	_, c, err := loadIn(t, `
storage: {path: ./data}
cameras:
  - {id: gate, facility: f1, url: "rtsp://10.0.0.1/a"}
auth:
  session_idle: 30m
  session_max: 8h
  secure_cookies: always
  lockout_after: 3
  lockout_for: 1m
  address_limit: 10
  media_link_ttl: 10m
  trusted_proxies: [10.0.0.5, "192.168.1.0/24", "::1"]
audit:
  retention: 3650d
upstream:
  listen: ":8554"
  public_url: rtsp://vigil.dongnai.example.vn:8554
  push:
    - url: rtsp://central.example.vn/dongnai/{camera}
    - camera: gate
      url: rtsp://u:hunter2@other.example.vn/gate
      transport: udp
`)
	if err != nil {
		t.Fatal(err)
	}
	if c.Auth.LockoutAfter != 3 || c.Auth.SessionIdle != 30*time.Minute || c.Auth.SecureCookies != "always" {
		t.Errorf("Auth = %+v", c.Auth)
	}
	if nets := c.Auth.ProxyNets(); len(nets) != 3 || nets[0].String() != "10.0.0.5/32" || nets[1].String() != "192.168.1.0/24" || nets[2].String() != "::1/128" {
		t.Errorf("ProxyNets = %v", nets)
	}
	push := c.Upstream.Push
	if len(push) != 2 || push[0].Transport != "tcp" || push[1].Transport != "udp" || push[0].URLFor("gate") != "rtsp://central.example.vn/dongnai/gate" {
		t.Errorf("Push = %+v", push)
	}
}

func TestSecurityErrors(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"auth values", `
storage: {path: ./data}
auth:
  session_idle: 13h
  secure_cookies: sometimes
  lockout_after: 0
  lockout_for: -1m
  adress_limit: 3
  trusted_proxies: [nginx]
`, `vigil.yaml:4: auth.session_idle: must not be longer than session_max (12h), got 13h
vigil.yaml:5: auth.secure_cookies: must be one of auto, always, never; got "sometimes"
vigil.yaml:6: auth.lockout_after: must be at least 1
vigil.yaml:7: auth.lockout_for: must be > 0, got -1m
vigil.yaml:8: auth.adress_limit: unknown key (did you mean address_limit?)
vigil.yaml:9: auth.trusted_proxies[0]: must be an IP address or a CIDR range (10.0.0.5, 10.0.0.0/24), got "nginx"`},
		{"audit shorter than footage", `
storage: {path: ./data}
retention: {max_age: 400d}
audit:
  retention: 380d
`, `vigil.yaml:5: audit.retention: must be longer than footage is kept (400d), got 380d`},
		{"audit shorter than a year", `
storage: {path: ./data}
retention: {max_age: 0s}
audit:
  retention: 1s
`, `vigil.yaml:5: audit.retention: must be at least 365d, got 1s`},
		{"upstream", `
storage: {path: ./data}
cameras:
  - {id: gate, facility: f1, url: "rtsp://10.0.0.1/a"}
upstream:
  listen: "8554"
  public_url: http://u:hunter2@x
  push:
    - url: rtsp://u:hunter2@central.example.vn/all
    - camera: nobody
      url: rtsp://central.example.vn/x
      transport: auto
`, `vigil.yaml:6: upstream.listen: must be host:port (e.g. :8554) or "off", got "8554"
vigil.yaml:7: upstream.public_url: must be rtsp://host[:port] without credentials, got "http://u:***@x"
vigil.yaml:9: upstream.push[0].url: must contain {camera} when no camera is named, or every camera would publish to the same path
vigil.yaml:10: upstream.push[1].camera: no camera has the id "nobody"
vigil.yaml:12: upstream.push[1].transport: must be one of tcp, udp; got "auto"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := loadIn(t, tt.yaml)
			if err == nil {
				t.Fatal("no error")
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got\n%s\nwant\n%s", got, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Error("a password reached the message")
			}
		})
	}
}

func TestUpstreamTLSErrors(t *testing.T) {
	_, _, err := loadIn(t, "storage: {path: ./data}\nupstream:\n  tls_key: key.pem\n")
	if err == nil || err.Error() != "vigil.yaml:2: upstream.tls_cert: required with tls_key" {
		t.Errorf("a key without its certificate: %v", err)
	}
	_, _, err = loadIn(t, "storage: {path: ./data}\nupstream:\n  tls_cert: missing.pem\n  tls_key: missing-key.pem\n")
	if err == nil || !strings.HasPrefix(err.Error(), "vigil.yaml:3: upstream.tls_cert: cannot load the certificate and key: open ") ||
		!strings.Contains(err.Error(), "missing.pem: no such file or directory") {
		t.Errorf("files that are not there: %v", err)
	}
}

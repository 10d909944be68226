package config

import (
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestAlertsErrors(t *testing.T) {
	// Secrets below contain "hunter2", which no message may repeat.
	tests := []struct {
		name, yaml, want string
	}{
		{"zero threshold", `
storage: {path: ./data}
alerts:
  offline_after: 0
`, `vigil.yaml:4: alerts.offline_after: must be at least 1s, got 0s`},
		{"threshold below a second", `
storage: {path: ./data}
alerts:
  offline_after: 500ms
`, `vigil.yaml:4: alerts.offline_after: must be at least 1s, got 500ms`},
		{"webhooks not a list", `
storage: {path: ./data}
alerts:
  webhooks:
    url: https://hooks.example.vn/vigil
`, `vigil.yaml:5: alerts.webhooks: expected a list, got a mapping`},
		{"webhook without url and secret", `
storage: {path: ./data}
alerts:
  webhooks:
    - name: trực ban
`, `vigil.yaml:5: alerts.webhooks[0].url: required
vigil.yaml:5: alerts.webhooks[0].secret: required: the receiver checks X-Vigil-Signature with it`},
		{"webhook problems", `
storage: {path: ./data}
alerts:
  webhooks:
    - url: ftp://hooks.example.vn/vigil
      secret: hunter2
      timeout: 0s
    - url: https:///no-host?token=hunter2
      secret: hunter2-hunter2-hunter2
      tiemout: 5s
`, `vigil.yaml:5: alerts.webhooks[0].url: scheme must be http or https, got "ftp"
vigil.yaml:6: alerts.webhooks[0].secret: too short (7 characters); use at least 16 random characters
vigil.yaml:7: alerts.webhooks[0].timeout: must be > 0, got 0s
vigil.yaml:8: alerts.webhooks[1].url: missing host
vigil.yaml:10: alerts.webhooks[1].tiemout: unknown key (did you mean timeout?)`},
		{"empty email mapping", `
storage: {path: ./data}
alerts:
  email: {}
`, `vigil.yaml:4: alerts.email.smtp: required (host:port, e.g. mail.example.vn:587)
vigil.yaml:4: alerts.email.from: required
vigil.yaml:4: alerts.email.to: required: at least one address`},
		{"email problems", `
storage: {path: ./data}
alerts:
  email:
    smtp: mail.example.vn
    password: hunter2
    from: vigil at example
    to:
      - trucban@soyte.example.vn
      - not an address
    starttls: yes
    timout: 5s
`, `vigil.yaml:5: alerts.email.smtp: must be host:port (e.g. mail.example.vn:587), got "mail.example.vn"
vigil.yaml:6: alerts.email.password: set username too: a password is only sent with a user name
vigil.yaml:7: alerts.email.from: invalid e-mail address "vigil at example"
vigil.yaml:10: alerts.email.to[1]: invalid e-mail address "not an address"
vigil.yaml:11: alerts.email.starttls: must be one of auto, always, never; got "yes"
vigil.yaml:12: alerts.email.timout: unknown key (did you mean timeout?)`},
		{"password in clear over the network", `
storage: {path: ./data}
alerts:
  email:
    smtp: mail.example.vn:25
    username: vigil
    password: hunter2
    from: vigil@example.vn
    to: trucban@example.vn
    starttls: never
`, `vigil.yaml:10: alerts.email.starttls: never would send the password unencrypted over the network; use auto or always, or a relay on this machine`},
		{"to of the wrong type", `
storage: {path: ./data}
alerts:
  email:
    smtp: mail.example.vn:587
    from: vigil@example.vn
    to: {a: b}
    timeout: 0
`, `vigil.yaml:7: alerts.email.to: expected a string or a list of strings, got a mapping
vigil.yaml:8: alerts.email.timeout: must be > 0, got 0s`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, c, err := loadIn(t, tt.yaml)
			if err == nil {
				t.Fatalf("no error; config %+v", c)
			}
			var errs Errors
			if !errors.As(err, &errs) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("a secret in the error: %s", err)
			}
		})
	}
}

func TestAlertsValid(t *testing.T) {
	_, c, err := loadIn(t, `
storage: {path: ./data}
alerts:
  offline_after: 2m
  webhooks:
    - url: https://hooks.example.vn/services/T0/B0/XYZ?token=abc
      secret: 0123456789abcdef0123
    - url: http://10.0.0.5:8080/vigil
      secret: fedcba9876543210fedc
      name: trực ban tỉnh
      timeout: 3s
  email:
    smtp: localhost:25
    username: vigil
    password: relay-password
    from: "Vigil Đồng Nai <canhbao@sotttt.example.vn>"
    to: trucban@soyte.example.vn
    starttls: never
`)
	if err != nil {
		t.Fatal(err)
	}
	want := Alerts{
		OfflineAfter: 2 * time.Minute,
		Webhooks: []Webhook{
			{URL: "https://hooks.example.vn/services/T0/B0/XYZ?token=abc", Secret: "0123456789abcdef0123",
				Name: "https://hooks.example.vn", Timeout: 10 * time.Second},
			{URL: "http://10.0.0.5:8080/vigil", Secret: "fedcba9876543210fedc", Name: "trực ban tỉnh", Timeout: 3 * time.Second},
		},
		Email: &Email{SMTP: "localhost:25", Username: "vigil", Password: "relay-password",
			From: "Vigil Đồng Nai <canhbao@sotttt.example.vn>", To: []string{"trucban@soyte.example.vn"},
			StartTLS: "never", Timeout: 30 * time.Second},
	}
	if !reflect.DeepEqual(c.Alerts, want) {
		t.Errorf("got  %+v %+v\nwant %+v %+v", c.Alerts, c.Alerts.Email, want, want.Email)
	}
}

func TestAlertsDefaults(t *testing.T) {
	_, c, err := loadIn(t, "storage: {path: ./data}\nalerts:\n  email:\n")
	if err != nil {
		t.Fatal(err)
	}
	if c.Alerts.OfflineAfter != 5*time.Minute || c.Alerts.Email != nil || len(c.Alerts.Webhooks) != 0 {
		t.Errorf("defaults: %+v", c.Alerts)
	}
	built := &Config{Storage: Storage{Path: t.TempDir()}, Alerts: Alerts{Email: &Email{}}}
	built.ApplyDefaults()
	if e := built.Alerts.Email; e.StartTLS != "auto" || e.Timeout != 30*time.Second {
		t.Errorf("email defaults %+v", e)
	}
}

// TestExampleConfigDocumentsAlerts keeps the alerts section of config.example.yaml complete and loadable.
func TestExampleConfigDocumentsAlerts(t *testing.T) {
	data, err := os.ReadFile("../config.example.yaml")
	if err != nil {
		t.Fatal(err)
	}
	_, c, err := loadIn(t, string(data))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Alerts.Webhooks) == 0 || c.Alerts.Email == nil {
		t.Error("the example should show a webhook and e-mail")
	}
	for _, key := range []string{"alerts", "offline_after", "webhooks", "secret", "timeout", "email", "smtp",
		"username", "password", "from", "to", "starttls"} {
		if !strings.Contains(string(data), key+":") && !strings.Contains(string(data), "#   "+key+" ") {
			t.Errorf("example does not document %s", key)
		}
	}
}

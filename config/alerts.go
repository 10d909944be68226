package config

import (
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Defaults of the alerts section.
const (
	defaultOfflineAfter   = 5 * time.Minute
	defaultWebhookTimeout = 10 * time.Second
	defaultSMTPTimeout    = 30 * time.Second
	defaultStartTLS       = "auto"

	// minOfflineAfter keeps a typo such as "5" (read as 5 ns) from raising an alert at every reconnect.
	minOfflineAfter = time.Second
	// minSecretLength: a webhook secret shorter than this could be guessed, and the signature would
	// then prove nothing.
	minSecretLength = 16
)

var startTLSModes = []string{"auto", "always", "never"}

// Alerts says when a camera's outage becomes an alert and where alerts are sent (issue 4). Alerts are
// always kept in the store; the channels below are optional.
type Alerts struct {
	OfflineAfter time.Duration // `offline_after`: a camera not online this long raises an alert; default 5m, at least 1s
	Webhooks     []Webhook     // `webhooks`: JSON POSTs, signed with each webhook's secret
	Email        *Email        // `email`: nil = no e-mail
}

// Webhook is one receiver of alert events.
type Webhook struct {
	URL     string        // `url`: required, http or https
	Secret  string        // `secret`: required, at least 16 characters; the key of the X-Vigil-Signature HMAC
	Name    string        // `name`: how deliveries name it (history, logs); default scheme://host of URL, never its path or query
	Timeout time.Duration // `timeout`: per attempt; default 10s
}

// Email is the SMTP server alerts are mailed through, and to whom.
type Email struct {
	SMTP     string        // `smtp`: required, host:port of the submission server (e.g. mail.example.vn:587)
	Username string        // `username`: for PLAIN authentication; empty = no authentication
	Password string        // `password`: never logged or shown
	From     string        // `from`: required, an address, optionally with a name: "Vigil <canhbao@example.vn>"
	To       []string      // `to`: required, one or more addresses
	StartTLS string        // `starttls`: auto (default: when the server offers it) | always | never
	Timeout  time.Duration // `timeout`: for one whole delivery; default 30s
}

func (d *decoder) alerts(path string, n *yaml.Node, a *Alerts) {
	d.mapping(path, n, []field{
		{"offline_after", d.duration(&a.OfflineAfter, nil, offlineAfterProblem(0))},
		{"webhooks", func(p string, v *yaml.Node) { d.webhooks(p, v, a) }},
		{"email", func(p string, v *yaml.Node) {
			a.Email = &Email{}
			d.email(p, v, a.Email)
		}},
	})
}

func (d *decoder) webhooks(path string, n *yaml.Node, a *Alerts) {
	seq := resolve(n)
	if seq.Kind != yaml.SequenceNode {
		d.reject(n, path, "expected a list, got %s", describe(seq))
		return
	}
	a.Webhooks = make([]Webhook, len(seq.Content))
	for i, item := range seq.Content {
		p := fmt.Sprintf("%s[%d]", path, i)
		d.lines[p] = item.Line
		w := &a.Webhooks[i]
		d.mapping(p, item, []field{
			{"url", d.str(&w.URL)},
			{"secret", d.str(&w.Secret)},
			{"name", d.str(&w.Name)},
			{"timeout", d.duration(&w.Timeout, nil, positiveProblem(0))},
		})
	}
}

func (d *decoder) email(path string, n *yaml.Node, e *Email) {
	d.mapping(path, n, []field{
		{"smtp", d.str(&e.SMTP)},
		{"username", d.str(&e.Username)},
		{"password", d.str(&e.Password)},
		{"from", d.str(&e.From)},
		{"to", d.stringList(&e.To)},
		{"starttls", d.str(&e.StartTLS)},
		{"timeout", d.duration(&e.Timeout, nil, positiveProblem(0))},
	})
}

// stringList decodes a list of strings; a single string is taken as a list of one, since one recipient
// is the common case and "to: a@b" reads naturally.
func (d *decoder) stringList(dst *[]string) func(string, *yaml.Node) {
	return func(path string, v *yaml.Node) {
		n := resolve(v)
		if n.Kind == yaml.ScalarNode {
			if s, ok := d.scalar(path, v, "a string or a list of strings"); ok {
				*dst = []string{s}
			}
			return
		}
		if n.Kind != yaml.SequenceNode {
			d.reject(v, path, "expected a string or a list of strings, got %s", describe(n))
			return
		}
		*dst = make([]string, 0, len(n.Content))
		for i, item := range n.Content {
			p := fmt.Sprintf("%s[%d]", path, i)
			d.lines[p] = item.Line
			if s, ok := d.scalar(p, item, "a string"); ok {
				*dst = append(*dst, s)
			}
		}
	}
}

func (a *Alerts) applyDefaults() {
	if a.OfflineAfter == 0 {
		a.OfflineAfter = defaultOfflineAfter
	}
	for i := range a.Webhooks {
		w := &a.Webhooks[i]
		if w.Timeout == 0 {
			w.Timeout = defaultWebhookTimeout
		}
		if w.Name == "" {
			w.Name = webhookName(w.URL)
		}
	}
	if e := a.Email; e != nil {
		if e.StartTLS == "" {
			e.StartTLS = defaultStartTLS
		}
		if e.Timeout == 0 {
			e.Timeout = defaultSMTPTimeout
		}
	}
}

// webhookName is scheme://host of a webhook URL: enough to tell receivers apart, while the path and query,
// where services such as chat webhooks put their tokens, stay out of logs and the delivery history.
func webhookName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

func (v *validator) alerts(a *Alerts) {
	if p := offlineAfterProblem(a.OfflineAfter); p != "" {
		v.errorf("alerts.offline_after", "%s", p)
	}
	for i, w := range a.Webhooks {
		v.webhook(fmt.Sprintf("alerts.webhooks[%d]", i), w)
	}
	if a.Email != nil {
		v.email(a.Email)
	}
}

func (v *validator) webhook(path string, w Webhook) {
	if w.URL == "" {
		v.errorf(path+".url", "required")
	} else if p := webhookURLProblem(w.URL); p != "" {
		v.errorf(path+".url", "%s", p)
	}
	switch {
	case w.Secret == "":
		v.errorf(path+".secret", "required: the receiver checks X-Vigil-Signature with it")
	case len(w.Secret) < minSecretLength:
		// The message never repeats the secret.
		v.errorf(path+".secret", "too short (%d characters); use at least %d random characters", len(w.Secret), minSecretLength)
	}
	if p := positiveProblem(w.Timeout); p != "" {
		v.errorf(path+".timeout", "%s", p)
	}
}

func (v *validator) email(e *Email) {
	const path = "alerts.email"
	host := ""
	if e.SMTP == "" {
		v.errorf(path+".smtp", "required (host:port, e.g. mail.example.vn:587)")
	} else if h, port, err := net.SplitHostPort(e.SMTP); err != nil || h == "" {
		v.errorf(path+".smtp", "must be host:port (e.g. mail.example.vn:587), got %q", e.SMTP)
	} else if !validPort(port) {
		v.errorf(path+".smtp", "invalid port %q", port)
	} else {
		host = h
	}
	if e.From == "" {
		v.errorf(path+".from", "required")
	} else if _, err := mail.ParseAddress(e.From); err != nil {
		v.errorf(path+".from", "invalid e-mail address %q", e.From)
	}
	if len(e.To) == 0 {
		v.errorf(path+".to", "required: at least one address")
	}
	for i, to := range e.To {
		if _, err := mail.ParseAddress(to); err != nil {
			v.errorf(fmt.Sprintf("%s.to[%d]", path, i), "invalid e-mail address %q", to)
		}
	}
	if e.Password != "" && e.Username == "" {
		v.errorf(path+".password", "set username too: a password is only sent with a user name")
	}
	v.oneOf(path+".starttls", e.StartTLS, startTLSModes)
	if e.StartTLS == "never" && e.Username != "" && host != "" && !isLoopback(host) {
		v.errorf(path+".starttls", "never would send the password unencrypted over the network; use auto or always, or a relay on this machine")
	}
	if p := positiveProblem(e.Timeout); p != "" {
		v.errorf(path+".timeout", "%s", p)
	}
}

func offlineAfterProblem(d time.Duration) string {
	if d < minOfflineAfter {
		return "must be at least " + formatDuration(minOfflineAfter) + ", got " + formatDuration(d)
	}
	return ""
}

// webhookURLProblem explains what is wrong with a webhook URL, or returns "". Like urlProblem it never
// quotes the URL: its path or query may hold a token.
func webhookURLProblem(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "invalid URL"
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "scheme must be http or https, got " + strconv.Quote(u.Scheme)
	}
	if u.Hostname() == "" {
		return "missing host"
	}
	if p := u.Port(); p != "" && !validPort(p) {
		return "invalid port " + strconv.Quote(p)
	}
	return ""
}

// isLoopback tells whether host is this machine, where an unencrypted connection never leaves it.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

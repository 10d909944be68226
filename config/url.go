package config

import (
	"errors"
	"net/url"
	"strconv"
	"strings"
)

const redactedPassword = "***"

// RedactedURL returns URL with any password replaced by "***" (user name
// kept); used in every log line and API answer.
func (c Camera) RedactedURL() string { return Redact(c.URL) }

// Redact replaces the userinfo password of a URL string with "***" and
// returns other strings unchanged.
//
// Camera passwords often contain characters such as "#", "?" or "/" that
// make the URL unparsable or, worse, parse with the password taken for a
// port or a query. Those strings are redacted by text instead, erring on
// the side of hiding too much, since they end up in logs.
func Redact(rawURL string) string {
	u, err := url.Parse(rawURL)
	if err == nil && u.User != nil {
		if _, ok := u.User.Password(); !ok {
			return rawURL
		}
		// Editing the text rather than calling u.String() keeps the rest of
		// the URL exactly as written and the "***" unescaped.
		if i := strings.Index(rawURL, "//"); i >= 0 {
			auth := rawURL[i+2:]
			if end := strings.IndexAny(auth, "/?#"); end >= 0 {
				auth = auth[:end]
			}
			at := strings.LastIndex(auth, "@")
			if colon := strings.Index(auth, ":"); colon >= 0 && colon < at {
				return rawURL[:i+2+colon+1] + redactedPassword + rawURL[i+2+at:]
			}
		}
	}
	return redactText(rawURL)
}

// redactText hides everything between the first ":" after "//" and the
// last "@", which is where a password sits in a URL a person wrote.
func redactText(s string) string {
	i := strings.Index(s, "//")
	if i < 0 {
		return s
	}
	rest := s[i+2:]
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return s
	}
	colon := strings.Index(rest[:at], ":")
	if colon < 0 {
		return s
	}
	return s[:i+2] + rest[:colon+1] + redactedPassword + rest[at:]
}

// urlProblem explains what is wrong with a camera URL, or returns "".
// Messages are built only from the redacted text so a password can never
// reach the output.
func urlProblem(raw string) string {
	i := strings.Index(raw, "://")
	if i < 0 {
		return "invalid URL: must start with rtsp:// or rtsps://"
	}
	u, err := url.Parse(raw)
	if err != nil {
		if _, err := url.Parse(redactText(raw)); err != nil {
			var ue *url.Error
			if errors.As(err, &ue) {
				err = ue.Err
			}
			return "invalid URL: " + err.Error()
		}
		return "invalid URL: " + encodeHint
	}
	if u.User == nil && strings.Contains(raw[i+3:], "@") {
		// The "@" is probably part of credentials that were split early
		// by a "#", "?" or "/" in the password.
		return "invalid URL: " + encodeHint
	}
	if u.Scheme != "rtsp" && u.Scheme != "rtsps" {
		return "scheme must be rtsp or rtsps, got " + strconv.Quote(u.Scheme)
	}
	if u.Hostname() == "" {
		return "missing host"
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "invalid port " + strconv.Quote(p)
		}
	}
	return ""
}

const encodeHint = `characters such as # ? / @ in the user name or password must be percent-encoded (e.g. # as %23)`

// HidePasswords replaces, in text that came from below (an error, a line a camera wrote), the password of
// each of rawURLs: as typed in the config, as sent (decoded), and percent-encoded as a query would carry
// it, since any of them may be quoted back.
func HidePasswords(text string, rawURLs ...string) string {
	for _, raw := range rawURLs {
		u, err := url.Parse(raw)
		if err != nil || u.User == nil {
			continue
		}
		pass, ok := u.User.Password()
		if !ok || pass == "" {
			continue
		}
		_, encoded, _ := strings.Cut(u.User.String(), ":")
		for _, form := range []string{encoded, pass, url.QueryEscape(pass)} {
			text = strings.ReplaceAll(text, form, redactedPassword)
		}
	}
	return text
}

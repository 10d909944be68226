package continuity

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"os"
	"strings"
	"time"

	"vigil/config"
	"vigil/store"
)

// mailSender sends a notice through m's SMTP server. Each delivery is one connection: alerts are rare,
// and a connection kept open would time out between them anyway.
func (e *Engine) mailSender(m *config.Email) func(context.Context, notice) error {
	return func(ctx context.Context, n notice) error {
		from, err := mail.ParseAddress(m.From)
		if err != nil {
			return fmt.Errorf("from: %w", err)
		}
		to := make([]*mail.Address, len(m.To))
		for i, s := range m.To {
			if to[i], err = mail.ParseAddress(s); err != nil {
				return fmt.Errorf("to: %w", err)
			}
		}
		subject, body := e.mailText(n)
		msg := buildMessage(from, to, subject, body, e.now(), fmt.Sprintf("alert-%d.%s", n.Alert.ID, n.Event), n)
		ctx, cancel := context.WithTimeout(ctx, m.Timeout)
		defer cancel()
		return e.sendMail(ctx, m, from, to, msg)
	}
}

// sendMail runs one SMTP session: EHLO, STARTTLS as configured, PLAIN authentication if a user name is
// set, then the message. net/smtp refuses to send a password over an unencrypted connection except to
// this machine, whatever the configuration says.
func (e *Engine) sendMail(ctx context.Context, m *config.Email, from *mail.Address, to []*mail.Address, msg []byte) error {
	host, _, err := net.SplitHostPort(m.SMTP)
	if err != nil {
		return err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", m.SMTP)
	if err != nil {
		return err
	}
	// The deadline bounds every exchange; cancelling (vigil stopping) cuts the connection.
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return err
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return err
	}
	if err := e.startTLS(c, m, host); err != nil {
		return err
	}
	if m.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", m.Username, m.Password, host)); err != nil {
			return fmt.Errorf("authentication as %s: %w", m.Username, err)
		}
	}
	if err := c.Mail(from.Address); err != nil {
		return err
	}
	for _, a := range to {
		if err := c.Rcpt(a.Address); err != nil {
			return fmt.Errorf("recipient %s: %w", a.Address, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return err
	}
	if _, err := w.Write(msg); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return c.Quit()
}

// startTLS upgrades the connection: with "auto" when the server offers it, with "always" or fail,
// never with "never".
func (e *Engine) startTLS(c *smtp.Client, m *config.Email, host string) error {
	offered, _ := c.Extension("STARTTLS")
	switch {
	case m.StartTLS == "never":
		return nil
	case !offered && m.StartTLS == "always":
		return errors.New("the server does not offer STARTTLS (starttls: always)")
	case !offered:
		return nil
	}
	cfg := &tls.Config{}
	if e.TLSConfig != nil {
		cfg = e.TLSConfig.Clone()
	}
	cfg.ServerName = host
	cfg.MinVersion = max(cfg.MinVersion, tls.VersionTLS12)
	if err := c.StartTLS(cfg); err != nil {
		return fmt.Errorf("STARTTLS: %w", err)
	}
	return nil
}

// helloName is the name vigil gives in EHLO: this machine's, since some servers refuse "localhost".
func helloName() string {
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// mailText is the Vietnamese subject and body of a notice.
func (e *Engine) mailText(n notice) (subject, body string) {
	facility := e.facilityName(n)
	var b strings.Builder
	if n.Event == store.EventOffline {
		subject = fmt.Sprintf("[vigil] Camera mất kết nối: %s – %s", n.Camera.Name, facility)
		fmt.Fprintf(&b, "Camera %s tại %s đã mất kết nối %s.\r\n\r\n", n.Camera.Name, facility, vietnameseDuration(n.Duration()))
	} else {
		subject = fmt.Sprintf("[vigil] Camera hoạt động trở lại: %s – %s", n.Camera.Name, facility)
		fmt.Fprintf(&b, "Camera %s tại %s đã hoạt động trở lại sau %s mất kết nối.\r\n\r\n", n.Camera.Name, facility,
			vietnameseDuration(n.Duration()))
	}
	line := func(label, value string) {
		if value != "" {
			fmt.Fprintf(&b, "%s: %s\r\n", label, value)
		}
	}
	line("Camera", fmt.Sprintf("%s (%s)", n.Camera.Name, n.Camera.ID))
	line("Vị trí", n.Camera.Location)
	line("Cơ sở cách ly", fmt.Sprintf("%s (%s)", facility, n.Camera.Facility))
	line("Tỉnh/thành phố", e.Config.Province.Name)
	line("Mất kết nối từ", e.localTime(n.Since()))
	if n.Event == store.EventRecovered {
		line("Hoạt động lại lúc", e.localTime(n.At))
	}
	line("Thời gian mất kết nối", vietnameseDuration(n.Duration()))
	line("Lý do", n.Alert.Reason)
	line("Mã cảnh báo", fmt.Sprint(n.Alert.ID))
	if n.Event == store.EventOffline {
		b.WriteString("\r\nBạn sẽ nhận được thư khi camera hoạt động trở lại.\r\n")
	}
	b.WriteString("\r\n-- \r\nThư tự động từ hệ thống giám sát camera vigil; vui lòng không trả lời thư này.\r\n")
	return subject, b.String()
}

// buildMessage writes an RFC 5322 message: headers in ASCII (names and the subject as RFC 2047 encoded
// words, so Vietnamese survives any server), a UTF-8 body in quoted-printable (7-bit clean, still readable
// raw).
func buildMessage(from *mail.Address, to []*mail.Address, subject, body string, date time.Time, id string, n notice) []byte {
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", from.String())
	rcpts := make([]string, len(to))
	for i, a := range to {
		rcpts[i] = a.String()
	}
	header("To", strings.Join(rcpts, ", "))
	header("Subject", mime.QEncoding.Encode("utf-8", subject))
	header("Date", date.Format(time.RFC1123Z))
	header("Message-ID", fmt.Sprintf("<%s.%d@%s>", id, date.UnixNano(), domainOf(from.Address)))
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	// Tells mail servers and auto-responders this is a machine's message: no vacation replies to vigil.
	header("Auto-Submitted", "auto-generated")
	header(HeaderEvent, n.Event)
	header(HeaderDelivery, fmt.Sprintf("%d:%s", n.Alert.ID, n.Event))
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(body))
	qp.Close()
	return b.Bytes()
}

func domainOf(addr string) string {
	if i := strings.LastIndex(addr, "@"); i >= 0 && i+1 < len(addr) {
		return addr[i+1:]
	}
	return "vigil.invalid"
}

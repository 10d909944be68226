package continuity

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"vigil/config"
	"vigil/recorder"
	"vigil/simcam"
	"vigil/store"
)

const (
	testSecret   = "webhook-secret-0123456789"
	smtpUser     = "canhbao@sotttt.example.vn"
	smtpPassword = "smtp-password-do-not-log"
)

// receiver is a real HTTP webhook receiver that checks every request's signature and fails the first
// failFirst attempts at each delivery.
type receiver struct {
	t         *testing.T
	srv       *httptest.Server
	failFirst int

	mu       sync.Mutex
	attempts map[string]int // by X-Vigil-Delivery
	got      []WebhookBody  // accepted bodies, in order
	raw      []map[string]any
	bad      []string // what was wrong with refused requests
}

func newReceiver(t *testing.T, failFirst int) *receiver {
	r := &receiver{t: t, failFirst: failFirst, attempts: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(r.serve))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) serve(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	r.mu.Lock()
	defer r.mu.Unlock()
	if problem := checkRequest(req, body); problem != "" {
		r.bad = append(r.bad, problem)
		http.Error(w, problem, http.StatusUnauthorized)
		return
	}
	id := req.Header.Get(HeaderDelivery)
	r.attempts[id]++
	if r.attempts[id] <= r.failFirst {
		http.Error(w, "try again later", http.StatusServiceUnavailable)
		return
	}
	var b WebhookBody
	var raw map[string]any
	if err := json.Unmarshal(body, &b); err != nil {
		r.bad = append(r.bad, err.Error())
	}
	json.Unmarshal(body, &raw)
	r.got, r.raw = append(r.got, b), append(r.raw, raw)
	w.WriteHeader(http.StatusNoContent)
}

// checkRequest is what a careful receiver checks: the method, the content type, a fresh timestamp and the
// HMAC of timestamp + "." + body with the shared secret.
func checkRequest(req *http.Request, body []byte) string {
	if req.Method != http.MethodPost || !strings.HasPrefix(req.Header.Get("Content-Type"), "application/json") {
		return "not a JSON POST"
	}
	ts := req.Header.Get(HeaderTimestamp)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Since(time.Unix(sec, 0)).Abs() > 5*time.Minute {
		return "stale or missing timestamp " + ts
	}
	want := Signature(testSecret, ts, body)
	if !hmac.Equal([]byte(req.Header.Get(HeaderSignature)), []byte(want)) {
		return "bad signature"
	}
	if !strings.HasPrefix(want, "sha256=") || len(want) != len("sha256=")+64 {
		return "signature format " + want
	}
	return ""
}

func (r *receiver) bodies() []WebhookBody {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]WebhookBody(nil), r.got...)
}

func (r *receiver) events() []string {
	var out []string
	for _, b := range r.bodies() {
		out = append(out, b.Event)
	}
	return out
}

func (r *receiver) problems() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.bad...)
}

// mailServer is a real SMTP server (go-smtp) on loopback: PLAIN authentication, STARTTLS when given a
// certificate, and no authentication before TLS unless it has none.
type mailServer struct {
	srv  *smtp.Server
	addr string
	ca   *x509.CertPool // trusts the server's certificate, when it has one

	mu   sync.Mutex
	msgs []received
}

type received struct {
	from string
	to   []string
	data []byte
	tls  bool
}

func newMailServer(t *testing.T, withTLS bool) *mailServer {
	m := &mailServer{}
	s := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &mailSession{m: m, c: c}, nil
	}))
	s.Domain = "mail.test"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	s.AllowInsecureAuth = !withTLS
	if withTLS {
		cert, pool := selfSigned(t)
		s.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		m.ca = pool
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	m.srv, m.addr = s, ln.Addr().String()
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return m
}

func (m *mailServer) messages() []received {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]received(nil), m.msgs...)
}

type mailSession struct {
	m    *mailServer
	c    *smtp.Conn
	auth bool
	cur  received
}

func (s *mailSession) AuthMechanisms() []string { return []string{sasl.Plain} }

func (s *mailSession) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		if user != smtpUser || pass != smtpPassword {
			return errors.New("invalid user name or password")
		}
		s.auth = true
		return nil
	}), nil
}

func (s *mailSession) Mail(from string, _ *smtp.MailOptions) error {
	if !s.auth {
		return smtp.ErrAuthRequired
	}
	s.cur = received{from: from}
	return nil
}

func (s *mailSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *mailSession) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	_, s.cur.tls = s.c.TLSConnectionState()
	s.cur.data = data
	s.m.mu.Lock()
	s.m.msgs = append(s.m.msgs, s.cur)
	s.m.mu.Unlock()
	return nil
}

func (s *mailSession) Reset()        {}
func (s *mailSession) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and a pool that trusts it.
func selfSigned(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "mail.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		IsCA: true, BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, pool
}

// parsedMail is a received message with its headers decoded as a mail client shows them.
type parsedMail struct {
	from    *mail.Address
	to      []*mail.Address
	subject string
	body    string
	header  mail.Header
}

func parseMail(t *testing.T, data []byte) parsedMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("not a message: %v\n%s", err, data)
	}
	var p parsedMail
	p.header = msg.Header
	if p.from, err = mail.ParseAddress(msg.Header.Get("From")); err != nil {
		t.Fatalf("From: %v", err)
	}
	if p.to, err = msg.Header.AddressList("To"); err != nil {
		t.Fatalf("To: %v", err)
	}
	if p.subject, err = new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject")); err != nil {
		t.Fatalf("Subject: %v", err)
	}
	for k, vs := range msg.Header {
		for _, v := range vs {
			for _, c := range v {
				if c > 127 {
					t.Errorf("header %s is not ASCII: %q", k, v)
				}
			}
		}
	}
	if te := msg.Header.Get("Content-Transfer-Encoding"); te != "quoted-printable" {
		t.Fatalf("Content-Transfer-Encoding %q", te)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	p.body = string(body)
	return p
}

// logBuffer collects a component's logs so tests can look for secrets in them.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if testing.Verbose() {
		os.Stderr.Write(p)
	}
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func (b *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// rig is vigil's monitoring in miniature: a simulated camera, a recorder writing into a real store, the
// engine with a one-second threshold, a webhook receiver and an SMTP server.
type rig struct {
	t     *testing.T
	cams  *simcam.Server
	cfg   *config.Config
	store *store.Store
	hook  *receiver
	mail  *mailServer
	logs  *logBuffer
	rec   *recorder.Recorder
	eng   *Engine
}

func newRig(t *testing.T, failFirst int) *rig {
	t.Helper()
	cams := &simcam.Server{}
	if err := cams.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cams.Close)
	clip, err := simcam.LoadClip(simcam.ClipH264)
	if err != nil {
		t.Fatal(err)
	}
	if err := cams.AddCamera("cam", clip); err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, cams: cams, hook: newReceiver(t, failFirst), mail: newMailServer(t, true), logs: &logBuffer{}}
	dir := t.TempDir()
	r.cfg = &config.Config{
		Storage:    config.Storage{Path: dir, SegmentDuration: time.Minute},
		Province:   config.Province{Name: "Tỉnh Đồng Nai", Code: "75"},
		Facilities: []config.Facility{{ID: "ktx-a", Name: "Ký túc xá A"}},
		Cameras:    []config.Camera{{ID: "cam", Name: "Cổng chính", Facility: "ktx-a", URL: cams.URL("cam"), ReadTimeout: 2 * time.Second}},
		Alerts: config.Alerts{
			OfflineAfter: time.Second,
			Webhooks:     []config.Webhook{{URL: r.hook.srv.URL + "/hooks/vigil?token=abc", Secret: testSecret}},
			Email: &config.Email{SMTP: r.mail.addr, Username: smtpUser, Password: smtpPassword,
				From: "Vigil Đồng Nai <" + smtpUser + ">", To: []string{"Trực ban <trucban@soyte.example.vn>", "ops@vnpt.example.vn"},
				StartTLS: "always"},
		},
	}
	r.cfg.ApplyDefaults()
	if err := r.cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	st, err := store.Open(filepath.Join(dir, "vigil.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	r.store = st
	return r
}

// start starts vigil's recorder and alert engine, as serve does.
func (r *rig) start() {
	r.t.Helper()
	r.rec = &recorder.Recorder{Config: r.cfg, Store: r.store, Log: r.logs.logger()}
	if err := r.rec.Start(); err != nil {
		r.t.Fatal(err)
	}
	r.eng = &Engine{Config: r.cfg, Store: r.store, Cameras: r.rec.Cameras, Log: r.logs.logger(),
		PollInterval: 100 * time.Millisecond, RetryBase: 50 * time.Millisecond, TLSConfig: &tls.Config{RootCAs: r.mail.ca}}
	if err := r.eng.Start(); err != nil {
		r.t.Fatal(err)
	}
}

// stop stops them as serve does: the engine first.
func (r *rig) stop() {
	r.t.Helper()
	if err := r.eng.Close(); err != nil {
		r.t.Error(err)
	}
	if err := r.rec.Close(); err != nil {
		r.t.Error(err)
	}
}

func (r *rig) waitFor(what string, cond func() bool) {
	r.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			r.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (r *rig) state() string {
	s, _ := r.rec.Camera("cam")
	return s.State
}

func (r *rig) alerts() []store.Alert {
	r.t.Helper()
	as, err := r.store.Alerts(r.t.Context(), store.AlertQuery{})
	if err != nil {
		r.t.Fatal(err)
	}
	return as
}

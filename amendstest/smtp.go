// SMTP SMTPSink: a real SMTP server (emersion/go-smtp) on loopback for tests of everything that mails.
package amendstest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"math/big"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Envelope is one message as the SMTP server received it.
type Envelope struct {
	From string
	To   []string
	Data []byte
	TLS  bool
}

// SinkConfig shapes a test SMTP server.
type SinkConfig struct {
	TLS      *tls.Config            // offer STARTTLS with this configuration
	User     string                 // require AUTH PLAIN with User and Pass
	Pass     string                 //
	Rcpt     func(to string) error  // refuse some recipients
	Discard  bool                   // count messages without keeping them (benchmarks)
	Received func(e Envelope) error // the answer to DATA, after the message was stored
}

// SMTPSink is a real SMTP server (emersion/go-smtp) on loopback that keeps what it receives.
type SMTPSink struct {
	Addr  string
	cfg   SinkConfig
	Conns atomic.Int64 // connections accepted
	Count atomic.Int64 // messages received

	mu    sync.Mutex
	mails []Envelope
}

// NewSMTPSink starts an SMTP server on loopback that lives as long as the test.
func NewSMTPSink(t testing.TB, cfg SinkConfig) *SMTPSink {
	t.Helper()
	s := &SMTPSink{cfg: cfg}
	srv := smtp.NewServer(smtp.BackendFunc(func(c *smtp.Conn) (smtp.Session, error) {
		return &sinkSession{s: s, c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = cfg.TLS
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.MaxMessageBytes = 1 << 20
	srv.MaxRecipients = 50
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Addr = l.Addr().String()
	go srv.Serve(countingListener{l, &s.Conns})
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the smtp:// URL of the SMTPSink, with the credentials it requires.
func (s *SMTPSink) URL() string {
	if s.cfg.User != "" {
		return "smtp://" + s.cfg.User + ":" + s.cfg.Pass + "@" + s.Addr
	}
	return "smtp://" + s.Addr
}

// Mails returns what the SMTPSink has received so far.
func (s *SMTPSink) Mails() []Envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Envelope(nil), s.mails...)
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

type sinkSession struct {
	s      *SMTPSink
	c      *smtp.Conn
	authed bool
	env    Envelope
}

func (ss *sinkSession) AuthMechanisms() []string {
	if ss.s.cfg.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (ss *sinkSession) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != ss.s.cfg.User || pass != ss.s.cfg.Pass {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}), nil
}

func (ss *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	if ss.s.cfg.User != "" && !ss.authed {
		return smtp.ErrAuthRequired
	}
	_, isTLS := ss.c.TLSConnectionState()
	ss.env = Envelope{From: from, TLS: isTLS}
	return nil
}

func (ss *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if ss.s.cfg.Rcpt != nil {
		if err := ss.s.cfg.Rcpt(to); err != nil {
			return err
		}
	}
	ss.env.To = append(ss.env.To, to)
	return nil
}

func (ss *sinkSession) Data(r io.Reader) error {
	if ss.s.cfg.Discard {
		if _, err := io.Copy(io.Discard, r); err != nil {
			return err
		}
		ss.s.Count.Add(1)
		return nil
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	ss.env.Data = b
	ss.s.mu.Lock()
	ss.s.mails = append(ss.s.mails, ss.env)
	ss.s.mu.Unlock()
	ss.s.Count.Add(1)
	if ss.s.cfg.Received != nil {
		return ss.s.cfg.Received(ss.env)
	}
	return nil
}

func (ss *sinkSession) Reset()        { ss.env = Envelope{} }
func (ss *sinkSession) Logout() error { return nil }

// SelfSignedTLS returns a server TLS configuration for 127.0.0.1 and a client configuration that
// trusts it (and nothing else): the client really verifies the certificate.
func SelfSignedTLS(t testing.TB) (server, client *tls.Config) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "amends test SMTP"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
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
	server = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}, MinVersion: tls.VersionTLS12}
	client = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	return server, client
}

// smtpErr is an SMTP reply the SMTPSink answers with.
func SMTPError(code int, msg string) error {
	return &smtp.SMTPError{Code: code, EnhancedCode: smtp.EnhancedCode{code / 100, 1, 1}, Message: msg}
}

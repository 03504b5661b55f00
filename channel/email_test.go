package channel

import (
	"context"
	"errors"
	"fmt"
	"github.com/amends/amends/amendstest"
	"net"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
)

func newTestEmail(t *testing.T, url string, opts ...Option) *Email {
	t.Helper()
	e, err := NewEmail(SMTPConfig{URL: url, From: "Example Incidents <incidents@example.com>"}, append([]Option{WithClock(clock), WithTimeout(5 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatalf("NewEmail: %v", err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func emailTo(addr, name string) Destination {
	return Destination{Kind: KindEmail, Address: addr, Name: name}
}

func TestEmailSendWritesARealMessage(t *testing.T) {
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	e := newTestEmail(t, s.URL())
	m := sampleMessage()
	m.Title = "<script>alert(1)</script> & more"
	m.Subject = ""
	m.Fields = append(m.Fields, Field{"Note", "<b>bold?</b>"})
	m.Text += "\n\nFirst line\nsecond line"

	if err := e.Send(context.Background(), emailTo("dana@example.com", "Dana Okafor"), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := s.Mails()
	if len(mails) != 1 {
		t.Fatalf("sink received %d messages, want 1", len(mails))
	}
	env := mails[0]
	if got, want := env.From, "incidents@example.com"; got != want {
		t.Errorf("MAIL FROM = %q, want %q", got, want)
	}
	if got, want := strings.Join(env.To, ","), "dana@example.com"; got != want {
		t.Errorf("RCPT TO = %q, want %q", got, want)
	}
	if env.TLS {
		t.Errorf("TLS = true on a server without STARTTLS")
	}

	h, parts, _ := readMail(t, env.Data)
	from, err := mail.ParseAddress(h.Get("From"))
	if err != nil || from.Address != "incidents@example.com" || from.Name != "Example Incidents" {
		t.Errorf("From = %q (%v), want Example Incidents <incidents@example.com>", h.Get("From"), err)
	}
	to, err := mail.ParseAddress(h.Get("To"))
	if err != nil || to.Address != "dana@example.com" || to.Name != "Dana Okafor" {
		t.Errorf("To = %q (%v), want Dana Okafor <dana@example.com>", h.Get("To"), err)
	}
	wantSubject := "[INC-4] <script>alert(1)</script> & more"
	if got := decodeHeader(t, h.Get("Subject")); got != wantSubject {
		t.Errorf("Subject = %q, want %q", got, wantSubject)
	}
	date, err := h.Date()
	if err != nil || !date.Equal(testNow) {
		t.Errorf("Date = %q (%v), want %v", h.Get("Date"), err, testNow)
	}
	for _, c := range []struct{ header, want string }{
		{"Message-Id", "<del-42@amends.example.com>"},
		{"X-Amends-Delivery", "del-42"},
		{"X-Amends-Event", "incident.declared"},
		{"Auto-Submitted", "auto-generated"},
		{"Mime-Version", "1.0"},
	} {
		if got := h.Get(c.header); got != c.want {
			t.Errorf("%s = %q, want %q", c.header, got, c.want)
		}
	}

	text, ok := parts["text/plain"]
	if !ok {
		t.Fatalf("no text/plain part; parts: %v", keys(parts))
	}
	for _, want := range []string{
		wantSubject, "Severity: SEV2", "Owner: Dana Okafor", "Note: <b>bold?</b>",
		"already cancelled.", "Tell customers:", m.Link, m.AckLink, "I have read it",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("text part lacks %q:\n%s", want, text)
		}
	}
	html, ok := parts["text/html"]
	if !ok {
		t.Fatalf("no text/html part; parts: %v", keys(parts))
	}
	for _, want := range []string{
		"&lt;script&gt;alert(1)&lt;/script&gt; &amp; more", "&lt;b&gt;bold?&lt;/b&gt;",
		`href="https://amends.example.com/incidents/INC-4"`,
		`href="https://amends.example.com/incidents/INC-4/ack?t=abc"`,
		"Open INC-4", "I have read it", "First line<br>second line",
	} {
		if !strings.Contains(html, want) {
			t.Errorf("html part lacks %q:\n%s", want, html)
		}
	}
	for _, bad := range []string{"<script>", "<b>bold"} {
		if strings.Contains(html, bad) {
			t.Errorf("html part contains unescaped %q", bad)
		}
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

func TestEmailStartTLS(t *testing.T) {
	serverTLS, clientTLS := amendstest.SelfSignedTLS(t)
	tests := []struct {
		name    string
		cfg     amendstest.SinkConfig
		query   string
		wantTLS bool
		wantErr bool
	}{
		{name: "offered: upgraded", cfg: amendstest.SinkConfig{TLS: serverTLS}, wantTLS: true},
		{name: "not offered: plain", cfg: amendstest.SinkConfig{}, wantTLS: false},
		{name: "offered, with AUTH", cfg: amendstest.SinkConfig{TLS: serverTLS, User: "amends", Pass: "s3cret"}, wantTLS: true},
		{name: "required and offered", cfg: amendstest.SinkConfig{TLS: serverTLS}, query: "?starttls=required", wantTLS: true},
		{name: "required, not offered", cfg: amendstest.SinkConfig{}, query: "?starttls=required", wantErr: true},
		{name: "never", cfg: amendstest.SinkConfig{TLS: serverTLS}, query: "?starttls=never", wantTLS: false},
		{name: "AUTH without TLS: no password in the clear", cfg: amendstest.SinkConfig{User: "amends", Pass: "s3cret"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := amendstest.NewSMTPSink(t, tt.cfg)
			e := newTestEmail(t, s.URL()+tt.query, WithTLSConfig(clientTLS))
			err := e.Send(context.Background(), emailTo("dana@example.com", ""), sampleMessage())
			if tt.wantErr {
				if err == nil {
					t.Fatal("Send succeeded, want an error")
				}
				if IsPermanent(err) {
					t.Errorf("error %v is permanent; a configuration problem must be retried", err)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Errorf("error %q reveals the password", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			mails := s.Mails()
			if len(mails) != 1 {
				t.Fatalf("sink received %d messages, want 1", len(mails))
			}
			if got := mails[0].TLS; got != tt.wantTLS {
				t.Errorf("TLS = %v, want %v", got, tt.wantTLS)
			}
		})
	}
}

func TestEmailStartTLSUntrustedCertificateFails(t *testing.T) {
	serverTLS, _ := amendstest.SelfSignedTLS(t)
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{TLS: serverTLS})
	e := newTestEmail(t, s.URL()) // the system roots do not trust the test certificate
	err := e.Send(context.Background(), emailTo("dana@example.com", ""), sampleMessage())
	if err == nil || IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary error", err)
	}
	if n := len(s.Mails()); n != 0 {
		t.Errorf("sink received %d messages over an unverified connection", n)
	}
}

func TestEmailAuthFailureIsTemporary(t *testing.T) {
	serverTLS, clientTLS := amendstest.SelfSignedTLS(t)
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{TLS: serverTLS, User: "amends", Pass: "right"})
	e := newTestEmail(t, "smtp://amends:wrong@"+s.Addr, WithTLSConfig(clientTLS))
	err := e.Send(context.Background(), emailTo("dana@example.com", ""), sampleMessage())
	if err == nil || IsPermanent(err) {
		t.Fatalf("Send = %v, want a temporary error (fixing the configuration cures it)", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error %q reveals the password", err)
	}
}

func TestEmailSendBatchUsesOneConnection(t *testing.T) {
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	e := newTestEmail(t, s.URL())
	items := make([]EmailItem, 50)
	for i := range items {
		m := sampleMessage()
		m.DeliveryID = fmt.Sprintf("del-%d", i)
		items[i] = EmailItem{Destination: emailTo(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("User %d", i)), Message: m}
	}
	for i, err := range e.SendBatch(context.Background(), items) {
		if err != nil {
			t.Errorf("item %d: %v", i, err)
		}
	}
	if got, want := s.Conns.Load(), int64(1); got != want {
		t.Errorf("connections = %d, want %d", got, want)
	}
	mails := s.Mails()
	if len(mails) != 50 {
		t.Fatalf("sink received %d messages, want 50", len(mails))
	}
	for i, env := range mails {
		want := fmt.Sprintf("user%d@example.com", i)
		if len(env.To) != 1 || env.To[0] != want {
			t.Errorf("message %d: RCPT TO %v, want [%s]", i, env.To, want)
		}
		h, _, _ := readMail(t, env.Data)
		if got, want := h.Get("X-Amends-Delivery"), fmt.Sprintf("del-%d", i); got != want {
			t.Errorf("message %d: X-Amends-Delivery = %q, want %q", i, got, want)
		}
	}
}

func TestEmailSendsReuseAnIdleConnection(t *testing.T) {
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	e := newTestEmail(t, s.URL())
	for i := range 20 {
		m := sampleMessage()
		m.DeliveryID = fmt.Sprintf("del-%d", i)
		if err := e.Send(context.Background(), emailTo("dana@example.com", ""), m); err != nil {
			t.Fatalf("Send %d: %v", i, err)
		}
	}
	if got, want := s.Conns.Load(), int64(1); got != want {
		t.Errorf("connections for 20 sends = %d, want %d", got, want)
	}
	if got := len(s.Mails()); got != 20 {
		t.Errorf("sink received %d messages, want 20", got)
	}
}

func TestEmailSMTPRepliesArePermanentOrTemporary(t *testing.T) {
	tests := []struct {
		name          string
		cfg           amendstest.SinkConfig
		wantPermanent bool
		wantStatus    int
	}{
		{"550 at RCPT: permanent", amendstest.SinkConfig{Rcpt: func(string) error { return amendstest.SMTPError(550, "no such user") }}, true, 550},
		{"553 at RCPT: permanent", amendstest.SinkConfig{Rcpt: func(string) error { return amendstest.SMTPError(553, "mailbox name not allowed") }}, true, 553},
		{"450 at RCPT: temporary", amendstest.SinkConfig{Rcpt: func(string) error { return amendstest.SMTPError(450, "mailbox busy") }}, false, 450},
		{"452 at RCPT: temporary", amendstest.SinkConfig{Rcpt: func(string) error { return amendstest.SMTPError(452, "insufficient storage") }}, false, 452},
		{"554 after DATA: permanent", amendstest.SinkConfig{Received: func(amendstest.Envelope) error { return amendstest.SMTPError(554, "content rejected") }}, true, 554},
		{"451 after DATA: temporary", amendstest.SinkConfig{Received: func(amendstest.Envelope) error { return amendstest.SMTPError(451, "try later") }}, false, 451},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := amendstest.NewSMTPSink(t, tt.cfg)
			e := newTestEmail(t, s.URL())
			err := e.Send(context.Background(), emailTo("dana@example.com", ""), sampleMessage())
			var ce *Error
			if !errors.As(err, &ce) {
				t.Fatalf("Send = %v, want an *Error", err)
			}
			if ce.Permanent != tt.wantPermanent || ce.Status != tt.wantStatus {
				t.Errorf("Permanent, Status = %v, %d, want %v, %d (%v)", ce.Permanent, ce.Status, tt.wantPermanent, tt.wantStatus, err)
			}
		})
	}
}

func TestEmailBatchGoesOnAfterARefusedRecipient(t *testing.T) {
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{Rcpt: func(to string) error {
		if strings.HasPrefix(to, "gone") {
			return amendstest.SMTPError(550, "no such user")
		}
		return nil
	}})
	e := newTestEmail(t, s.URL())
	var items []EmailItem
	for _, to := range []string{"a@example.com", "gone@example.com", "b@example.com", "not an address", "c@example.com"} {
		items = append(items, EmailItem{Destination: emailTo(to, ""), Message: sampleMessage()})
	}
	errs := e.SendBatch(context.Background(), items)
	wantPermanent := []bool{false, true, false, true, false}
	for i, err := range errs {
		if wantPermanent[i] != (err != nil) || (err != nil && !IsPermanent(err)) {
			t.Errorf("item %d (%s): error %v, want permanent=%v", i, items[i].Destination.Address, err, wantPermanent[i])
		}
	}
	var ae *amends.Error
	if !errors.As(errs[3], &ae) || ae.Field != "address" {
		t.Errorf("invalid address error = %v, want an amends.Error on address", errs[3])
	}
	if got := len(s.Mails()); got != 3 {
		t.Errorf("sink received %d messages, want 3", got)
	}
	if got := s.Conns.Load(); got != 1 {
		t.Errorf("connections = %d, want 1", got)
	}
}

func TestEmailServerDownIsTemporaryForEveryItem(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close() // nothing listens here any more
	e := newTestEmail(t, "smtp://"+addr)
	items := []EmailItem{{emailTo("a@example.com", ""), sampleMessage()}, {emailTo("b@example.com", ""), sampleMessage()}}
	for i, err := range e.SendBatch(context.Background(), items) {
		var ce *Error
		if !errors.As(err, &ce) || ce.Permanent || ce.Status != 0 {
			t.Errorf("item %d: %v, want a temporary *Error without status", i, err)
		}
	}
}

func TestEmailCancelledContextIsTemporary(t *testing.T) {
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	e := newTestEmail(t, s.URL())
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := e.Send(ctx, emailTo("dana@example.com", ""), sampleMessage())
	if err == nil || IsPermanent(err) || !errors.Is(err, context.Canceled) {
		t.Fatalf("Send = %v, want a temporary error wrapping context.Canceled", err)
	}
}

// TestEmailHeaderInjection puts CR/LF and a Bcc header into every field a person controls: the
// server must see exactly one recipient, and the message no extra header.
func TestEmailHeaderInjection(t *testing.T) {
	const evil = "\r\nBcc: evil@example.net\r\nX-Evil: 1\nX-Evil-LF: 1\r"
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	e := newTestEmail(t, s.URL())
	m := sampleMessage()
	m.Ref += evil
	m.Title += evil
	m.Subject += evil
	m.Severity += evil
	m.Status += evil
	m.Text += evil
	m.Fields = append(m.Fields, Field{"Label" + evil, "Value" + evil})
	if err := e.Send(context.Background(), emailTo("dana@example.com", "Dana"+evil+"\"<x@y>"), m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	mails := s.Mails()
	if len(mails) != 1 {
		t.Fatalf("sink received %d messages, want 1", len(mails))
	}
	if got := mails[0].To; len(got) != 1 || got[0] != "dana@example.com" {
		t.Errorf("RCPT TO = %v, want only dana@example.com", got)
	}
	h, _, partHeaders := readMail(t, mails[0].Data)
	for _, name := range []string{"Bcc", "X-Evil", "X-Evil-Lf"} {
		if v, ok := h[name]; ok {
			t.Errorf("message has a %s header: %q", name, v)
		}
		for _, ph := range partHeaders {
			if v, ok := ph[name]; ok {
				t.Errorf("a part has a %s header: %q", name, v)
			}
		}
	}
	for _, line := range strings.Split(headerSection(mails[0].Data), "\n") {
		if strings.HasPrefix(strings.ToLower(line), "bcc:") || strings.HasPrefix(strings.ToLower(line), "x-evil") {
			t.Errorf("raw header line %q", line)
		}
	}
	to, err := mail.ParseAddress(h.Get("To"))
	if err != nil || to.Address != "dana@example.com" {
		t.Errorf("To = %q (%v), want one address dana@example.com", h.Get("To"), err)
	}

	// Fields that must be identifiers are refused instead, and nothing is sent.
	for _, bad := range []func(*Message, *Destination){
		func(m *Message, _ *Destination) { m.DeliveryID += evil },
		func(m *Message, _ *Destination) { m.Event += evil },
		func(m *Message, _ *Destination) { m.Link += evil },
		func(m *Message, _ *Destination) { m.AckLink += evil },
		func(_ *Message, d *Destination) { d.Address += evil },
	} {
		m, d := sampleMessage(), emailTo("dana@example.com", "")
		bad(&m, &d)
		if err := e.Send(context.Background(), d, m); !IsPermanent(err) {
			t.Errorf("Send with CR/LF in an identifier = %v, want a permanent error", err)
		}
	}
	if got := len(s.Mails()); got != 1 {
		t.Errorf("sink received %d messages, want still 1", got)
	}
}

func TestNewEmailRefusesBadConfiguration(t *testing.T) {
	tests := []struct {
		name, url, from, field string
	}{
		{"empty URL", "", "a@example.com", "smtp_url"},
		{"http scheme", "http://mail.example.com", "a@example.com", "smtp_url"},
		{"no host", "smtp://", "a@example.com", "smtp_url"},
		{"bad port", "smtp://mail.example.com:99999", "a@example.com", "smtp_url"},
		{"unknown option", "smtp://u:hunter2@mail.example.com?tls=off", "a@example.com", "smtp_url"},
		{"bad starttls", "smtp://mail.example.com?starttls=maybe", "a@example.com", "smtp_url"},
		{"no from", "smtp://mail.example.com", "", "from"},
		{"from not an address", "smtp://mail.example.com", "not an email", "from"},
		{"from with CR/LF", "smtp://mail.example.com", "a@example.com\r\nBcc: c@example.com", "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewEmail(SMTPConfig{URL: tt.url, From: tt.from})
			var ae *amends.Error
			if !errors.As(err, &ae) || ae.Code != amends.EInvalid || ae.Field != tt.field {
				t.Fatalf("NewEmail = %v, want an invalid error on %q", err, tt.field)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("error %q reveals the password", err)
			}
		})
	}
	for _, ok := range []string{"smtp://mail.example.com", "smtp://u:p@mail.example.com:2525?starttls=required", "smtps://mail.example.com"} {
		if _, err := NewEmail(SMTPConfig{URL: ok, From: "a@example.com"}); err != nil {
			t.Errorf("NewEmail(%q) = %v, want nil", ok, err)
		}
	}
}

func TestEmailRefusesOtherKinds(t *testing.T) {
	e := newTestEmail(t, "smtp://127.0.0.1:1")
	err := e.Send(context.Background(), Destination{Kind: KindSlack, Address: "https://hooks.example.com/x"}, sampleMessage())
	var ae *amends.Error
	if !IsPermanent(err) || !errors.As(err, &ae) || ae.Field != "kind" {
		t.Fatalf("Send to a slack destination = %v, want a permanent error on kind", err)
	}
}

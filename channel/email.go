package channel

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amends/amends"
	mail "github.com/wneessen/go-mail"
	"github.com/wneessen/go-mail/smtp"
)

// SMTPConfig says how to reach the mail server and who the mail is from.
//
// URL is smtp://[user:password@]host[:port] (port 587 when omitted; STARTTLS whenever the server
// offers it, plain otherwise, as local sinks need) or smtps://[user:password@]host[:port] (TLS
// from the first byte, port 465). The query ?starttls=required refuses a server without
// STARTTLS; ?starttls=never never upgrades. With a user name, amends authenticates with the
// strongest mechanism the server offers, and never sends a password in the clear.
type SMTPConfig struct {
	URL  string
	From string // "amends@example.com" or "Example Incidents <incidents@example.com>"
}

// EmailItem is one message to one recipient in a batch.
type EmailItem struct {
	Destination Destination
	Message     Message
}

// Email sends notifications as multipart/alternative mail (plain text and HTML) over SMTP.
// It keeps up to WithMaxIdle connections open between sends (closed after idleTimeout), and
// SendBatch sends a whole batch over one connection. It is safe for concurrent use; Close
// releases the idle connections.
type Email struct {
	client *mail.Client
	addr   string // host:port, for error messages (never the URL: it may hold a password)
	from   *netmail.Address
	domain string // right-hand side of Message-IDs
	o      options

	mu     sync.Mutex
	idle   []idleConn
	closed bool
}

type idleConn struct {
	c     *smtp.Client
	since time.Time
}

// idleTimeout is how long an unused connection is kept: well below the five minutes after
// which servers commonly drop a silent client.
const idleTimeout = 30 * time.Second

// NewEmail checks cfg and returns an Email sender. It does not connect: a server that is down
// now is a temporary failure of the first Send, not a start-up error. Errors are
// amends.EInvalid on the field "smtp_url" or "from" and never repeat the password.
func NewEmail(cfg SMTPConfig, opts ...Option) (*Email, error) {
	o := buildOptions(opts)
	from, err := parseFrom(cfg.From)
	if err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || cfg.URL == "" {
		return nil, amends.Errorf(amends.EInvalid, "smtp_url", "must look like smtp://user:password@host:587 or smtps://host:465")
	}
	host := u.Hostname()
	if host == "" {
		return nil, amends.Errorf(amends.EInvalid, "smtp_url", "must name a host, as in smtp://mail.example.com:587")
	}
	var port int
	clientOpts := []mail.Option{mail.WithTimeout(o.timeout), mail.WithoutNoop(), mail.WithoutRset()}
	switch strings.ToLower(u.Scheme) {
	case "smtp":
		port = 587
		policy := mail.TLSOpportunistic
		for k, v := range u.Query() {
			switch {
			case k == "starttls" && len(v) == 1 && v[0] == "required":
				policy = mail.TLSMandatory
			case k == "starttls" && len(v) == 1 && v[0] == "never":
				policy = mail.NoTLS
			case k == "starttls" && len(v) == 1 && v[0] == "opportunistic":
			default:
				return nil, amends.Errorf(amends.EInvalid, "smtp_url", "unknown option %q (only starttls=opportunistic, required or never)", k)
			}
		}
		clientOpts = append(clientOpts, mail.WithTLSPolicy(policy))
	case "smtps":
		port = 465
		clientOpts = append(clientOpts, mail.WithSSL())
	default:
		return nil, amends.Errorf(amends.EInvalid, "smtp_url", "scheme must be smtp or smtps, not %q", u.Scheme)
	}
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port < 1 || port > 65535 {
			return nil, amends.Errorf(amends.EInvalid, "smtp_url", "has an invalid port %q", p)
		}
	}
	tlsConfig := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.tlsConfig != nil {
		tlsConfig = o.tlsConfig.Clone()
	}
	if tlsConfig.ServerName == "" {
		tlsConfig.ServerName = host
	}
	clientOpts = append(clientOpts, mail.WithPort(port), mail.WithTLSConfig(tlsConfig))
	if o.helo != "" {
		clientOpts = append(clientOpts, mail.WithHELO(o.helo))
	}
	if user := u.User.Username(); user != "" {
		pass, _ := u.User.Password()
		clientOpts = append(clientOpts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover),
			mail.WithUsername(user), mail.WithPassword(pass))
	}
	client, err := mail.NewClient(host, clientOpts...)
	if err != nil {
		return nil, amends.Errorf(amends.EInvalid, "smtp_url", "%v", err)
	}
	domain := "amends"
	if at := strings.LastIndexByte(from.Address, '@'); at >= 0 && !strings.ContainsAny(from.Address[at+1:], "[]") {
		domain = "amends." + from.Address[at+1:]
	}
	return &Email{client: client, addr: u.Host, from: from, domain: domain, o: o}, nil
}

func parseFrom(s string) (*netmail.Address, error) {
	if s == "" {
		return nil, amends.Errorf(amends.EInvalid, "from", "required, e.g. amends@example.com")
	}
	if hasControl(s) {
		return nil, amends.Errorf(amends.EInvalid, "from", "must be one address on one line")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, amends.Errorf(amends.EInvalid, "from", "%q is not an email address (want amends@example.com or Name <amends@example.com>)", s)
	}
	return a, nil
}

// Send sends m to the email destination d over a pooled connection. See SendBatch for errors.
func (e *Email) Send(ctx context.Context, d Destination, m Message) error {
	return e.SendBatch(ctx, []EmailItem{{Destination: d, Message: m}})[0]
}

// SendBatch sends every item over one connection and returns one error per item, nil when the
// server accepted it. A refused recipient or message (5xx at RCPT or DATA) is permanent; 4xx
// replies, network and TLS failures, authentication and sender refusals (which a fixed
// configuration cures) are temporary. A lost connection is re-opened for the next item; when
// connecting fails, every remaining item gets that temporary error. Invalid items are permanent
// and do not stop the others.
func (e *Email) SendBatch(ctx context.Context, items []EmailItem) []error {
	errs := make([]error, len(items))
	msgs := make([]*mail.Msg, len(items))
	var last rendered // a fan-out says the same thing to everyone: render it once
	for i, it := range items {
		if err := checkKind(KindEmail, it.Destination, it.Message); err != nil {
			errs[i] = err
			continue
		}
		m := it.Message.clean()
		if !last.ok || !sameBody(last.m, m) {
			text, html, err := renderEmail(m)
			if err != nil {
				errs[i] = temporary(0, 0, fmt.Errorf("render the email: %w", err))
				continue
			}
			last = rendered{m: m, text: text, html: html, ok: true}
		}
		msgs[i] = e.build(it.Destination, m, last.text, last.html)
	}
	var conn *smtp.Client
	defer func() {
		if conn != nil {
			e.put(conn)
		}
	}()
	for i, msg := range msgs {
		if msg == nil {
			continue
		}
		if err := ctx.Err(); err != nil {
			errs[i] = temporary(0, 0, err)
			continue
		}
		if conn == nil {
			c, err := e.get(ctx)
			if err != nil {
				terr := temporary(0, 0, fmt.Errorf("connect to %s: %w", e.addr, err))
				for j := i; j < len(msgs); j++ {
					if msgs[j] != nil {
						errs[j] = terr
					}
				}
				return errs
			}
			conn = c
		}
		c := conn
		stop := context.AfterFunc(ctx, func() { _ = c.Close() })
		err := e.client.SendWithSMTPClient(conn, msg)
		cancelled := !stop()
		if err != nil {
			var reply bool
			errs[i], reply = e.classify(err)
			if reply && !cancelled && conn.Reset() == nil {
				continue // the server answered: the connection is fine for the next item
			}
		}
		if err != nil || cancelled {
			_ = conn.Close()
			conn = nil
		}
	}
	return errs
}

// classify turns a go-mail error into an *Error; reply reports whether the server answered
// (so the connection is still in step).
func (e *Email) classify(err error) (*Error, bool) {
	var se *mail.SendError
	if !errors.As(err, &se) {
		return temporary(0, 0, fmt.Errorf("send to %s: %w", e.addr, err)), false
	}
	code := se.ErrorCode()
	if code == 0 {
		return temporary(0, 0, fmt.Errorf("send to %s: %w", e.addr, err)), false
	}
	switch se.Reason {
	case mail.ErrSMTPRcptTo, mail.ErrSMTPData, mail.ErrSMTPDataClose:
		if code >= 500 {
			return permanent(code, fmt.Errorf("%s refused the message: %w", e.addr, err)), true
		}
	}
	return temporary(code, 0, fmt.Errorf("%s answered: %w", e.addr, err)), true
}

// get returns an idle connection that still answers, or a new one.
func (e *Email) get(ctx context.Context) (*smtp.Client, error) {
	for {
		e.mu.Lock()
		if len(e.idle) == 0 {
			e.mu.Unlock()
			break
		}
		ic := e.idle[len(e.idle)-1]
		e.idle = e.idle[:len(e.idle)-1]
		e.mu.Unlock()
		if e.o.now().Sub(ic.since) < idleTimeout && ic.c.UpdateDeadline(e.o.timeout) == nil && ic.c.Noop() == nil {
			return ic.c, nil
		}
		_ = ic.c.Close()
	}
	return e.client.DialToSMTPClientWithContext(ctx)
}

// put keeps c for the next send, or says goodbye when enough connections are idle.
func (e *Email) put(c *smtp.Client) {
	e.mu.Lock()
	if !e.closed && len(e.idle) < e.o.maxIdle {
		e.idle = append(e.idle, idleConn{c: c, since: e.o.now()})
		e.mu.Unlock()
		return
	}
	e.mu.Unlock()
	_ = e.client.CloseWithSMTPClient(c)
}

// Close quits the idle connections. Sends after Close still work but keep no connection open.
func (e *Email) Close() error {
	e.mu.Lock()
	idle := e.idle
	e.idle, e.closed = nil, true
	e.mu.Unlock()
	var errs []error
	for _, ic := range idle {
		if err := e.client.CloseWithSMTPClient(ic.c); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// rendered is a cleaned message with its two parts.
type rendered struct {
	m          Message
	text, html string
	ok         bool
}

// sameBody reports whether a and b render to the same parts (only headers differ).
func sameBody(a, b Message) bool {
	if a.Ref != b.Ref || a.Title != b.Title || a.Severity != b.Severity || a.Status != b.Status ||
		a.Subject != b.Subject || a.Text != b.Text || a.Link != b.Link || a.AckLink != b.AckLink ||
		len(a.Fields) != len(b.Fields) {
		return false
	}
	for i := range a.Fields {
		if a.Fields[i] != b.Fields[i] {
			return false
		}
	}
	return true
}

// build assembles the message for one recipient from a cleaned message and its rendered parts.
// Every header value is one line already (clean) and go-mail encodes names and subjects
// (RFC 2047), so no field can add a header.
func (e *Email) build(d Destination, m Message, text, html string) *mail.Msg {
	msg := mail.NewMsg(mail.WithNoDefaultUserAgent())
	msg.FromMailAddress(e.from)
	msg.AddToMailAddress(&netmail.Address{Name: oneLine(d.Name), Address: strings.TrimSpace(d.Address)})
	msg.Subject(m.headline())
	if m.ReplyTo != "" {
		_ = msg.ReplyTo(m.ReplyTo) // validated as one bare address by Message.Validate
	}
	if m.Unsubscribe != "" {
		// One-click unsubscribe (RFC 8058); validated as one URL without spaces or brackets.
		msg.SetGenHeader(mail.Header("List-Unsubscribe"), "<"+m.Unsubscribe+">")
		msg.SetGenHeader(mail.Header("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click")
	}
	msg.SetDateWithValue(e.o.now())
	msg.SetMessageIDWithValue(m.DeliveryID + "@" + e.domain)
	msg.SetGenHeader(mail.Header(HeaderDelivery), m.DeliveryID)
	msg.SetGenHeader(mail.Header(HeaderEvent), m.Event)
	msg.SetGenHeader(mail.Header("Auto-Submitted"), "auto-generated")
	msg.SetGenHeader(mail.HeaderXAutoResponseSuppress, "All")
	msg.SetUserAgent(userAgent)
	msg.SetBodyString(mail.TypeTextPlain, text)
	msg.AddAlternativeString(mail.TypeTextHTML, html)
	return msg
}

package channel

import (
	"context"
	"crypto/tls"
	"time"

	"github.com/amends/amends"
)

// Sender carries one message to one recipient over one channel. Send returns nil once the
// receiver accepted the message, otherwise an *Error that says whether to try again. Send may be
// called again with the same message (at least once): receivers drop repeats by DeliveryID.
type Sender interface {
	Send(ctx context.Context, d Destination, m Message) error
}

// Senders routes each destination to the Sender of its kind. It is itself a Sender.
type Senders map[Kind]Sender

// Send validates d and m and hands them to the Sender for d.Kind. An invalid destination or
// message, or a kind without a Sender, is a permanent *Error wrapping an amends.EInvalid error.
func (s Senders) Send(ctx context.Context, d Destination, m Message) error {
	if err := d.Validate(); err != nil {
		return invalid(err)
	}
	sender := s[d.Kind]
	if sender == nil {
		return invalid(amends.Errorf(amends.EInvalid, "kind", "no sender is configured for %s destinations", d.Kind))
	}
	return sender.Send(ctx, d, m)
}

// Option adjusts a sender built by NewEmail, NewSlack, NewTeams or NewWebhook. Options that do
// not concern a sender are ignored by it.
type Option func(*options)

type options struct {
	now       func() time.Time
	tlsConfig *tls.Config
	timeout   time.Duration
	maxIdle   int
	helo      string
}

func buildOptions(opts []Option) options {
	o := options{now: time.Now, timeout: DefaultTimeout, maxIdle: 2}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	return o
}

// DefaultTimeout bounds one HTTP request, or one SMTP command, when no WithTimeout is given.
const DefaultTimeout = 10 * time.Second

// WithClock makes a sender read the time from now: the Date of an email and the instant an
// HTTP-date Retry-After is measured from.
func WithClock(now func() time.Time) Option {
	return func(o *options) {
		if now != nil {
			o.now = now
		}
	}
}

// WithTLSConfig sets the TLS configuration an Email uses for STARTTLS and smtps:// (its
// ServerName defaults to the SMTP host). Tests use it to trust a self-signed server.
func WithTLSConfig(c *tls.Config) Option { return func(o *options) { o.tlsConfig = c } }

// WithTimeout bounds each SMTP command and each connection attempt of an Email (default
// DefaultTimeout). HTTP senders take their timeout from the *http.Client (see NewHTTPClient).
func WithTimeout(d time.Duration) Option {
	return func(o *options) {
		if d > 0 {
			o.timeout = d
		}
	}
}

// WithMaxIdle sets how many idle SMTP connections an Email keeps for the next Send (default 2;
// 0 closes each connection after use).
func WithMaxIdle(n int) Option {
	return func(o *options) {
		if n >= 0 {
			o.maxIdle = n
		}
	}
}

// WithHELO sets the name an Email announces in EHLO (default: the host name of the machine).
func WithHELO(name string) Option { return func(o *options) { o.helo = name } }

// checkKind is the first thing every channel's Send does.
func checkKind(want Kind, d Destination, m Message) error {
	if d.Kind != want {
		return invalid(amends.Errorf(amends.EInvalid, "kind", "the %s sender cannot send to a %q destination", want, string(d.Kind)))
	}
	if err := d.Validate(); err != nil {
		return invalid(err)
	}
	if err := m.Validate(); err != nil {
		return invalid(err)
	}
	return nil
}

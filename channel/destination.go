package channel

import (
	"net/mail"
	"net/url"
	"strconv"
	"strings"

	"github.com/amends/amends"
)

// Destination is where one recipient is reached: an email address, or the URL of an incoming
// webhook. It is checked with Validate when it is saved and again before every send.
type Destination struct {
	Kind    Kind
	Address string // a bare email address for KindEmail, otherwise the webhook URL
	Name    string // the recipient's display name (untrusted; encoded safely wherever it is shown)
	Secret  string // the HMAC-SHA256 key for KindWebhook; unused by the other kinds
}

// Limits on addresses, in bytes.
const (
	maxEmailLen = 254  // RFC 5321 path limit
	maxURLLen   = 2048 // what every common receiver and proxy accepts
)

// Validate reports the first problem with d as an amends.EInvalid error naming the field
// ("kind", "address" or "secret"): an unknown kind; for email, an address that is not exactly
// one bare address on one line; for webhooks, a URL that is not an absolute http or https URL
// with a host and without user information; for KindWebhook, a missing secret.
//
// Loopback and private addresses are deliberately allowed (self-hosted receivers and tests use
// them); deployments that must prevent server-side request forgery filter at the network edge or
// with an http.Transport whose dialer refuses those ranges.
func (d Destination) Validate() error {
	if !d.Kind.Valid() {
		return amends.Errorf(amends.EInvalid, "kind", "unknown channel kind %q (want email, slack, teams or webhook)", string(d.Kind))
	}
	if d.Kind == KindEmail {
		return validateEmail("address", d.Address)
	}
	if err := validateURL("address", d.Address); err != nil {
		return err
	}
	if d.Kind == KindWebhook && d.Secret == "" {
		return amends.Errorf(amends.EInvalid, "secret", "required for a webhook: the receiver uses it to verify the X-Amends-Signature header")
	}
	return nil
}

// validateEmail accepts exactly one bare address ("name@example.com") on one line.
func validateEmail(field, s string) error {
	if s == "" {
		return amends.Errorf(amends.EInvalid, field, "required")
	}
	if hasControl(s) {
		return amends.Errorf(amends.EInvalid, field, "must be a single email address on one line, without control characters")
	}
	if len(s) > maxEmailLen {
		return amends.Errorf(amends.EInvalid, field, "is longer than %d bytes", maxEmailLen)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return amends.Errorf(amends.EInvalid, field, "%q is not an email address (want name@example.com)", s)
	}
	if a.Name != "" || a.Address != strings.TrimSpace(s) {
		return amends.Errorf(amends.EInvalid, field, "must be a bare email address such as name@example.com; put the person's name in name")
	}
	return nil
}

// validateURL accepts an absolute http or https URL with a host and no user information.
func validateURL(field, s string) error {
	if s == "" {
		return amends.Errorf(amends.EInvalid, field, "required")
	}
	if len(s) > maxURLLen {
		return amends.Errorf(amends.EInvalid, field, "is longer than %d bytes", maxURLLen)
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return amends.Errorf(amends.EInvalid, field, "must not contain spaces or control characters")
		}
	}
	u, err := url.Parse(s)
	if err != nil {
		return amends.Errorf(amends.EInvalid, field, "is not a valid URL")
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme == "" {
		return amends.Errorf(amends.EInvalid, field, "must be an absolute http or https URL, such as https://hooks.example.com/…")
	}
	if scheme != "http" && scheme != "https" {
		return amends.Errorf(amends.EInvalid, field, "must be an http or https URL, not %s:", scheme)
	}
	if u.Host == "" || u.Hostname() == "" {
		return amends.Errorf(amends.EInvalid, field, "must name a host, such as https://hooks.example.com/…")
	}
	if u.User != nil {
		return amends.Errorf(amends.EInvalid, field, "must not contain a user name or password")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return amends.Errorf(amends.EInvalid, field, "has an invalid port %q", p)
		}
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < ' ' || r == 0x7f || r == '\u0085' || r == '\u2028' || r == '\u2029' {
			return true
		}
	}
	return false
}

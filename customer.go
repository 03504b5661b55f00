package amends

import (
	"net/mail"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on customer fields, enforced by Customer.Validate.
const (
	MaxEmail        = 254 // bytes: the RFC 5321 path limit
	MaxCustomerName = 200 // characters
	MaxAccount      = 200 // characters
	MaxSegments     = 20
	MaxSegment      = 50 // characters of one tag
)

// Customer is a person a mistake may reach. Email is the identity: it is stored lower-cased,
// so one address is one customer however it was typed. Name and Account are plain text, kept
// as given (markup included): whatever shows them escapes them.
type Customer struct {
	ID        int64     `json:"id"`
	Email     string    `json:"email"`
	Name      string    `json:"name"`
	Account   string    `json:"account"`
	Segments  []string  `json:"segments"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Normalize trims the fields, lower-cases the email address and the segment tags, and drops
// empty and repeated tags.
func (c *Customer) Normalize() {
	c.Email = strings.TrimSpace(c.Email)
	if utf8.ValidString(c.Email) { // ToLower would hide invalid bytes behind U+FFFD
		c.Email = strings.ToLower(c.Email)
	}
	c.Name = strings.TrimSpace(c.Name)
	c.Account = strings.TrimSpace(c.Account)
	c.Segments = NormalizeSegments(c.Segments)
}

// Validate checks a normalized customer: one bare email address; a name and an account of
// one line each, without control characters; segment tags of a-z, 0-9, - and _.
func (c Customer) Validate() error {
	if err := ValidateEmail("email", c.Email); err != nil {
		return err
	}
	if err := validateLine("name", c.Name, MaxCustomerName); err != nil {
		return err
	}
	if err := validateLine("account", c.Account, MaxAccount); err != nil {
		return err
	}
	return ValidateSegments(c.Segments)
}

// ValidateEmail accepts exactly one bare address ("name@example.com"), without a display
// name, comments, spaces or control characters, of at most MaxEmail bytes.
func ValidateEmail(field, s string) error {
	switch {
	case s == "":
		return Errorf(EInvalid, field, "is required")
	case !utf8.ValidString(s):
		return Errorf(EInvalid, field, "is not valid UTF-8")
	case len(s) > MaxEmail:
		return Errorf(EInvalid, field, "is %d bytes; at most %d", len(s), MaxEmail)
	case strings.IndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsControl(r) }) >= 0:
		return Errorf(EInvalid, field, "%q must be one address without spaces or control characters", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return Errorf(EInvalid, field, "%q is not an email address (want name@example.com)", s)
	}
	if a.Name != "" || a.Address != s {
		return Errorf(EInvalid, field, "%q must be a bare address such as name@example.com; put the person's name in name", s)
	}
	return nil
}

// validateLine requires valid UTF-8, at most max characters, one line, and no control or
// invisible direction-changing characters, so the value cannot inject a header into an email
// or disguise itself when shown.
func validateLine(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return Errorf(EInvalid, field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(EInvalid, field, "is %d characters; at most %d", n, max)
	}
	for _, r := range v {
		switch {
		case r == '\r' || r == '\n' || r == '\u2028' || r == '\u2029':
			return Errorf(EInvalid, field, "must be one line")
		case unicode.IsControl(r):
			return Errorf(EInvalid, field, "contains a control character (U+%04X)", r)
		case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return Errorf(EInvalid, field, "contains an invisible direction control (U+%04X)", r)
		}
	}
	return nil
}

// ParseSegments splits a list of segment tags separated by semicolons (commas are accepted
// too) and normalizes it.
func ParseSegments(s string) []string {
	return NormalizeSegments(strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == ',' }))
}

// NormalizeSegments trims and lower-cases tags and drops empty and repeated ones; never nil.
func NormalizeSegments(in []string) []string {
	out := make([]string, 0, len(in))
	for _, s := range in {
		s = strings.ToLower(strings.TrimSpace(s))
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	return out
}

// ValidateSegments allows at most MaxSegments tags of 1 to MaxSegment characters from a-z,
// 0-9, - and _.
func ValidateSegments(tags []string) error {
	if len(tags) > MaxSegments {
		return Errorf(EInvalid, "segments", "has %d tags; at most %d", len(tags), MaxSegments)
	}
	for _, t := range tags {
		if err := ValidateSegment(t); err != nil {
			return err
		}
	}
	return nil
}

// ValidateSegment checks one segment tag.
func ValidateSegment(t string) error {
	if t == "" || len(t) > MaxSegment {
		return Errorf(EInvalid, "segments", "tag %q must be 1 to %d characters", t, MaxSegment)
	}
	for i := 0; i < len(t); i++ {
		if c := t[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return Errorf(EInvalid, "segments", "tag %q may hold only a-z, 0-9, - and _", t)
		}
	}
	return nil
}

// CustomerUpdate changes some of a customer's fields; nil fields stay as they are.
type CustomerUpdate struct {
	Email    *string   `json:"email"`
	Name     *string   `json:"name"`
	Account  *string   `json:"account"`
	Segments *[]string `json:"segments"`
}

// Empty reports whether the update changes nothing.
func (u CustomerUpdate) Empty() bool {
	return u.Email == nil && u.Name == nil && u.Account == nil && u.Segments == nil
}

// Apply returns c with the update's fields set, normalized; the caller validates it.
func (u CustomerUpdate) Apply(c Customer) Customer {
	if u.Email != nil {
		c.Email = *u.Email
	}
	if u.Name != nil {
		c.Name = *u.Name
	}
	if u.Account != nil {
		c.Account = *u.Account
	}
	if u.Segments != nil {
		c.Segments = *u.Segments
	}
	c.Normalize()
	return c
}

// CustomerFilter selects and pages customers, in the order they were added. After is the
// cursor from the previous page.
type CustomerFilter struct {
	Account string
	Segment string
	After   string
	Limit   int
}

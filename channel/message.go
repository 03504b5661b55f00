package channel

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/amends/amends"
)

// Message is what every channel says, rendered per channel. All text fields come from people
// (titles, names, bodies) and are never trusted: each channel cleans and escapes them for its
// own format, so no field can add a header, a mention, a link or markup.
type Message struct {
	DeliveryID string // idempotency key, stable across retries: X-Amends-Delivery and the Message-ID of an email
	Event      string // what happened, e.g. "incident.declared" (X-Amends-Event)
	Ref        string // the incident's reference, e.g. "INC-4"
	Title      string // the incident's title
	Severity   string // e.g. "SEV2"
	Status     string // e.g. "investigating"
	Subject    string // one line; the Title is used when empty
	Text       string // plain-text body: what is known, impact, owner, what to tell customers
	Link       string // the incident page: the single source of truth, required
	AckLink    string // optional one-click "I have read it" link
	// LinkLabel and LinkNote word the link for its reader: by default colleagues are sent to
	// the incident page ("Open INC-4", "The incident page is the single source of truth");
	// a message to customers links to the public status page and says so.
	LinkLabel string
	LinkNote  string
	ReplyTo   string // optional bare address replies go to (email's Reply-To), e.g. the incident's owner
	// Unsubscribe is an optional absolute http(s) URL that ends the recipient's subscription
	// with one POST: email carries it as List-Unsubscribe with List-Unsubscribe-Post (RFC 8058).
	Unsubscribe string
	Fields      []Field
	At          time.Time // when the event happened
}

// Field is one label/value pair shown as a list, facts or fields, in order.
type Field struct{ Label, Value string }

// Limits on identifiers that end up in headers.
const (
	maxDeliveryID = 128
	maxEvent      = 64
)

// Validate reports the first problem that would make m undeliverable on every channel, as an
// amends.EInvalid error naming the field: a missing or malformed delivery_id or event, a missing
// subject and title, or a link or ack_link that is not an absolute http(s) URL.
func (m Message) Validate() error {
	switch {
	case m.DeliveryID == "":
		return amends.Errorf(amends.EInvalid, "delivery_id", "required: it is the idempotency key receivers use to drop repeats")
	case len(m.DeliveryID) > maxDeliveryID || !validDeliveryID(m.DeliveryID):
		return amends.Errorf(amends.EInvalid, "delivery_id", "must be 1 to %d letters, digits, '.', '_' or '-', starting and ending with a letter or digit", maxDeliveryID)
	case m.Event == "":
		return amends.Errorf(amends.EInvalid, "event", "required, e.g. incident.declared")
	case len(m.Event) > maxEvent || !validEvent(m.Event):
		return amends.Errorf(amends.EInvalid, "event", "must be 1 to %d lower-case letters, digits, '.', '_' or '-'", maxEvent)
	case oneLine(m.Subject) == "" && oneLine(m.Title) == "":
		return amends.Errorf(amends.EInvalid, "subject", "required (or a title)")
	}
	if err := validateURL("link", m.Link); err != nil {
		return err
	}
	if m.AckLink != "" {
		if err := validateURL("ack_link", m.AckLink); err != nil {
			return err
		}
	}
	if m.Unsubscribe != "" {
		if err := validateURL("unsubscribe", m.Unsubscribe); err != nil {
			return err
		}
		if strings.ContainsAny(m.Unsubscribe, "<>,\"") {
			return amends.Errorf(amends.EInvalid, "unsubscribe", "must not contain <, >, commas or quotes")
		}
	}
	if m.ReplyTo != "" {
		// A bare address on one line: nothing in it can add a header.
		if err := validateEmail("reply_to", m.ReplyTo); err != nil {
			return err
		}
	}
	return nil
}

func validDeliveryID(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && c != '.' && c != '_' && c != '-' {
			return false
		}
		if (i == 0 || i == len(s)-1) && !alnum {
			return false
		}
	}
	return !strings.Contains(s, "..")
}

func validEvent(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return s != ""
}

// clean returns a copy of m in which every one-line field holds no control or line-breaking
// character and every multi-line field has only "\n" line breaks and no other control character.
// Every channel renders the cleaned copy, which is what makes header injection impossible by
// construction (each channel then escapes for its own format on top).
func (m Message) clean() Message {
	c := m
	c.DeliveryID = oneLine(m.DeliveryID)
	c.Event = oneLine(m.Event)
	c.Ref = oneLine(m.Ref)
	c.Title = oneLine(m.Title)
	c.Severity = oneLine(m.Severity)
	c.Status = oneLine(m.Status)
	c.Subject = oneLine(m.Subject)
	c.Text = multiLine(m.Text)
	c.Link = strings.TrimSpace(m.Link)
	c.AckLink = strings.TrimSpace(m.AckLink)
	c.ReplyTo = strings.TrimSpace(m.ReplyTo)
	c.Unsubscribe = strings.TrimSpace(m.Unsubscribe)
	c.Fields = make([]Field, 0, len(m.Fields))
	for _, f := range m.Fields {
		f = Field{Label: oneLine(f.Label), Value: multiLine(f.Value)}
		if f.Label != "" || f.Value != "" {
			c.Fields = append(c.Fields, f)
		}
	}
	return c
}

// headline is the one line every channel leads with: "[INC-4] subject", where the subject falls
// back to the title and the reference is not repeated when the subject already starts with it.
// Call it on a cleaned message.
func (m Message) headline() string {
	s := m.Subject
	if s == "" {
		s = m.Title
	}
	if m.Ref == "" {
		return s
	}
	prefix := "[" + m.Ref + "]"
	if strings.HasPrefix(s, prefix) {
		return s
	}
	return prefix + " " + s
}

// openLabel is the label of the link to the incident page.
func (m Message) openLabel() string {
	if m.LinkLabel != "" {
		return oneLine(m.LinkLabel)
	}
	if m.Ref == "" {
		return "Open the incident page"
	}
	return "Open " + m.Ref
}

// ackLabel is the label of the optional acknowledgement link.
const ackLabel = "I have read it"

// oneLine turns s into a single line: invalid UTF-8 is replaced, every control, line or
// paragraph separator becomes a space, runs of spaces collapse and the ends are trimmed.
func oneLine(s string) string {
	if isOneLine(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	var b strings.Builder
	b.Grow(len(s))
	space := false
	for _, r := range s {
		if unicode.IsControl(r) || unicode.IsSpace(r) || r == '\u2028' || r == '\u2029' {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(r)
	}
	return b.String()
}

// multiLine normalizes s to "\n" line breaks (CR LF, lone CR and Unicode separators included),
// drops every other control character except tab, trims trailing space on each line and the
// blank lines around the text.
func multiLine(s string) string {
	if isMultiLine(s) {
		return s
	}
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	s = strings.NewReplacer("\r\n", "\n", "\r", "\n", "\u2028", "\n", "\u2029", "\n\n", "\u0085", "\n").Replace(s)
	var b strings.Builder
	b.Grow(len(s))
	for _, r := range s {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			b.WriteRune(r)
		}
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRightFunc(l, unicode.IsSpace)
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

// isOneLine reports, for the common printable-ASCII case, that oneLine would not change s.
func isOneLine(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < ' ' || c >= 0x7f || c == ' ' && (i == 0 || i == len(s)-1 || s[i-1] == ' ') {
			return false
		}
	}
	return true
}

// isMultiLine reports, for the common printable-ASCII case, that multiLine would not change s.
func isMultiLine(s string) bool {
	if s != "" && (s[0] == '\n' || s[len(s)-1] == '\n') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' || c == ' ' || c == '\t' {
			if i == len(s)-1 || c != '\n' && s[i+1] == '\n' {
				return false // trailing space on a line
			}
			continue
		}
		if c < ' ' || c >= 0x7f {
			return false
		}
	}
	return true
}

// truncate shortens s to at most n runes, ending with an ellipsis when it cut.
func truncate(s string, n int) string { return amends.Shorten(s, n) }

// facts are the label/value pairs every channel shows: the message's Fields, or Severity and
// Status when it has none. Call it on a cleaned message.
func (m Message) facts() []Field {
	if len(m.Fields) > 0 {
		return m.Fields
	}
	var fs []Field
	if m.Severity != "" {
		fs = append(fs, Field{"Severity", m.Severity})
	}
	if m.Status != "" {
		fs = append(fs, Field{"Status", m.Status})
	}
	return fs
}

// linkNote is the sentence that introduces the link at the foot of a message.
func (m Message) linkNote() string {
	if m.LinkNote != "" {
		return oneLine(m.LinkNote)
	}
	return "The incident page is the single source of truth"
}

package amends

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on customer messages, enforced by ValidateMessage.
const (
	MaxMessageSubject = 200   // characters, one line
	MaxMessageBody    = 50000 // bytes
	MaxOverride       = 1000  // characters of the reason to send a message that does not own the mistake
)

// MessageKind is the moment a customer message is written for.
type MessageKind string

// Message kinds: the moments that matter to the customers a mistake reached.
const (
	MessageAcknowledgement MessageKind = "acknowledgement" // the first word: we know, we are sorry, here is when you hear next
	MessageUpdate          MessageKind = "update"          // what changed, or that nothing has, and when the next update comes
	MessageResolution      MessageKind = "resolution"      // it is fixed; what we did; what it meant for you
	MessageFollowup        MessageKind = "followup"        // the postmortem and the promises, with dates
)

// MessageKinds lists the kinds in the order of an incident's life.
var MessageKinds = []MessageKind{MessageAcknowledgement, MessageUpdate, MessageResolution, MessageFollowup}

// Valid reports whether k is one of MessageKinds.
func (k MessageKind) Valid() bool { return slices.Contains(MessageKinds, k) }

// Validate returns an EInvalid error naming field "kind" when k is not a kind.
func (k MessageKind) Validate() error {
	if !k.Valid() {
		return Errorf(EInvalid, "kind", "must be acknowledgement, update, resolution or followup; got %q", string(k))
	}
	return nil
}

// Label is the human name of a kind.
func (k MessageKind) Label() string {
	switch k {
	case MessageAcknowledgement:
		return "First acknowledgement"
	case MessageUpdate:
		return "Update"
	case MessageResolution:
		return "Resolution"
	case MessageFollowup:
		return "Follow-up"
	}
	return string(k)
}

// Message states. A draft becomes approved when enough people other than the author of its
// latest version have approved that version; an edit makes it a draft again; sent is final.
const (
	MessageDraft    = "draft"
	MessageApproved = "approved"
	MessageSent     = "sent"
)

// PurposeCustomer is the purpose of a delivery that carries a customer message to one customer.
const PurposeCustomer = "customer"

// Message is a communication to an incident's impacted customers. Its text is versioned: each
// edit is a new version with its own ownership-check report, and only approvals of the latest
// version count. Approving freezes the text and its report; sending renders it for every
// recipient of the audience.
type Message struct {
	ID         int64       `json:"id"`
	IncidentID int64       `json:"-"`
	Ref        string      `json:"ref"`
	Kind       MessageKind `json:"kind"`
	Subject    string      `json:"subject"`
	Body       string      `json:"body"`
	// State is draft, approved or sent (see the constants).
	State   string `json:"state"`
	Version int    `json:"version"`
	// Author wrote the latest version, and so cannot approve it.
	Author string `json:"author"`
	// Approvals of every version, oldest first; only those of Version count (see Approved).
	Approvals []Approval `json:"approvals"`
	// RequiredApprovals is what the incident's severity asks for now (RequiredApprovals).
	RequiredApprovals int `json:"required_approvals"`
	// Owns and Score are the ownership check's verdict on the latest version; Report is the
	// whole report as JSON, of the text CheckedText(Subject, Body).
	Owns           bool       `json:"owns"`
	Score          int        `json:"score"`
	Report         string     `json:"-"`
	OverrideReason string     `json:"override_reason"`
	Recipients     int        `json:"recipients"`
	SentAt         *time.Time `json:"sent_at"`
	SentBy         string     `json:"sent_by"`
	CreatedAt      time.Time  `json:"created_at"`
	UpdatedAt      time.Time  `json:"updated_at"`
}

// MarshalJSON writes the message with its report as a JSON object rather than a string.
func (m Message) MarshalJSON() ([]byte, error) {
	type plain Message
	report := json.RawMessage("null")
	if m.Report != "" && json.Valid([]byte(m.Report)) {
		report = json.RawMessage(m.Report)
	}
	if m.Approvals == nil {
		m.Approvals = []Approval{}
	}
	return json.Marshal(struct {
		plain
		Approved int             `json:"approved"`
		Report   json.RawMessage `json:"report"`
	}{plain(m), m.Approved(), report})
}

// Approved counts the approvals of the latest version, the only ones that count.
func (m Message) Approved() int {
	n := 0
	for _, a := range m.Approvals {
		if a.Version == m.Version {
			n++
		}
	}
	return n
}

// ApprovedBy reports whether name approved the latest version.
func (m Message) ApprovedBy(name string) bool {
	for _, a := range m.Approvals {
		if a.Version == m.Version && a.By == name {
			return true
		}
	}
	return false
}

// Approval is one person's approval of one version of a message.
type Approval struct {
	By      string    `json:"by"`
	At      time.Time `json:"at"`
	Version int       `json:"version"`
}

// MessageVersion is one version of a message's text, as its author saved it, with the
// ownership check's verdict on it. Diff is the change from the version before (nil for the first).
type MessageVersion struct {
	Version int        `json:"version"`
	Subject string     `json:"subject"`
	Body    string     `json:"body"`
	Author  string     `json:"author"`
	At      time.Time  `json:"at"`
	Owns    bool       `json:"owns"`
	Score   int        `json:"score"`
	Report  string     `json:"-"`
	Diff    []DiffLine `json:"diff"`
}

// MarshalJSON writes the version with its report as a JSON object.
func (v MessageVersion) MarshalJSON() ([]byte, error) {
	type plain MessageVersion
	report := json.RawMessage("null")
	if v.Report != "" && json.Valid([]byte(v.Report)) {
		report = json.RawMessage(v.Report)
	}
	return json.Marshal(struct {
		plain
		Report json.RawMessage `json:"report"`
	}{plain(v), report})
}

// RequiredApprovals is how many people other than its author must approve a customer message
// before it can go out: two for sev1–2, one for sev3–4.
func RequiredApprovals(sev Severity) int {
	if sev <= 2 {
		return 2
	}
	return 1
}

// CheckedText is the text the ownership check reads for a message: the subject, a blank line
// and the body. The offsets of the report's findings point into it.
func CheckedText(subject, body string) string { return subject + "\n\n" + body }

// ValidateMessage checks a message's text: a subject of one line, 1 to MaxMessageSubject
// characters, without control characters (so it can never add a header to an email); a body of
// 1 to MaxMessageBody bytes of UTF-8 without NUL or control characters other than line breaks
// and tabs; and placeholders that are well formed. Markup is allowed and is text: every
// surface escapes it.
func ValidateMessage(subject, body string) error {
	if strings.TrimSpace(subject) == "" {
		return Errorf(EInvalid, "subject", "is required")
	}
	if err := validateLine("subject", subject, MaxMessageSubject); err != nil {
		return err
	}
	if strings.TrimSpace(body) == "" {
		return Errorf(EInvalid, "body", "is required")
	}
	if err := validateBody("body", body, MaxMessageBody); err != nil {
		return err
	}
	if _, err := placeholders("subject", subject); err != nil {
		return err
	}
	_, err := placeholders("body", body)
	return err
}

func validateBody(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return Errorf(EInvalid, field, "is not valid UTF-8")
	}
	if len(v) > max {
		return Errorf(EInvalid, field, "is %d bytes; at most %d", len(v), max)
	}
	for _, r := range v {
		if r < 0x20 && r != '\n' && r != '\r' && r != '\t' || r == 0x7f {
			return Errorf(EInvalid, field, "contains a control character (U+%04X)", r)
		}
	}
	return nil
}

// ValidateOverride checks the reason given to send a message that does not own the mistake.
func ValidateOverride(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return Errorf(EInvalid, "override", "this message does not own the mistake; give a reason to send it anyway")
	}
	return validateText("override", reason, MaxOverride)
}

package channel

import (
	"errors"
	"strings"
	"testing"

	"github.com/amends/amends"
)

func TestMessageValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(*Message)
		field  string // "" when valid
	}{
		{"sample", func(*Message) {}, ""},
		{"uuid delivery id", func(m *Message) { m.DeliveryID = "3f2b9c1e-8d4a-4f6b-9a51-0c7e2d1b5a90" }, ""},
		{"no ack link", func(m *Message) { m.AckLink = "" }, ""},
		{"title only", func(m *Message) { m.Subject = "" }, ""},
		{"no delivery id", func(m *Message) { m.DeliveryID = "" }, "delivery_id"},
		{"delivery id with CR/LF", func(m *Message) { m.DeliveryID = "a\r\nb" }, "delivery_id"},
		{"delivery id with @", func(m *Message) { m.DeliveryID = "a@b" }, "delivery_id"},
		{"delivery id with ..", func(m *Message) { m.DeliveryID = "a..b" }, "delivery_id"},
		{"delivery id ending in .", func(m *Message) { m.DeliveryID = "a." }, "delivery_id"},
		{"delivery id too long", func(m *Message) { m.DeliveryID = strings.Repeat("a", 129) }, "delivery_id"},
		{"no event", func(m *Message) { m.Event = "" }, "event"},
		{"event with space", func(m *Message) { m.Event = "incident declared" }, "event"},
		{"event upper case", func(m *Message) { m.Event = "Incident.Declared" }, "event"},
		{"no subject or title", func(m *Message) { m.Subject, m.Title = " ", "\r\n" }, "subject"},
		{"no link", func(m *Message) { m.Link = "" }, "link"},
		{"relative link", func(m *Message) { m.Link = "/incidents/INC-4" }, "link"},
		{"javascript link", func(m *Message) { m.Link = "javascript:alert(1)" }, "link"},
		{"javascript ack link", func(m *Message) { m.AckLink = "javascript:alert(1)" }, "ack_link"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := sampleMessage()
			tt.change(&m)
			err := m.Validate()
			if tt.field == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ae *amends.Error
			if !errors.As(err, &ae) || ae.Code != amends.EInvalid || ae.Field != tt.field {
				t.Fatalf("Validate = %v, want an invalid error on %q", err, tt.field)
			}
		})
	}
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"plain", "plain"},
		{"  padded  ", "padded"},
		{"a\r\nBcc: b", "a Bcc: b"},
		{"a\rb\nc\td", "a b c d"},
		{"a\u2028b\u2029c\u0085d", "a b c d"},
		{"a\x00b\x1bc\x7fd", "a b c d"},
		{"many   spaces", "many spaces"},
		{"bad \xff utf-8", "bad \ufffd utf-8"},
		{"café — ok", "café — ok"},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestMultiLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a\r\nb\rc\nd", "a\nb\nc\nd"},
		{"\n\nkeep\n\nparagraphs\n\n", "keep\n\nparagraphs"},
		{"tab\tstays", "tab\tstays"},
		{"bell\x07 and nul\x00 go", "bell and nul go"},
		{"trailing   \nspace", "trailing\nspace"},
		{"a\u2028b\u2029c", "a\nb\n\nc"},
	}
	for _, tt := range tests {
		if got := multiLine(tt.in); got != tt.want {
			t.Errorf("multiLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestHeadline(t *testing.T) {
	tests := []struct {
		ref, subject, title, want string
	}{
		{"INC-4", "Wrong list", "Title", "[INC-4] Wrong list"},
		{"INC-4", "", "Title", "[INC-4] Title"},
		{"INC-4", "[INC-4] Already prefixed", "", "[INC-4] Already prefixed"},
		{"", "No ref", "", "No ref"},
	}
	for _, tt := range tests {
		m := Message{Ref: tt.ref, Subject: tt.subject, Title: tt.title}.clean()
		if got := m.headline(); got != tt.want {
			t.Errorf("headline(%q, %q, %q) = %q, want %q", tt.ref, tt.subject, tt.title, got, tt.want)
		}
	}
}

func TestErrorMessage(t *testing.T) {
	tests := []struct {
		err  *Error
		want string
	}{
		{&Error{Permanent: true, Status: 404, Err: errors.New("hooks.example.com answered 404 Not Found")}, "permanent failure: hooks.example.com answered 404 Not Found"},
		{&Error{RetryAfter: 30e9, Status: 429, Err: errors.New("hooks.example.com answered 429 Too Many Requests")}, "temporary failure: hooks.example.com answered 429 Too Many Requests (retry after 30s)"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
		if !errors.Is(tt.err, tt.err.Err) {
			t.Errorf("errors.Is does not reach the cause")
		}
	}
	if IsPermanent(errors.New("plain")) || IsPermanent(nil) {
		t.Error("IsPermanent is true for an error that is not an *Error")
	}
}

// TestCleanFastPathsAgree checks that the shortcuts for clean ASCII never disagree with the full
// cleaning.
func TestCleanFastPathsAgree(t *testing.T) {
	inputs := []string{"é", "a\x7fb", "a\rb", "a\x00"}
	// Every string of up to six characters over the alphabet that matters.
	var gen func(prefix string)
	gen = func(prefix string) {
		inputs = append(inputs, prefix)
		if len(prefix) < 6 {
			for _, c := range []string{"a", " ", "\n", "\t"} {
				gen(prefix + c)
			}
		}
	}
	gen("")
	for _, s := range inputs {
		if isOneLine(s) && oneLine(s) != s {
			t.Errorf("isOneLine(%q) but oneLine changes it to %q", s, oneLine(s))
		}
		if isMultiLine(s) && multiLine(s) != s {
			t.Errorf("isMultiLine(%q) but multiLine changes it to %q", s, multiLine(s))
		}
	}
}

package channel

import (
	"context"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestEmailListUnsubscribe(t *testing.T) {
	s := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	e := newTestEmail(t, s.URL())
	m := sampleMessage()
	m.Unsubscribe = "https://status.example.com/status/unsubscribe/abcDEF123_-"
	if err := e.Send(context.Background(), emailTo("dana@example.com", ""), m); err != nil {
		t.Fatal(err)
	}
	h, _, _ := readMail(t, s.Mails()[0].Data)
	if got, want := h.Get("List-Unsubscribe"), "<"+m.Unsubscribe+">"; got != want {
		t.Errorf("List-Unsubscribe = %q, want %q", got, want)
	}
	if got, want := h.Get("List-Unsubscribe-Post"), "List-Unsubscribe=One-Click"; got != want {
		t.Errorf("List-Unsubscribe-Post = %q, want %q", got, want)
	}
	plain := sampleMessage()
	if err := e.Send(context.Background(), emailTo("dana@example.com", ""), plain); err != nil {
		t.Fatal(err)
	}
	if h, _, _ := readMail(t, s.Mails()[1].Data); h.Get("List-Unsubscribe") != "" || h.Get("List-Unsubscribe-Post") != "" {
		t.Error("a message without Unsubscribe has List-Unsubscribe headers")
	}
	for _, bad := range []string{"ftp://example.com/u", "/status/unsubscribe/x", "https://example.com/u\r\nBcc: evil@example.com",
		"https://example.com/u>, <mailto:evil@example.com", "https://example.com/a b"} {
		m.Unsubscribe = bad
		if err := m.Validate(); amends.ErrorCode(err) != amends.EInvalid {
			t.Errorf("Unsubscribe %q: %v, want invalid", bad, err)
		}
	}
}

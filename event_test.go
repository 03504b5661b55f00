package amends_test

import (
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
)

func TestEventHashCoversEveryField(t *testing.T) {
	one := int64(1)
	base := amends.Event{IncidentID: 7, Seq: 3, Kind: amends.KindNote, Body: "we found it",
		At: time.Date(2026, 11, 3, 14, 55, 0, 0, time.UTC), RecordedAt: time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC),
		Actor: "ana", Visibility: amends.Internal}
	h := base.ComputeHash("prev")
	if h != base.ComputeHash("prev") || len(h) != 64 {
		t.Fatalf("hash is not a stable SHA-256 hex: %q", h)
	}
	changes := map[string]func(e *amends.Event){
		"incident":   func(e *amends.Event) { e.IncidentID = 8 },
		"seq":        func(e *amends.Event) { e.Seq = 4 },
		"kind":       func(e *amends.Event) { e.Kind = amends.KindRootCause },
		"body":       func(e *amends.Event) { e.Body = "we found it." },
		"at":         func(e *amends.Event) { e.At = e.At.Add(time.Microsecond) },
		"recorded":   func(e *amends.Event) { e.RecordedAt = e.RecordedAt.Add(time.Second) },
		"actor":      func(e *amends.Event) { e.Actor = "bo" },
		"visibility": func(e *amends.Event) { e.Visibility = amends.Public },
		"corrects":   func(e *amends.Event) { e.Corrects = &one },
		// Length-prefixing keeps field boundaries: moving a character between fields changes the hash.
		"boundary": func(e *amends.Event) { e.Body, e.Actor = "we found i", "tana" },
	}
	for name, change := range changes {
		e := base
		change(&e)
		if e.ComputeHash("prev") == h {
			t.Errorf("changing %s leaves the hash unchanged", name)
		}
	}
	if base.ComputeHash("other") == h {
		t.Error("the previous hash is not part of the chain")
	}
}

func TestNewEventValidate(t *testing.T) {
	noticed := time.Date(2026, 11, 3, 14, 39, 0, 0, time.UTC)
	now := noticed.Add(time.Hour)
	inc := &amends.Incident{NoticedAt: noticed}
	ptr := func(t time.Time) *time.Time { return &t }
	id := int64(3)
	cases := []struct {
		name  string
		ev    amends.NewEvent
		field string // "" for valid
	}{
		{"plain note", amends.NewEvent{Body: "x"}, ""},
		{"back-dated", amends.NewEvent{Body: "x", At: ptr(noticed.Add(4 * time.Minute))}, ""},
		{"at now with skew", amends.NewEvent{Body: "x", At: ptr(now.Add(30 * time.Second))}, ""},
		{"future", amends.NewEvent{Body: "x", At: ptr(now.Add(2 * time.Minute))}, "at"},
		{"before noticed", amends.NewEvent{Body: "x", At: ptr(noticed.Add(-time.Minute))}, "at"},
		{"noticed earlier is a correction of noticed", amends.NewEvent{Kind: amends.KindNoticed, Body: "x", At: ptr(noticed.Add(-time.Hour))}, ""},
		{"empty note", amends.NewEvent{}, "body"},
		{"root cause without body", amends.NewEvent{Kind: amends.KindRootCause}, ""},
		{"status is not recordable", amends.NewEvent{Kind: amends.KindStatus, Body: "resolved"}, "kind"},
		{"unknown kind", amends.NewEvent{Kind: "x", Body: "x"}, "kind"},
		{"visibility", amends.NewEvent{Body: "x", Visibility: "everyone"}, "visibility"},
		{"correction without target", amends.NewEvent{Kind: amends.KindCorrection, Body: "x"}, "corrects"},
		{"correction", amends.NewEvent{Kind: amends.KindCorrection, Body: "x", Corrects: &id}, ""},
		{"body too long", amends.NewEvent{Body: strings.Repeat("a", amends.MaxBody+1)}, "body"},
		{"invalid utf-8", amends.NewEvent{Body: "\xff"}, "body"},
	}
	for _, c := range cases {
		c.ev.Normalize()
		err := c.ev.Validate(inc, now)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if e := amends.ErrorOf(err); e == nil || e.Field != c.field {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
	}
}

func TestNewIncidentValidate(t *testing.T) {
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		in    amends.NewIncident
		field string
	}{
		{"ok", amends.NewIncident{Title: "Wrong renewal email sent", Severity: 2}, ""},
		{"200 runes", amends.NewIncident{Title: strings.Repeat("é", 200), Severity: 1}, ""},
		{"201 runes", amends.NewIncident{Title: strings.Repeat("é", 201), Severity: 1}, "title"},
		{"blank", amends.NewIncident{Title: " \t", Severity: 1}, "title"},
		{"newline", amends.NewIncident{Title: "a\r\nBcc: x", Severity: 1}, "title"},
		{"severity", amends.NewIncident{Title: "a", Severity: 9}, "severity"},
		{"component with comma", amends.NewIncident{Title: "a", Severity: 1, Components: []string{"a,b"}}, "components"},
		{"year 1970", amends.NewIncident{Title: "a", Severity: 1, NoticedAt: &time.Time{}}, "noticed_at"},
	}
	for _, c := range cases {
		c.in.Normalize()
		err := c.in.Validate(now)
		if c.field == "" && err != nil {
			t.Errorf("%s: %v", c.name, err)
		}
		if c.field != "" {
			if e := amends.ErrorOf(err); e == nil || e.Field != c.field {
				t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
			}
		}
	}
}

func TestAckToken(t *testing.T) {
	tok := amends.AckToken("secret", 42)
	if id, err := amends.ParseAckToken("secret", tok); err != nil || id != 42 {
		t.Fatalf("round trip: %d %v", id, err)
	}
	forged := []string{
		amends.AckToken("other secret", 42),
		strings.Replace(tok, "42.", "43.", 1),
		"42", "", "x.y", tok + "a", "-1." + strings.SplitN(tok, ".", 2)[1],
	}
	for _, f := range forged {
		if _, err := amends.ParseAckToken("secret", f); amends.ErrorCode(err) != amends.ENotFound {
			t.Errorf("ParseAckToken(%q) = %v, want refused", f, err)
		}
	}
}

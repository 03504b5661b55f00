package amends

import (
	"strings"
	"testing"
	"time"
)

func TestNewActionItemValidate(t *testing.T) {
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	ok := NewActionItem{Title: "Test the segment filter", Kind: ActionPrevention, Owner: "ines", Due: now.Add(72 * time.Hour)}
	for _, c := range []struct {
		name  string
		edit  func(n *NewActionItem)
		field string
	}{
		{"valid", func(n *NewActionItem) {}, ""},
		{"due later today", func(n *NewActionItem) { n.Due = EndOfDay(now, time.UTC) }, ""},
		{"github ticket", func(n *NewActionItem) { n.TicketURL = "https://github.com/acme/app/issues/7" }, ""},
		{"http ticket", func(n *NewActionItem) { n.TicketURL = "http://linear.example/ISS-1" }, ""},
		{"no title", func(n *NewActionItem) { n.Title = "" }, "title"},
		{"two-line title", func(n *NewActionItem) { n.Title = "a\nb" }, "title"},
		{"long title", func(n *NewActionItem) { n.Title = strings.Repeat("x", MaxTitle+1) }, "title"},
		{"no kind", func(n *NewActionItem) { n.Kind = "" }, "kind"},
		{"unknown kind", func(n *NewActionItem) { n.Kind = "hope" }, "kind"},
		{"no owner", func(n *NewActionItem) { n.Owner = "" }, "owner"},
		{"owner not a name", func(n *NewActionItem) { n.Owner = "the team" }, "owner"},
		{"no due", func(n *NewActionItem) { n.Due = time.Time{} }, "due"},
		{"due in the past", func(n *NewActionItem) { n.Due = now.Add(-time.Second) }, "due"},
		{"due too far", func(n *NewActionItem) { n.Due = now.AddDate(6, 0, 0) }, "due"},
		{"javascript ticket", func(n *NewActionItem) { n.TicketURL = "javascript:alert(1)" }, "ticket_url"},
		{"relative ticket", func(n *NewActionItem) { n.TicketURL = "/browse/OPS-1" }, "ticket_url"},
		{"ticket with space", func(n *NewActionItem) { n.TicketURL = "https://x.example/a b" }, "ticket_url"},
		{"long ticket", func(n *NewActionItem) { n.TicketURL = "https://x.example/" + strings.Repeat("a", MaxTicketURL) }, "ticket_url"},
	} {
		n := ok
		c.edit(&n)
		err := n.Validate(now)
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if e := ErrorOf(err); e == nil || e.Code != EInvalid || e.Field != c.field {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
	}
}

func TestActionItemUpdateAndDrop(t *testing.T) {
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	past, empty, bad := now.Add(-time.Hour), "", "ftp://x"
	for _, c := range []struct {
		name  string
		u     ActionItemUpdate
		field string
	}{
		{"nothing", ActionItemUpdate{}, ""},
		{"past due", ActionItemUpdate{Due: &past}, "due"},
		{"empty title", ActionItemUpdate{Title: &empty}, "title"},
		{"empty owner", ActionItemUpdate{Owner: &empty}, "owner"},
		{"bad ticket", ActionItemUpdate{TicketURL: &bad}, "ticket_url"},
	} {
		if e := ErrorOf(c.u.Validate(now)); e == nil || e.Code != EInvalid || e.Field != c.field {
			t.Errorf("%s: %v, want invalid %q", c.name, e, c.field)
		}
	}
	if err := (ActionItemUpdate{TicketURL: &empty}).Validate(now); err != nil {
		t.Errorf("removing the ticket: %v", err)
	}
	for reason, want := range map[string]bool{"": false, "  ": false, "done by phone": true, strings.Repeat("x", MaxDropReason+1): false} {
		if got := ValidateDropReason(reason) == nil; got != want {
			t.Errorf("drop reason %q: ok %v, want %v", reason[:min(len(reason), 20)], got, want)
		}
	}
}

func TestParseDue(t *testing.T) {
	paris, _ := time.LoadLocation("Europe/Paris")
	if paris == nil {
		paris = time.FixedZone("CET", 3600)
	}
	got, err := ParseDue("2026-11-20", paris)
	if err != nil || !got.Equal(time.Date(2026, 11, 20, 23, 59, 59, 0, paris)) {
		t.Errorf("date: %v %v", got, err)
	}
	got, err = ParseDue("2026-11-20T10:00:00Z", paris)
	if err != nil || !got.Equal(time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("instant: %v %v", got, err)
	}
	for _, v := range []string{"", "20/11/2026", "tomorrow"} {
		if _, err := ParseDue(v, paris); ErrorOf(err) == nil || ErrorOf(err).Field != "due" {
			t.Errorf("%q: %v", v, err)
		}
	}
}

func TestActionReminders(t *testing.T) {
	loc := time.UTC
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, loc)
	stages := func(rs []ActionReminder) map[string]time.Time {
		m := map[string]time.Time{}
		for _, r := range rs {
			m[r.Stage] = r.At
		}
		return m
	}
	due := EndOfDay(time.Date(2026, 11, 10, 0, 0, 0, 0, loc), loc)
	got := stages(ActionReminders(now, due, loc))
	want := map[string]time.Time{ReminderBefore: due.Add(-48 * time.Hour), ReminderDue: time.Date(2026, 11, 10, 9, 0, 0, 0, loc),
		ReminderOverdue: due.Add(24 * time.Hour)}
	for k, v := range want {
		if !got[k].Equal(v) {
			t.Errorf("long: %s at %v, want %v", k, got[k], v)
		}
	}
	// Due tomorrow: half-way, before the morning of the due day.
	due = EndOfDay(now.Add(24*time.Hour), loc)
	got = stages(ActionReminders(now, due, loc))
	if half := now.Add(due.Sub(now) / 2); !got[ReminderBefore].Equal(half) || got[ReminderDue].IsZero() {
		t.Errorf("short: %v, want before at %v", got, half)
	}
	// Due tonight: the morning reminder has passed; half-way is the one.
	due = EndOfDay(now, loc)
	got = stages(ActionReminders(now, due, loc))
	if _, ok := got[ReminderDue]; ok || !got[ReminderBefore].After(now) || !got[ReminderOverdue].Equal(due.Add(24*time.Hour)) {
		t.Errorf("today: %v", got)
	}
}

func TestActionItemStates(t *testing.T) {
	due := time.Date(2026, 11, 10, 23, 59, 59, 0, time.UTC)
	early, late := due.Add(-time.Hour), due.Add(time.Hour)
	if !(ActionItem{State: ActionOpen, Due: due}).Overdue(late) || (ActionItem{State: ActionDone, Due: due}).Overdue(late) {
		t.Error("overdue")
	}
	if !(ActionItem{State: ActionDone, Due: due, DoneAt: &early}).KeptOnTime() || (ActionItem{State: ActionDone, Due: due, DoneAt: &late}).KeptOnTime() {
		t.Error("kept on time")
	}
}

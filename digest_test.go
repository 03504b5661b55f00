package amends_test

import (
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
)

func TestDigestWeek(t *testing.T) {
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		now      time.Time
		loc      *time.Location
		wantWeek string
		wantDue  time.Time
		wantNext time.Time
	}{
		{"monday before eight belongs to last week", time.Date(2026, 11, 23, 7, 59, 0, 0, time.UTC), time.UTC,
			"2026-W47", time.Date(2026, 11, 16, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)},
		{"monday at eight starts the week", time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), time.UTC,
			"2026-W48", time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		{"sunday night", time.Date(2026, 11, 29, 23, 0, 0, 0, time.UTC), time.UTC,
			"2026-W48", time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		{"thursday", time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), time.UTC,
			"2026-W48", time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC), time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)},
		{"new year: ISO week of the Monday", time.Date(2027, 1, 1, 12, 0, 0, 0, time.UTC), time.UTC,
			"2026-W53", time.Date(2026, 12, 28, 8, 0, 0, 0, time.UTC), time.Date(2027, 1, 4, 8, 0, 0, 0, time.UTC)},
		// 07:30 UTC is 08:30 in Paris in winter: the Paris week has begun.
		{"server zone decides", time.Date(2026, 11, 23, 7, 30, 0, 0, time.UTC), paris,
			"2026-W48", time.Date(2026, 11, 23, 8, 0, 0, 0, paris), time.Date(2026, 11, 30, 8, 0, 0, 0, paris)},
		// The clocks go back on Sunday 25 October 2026; Monday 08:00 is still 08:00 local.
		{"across a change of summer time", time.Date(2026, 10, 27, 12, 0, 0, 0, paris), paris,
			"2026-W44", time.Date(2026, 10, 26, 8, 0, 0, 0, paris), time.Date(2026, 11, 2, 8, 0, 0, 0, paris)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			week, due := amends.DigestWeek(tt.now, tt.loc)
			if week != tt.wantWeek || !due.Equal(tt.wantDue) {
				t.Errorf("DigestWeek(%s) = %s, %s; want %s, %s", tt.now, week, due, tt.wantWeek, tt.wantDue)
			}
			if next := amends.NextDigestAt(tt.now, tt.loc); !next.Equal(tt.wantNext) {
				t.Errorf("NextDigestAt(%s) = %s, want %s", tt.now, next, tt.wantNext)
			}
		})
	}
}

func TestDigestItemsAndText(t *testing.T) {
	now := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	day := func(d int) time.Time { return time.Date(2026, 11, 23+d, 23, 59, 59, 0, time.UTC) }
	done := now.Add(-time.Hour)
	items := []*amends.ActionItem{
		{ID: 1, Ref: "INC-4", Title: "Add a canary stage", Kind: amends.ActionPrevention, Due: day(6), State: amends.ActionOpen, Public: true},
		{ID: 2, Ref: "INC-4", Title: "Refund affected invoices", Kind: amends.ActionFix, Due: day(-3), State: amends.ActionOpen, TicketURL: "https://tracker.example/T-9"},
		{ID: 3, Ref: "INC-5", Title: "Far away", Kind: amends.ActionProcess, Due: day(20), State: amends.ActionOpen},
		{ID: 4, Ref: "INC-5", Title: "Already done", Kind: amends.ActionFix, Due: day(1), State: amends.ActionDone, DoneAt: &done},
		{ID: 5, Ref: "INC-6", Title: "Call the largest account", Kind: amends.ActionCommunication, Due: day(1), State: amends.ActionOpen},
		{ID: 6, Ref: "INC-6", Title: "Dropped", Kind: amends.ActionFix, Due: day(1), State: amends.ActionDropped},
	}
	got := amends.DigestItems(items, now)
	var ids []int64
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if want := []int64{2, 5, 1}; !equalIDs(ids, want) {
		t.Fatalf("digest items = %v, want %v (overdue and due within seven days, soonest first)", ids, want)
	}
	if none := amends.DigestItems(items[2:4], now); len(none) != 0 {
		t.Errorf("items far away or done make a digest: %v", none)
	}

	subject, body := amends.MakeDigest("alice", got, now, time.UTC)
	if want := "This week: 1 item overdue, 2 items due"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	for _, want := range []string{
		"Hello alice,",
		"Overdue:\n- INC-4 Refund affected invoices (fix, due Fri 20 Nov)\n  Ticket: https://tracker.example/T-9\n",
		"Due in the next seven days:\n- INC-6 Call the largest account (communication, due Tue 24 Nov)\n- INC-4 Add a canary stage (prevention, due Sun 29 Nov — promised to customers)\n",
		"Mark each done when it is, or drop it with a reason.\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "Far away") || strings.Contains(body, "Already done") {
		t.Errorf("body lists items that are not owed this week:\n%s", body)
	}

	subject, _ = amends.MakeDigest("bob", got[1:2], now, time.UTC)
	if want := "This week: 1 item due"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
	subject, _ = amends.MakeDigest("bob", got[:1], now, time.UTC)
	if want := "This week: 1 item overdue"; subject != want {
		t.Errorf("subject = %q, want %q", subject, want)
	}
}

func equalIDs(a, b []int64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

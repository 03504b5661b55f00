package store_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// digestDeliveries returns the digest deliveries among the jobs recorded since from, by address.
func digestDeliveries(t *testing.T, s *store.Store, rec *recorder, from int) map[string]*amends.Delivery {
	t.Helper()
	rec.mu.Lock()
	jobs := append([]store.Job(nil), rec.jobs[from:]...)
	rec.mu.Unlock()
	out := map[string]*amends.Delivery{}
	for _, j := range jobs {
		if j.Kind != store.JobDeliver {
			continue
		}
		d, err := s.Delivery(context.Background(), j.DeliveryID)
		if err != nil {
			t.Fatal(err)
		}
		if d.Purpose == amends.PurposeDigest {
			out[d.Address] = d
		}
	}
	return out
}

func TestWeeklyDigestOncePerPersonPerWeek(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		day := func(d int) time.Time { return clock.Now().Add(time.Duration(d) * 24 * time.Hour) }
		add := func(title, owner string, due time.Time, public bool) *amends.ActionItem {
			a, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: title, Kind: amends.ActionFix, Owner: owner, Due: due, Public: public}, responder)
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		add("Add a canary stage", "Ines", day(4), true)
		later := add("Rewrite the invoice job", "Ines", day(20), false)
		refund := add("Refund the invoices", "Omar", day(1), false)

		// Nothing is owed by anyone else; a person who owes nothing far ahead gets nothing.
		clock.Advance(48 * time.Hour) // Omar's refund is now overdue
		from := len(rec.jobs)
		n, err := s.SendDigests(ctx)
		if err != nil || n != 2 {
			t.Fatalf("SendDigests = %d, %v; want 2 people", n, err)
		}
		got := digestDeliveries(t, s, rec, from)
		if len(got) != 3 { // Ines by email and Slack, Omar by email
			t.Fatalf("digest deliveries to %v, want Ines twice and Omar once", keys(got))
		}
		ines, omar := got["ines@example.com"], got["omar@example.com"]
		if ines == nil || omar == nil || got["http://127.0.0.1:1/slack"] == nil {
			t.Fatalf("digest deliveries to %v", keys(got))
		}
		if ines.Ref != "" || ines.IncidentID != 0 || ines.State != amends.DeliveryPending {
			t.Errorf("a digest belongs to no incident and waits to be sent: %+v", ines)
		}
		if !strings.Contains(ines.Body, "Add a canary stage") || strings.Contains(ines.Body, later.Title) || strings.Contains(ines.Body, refund.Title) {
			t.Errorf("Ines's digest lists the wrong items:\n%s", ines.Body)
		}
		if want := "This week: 1 item overdue"; omar.Subject != want || !strings.Contains(omar.Body, "Overdue:\n- "+inc.Ref+" Refund the invoices") {
			t.Errorf("Omar's digest: %q\n%s", omar.Subject, omar.Body)
		}

		// The same week again, on this replica or another: nothing more.
		from = len(rec.jobs)
		if n, err := s.SendDigests(ctx); err != nil || n != 0 || len(digestDeliveries(t, s, rec, from)) != 0 {
			t.Errorf("second run in the same week sent %d digests (%v)", n, err)
		}

		// A week later: Omar did his; Ines's far item has come within the week.
		if _, err := s.ActionItemDone(ctx, refund.ID, responder); err != nil {
			t.Fatal(err)
		}
		clock.Advance(12 * 24 * time.Hour)
		from = len(rec.jobs)
		if n, err := s.SendDigests(ctx); err != nil || n != 1 {
			t.Fatalf("next week's SendDigests = %d, %v; want Ines only", n, err)
		}
		got = digestDeliveries(t, s, rec, from)
		if d := got["ines@example.com"]; d == nil || !strings.Contains(d.Body, later.Title) || got["omar@example.com"] != nil {
			t.Errorf("next week's digests to %v", keys(got))
		}
	})
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

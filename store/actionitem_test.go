package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// setupPeople makes Ines and Omar users (Ines owns action items, Omar owns the incident) with
// contacts named like them, and one incident owned by Omar.
func setupPeople(t *testing.T, s *store.Store) *amends.Incident {
	t.Helper()
	ctx := context.Background()
	setupGroups(t, s)
	for _, n := range []string{"Ines", "Omar"} {
		if _, err := s.CreateUser(ctx, n, amends.Responder, "correct horse battery staple", responder); err != nil {
			t.Fatal(err)
		}
	}
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 3, Owner: "Omar"}, responder)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

func actionJobs(rec *recorder) map[string]time.Time {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	out := map[string]time.Time{}
	for _, j := range rec.jobs {
		if j.Kind == store.JobClock && strings.HasPrefix(j.Note, "action:") {
			out[j.Note] = time.UnixMicro(j.At)
		}
	}
	return out
}

func TestActionItemBadInputStoresNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		before, _ := s.Timeline(ctx, inc.Ref, false)
		jobs := len(rec.jobs)
		next := clock.Now().Add(72 * time.Hour)
		for _, c := range []struct {
			name  string
			in    amends.NewActionItem
			field string
		}{
			{"owner not a user", amends.NewActionItem{Title: "t", Kind: amends.ActionFix, Owner: "Zed", Due: next}, "owner"},
			{"no owner", amends.NewActionItem{Title: "t", Kind: amends.ActionFix, Due: next}, "owner"},
			{"due in the past", amends.NewActionItem{Title: "t", Kind: amends.ActionFix, Owner: "Ines", Due: clock.Now().Add(-time.Hour)}, "due"},
			{"no due", amends.NewActionItem{Title: "t", Kind: amends.ActionFix, Owner: "Ines"}, "due"},
			{"bad kind", amends.NewActionItem{Title: "t", Kind: "wish", Owner: "Ines", Due: next}, "kind"},
			{"no title", amends.NewActionItem{Title: " ", Kind: amends.ActionFix, Owner: "Ines", Due: next}, "title"},
			{"script ticket", amends.NewActionItem{Title: "t", Kind: amends.ActionFix, Owner: "Ines", Due: next, TicketURL: "javascript:alert(1)"}, "ticket_url"},
		} {
			_, err := s.CreateActionItem(ctx, inc.Ref, c.in, responder)
			if e := amends.ErrorOf(err); e == nil || e.Code != amends.EInvalid || e.Field != c.field {
				t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
			}
		}
		if _, err := s.CreateActionItem(ctx, "INC-9", amends.NewActionItem{Title: "t", Kind: amends.ActionFix, Owner: "Ines", Due: next}, responder); code(err) != amends.ENotFound {
			t.Errorf("no incident: %v", err)
		}
		items, err := s.ActionItems(ctx, inc.Ref)
		after, _ := s.Timeline(ctx, inc.Ref, false)
		if err != nil || len(items) != 0 || len(after) != len(before) || len(rec.jobs) != jobs {
			t.Errorf("bad input left %d items, %d events, %d jobs (%v)", len(items), len(after)-len(before), len(rec.jobs)-jobs, err)
		}
	})
}

func TestActionItemRemindersAndEscalation(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		loc := s.Location()
		due, err := amends.ParseDue("2026-11-10", loc)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Test the segment filter", Kind: amends.ActionPrevention,
			Owner: "Ines", Due: due, Public: true, TicketURL: "https://example.atlassian.net/browse/OPS-12"}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if a.State != amends.ActionOpen || !a.Due.Equal(due) || a.DueDate != "2026-11-10" || !a.Public || a.Ref != inc.Ref {
			t.Fatalf("created %+v", a)
		}
		if got := due.In(loc); got.Hour() != 23 || got.Minute() != 59 {
			t.Errorf("due %v is not the end of the day", got)
		}
		events, _ := s.Timeline(ctx, inc.Ref, false)
		if last := events[len(events)-1]; !strings.Contains(last.Body, "Test the segment filter") || !strings.Contains(last.Body, "Ines") ||
			!strings.Contains(last.Body, "2026-11-10") || last.Visibility != amends.Internal {
			t.Errorf("timeline note %+v", last)
		}
		jobs := actionJobs(rec)
		stamp := "action:" + itoa(a.ID) + ":%s:" + itoa(due.UnixMicro())
		want := map[string]time.Time{
			strings.Replace(stamp, "%s", "before", 1):  due.Add(-48 * time.Hour),
			strings.Replace(stamp, "%s", "due", 1):     time.Date(2026, 11, 10, 9, 0, 0, 0, loc),
			strings.Replace(stamp, "%s", "overdue", 1): due.Add(24 * time.Hour),
		}
		if len(jobs) != len(want) {
			t.Fatalf("jobs %v, want %v", jobs, want)
		}
		for note, at := range want {
			if got, ok := jobs[note]; !ok || !got.Equal(at) {
				t.Errorf("job %s at %v, want %v", note, got, at)
			}
		}

		// Each check runs when its time comes, on the moved clock.
		deliveries := func() map[string][]string {
			ds, _ := s.Deliveries(ctx, inc.Ref)
			m := map[string][]string{}
			for _, d := range ds {
				if d.Purpose == amends.PurposeNudge || d.Purpose == amends.PurposeEscalation {
					m[d.Purpose] = append(m[d.Purpose], d.Name)
				}
			}
			return m
		}
		for note, at := range want {
			if strings.Contains(note, ":before:") {
				clock.Set(at)
				if err := s.ClockDue(ctx, inc.ID, note); err != nil {
					t.Fatal(err)
				}
			}
		}
		if got := deliveries(); strings.Join(got[amends.PurposeNudge], ",") != "Ines,Ines" || len(got[amends.PurposeEscalation]) != 0 {
			t.Errorf("before: %v, want a nudge to Ines on both her channels", got)
		}
		clock.Set(want[strings.Replace(stamp, "%s", "due", 1)])
		if err := s.ClockDue(ctx, inc.ID, strings.Replace(stamp, "%s", "due", 1)); err != nil {
			t.Fatal(err)
		}
		if got := deliveries(); len(got[amends.PurposeNudge]) != 4 {
			t.Errorf("due: %v", got)
		}
		clock.Set(want[strings.Replace(stamp, "%s", "overdue", 1)])
		if err := s.ClockDue(ctx, inc.ID, strings.Replace(stamp, "%s", "overdue", 1)); err != nil {
			t.Fatal(err)
		}
		if got := deliveries(); strings.Join(got[amends.PurposeEscalation], ",") != "Omar" {
			t.Errorf("overdue: %v, want an escalation to Omar, the incident's owner", got)
		}
		events, _ = s.Timeline(ctx, inc.Ref, false)
		if last := events[len(events)-1]; last.Kind != amends.KindEscalation {
			t.Errorf("escalation not on the timeline: %+v", last)
		}
		stats, _ := s.PromiseStats(ctx)
		if stats.OpenOverdue != 1 {
			t.Errorf("stats %+v", stats)
		}

		// Done: later checks do nothing; the promise was kept late.
		if _, err := s.ActionItemDone(ctx, a.ID, responder); err != nil {
			t.Fatal(err)
		}
		n := len(deliveries()[amends.PurposeEscalation])
		s.ClockDue(ctx, inc.ID, strings.Replace(stamp, "%s", "overdue", 1))
		if len(deliveries()[amends.PurposeEscalation]) != n {
			t.Error("a done item was escalated")
		}
		if stats, _ := s.PromiseStats(ctx); stats.KeptLate != 1 || stats.OpenOverdue != 0 {
			t.Errorf("stats after done %+v", stats)
		}
		if _, err := s.DropActionItem(ctx, a.ID, "changed our mind", responder); code(err) != amends.EConflict {
			t.Errorf("dropping a done item: %v", err)
		}
		if err := s.ClockDue(ctx, inc.ID, "action:x:before:1"); err == nil {
			t.Error("a malformed action note was accepted")
		}
	})
}

func TestActionItemShortDueDropAndOwed(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		now := clock.Now()
		soon := now.Add(30 * time.Hour)
		a, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Email the affected customers", Kind: amends.ActionCommunication,
			Owner: "Ines", Due: soon}, responder)
		if err != nil {
			t.Fatal(err)
		}
		before := "action:" + itoa(a.ID) + ":before:" + itoa(soon.UnixMicro())
		if got := actionJobs(rec)[before]; !got.Equal(now.Add(15 * time.Hour)) {
			t.Errorf("short item: before at %v, want half-way %v", got, now.Add(15*time.Hour))
		}
		later, _ := amends.ParseDue("2026-11-20", s.Location())
		b, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Add a review step", Kind: amends.ActionProcess,
			Owner: "Ines", Due: later, Public: true}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Omar's", Kind: amends.ActionFix, Owner: "Omar", Due: later}, responder); err != nil {
			t.Fatal(err)
		}
		owed, err := s.Owed(ctx, "Ines")
		if err != nil || len(owed) != 2 || owed[0].ID != a.ID || owed[1].ID != b.ID {
			t.Fatalf("owed %v, %v", owed, err)
		}

		// Moving the due date schedules new checks; the old ones do nothing.
		newDue := soon.Add(48 * time.Hour)
		if _, err := s.UpdateActionItem(ctx, a.ID, amends.ActionItemUpdate{Due: &newDue}, responder); err != nil {
			t.Fatal(err)
		}
		if _, ok := actionJobs(rec)["action:"+itoa(a.ID)+":overdue:"+itoa(newDue.UnixMicro())]; !ok {
			t.Error("no checks for the new due date")
		}
		s.ClockDue(ctx, inc.ID, before)
		if ds, _ := s.Deliveries(ctx, inc.Ref); countPurpose(ds, amends.PurposeNudge) != 0 {
			t.Error("a check of the old due date nudged")
		}
		if _, err := s.UpdateActionItem(ctx, a.ID, amends.ActionItemUpdate{Owner: ptr("Zed")}, responder); code(err) != amends.EInvalid {
			t.Errorf("owner not a user: %v", err)
		}

		if _, err := s.DropActionItem(ctx, a.ID, "  ", responder); code(err) != amends.EInvalid {
			t.Errorf("drop without a reason: %v", err)
		}
		d, err := s.DropActionItem(ctx, a.ID, "customers were called instead", responder)
		if err != nil || d.State != amends.ActionDropped || d.DropReason != "customers were called instead" {
			t.Fatalf("drop: %+v %v", d, err)
		}
		s.ClockDue(ctx, inc.ID, "action:"+itoa(a.ID)+":due:"+itoa(newDue.UnixMicro()))
		if ds, _ := s.Deliveries(ctx, inc.Ref); countPurpose(ds, amends.PurposeNudge) != 0 {
			t.Error("a dropped item nudged")
		}
		if owed, _ := s.Owed(ctx, "Ines"); len(owed) != 1 || owed[0].ID != b.ID {
			t.Errorf("owed after drop %v", owed)
		}
		promises, err := s.PublicPromises(ctx, inc.ID)
		if err != nil || len(promises) != 1 || promises[0].ID != b.ID {
			t.Errorf("public promises %v, %v", promises, err)
		}
		if _, err := s.ActionItemDone(ctx, b.ID, responder); err != nil {
			t.Fatal(err)
		}
		if promises, _ := s.PublicPromises(ctx, inc.ID); len(promises) != 1 || promises[0].DoneAt == nil {
			t.Errorf("a done promise is published with its completion: %+v", promises)
		}
		if stats, _ := s.PromiseStats(ctx); stats.KeptOnTime != 1 {
			t.Errorf("stats %+v", stats)
		}
	})
}

func countPurpose(ds []*amends.Delivery, purpose string) int {
	n := 0
	for _, d := range ds {
		if d.Purpose == purpose {
			n++
		}
	}
	return n
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func ptr[T any](v T) *T { return &v }

func TestPublicPromisesOnTheStatusPage(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc := setupPeople(t, s)
		if _, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: "We sent wrong invoices; we are on it.", Visibility: amends.Public}, responder); err != nil {
			t.Fatal(err)
		}
		v0, _ := s.PublishVersion(ctx)
		due, _ := amends.ParseDue("2026-11-20", s.Location())
		p, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check every invoice run before it goes out", Kind: amends.ActionPrevention,
			Owner: "Ines", Due: due, Public: true}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Internal only", Kind: amends.ActionFix, Owner: "Ines", Due: due}, responder); err != nil {
			t.Fatal(err)
		}
		if v1, _ := s.PublishVersion(ctx); v1 <= v0 {
			t.Error("a new public promise did not move the publish counter")
		}
		st, err := s.PublishedState(ctx)
		if err != nil || len(st.Open) != 1 {
			t.Fatalf("state %+v %v", st, err)
		}
		if ps := st.Open[0].Promises; len(ps) != 1 || ps[0].Title != p.Title || ps[0].DueDate != "2026-11-20" || ps[0].DoneAt != nil {
			t.Fatalf("promises %+v", ps)
		}
		clock.Advance(time.Hour)
		if _, err := s.ActionItemDone(ctx, p.ID, responder); err != nil {
			t.Fatal(err)
		}
		st, _ = s.PublishedState(ctx)
		if ps := st.Open[0].Promises; len(ps) != 1 || ps[0].DoneAt == nil || !ps[0].DoneAt.Equal(clock.Now()) {
			t.Errorf("completion not published: %+v", ps)
		}
	})
}

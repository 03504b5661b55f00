package store_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// TestCommsOwnerIsRemindedBeforeTheNextUpdate checks the update cadence: a public update of a
// SEV1 schedules a reminder 6 minutes before the next one is due (30 minutes later); when it
// runs, the communications owner is reminded unless a newer update went out.
func TestCommsOwnerIsRemindedBeforeTheNextUpdate(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		g, _ := s.CreateGroup(ctx, amends.Group{Name: "Comms"}, responder)
		s.AddContact(ctx, g.ID, amends.Contact{Name: "sam", Kind: amends.ChannelEmail, Address: "sam@example.com"}, responder)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Checkout down", Severity: 1}, responder)
		comms := "sam"
		s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Comms: &comms}, responder)
		first, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: "We are looking into failed payments.", Visibility: amends.Public}, responder)
		if err != nil {
			t.Fatal(err)
		}
		var reminder *store.Job
		for i, j := range rec.jobs {
			if j.Kind == store.JobClock && j.Note == "update:"+strconv.FormatInt(first.ID, 10) {
				reminder = &rec.jobs[i]
			}
		}
		if reminder == nil {
			t.Fatalf("no reminder scheduled: %+v", rec.jobs)
		}
		if want := first.At.Add(24 * time.Minute); reminder.At != want.UnixMicro() {
			t.Errorf("reminder at %v, want %v (6 minutes before the 30-minute cadence)", time.UnixMicro(reminder.At).UTC(), want)
		}
		nudges := func() int {
			ds, _ := s.Deliveries(ctx, inc.Ref)
			n := 0
			for _, d := range ds {
				if d.Purpose == amends.PurposeNudge && d.Name == "sam" {
					n++
				}
			}
			return n
		}
		before := nudges()
		if err := s.ClockDue(ctx, inc.ID, reminder.Note); err != nil {
			t.Fatal(err)
		}
		if nudges() != before+1 {
			t.Fatalf("the communications owner was not reminded")
		}
		// A newer update ("no change yet" is one) makes the old reminder moot.
		clock.Advance(20 * time.Minute)
		s.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: "No change yet; next update by 15:50.", Visibility: amends.Public}, responder)
		s.ClockDue(ctx, inc.ID, reminder.Note)
		if nudges() != before+1 {
			t.Errorf("a reminder went out although a newer update was published")
		}
		// Internal notes schedule nothing.
		n := len(rec.jobs)
		s.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: "internal"}, responder)
		if len(rec.jobs) != n {
			t.Errorf("an internal note scheduled jobs")
		}
	})
}

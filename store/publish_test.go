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

func TestPublishCounterMovesOnlyForPublicChanges(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		version := func() int64 {
			t.Helper()
			v, err := s.PublishVersion(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		step := func(what string, moves bool, fn func() error) {
			t.Helper()
			clock.Advance(time.Minute)
			before := version()
			if err := fn(); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
			if after := version(); (after > before) != moves {
				t.Errorf("%s: publish version %d → %d, want moved=%v", what, before, after, moves)
			}
		}
		if v := version(); v != 0 {
			t.Fatalf("a new database is at publish version %d", v)
		}
		var inc *amends.Incident
		step("declare", false, func() (err error) {
			inc, err = s.CreateIncident(ctx, amends.NewIncident{Title: "Renewal email sent to the wrong list", Severity: 2,
				Components: []string{"email"}}, responder)
			return err
		})
		note := func(vis amends.Visibility, body string) func() error {
			return func() error {
				_, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: body, Visibility: vis}, responder)
				return err
			}
		}
		identified := amends.Identified
		monitoring := amends.Monitoring
		owner := "bo"
		step("internal note before publishing", false, note(amends.Internal, "looking"))
		step("status change before publishing", false, func() error {
			_, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &identified}, responder)
			return err
		})
		step("first public update", true, note(amends.Public, "We sent the wrong renewal email."))
		publishedAt := clock.Now()
		step("internal note after publishing", false, note(amends.Internal, "still internal"))
		step("status change of a published incident", true, func() error {
			_, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &monitoring, Note: "internal why"}, responder)
			return err
		})
		statusAt := clock.Now()
		step("owner change of a published incident", true, func() error {
			_, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Owner: &owner}, responder)
			return err
		})
		step("failed update", false, func() error {
			_, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Owner: &owner}, responder)
			if code(err) != amends.EInvalid {
				t.Errorf("no-op update: %v", err)
			}
			return nil
		})

		st, err := s.PublishedState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if st.Version != version() || !st.PublishedAt.After(publishedAt) || st.PublishedAt.Before(statusAt) {
			t.Errorf("state version %d (counter %d), published at %v", st.Version, version(), st.PublishedAt)
		}
		if len(st.Open) != 1 || len(st.History) != 0 {
			t.Fatalf("open %d, history %d", len(st.Open), len(st.History))
		}
		got := st.Open[0]
		if got.Ref != inc.Ref || got.Title != inc.Title || got.Status != amends.Monitoring || got.Severity != 2 ||
			strings.Join(got.Components, ",") != "email" || got.ResolvedAt != nil {
			t.Errorf("published incident %+v", got)
		}
		if len(got.Updates) != 1 || got.Updates[0].N != 1 || got.Updates[0].Body != "We sent the wrong renewal email." ||
			got.Updates[0].Status != amends.Identified || !got.Updates[0].RecordedAt.Equal(publishedAt) {
			t.Errorf("updates %+v", got.Updates)
		}
	})
}

func TestPublishedStateShowsOnlyPublishedIncidents(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		declare := func(title string, sev amends.Severity) *amends.Incident {
			inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: title, Severity: sev}, responder)
			if err != nil {
				t.Fatal(err)
			}
			return inc
		}
		publish := func(ref, body string) {
			clock.Advance(time.Minute)
			if _, err := s.AddEvent(ctx, ref, amends.NewEvent{Body: body, Visibility: amends.Public}, responder); err != nil {
				t.Fatal(err)
			}
		}
		set := func(ref string, st amends.Status) {
			clock.Advance(time.Minute)
			if _, err := s.UpdateIncident(ctx, ref, amends.IncidentUpdate{Status: &st}, responder); err != nil {
				t.Fatal(err)
			}
		}
		private := declare("Never published", 1)
		s.AddEvent(ctx, private.Ref, amends.NewEvent{Body: "internal only"}, responder)
		open := declare("Invoices doubled", 1)
		publish(open.Ref, "first")
		set(open.Ref, amends.Identified)
		publish(open.Ref, "second")
		gone := declare("Export sent to the wrong account", 3)
		publish(gone.Ref, "we are on it")
		set(gone.Ref, amends.Resolved)
		publish(gone.Ref, "fixed")

		st, err := s.PublishedState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Open) != 1 || st.Open[0].Ref != open.Ref {
			t.Fatalf("open: %+v", st.Open)
		}
		if len(st.History) != 1 || st.History[0].Ref != gone.Ref {
			t.Fatalf("history: %+v", st.History)
		}
		ups := st.Open[0].Updates
		if len(ups) != 2 || ups[0].Status != amends.Investigating || ups[1].Status != amends.Identified || ups[1].N != 2 {
			t.Errorf("open updates %+v", ups)
		}
		h := st.History[0]
		if h.Status != amends.Resolved || h.ResolvedAt == nil || len(h.Updates) != 2 || h.Updates[1].Status != amends.Resolved {
			t.Errorf("history %+v", h)
		}
		set(gone.Ref, amends.Investigating) // reopened: open again, no resolved time
		st, err = s.PublishedState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(st.Open) != 2 || st.Open[0].Ref != gone.Ref || st.Open[0].ResolvedAt != nil || len(st.History) != 0 {
			t.Errorf("after reopening: open %+v history %+v", st.Open, st.History)
		}
	})
}

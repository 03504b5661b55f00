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

func TestPostmortemPrefillSaveAndConflict(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Summary: "We sent invoices with wrong amounts.",
			Severity: 2, NoticedAt: at("14:39"), Components: []string{"Billing"}}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindRootCause, Body: "A rounding change in the invoice run.", At: at("14:50")}, responder); err != nil {
			t.Fatal(err)
		}
		pm, err := s.Postmortem(ctx, inc.Ref, amends.EditionInternal)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, sec := range pm.Sections {
			names = append(names, string(sec.Name))
		}
		if got, want := strings.Join(names, ","), "description,status,root_cause,impact,timeline,solution,learned,prevention,support,apology"; got != want {
			t.Errorf("sections %s, want %s", got, want)
		}
		if got := pm.Section(amends.SectionDescription).Markdown; got != "We sent invoices with wrong amounts." {
			t.Errorf("description prefilled %q", got)
		}
		if got := pm.Section(amends.SectionRootCause).Markdown; got != "A rounding change in the invoice run." {
			t.Errorf("root cause prefilled %q", got)
		}
		if got := pm.Section(amends.SectionImpact).Markdown; !strings.Contains(got, "Components: Billing") || !strings.Contains(got, "Duration: ongoing") {
			t.Errorf("impact prefilled %q", got)
		}
		pub, err := s.Postmortem(ctx, inc.Ref, amends.EditionPublic)
		if err != nil {
			t.Fatal(err)
		}
		if pub.Section(amends.SectionRootCause).Name != "" || len(pub.Timeline) != 0 || pub.Checklist != nil {
			t.Errorf("public edition shows internal parts: %+v", pub)
		}

		// Two people edit the same section from version 0: the second save is told of the conflict.
		sec, err := s.SaveSection(ctx, inc.Ref, amends.SectionSolution, "Reverted the rounding change.", true, 0, responder)
		if err != nil || sec.Version != 1 {
			t.Fatalf("first save: %+v, %v", sec, err)
		}
		other := amends.Actor{Name: "bo", Role: amends.Responder}
		if _, err := s.SaveSection(ctx, inc.Ref, amends.SectionSolution, "Something else.", true, 0, other); code(err) != amends.EConflict || !strings.Contains(err.Error(), "ana") {
			t.Fatalf("stale save: %v, want a conflict naming ana", err)
		}
		if sec, err = s.SaveSection(ctx, inc.Ref, amends.SectionSolution, "Reverted the rounding change.\nRe-sent correct invoices.", true, 1, other); err != nil || sec.Version != 2 {
			t.Fatalf("second save: %+v, %v", sec, err)
		}
		big := strings.Repeat("a", amends.MaxSection+1)
		if _, err := s.SaveSection(ctx, inc.Ref, amends.SectionLearned, big, false, 0, responder); code(err) != amends.EInvalid {
			t.Errorf("100 KB + 1: %v, want invalid", err)
		}
		if _, err := s.SaveSection(ctx, inc.Ref, amends.SectionLearned, big[:amends.MaxSection], false, 0, responder); err != nil {
			t.Errorf("exactly 100 KB: %v", err)
		}
		if _, err := s.SaveSection(ctx, inc.Ref, "nonsense", "x", false, 0, responder); code(err) != amends.EInvalid {
			t.Errorf("unknown section: %v", err)
		}
		vs, err := s.PostmortemVersions(ctx, inc.Ref, amends.SectionSolution)
		if err != nil || len(vs) != 2 || vs[0].By != "ana" || vs[1].By != "bo" {
			t.Fatalf("versions %+v, %v", vs, err)
		}
		diff, err := s.ComparePostmortem(ctx, inc.Ref, amends.SectionSolution, 1, 2)
		if err != nil {
			t.Fatal(err)
		}
		if len(diff) != 2 || diff[1].Op != "+" || diff[1].Text != "Re-sent correct invoices." {
			t.Errorf("diff %+v", diff)
		}
		if _, err := s.ComparePostmortem(ctx, inc.Ref, amends.SectionSolution, 1, 9); code(err) != amends.ENotFound {
			t.Errorf("missing version: %v", err)
		}
		pm, _ = s.Postmortem(ctx, inc.Ref, amends.EditionInternal)
		if got := pm.Section(amends.SectionSolution); got.Version != 2 || got.UpdatedBy != "bo" {
			t.Errorf("saved section reads %+v", got)
		}
	})
}

func TestCloseNeedsTheChecklistOrWaivers(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Export sent to the wrong account", Severity: 2, NoticedAt: at("14:00")}, responder)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []amends.EventKind{amends.KindRootCause, amends.KindCustomersTold} {
			if _, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: k, Body: string(k), At: at("14:30")}, responder); err != nil {
				t.Fatal(err)
			}
		}
		resolved, closed := amends.Resolved, amends.Closed
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &resolved}, responder); err != nil {
			t.Fatal(err)
		}
		_, err = s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &closed}, responder)
		if code(err) != amends.EInvalid {
			t.Fatalf("close: %v, want refused", err)
		}
		for _, missing := range []string{"the postmortem was shared", "every prevention has an owner and a due date", "the postmortem carries a copy of what customers were told"} {
			if !strings.Contains(err.Error(), missing) {
				t.Errorf("refusal %q does not name %q", err, missing)
			}
		}
		if strings.Contains(err.Error(), "root cause") {
			t.Errorf("refusal names a check that holds: %v", err)
		}
		if _, err := s.Waive(ctx, inc.Ref, "customer_copy", "  ", responder); code(err) != amends.EInvalid {
			t.Errorf("waiver without a reason: %v", err)
		}
		if _, err := s.Waive(ctx, inc.Ref, "bogus", "why", responder); code(err) != amends.EInvalid {
			t.Errorf("waiver of no item: %v", err)
		}
		if _, err := s.SharePostmortem(ctx, inc.Ref, responder); err != nil {
			t.Fatal(err)
		}
		// Prevention written as Markdown is not enough: the rule wants a prevention action item
		// that is open or done, with its owner and due date.
		if _, err := s.SaveSection(ctx, inc.Ref, amends.SectionPrevention, "- add a check of the account", true, 0, responder); err != nil {
			t.Fatal(err)
		}
		if items, _ := s.Checklist(ctx, inc.Ref); holds(items, "preventions_owned") {
			t.Errorf("preventions_owned holds with no prevention action item")
		}
		if _, err := s.CreateUser(ctx, "ana", amends.Responder, "correct horse battery staple", responder); err != nil {
			t.Fatal(err)
		}
		due := clock.Now().Add(7 * 24 * time.Hour)
		dropped, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check the account", Kind: amends.ActionPrevention, Owner: "ana", Due: due}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.DropActionItem(ctx, dropped.ID, "a better check replaces it", responder); err != nil {
			t.Fatal(err)
		}
		if items, _ := s.Checklist(ctx, inc.Ref); holds(items, "preventions_owned") {
			t.Errorf("preventions_owned holds with only a dropped prevention")
		}
		if _, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check the account's export target", Kind: amends.ActionPrevention, Owner: "ana", Due: due, Public: true}, responder); err != nil {
			t.Fatal(err)
		}
		pm, err := s.Postmortem(ctx, inc.Ref, amends.EditionInternal)
		if err != nil {
			t.Fatal(err)
		}
		if len(pm.Preventions) != 2 || !strings.Contains(pm.Markdown(time.UTC), "Check the account's export target — owner ana, due ") {
			t.Errorf("internal preventions %+v\n%s", pm.Preventions, pm.Markdown(time.UTC))
		}
		if pub, _ := s.Postmortem(ctx, inc.Ref, amends.EditionPublic); len(pub.Preventions) != 1 || pub.Preventions[0].Title != "Check the account's export target" {
			t.Errorf("public preventions %+v", pub.Preventions)
		}
		if _, err := s.Waive(ctx, inc.Ref, "customer_copy", "Customers were phoned one by one; there is no email to copy.", responder); err != nil {
			t.Fatal(err)
		}
		items, err := s.Checklist(ctx, inc.Ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			if !it.Holds() {
				t.Errorf("%s does not hold", it.Name)
			}
			if it.Name == "customer_copy" && (it.Waiver == nil || it.Waiver.By != "ana") {
				t.Errorf("customer_copy waiver %+v", it.Waiver)
			}
		}
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &closed}, responder); err != nil {
			t.Fatalf("close after waiver: %v", err)
		}
		events, _ := s.Timeline(ctx, inc.Ref, false)
		found := false
		for _, e := range events {
			if strings.Contains(e.Body, "phoned one by one") && strings.Contains(e.Body, "customer_copy") {
				found = true
			}
		}
		if !found {
			t.Error("the waiver's reason is not on the timeline")
		}
	})
}

func TestPublishPostmortem(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "t", Severity: 3}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if at, err := s.PostmortemPublished(ctx, inc.Ref); err != nil || at != nil {
			t.Fatalf("before publishing: %v %v", at, err)
		}
		ev, err := s.PublishPostmortem(ctx, inc.Ref, responder)
		if err != nil || ev.Visibility != amends.Public || !strings.Contains(ev.Body, "/postmortems/"+inc.Ref) {
			t.Fatalf("publish: %+v %v", ev, err)
		}
		if at, err := s.PostmortemPublished(ctx, inc.Ref); err != nil || at == nil {
			t.Fatalf("after publishing: %v %v", at, err)
		}
	})
}

// holds reports whether the checklist item named name holds.
func holds(items []amends.CheckItem, name string) bool {
	for _, it := range items {
		if it.Name == name {
			return it.Holds()
		}
	}
	return false
}

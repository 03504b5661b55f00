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

// sentToCustomers sends an approved customer message of inc to the four customers c000…c003
// and records the sends to the first three as delivered; the fourth stays pending.
func sentToCustomers(t *testing.T, s *store.Store, inc *amends.Incident) {
	t.Helper()
	ctx := context.Background()
	addCustomers(t, s, 4)
	if _, err := s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "accounts", Accounts: []string{"Acme", "Globex"}}, responder); err != nil {
		t.Fatal(err)
	}
	m := approvedMessage(t, s, inc.Ref, owningBody, true)
	if _, err := s.SendMessage(ctx, m.ID, "", bo); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingMessageDeliveries(ctx, m.ID)
	if err != nil || len(pending) != 4 {
		t.Fatalf("%d pending, %v", len(pending), err)
	}
	if err := s.DeliveriesDelivered(ctx, []int64{pending[0].ID, pending[1].ID, pending[2].ID}); err != nil {
		t.Fatal(err)
	}
}

func resolve(t *testing.T, s *store.Store, ref string) {
	t.Helper()
	resolved := amends.Resolved
	if _, err := s.UpdateIncident(context.Background(), ref, amends.IncidentUpdate{Status: &resolved}, responder); err != nil {
		t.Fatal(err)
	}
}

func surveyJobs(rec *recorder) []store.Job {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	var out []store.Job
	for _, j := range rec.jobs {
		if j.Kind == store.JobClock && j.Note == "survey" {
			out = append(out, j)
		}
	}
	return out
}

// surveyTokens returns the token of each survey delivery of incident ref, by address.
func surveyTokens(t *testing.T, s *store.Store, ref string) map[string]string {
	t.Helper()
	ds, err := s.Deliveries(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range ds {
		if d.Purpose == amends.PurposeSurvey {
			full, err := s.Delivery(context.Background(), d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(full.Body, full.Secret) || strings.Contains(full.Subject, full.Secret) {
				t.Errorf("the token of %s is in its mail's text: only the delivery's secret may hold it", d.Address)
			}
			out[d.Address] = full.Secret
		}
	}
	return out
}

func TestSurveysGoToDeliveredCustomersOnceAfterResolution(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		sentToCustomers(t, s, inc)
		resolvedAt := clock.Now()
		resolve(t, s, inc.Ref)
		jobs := surveyJobs(rec)
		if len(jobs) != 1 || jobs[0].IncidentID != inc.ID || jobs[0].At != resolvedAt.Add(24*time.Hour).UnixMicro() {
			t.Fatalf("survey jobs %+v: want one, a day after resolution", jobs)
		}
		clock.Advance(24 * time.Hour)
		if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
			t.Fatal(err)
		}
		tokens := surveyTokens(t, s, inc.Ref)
		if len(tokens) != 3 || tokens["c003@example.com"] != "" {
			t.Fatalf("surveys to %v: want c000–c002, the customers delivered the message", tokens)
		}
		for addr, tok := range tokens {
			if !amends.WellFormedSurveyToken(tok) {
				t.Errorf("token of %s is %q", addr, tok)
			}
		}
		if got := rec.kinds()[store.JobSurveys]; got != 1 {
			t.Errorf("%d survey batch jobs, want one sending all three", got)
		}
		deliverJobs := rec.kinds()[store.JobDeliver]
		events, _ := s.Timeline(ctx, inc.Ref, false)
		// A second run (a retried job, a second resolution) asks nobody twice.
		if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
			t.Fatal(err)
		}
		again := surveyTokens(t, s, inc.Ref)
		after, _ := s.Timeline(ctx, inc.Ref, false)
		if len(again) != 3 || again["c000@example.com"] != tokens["c000@example.com"] || rec.kinds()[store.JobDeliver] != deliverJobs || rec.kinds()[store.JobSurveys] != 1 || len(after) != len(events) {
			t.Errorf("second run: %d surveys, %d new jobs, %d new events", len(again), rec.kinds()[store.JobDeliver]+rec.kinds()[store.JobSurveys]-deliverJobs-1, len(after)-len(events))
		}
		fb, err := s.Feedback(ctx, inc.Ref)
		if err != nil || fb.Sent != 3 || len(fb.Answers) != 0 {
			t.Fatalf("feedback %+v %v", fb, err)
		}

		v, err := s.SurveyByToken(ctx, tokens["c001@example.com"])
		if err != nil || v.Ref != inc.Ref || v.Name != "Customer 1" || v.Account != "Globex" || v.IncidentTitle != inc.Title ||
			!v.ExpiresAt.Equal(clock.Now().Add(amends.SurveyExpiry)) || v.Answered() {
			t.Fatalf("survey %+v %v", v, err)
		}

		// A good answer: on the timeline, nobody notified.
		clock.Advance(time.Hour)
		before, _ := s.Deliveries(ctx, inc.Ref)
		got, err := s.AnswerSurvey(ctx, tokens["c000@example.com"], amends.Answer{Rating: 5, Comment: "  Quick and honest.\r\n"})
		if err != nil || got.Rating != 5 || got.Comment != "Quick and honest." || got.AnsweredAt == nil {
			t.Fatalf("answer %+v %v", got, err)
		}
		if ds, _ := s.Deliveries(ctx, inc.Ref); len(ds) != len(before) {
			t.Errorf("a rating of 5 sent %d deliveries", len(ds)-len(before))
		}
		// A low one notifies the incident's owner, Omar, on each of his contacts.
		clock.Advance(time.Hour)
		low, err := s.AnswerSurvey(ctx, tokens["c001@example.com"], amends.Answer{Rating: 2, Comment: "You told us a day late."})
		if err != nil || low.Rating != 2 {
			t.Fatalf("low answer %+v %v", low, err)
		}
		ds, _ := s.Deliveries(ctx, inc.Ref)
		var nudges []*amends.Delivery
		for _, d := range ds {
			if d.Purpose == amends.PurposeNudge && strings.Contains(d.Subject, "Low feedback") {
				nudges = append(nudges, d)
			}
		}
		if len(nudges) != 1 || nudges[0].Name != "Omar" || !strings.Contains(nudges[0].Subject, "2/5") ||
			!strings.Contains(nudges[0].Body, "You told us a day late.") {
			t.Errorf("low rating notified %+v", nudges)
		}
		events, _ = s.Timeline(ctx, inc.Ref, false)
		var said []string
		for _, e := range events {
			if e.Kind == amends.KindFeedback {
				if e.Visibility != amends.Internal {
					t.Errorf("feedback event is %s", e.Visibility)
				}
				said = append(said, e.Body)
			}
		}
		if len(said) != 2 || !strings.Contains(said[1], "Customer 1 (Globex) rated how we handled this 2/5") || !strings.Contains(said[1], "You told us a day late.") {
			t.Errorf("timeline says %q", said)
		}
		fb, _ = s.Feedback(ctx, inc.Ref)
		if fb.Sent != 3 || len(fb.Answers) != 2 || fb.Answers[0].Rating != 2 || fb.Answers[1].Rating != 5 || fb.Average() != 3.5 {
			t.Errorf("feedback %+v", fb)
		}

		// Act on the low one: a public promise from feedback, linked to the answer, once.
		item, err := s.ActOnFeedback(ctx, low.ID, amends.NewActionItem{Title: "Tell customers the same day", Kind: amends.ActionProcess,
			Owner: "Ines", Due: clock.Now().Add(7 * 24 * time.Hour), Public: true}, responder)
		if err != nil || item.Source != amends.SourceFeedback || !item.Public || item.Ref != inc.Ref {
			t.Fatalf("act: %+v %v", item, err)
		}
		if sv, _ := s.Survey(ctx, low.ID); sv.ActionItemID == nil || *sv.ActionItemID != item.ID {
			t.Errorf("survey links %v, want %d", sv.ActionItemID, item.ID)
		}
		items, _ := s.ActionItems(ctx, inc.Ref)
		if _, err := s.ActOnFeedback(ctx, low.ID, amends.NewActionItem{Title: "Again", Kind: amends.ActionFix, Owner: "Ines",
			Due: clock.Now().Add(24 * time.Hour)}, responder); code(err) != amends.EConflict {
			t.Errorf("second act: %v", err)
		}
		if again, _ := s.ActionItems(ctx, inc.Ref); len(again) != len(items) {
			t.Errorf("second act added %d items", len(again)-len(items))
		}
	})
}

func TestSurveyBadInputStoresNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		sentToCustomers(t, s, inc)
		resolve(t, s, inc.Ref)
		clock.Advance(25 * time.Hour)
		if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
			t.Fatal(err)
		}
		tokens := surveyTokens(t, s, inc.Ref)
		tok := tokens["c000@example.com"]
		forged, _, _ := amends.NewSurveyToken(strings.NewReader("0123456789abcdef"))
		snapshot := func() (int, int, int) {
			events, _ := s.Timeline(ctx, inc.Ref, false)
			ds, _ := s.Deliveries(ctx, inc.Ref)
			fb, _ := s.Feedback(ctx, inc.Ref)
			return len(events), len(ds), len(fb.Answers)
		}
		e0, d0, a0 := snapshot()
		for _, c := range []struct {
			name, token string
			answer      amends.Answer
			code, field string
		}{
			{"forged token", forged, amends.Answer{Rating: 3}, amends.ENotFound, "token"},
			{"mangled token", tok[:10], amends.Answer{Rating: 3}, amends.ENotFound, "token"},
			{"empty token", "", amends.Answer{Rating: 3}, amends.ENotFound, "token"},
			{"rating 0", tok, amends.Answer{Rating: 0}, amends.EInvalid, "rating"},
			{"rating 6", tok, amends.Answer{Rating: 6}, amends.EInvalid, "rating"},
			{"rating -1", tok, amends.Answer{Rating: -1}, amends.EInvalid, "rating"},
			{"comment too long", tok, amends.Answer{Rating: 3, Comment: strings.Repeat("é", amends.MaxFeedbackComment+1)}, amends.EInvalid, "comment"},
			{"comment with NUL", tok, amends.Answer{Rating: 3, Comment: "a\x00b"}, amends.EInvalid, "comment"},
		} {
			_, err := s.AnswerSurvey(ctx, c.token, c.answer)
			if e := amends.ErrorOf(err); e == nil || e.Code != c.code || e.Field != c.field {
				t.Errorf("%s: %v, want %s on %s", c.name, err, c.code, c.field)
			}
		}
		if e, d, a := snapshot(); e != e0 || d != d0 || a != a0 {
			t.Errorf("bad answers left %d events, %d deliveries, %d answers", e-e0, d-d0, a-a0)
		}
		if v, _ := s.SurveyByToken(ctx, tok); v.Answered() {
			t.Errorf("survey answered by bad input: %+v", v)
		}
		// Exactly at the limit is fine; answering twice is a conflict and keeps the first answer.
		longest := strings.Repeat("é", amends.MaxFeedbackComment)
		if _, err := s.AnswerSurvey(ctx, tok, amends.Answer{Rating: 4, Comment: longest}); err != nil {
			t.Fatal(err)
		}
		e1, d1, a1 := snapshot()
		_, err := s.AnswerSurvey(ctx, tok, amends.Answer{Rating: 1, Comment: "changed my mind"})
		if e := amends.ErrorOf(err); e == nil || e.Code != amends.EConflict || e.Field != store.SurveyAnswered {
			t.Errorf("answered twice: %v", err)
		}
		if v, _ := s.SurveyByToken(ctx, tok); v.Rating != 4 || v.Comment != longest {
			t.Errorf("second answer changed the first: %d", v.Rating)
		}
		if e, d, a := snapshot(); e != e1 || d != d1 || a != a1 {
			t.Errorf("second answer left %d events, %d deliveries, %d answers", e-e1, d-d1, a-a1)
		}
		// Acting on an unanswered survey, or with an invalid item, stores nothing.
		other, _ := s.SurveyByToken(ctx, tokens["c001@example.com"])
		due := clock.Now().Add(48 * time.Hour)
		if _, err := s.ActOnFeedback(ctx, other.ID, amends.NewActionItem{Title: "x", Kind: amends.ActionFix, Owner: "Ines", Due: due}, responder); code(err) != amends.EConflict {
			t.Errorf("act on unanswered: %v", err)
		}
		answered, _ := s.SurveyByToken(ctx, tok)
		if _, err := s.ActOnFeedback(ctx, answered.ID, amends.NewActionItem{Title: "x", Kind: amends.ActionFix, Owner: "Zed", Due: due}, responder); code(err) != amends.EInvalid {
			t.Errorf("act with a stranger as owner: %v", err)
		}
		if _, err := s.ActOnFeedback(ctx, 99999, amends.NewActionItem{Title: "x", Kind: amends.ActionFix, Owner: "Ines", Due: due}, responder); code(err) != amends.ENotFound {
			t.Errorf("act on no survey: %v", err)
		}
		if items, _ := s.ActionItems(ctx, inc.Ref); len(items) != 0 {
			t.Errorf("failed acts left %d items", len(items))
		}
		if v, _ := s.Survey(ctx, answered.ID); v.ActionItemID != nil {
			t.Errorf("failed act linked %d", *v.ActionItemID)
		}
		// Past its expiry a survey is closed.
		clock.Advance(amends.SurveyExpiry)
		_, err = s.AnswerSurvey(ctx, tokens["c002@example.com"], amends.Answer{Rating: 3})
		if e := amends.ErrorOf(err); e == nil || e.Code != amends.EConflict || e.Field != store.SurveyExpired {
			t.Errorf("expired: %v", err)
		}
		if v, _ := s.SurveyByToken(ctx, tokens["c002@example.com"]); v.Answered() {
			t.Error("expired survey was answered")
		}
	})
}

func TestSurveysRespectTheDelaySettingAndReopening(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		admin := amends.Actor{Name: "root", Role: amends.Admin}
		for _, bad := range []string{"soon", "-1h", "1000h0m0s0", "2400h"} {
			if err := s.SetSurveyDelay(ctx, bad, admin); code(err) != amends.EInvalid {
				t.Errorf("delay %q: %v", bad, err)
			}
		}
		if d, on, err := s.SurveyDelay(ctx); err != nil || !on || d != amends.SurveyDelay {
			t.Errorf("after bad input the delay is %v %v %v, want the default", d, on, err)
		}
		if err := s.SetSurveyDelay(ctx, "2h", admin); err != nil {
			t.Fatal(err)
		}
		inc := setupPeople(t, s)
		sentToCustomers(t, s, inc)
		resolvedAt := clock.Now()
		resolve(t, s, inc.Ref)
		if jobs := surveyJobs(rec); len(jobs) != 1 || jobs[0].At != resolvedAt.Add(2*time.Hour).UnixMicro() {
			t.Fatalf("jobs %+v: want one 2h after resolution", jobs)
		}
		// Reopened before the surveys go out: nobody is asked yet.
		investigating := amends.Investigating
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &investigating}, responder); err != nil {
			t.Fatal(err)
		}
		clock.Advance(3 * time.Hour)
		if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
			t.Fatal(err)
		}
		if fb, _ := s.Feedback(ctx, inc.Ref); fb.Sent != 0 {
			t.Errorf("a reopened incident sent %d surveys", fb.Sent)
		}
		// Off: resolving schedules nothing, and a job already scheduled sends nothing.
		if err := s.SetSurveyDelay(ctx, "off", admin); err != nil {
			t.Fatal(err)
		}
		if _, on, _ := s.SurveyDelay(ctx); on {
			t.Error("surveys still on")
		}
		resolve(t, s, inc.Ref)
		if jobs := surveyJobs(rec); len(jobs) != 1 {
			t.Errorf("%d survey jobs with surveys off", len(jobs))
		}
		if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
			t.Fatal(err)
		}
		if fb, _ := s.Feedback(ctx, inc.Ref); fb.Sent != 0 {
			t.Errorf("surveys off sent %d", fb.Sent)
		}
	})
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// seedSurveys sends a customer message of inc to three customers, records it delivered,
// resolves inc, moves the clock past the survey delay and runs the survey job. It returns the
// token of each customer's survey, by address, as the survey deliveries carry them.
func seedSurveys(t *testing.T, s *store.Store, clock *amendstest.Clock, inc *amends.Incident) map[string]string {
	t.Helper()
	ctx := context.Background()
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	csv := "email,name,account\nada@acme.example,Ada Lovelace,Acme\nbob@globex.example,Bob,Globex\ncy@acme.example,,Acme\n"
	if _, err := s.ImportCustomers(ctx, strings.NewReader(csv), store.ImportOptions{}, ana); err != nil {
		t.Fatal(err)
	}
	if _, err := s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "all"}, ana); err != nil {
		t.Fatal(err)
	}
	m, err := s.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We sent you the wrong invoice",
		"Hello {{name|there}},\n\nWe sent you the wrong invoice. We made this mistake, and we are sorry.", true, 90, `{}`, ana)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"bo", "cai"}[:m.RequiredApprovals] {
		if m, err = s.ApproveMessage(ctx, m.ID, m.Version, amends.Actor{Name: who, Role: amends.Responder}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.SendMessage(ctx, m.ID, "", ana); err != nil {
		t.Fatal(err)
	}
	pending, err := s.PendingMessageDeliveries(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for _, d := range pending {
		ids = append(ids, d.ID)
	}
	if err := s.DeliveriesDelivered(ctx, ids); err != nil {
		t.Fatal(err)
	}
	resolved := amends.Resolved
	if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &resolved}, ana); err != nil {
		t.Fatal(err)
	}
	clock.Advance(amends.SurveyDelay)
	if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
		t.Fatal(err)
	}
	ds, err := s.Deliveries(ctx, inc.Ref)
	if err != nil {
		t.Fatal(err)
	}
	tokens := map[string]string{}
	for _, d := range ds {
		if d.Purpose == amends.PurposeSurvey {
			full, err := s.Delivery(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			tokens[d.Address] = full.Secret
		}
	}
	if len(tokens) != 3 {
		t.Fatalf("surveys %v", tokens)
	}
	return tokens
}

func TestSurveyPage(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	ctx := context.Background()
	inc := a.declare(t, "Wrong invoices", at("14:39"))
	tokens := seedSurveys(t, a.store, clock, inc)
	ada := "/survey/" + tokens["ada@acme.example"]
	unanswered := func(token string) {
		t.Helper()
		if v, err := a.store.SurveyByToken(ctx, token); err != nil || v.Answered() {
			t.Errorf("survey answered by a refused request: %+v %v", v, err)
		}
	}

	// The page: plain, accessible, for anyone with the link.
	resp, page := a.do(t, request{method: "GET", path: ada})
	if resp.StatusCode != 200 || resp.Header.Get("X-Robots-Tag") != "noindex" {
		t.Fatalf("survey page: %d %v", resp.StatusCode, resp.Header)
	}
	for _, want := range []string{"How well did we handle this?", "Wrong invoices", "<fieldset", "<legend>", `type="radio"`,
		`<label class="inline" for="rating-1">`, `for="rating-5"`, "5 — Very well", `<label for="comment">`, `maxlength="5000"`,
		`action="` + ada + `"`} {
		if !strings.Contains(page, want) {
			t.Errorf("survey page lacks %q", want)
		}
	}
	if strings.Contains(page, `name="csrf"`) {
		t.Error("the survey form carries a session's CSRF token")
	}

	// Refused: bad answers, another site, forged links; none stores anything.
	answer := func(rating, comment string) url.Values { return url.Values{"rating": {rating}, "comment": {comment}} }
	for _, c := range []struct {
		name   string
		req    request
		status int
		body   string
	}{
		{"no rating", request{method: "POST", path: ada, form: answer("", "hm")}, 400, "choose a rating from 1 to 5"},
		{"rating 0", request{method: "POST", path: ada, form: answer("0", "")}, 400, "choose a rating from 1 to 5"},
		{"rating 6", request{method: "POST", path: ada, form: answer("6", "")}, 400, "choose a rating from 1 to 5"},
		{"rating text", request{method: "POST", path: ada, form: answer("great", "")}, 400, "choose a rating"},
		{"comment too long", request{method: "POST", path: ada, form: answer("3", strings.Repeat("x", 5001))}, 400, "5001 characters; at most 5000"},
		{"from another site", request{method: "POST", path: ada, form: answer("5", ""), header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, ""},
		{"forged token", request{method: "POST", path: "/survey/AAAAAAAAAAAAAAAAAAAAAA", form: answer("5", "")}, 404, "not valid"},
		{"mangled token", request{method: "GET", path: ada[:len(ada)-3]}, 404, "not valid"},
	} {
		resp, page := a.do(t, c.req)
		if resp.StatusCode != c.status || !strings.Contains(page, c.body) {
			t.Errorf("%s: %d, want %d with %q", c.name, resp.StatusCode, c.status, c.body)
		}
		if c.status == 400 && !strings.Contains(page, `id="survey-form"`) {
			t.Errorf("%s: the form is not shown again", c.name)
		}
	}
	unanswered(tokens["ada@acme.example"])
	// The form comes back as typed.
	_, page = a.do(t, request{method: "POST", path: ada, form: answer("4", strings.Repeat("y", 5001))})
	if !strings.Contains(page, `value="4" required checked`) || !strings.Contains(page, strings.Repeat("y", 5001)) {
		t.Error("the refused answer is not kept in the form")
	}

	// Answered: thanks, once; a second answer is refused and keeps the first.
	resp, page = a.do(t, request{method: "POST", path: ada, form: answer("2", "You told us a day late. <b>Please</b> call next time.")})
	if resp.StatusCode != 200 || !strings.Contains(page, `id="survey-thanks"`) || strings.Contains(page, `id="survey-form"`) {
		t.Fatalf("answer: %d", resp.StatusCode)
	}
	for _, again := range []url.Values{answer("5", "never mind"), answer("9", "")} {
		resp, page = a.do(t, request{method: "POST", path: ada, form: again})
		if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "already answered") || strings.Contains(page, `id="survey-form"`) {
			t.Errorf("second answer %v: %d", again, resp.StatusCode)
		}
	}
	if v, _ := a.store.SurveyByToken(ctx, tokens["ada@acme.example"]); v.Rating != 2 || !strings.HasPrefix(v.Comment, "You told us") {
		t.Errorf("the second answer changed the first: %+v", v)
	}
	if resp, _ := a.do(t, request{method: "GET", path: ada}); resp.StatusCode != http.StatusConflict {
		t.Errorf("answered link: %d", resp.StatusCode)
	}

	// The incident page shows the answer, escaped, and offers to act on it to those who may.
	base := "/incidents/" + inc.Ref
	_, page = a.do(t, request{method: "GET", path: base, role: amends.Responder})
	for _, want := range []string{`id="feedback"`, "1 of 3 customers asked have answered", "2/5", "Ada Lovelace (Acme)",
		"&lt;b&gt;Please&lt;/b&gt;", `action="/feedback/`, `value="You told us a day late. &lt;b&gt;Please&lt;/b&gt; call next time."`} {
		if !strings.Contains(page, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	_, page = a.do(t, request{method: "GET", path: base, role: amends.Viewer})
	if !strings.Contains(page, "Ada Lovelace (Acme)") || strings.Contains(page, `action="/feedback/`) {
		t.Error("a viewer sees no answer, or is offered to act on it")
	}

	// Act on it: refused for a viewer and for bad input, then once.
	fb, _ := a.store.Feedback(ctx, inc.Ref)
	act := "/feedback/" + itoa(fb.Answers[0].ID) + "/act"
	due := clock.Now().Add(72 * time.Hour).Format("2006-01-02")
	form := func(owner string) url.Values {
		return url.Values{"title": {"Call customers the same day"}, "kind": {"process"}, "owner": {owner}, "due": {due}, "public": {"on"}}
	}
	for _, c := range []struct {
		name   string
		req    request
		status int
		body   string
	}{
		{"viewer", request{method: "POST", path: act, role: amends.Viewer, form: form("ana")}, 403, ""},
		{"no csrf", request{method: "POST", path: act, role: amends.Responder, form: form("ana"), csrf: "-"}, 403, ""},
		{"owner not a user", request{method: "POST", path: act, role: amends.Responder, form: form("zed")}, 400, "not a user"},
		{"no survey", request{method: "POST", path: "/feedback/999/act", role: amends.Responder, form: form("ana")}, 404, ""},
	} {
		resp, page := a.do(t, c.req)
		if resp.StatusCode != c.status || !strings.Contains(page, c.body) {
			t.Errorf("%s: %d, want %d with %q", c.name, resp.StatusCode, c.status, c.body)
		}
		if c.status == 400 && !strings.Contains(page, `<details open>`) {
			t.Errorf("%s: the act form is not shown open again", c.name)
		}
	}
	if items, _ := a.store.ActionItems(ctx, inc.Ref); len(items) != 0 {
		t.Fatalf("refused acts stored %d items", len(items))
	}
	resp, _ = a.do(t, request{method: "POST", path: act, role: amends.Responder, form: form("ana")})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), base+"#a") {
		t.Fatalf("act: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	items, _ := a.store.ActionItems(ctx, inc.Ref)
	if len(items) != 1 || items[0].Source != amends.SourceFeedback || !items[0].Public || items[0].Owner != "ana" {
		t.Fatalf("items %+v", items)
	}
	if resp, _ := a.do(t, request{method: "POST", path: act, role: amends.Responder, form: form("ana")}); resp.StatusCode != http.StatusConflict {
		t.Errorf("second act: %d", resp.StatusCode)
	}
	_, page = a.do(t, request{method: "GET", path: base, role: amends.Responder})
	if !strings.Contains(page, `Became <a href="#a`+itoa(items[0].ID)+`">`) {
		t.Error("the answer does not link its action item")
	}

	// Past the expiry, a link no longer takes an answer.
	clock.Advance(amends.SurveyExpiry)
	bob := "/survey/" + tokens["bob@globex.example"]
	if resp, page := a.do(t, request{method: "GET", path: bob}); resp.StatusCode != http.StatusGone || !strings.Contains(page, "This survey closed") {
		t.Errorf("expired link: %d", resp.StatusCode)
	}
	if resp, _ := a.do(t, request{method: "POST", path: bob, form: answer("5", "")}); resp.StatusCode != http.StatusGone {
		t.Errorf("expired answer: %d", resp.StatusCode)
	}
	unanswered(tokens["bob@globex.example"])

	// Guessing: after maxFailedLogins unknown tokens from one address, every lookup is refused.
	// (The two forged lookups above left the limiter's window when the clock moved a month.)
	for i := 0; i < maxFailedLogins; i++ {
		if resp, _ := a.do(t, request{method: "GET", path: "/survey/" + strings.Repeat("B", 21) + string(rune('A'+i))}); resp.StatusCode != 404 {
			t.Fatalf("guess %d: %d", i, resp.StatusCode)
		}
	}
	cy := "/survey/" + tokens["cy@acme.example"]
	if resp, page := a.do(t, request{method: "POST", path: cy, form: answer("5", "")}); resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(page, "Too many") {
		t.Errorf("after guessing: %d", resp.StatusCode)
	}
	unanswered(tokens["cy@acme.example"])
}

func TestSurveySetting(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	ctx := context.Background()
	_, page := a.do(t, request{method: "GET", path: "/admin/groups", role: amends.Admin})
	if !strings.Contains(page, `id="survey-delay"`) || !strings.Contains(page, `value="24h"`) {
		t.Fatal("the settings page does not offer the survey delay")
	}
	for _, c := range []struct {
		name   string
		req    request
		status int
		body   string
	}{
		{"responder", request{method: "POST", path: "/admin/settings/survey", role: amends.Responder, form: url.Values{"survey_delay": {"1h"}}}, 403, ""},
		{"not a duration", request{method: "POST", path: "/admin/settings/survey", role: amends.Admin, form: url.Values{"survey_delay": {"soon"}}}, 400, "duration such as 24h"},
	} {
		resp, page := a.do(t, c.req)
		if resp.StatusCode != c.status || !strings.Contains(page, c.body) {
			t.Errorf("%s: %d, want %d with %q", c.name, resp.StatusCode, c.status, c.body)
		}
	}
	if d, on, _ := a.store.SurveyDelay(ctx); d != amends.SurveyDelay || !on {
		t.Errorf("refused changes left %v %v", d, on)
	}
	for _, c := range []struct {
		in   string
		d    time.Duration
		on   bool
		show string
	}{{"48h", 48 * time.Hour, true, `value="48h"`}, {"off", 0, false, `value="off"`}} {
		resp, _ := a.do(t, request{method: "POST", path: "/admin/settings/survey", role: amends.Admin, form: url.Values{"survey_delay": {c.in}}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: %d", c.in, resp.StatusCode)
		}
		if d, on, _ := a.store.SurveyDelay(ctx); d != c.d || on != c.on {
			t.Errorf("%s: stored %v %v", c.in, d, on)
		}
		if _, page := a.do(t, request{method: "GET", path: "/admin/groups?done=survey", role: amends.Admin}); !strings.Contains(page, c.show) {
			t.Errorf("%s: page does not show %s", c.in, c.show)
		}
	}
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestInsightsPage(t *testing.T) {
	clock := amendstest.NewClock(at("20:00"))
	a := newTestApp(t, clock)
	ctx := context.Background()
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	inc := a.declare(t, "Renewal reminder to renewed customers", at("14:39"))
	for _, ev := range []struct {
		kind amends.EventKind
		hhmm string
	}{{amends.KindColleaguesTold, "14:43"}, {amends.KindCustomersTold, "14:59"}} {
		when := at(ev.hhmm)
		if _, err := a.store.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: ev.kind, Body: "done", At: &when, Visibility: amends.Public}, ana); err != nil {
			t.Fatal(err)
		}
	}
	// The details form sets the team and the root-cause category.
	res, body := a.do(t, request{method: "POST", path: "/incidents/" + inc.Ref + "/details", role: amends.Responder,
		form: url.Values{"severity": {"2"}, "owner": {"ana"}, "components": {"Billing, Email"}, "team": {"Payments"}, "cause": {"config"}}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("details: %d\n%s", res.StatusCode, body)
	}
	got, _ := a.store.Incident(ctx, inc.Ref)
	if got.Team != "Payments" || got.Cause != amends.CauseConfig {
		t.Fatalf("team %q cause %q", got.Team, got.Cause)
	}
	_, page := a.do(t, request{method: "GET", path: "/incidents/" + inc.Ref, role: amends.Responder})
	if !strings.Contains(page, `id="dt-team" name="team" value="Payments"`) || !strings.Contains(page, `<option value="config" selected>`) {
		t.Error("the details form does not show the team and the cause")
	}
	// A bad cause comes back on the form and changes nothing.
	res, body = a.do(t, request{method: "POST", path: "/incidents/" + inc.Ref + "/details", role: amends.Responder,
		form: url.Values{"severity": {"2"}, "owner": {"ana"}, "components": {"Billing, Email"}, "team": {"Other"}, "cause": {"gremlins"}}})
	if res.StatusCode != http.StatusBadRequest || !strings.Contains(body, "unknown root-cause category") {
		t.Errorf("bad cause: %d", res.StatusCode)
	}
	if again, _ := a.store.Incident(ctx, inc.Ref); again.Team != "Payments" || again.EventCount != got.EventCount {
		t.Errorf("a refused form changed the incident: team %q, %d events", again.Team, again.EventCount-got.EventCount)
	}
	if _, err := a.store.CreateCustomer(ctx, amends.Customer{Email: "ana@acme.example", Account: "Acme & Co"}, ana); err != nil {
		t.Fatal(err)
	}

	res, page = a.do(t, request{method: "GET", path: "/insights", role: amends.Viewer})
	if res.StatusCode != 200 {
		t.Fatalf("insights: %d", res.StatusCode)
	}
	for _, want := range []string{
		`<strong>1</strong> incident, 1 open.`,
		`aria-current="page">Insights</a>`,
		`<title id="chart-tell-t">Time from noticed to told</title>`,
		`Colleagues told, median: 4 min`,
		`Customers told, median: 20 min`,
		`<td>20 min</td>`, // the table beside the chart
		`published studies of public status pages put the first public update about half an hour after detection on average`,
		`<strong id="tell-vs-reference">20 min, 10 min below it</strong>`,
		`class="chart-ref"`,
		`Billing: 1`,
		`href="/accounts/Acme%20&amp;%20Co">Acme &amp; Co</a>`,
		`<label for="in-from">`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("insights page lacks %q", want)
		}
	}
	if strings.Contains(page, "<script>") || strings.Contains(page, "https://") {
		t.Error("the insights page loads something from elsewhere or runs inline script")
	}

	for _, tc := range []struct {
		query, want string
		status      int
	}{
		{"?team=Payments&severity=2", `<strong>1</strong> incident`, 200},
		{"?team=Nobody", `<strong>0</strong> incidents`, 200},
		{"?component=Email&from=2026-11-03&to=2026-11-03", `<strong>1</strong> incident`, 200},
		{"?from=2026-11-04", `<strong>0</strong> incidents`, 200},
		{"?from=soon", `must be a date written YYYY-MM-DD`, 400},
		{"?severity=9", `must be 1 to 4`, 400},
	} {
		res, page := a.do(t, request{method: "GET", path: "/insights" + tc.query, role: amends.Viewer})
		if res.StatusCode != tc.status || !strings.Contains(page, tc.want) {
			t.Errorf("%s: %d, want %d with %q", tc.query, res.StatusCode, tc.status, tc.want)
		}
	}
	if res, _ := a.do(t, request{method: "GET", path: "/insights"}); res.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: %d, want a redirect to sign in", res.StatusCode)
	}

	res, page = a.do(t, request{method: "GET", path: "/accounts/" + url.PathEscape("Acme & Co"), role: amends.Viewer})
	if res.StatusCode != 200 || !strings.Contains(page, "Trust ledger: Acme &amp; Co") || !strings.Contains(page, "No incident has touched this account.") {
		t.Errorf("ledger: %d\n%s", res.StatusCode, page)
	}
	if res, _ := a.do(t, request{method: "GET", path: "/accounts/Nobody", role: amends.Viewer}); res.StatusCode != 404 {
		t.Errorf("ledger of nobody: %d", res.StatusCode)
	}
	_, page = a.do(t, request{method: "GET", path: "/customers", role: amends.Viewer})
	if !strings.Contains(page, `ledger<span class="visually-hidden"> of Acme &amp; Co</span>`) {
		t.Error("the customers page does not link the account's ledger")
	}
}

func TestColumnsLabelAtMostEightMonths(t *testing.T) {
	var months []amends.MonthInsight
	for i := range 24 {
		months = append(months, amends.MonthInsight{Month: time.Date(2025, time.Month(1+i), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")})
	}
	c := columns("c", "t", months, func(m amends.MonthInsight) (float64, string, bool) { return 1, "1", true }, 2)
	if none := columns("c", "t", months, func(m amends.MonthInsight) (float64, string, bool) { return 0, "none", false }, 2); none.Columns != nil {
		t.Error("a chart of months without figures has columns")
	}
	shown := 0
	for _, col := range c.Columns {
		if col.ShowLabel {
			shown++
		}
		if col.X < 0 || col.X+col.W > chartW || col.H != columnH/2 {
			t.Errorf("column %+v outside the chart or of the wrong height", col)
		}
	}
	if len(c.Columns) != 24 || shown != 8 {
		t.Errorf("%d columns, %d labels shown; want 24 and 8", len(c.Columns), shown)
	}
}

// TestBrowserInsights opens the insights page in a real Chromium: the charts are drawn without
// any script of ours, their bars take the theme's colours in light and dark, and at 360 px
// nothing scrolls sideways; the filter form works by a plain GET.
func TestBrowserInsights(t *testing.T) {
	bctx := amendstest.Browser(t)
	clock := amendstest.NewClock(time.Now().UTC().Truncate(time.Second))
	a := newTestApp(t, clock)
	ctx0 := context.Background()
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	for i, title := range []string{"Invoices doubled for annual plans", "Renewal reminder sent to renewed customers"} {
		noticed := clock.Now().Add(-time.Duration(40*(i+1)) * 24 * time.Hour)
		inc, err := a.store.CreateIncident(ctx0, amends.NewIncident{Title: title, Severity: 2, NoticedAt: &noticed,
			Components: []string{"Billing and invoicing", "Customer messaging"}}, ana)
		if err != nil {
			t.Fatal(err)
		}
		for j, kind := range []amends.EventKind{amends.KindColleaguesTold, amends.KindCustomersTold} {
			when := noticed.Add(time.Duration(5+j*20*(i+1)) * time.Minute)
			if _, err := a.store.AddEvent(ctx0, inc.Ref, amends.NewEvent{Kind: kind, Body: "done", At: &when}, ana); err != nil {
				t.Fatal(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(bctx, time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "insights")
	run, screenshot := steps.run, steps.screenshot
	run(ctx, "sign in as ana",
		chromedp.Navigate(a.srv.URL+"/login?next=%2Finsights"),
		chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-name`, "ana", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#chart-tell svg`, chromedp.ByQuery),
	)
	var count string
	var bars int
	run(ctx, "read the page",
		chromedp.Text(`#insight-count`, &count, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#chart-tell rect").length`, &bars),
	)
	if !strings.HasPrefix(count, "2 incidents") || bars != 4 {
		t.Errorf("count %q, %d bars", count, bars)
	}
	fills := map[string]string{}
	for _, scheme := range []string{"light", "dark"} {
		var fill, bg string
		run(ctx, scheme, emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}),
			chromedp.Evaluate(`getComputedStyle(document.querySelector("#chart-tell rect.bar-a")).fill`, &fill),
			chromedp.Evaluate(`getComputedStyle(document.body).backgroundColor`, &bg))
		if fill == bg || fill == "" {
			t.Errorf("%s: bar fill %q on background %q", scheme, fill, bg)
		}
		fills[scheme] = fill
		screenshot(ctx, "insights-"+scheme)
	}
	if fills["light"] == fills["dark"] {
		t.Errorf("bars are %s in both light and dark", fills["light"])
	}
	run(ctx, "filter by component",
		chromedp.SetValue(`#in-component`, "Customer messaging", chromedp.ByQuery),
		chromedp.SetValue(`#in-severity`, "2", chromedp.ByQuery),
		chromedp.Click(`#insight-filters button[type=submit]`, chromedp.ByQuery),
		// The "All incidents" link is on a filtered page only: the answer has arrived.
		chromedp.WaitVisible(`#insight-filters a[href="/insights"]`, chromedp.ByQuery),
		chromedp.Text(`#insight-count`, &count, chromedp.ByQuery),
	)
	var loc string
	run(ctx, "where", chromedp.Location(&loc))
	if !strings.Contains(loc, "component=Customer+messaging") || !strings.HasPrefix(count, "2 incidents") {
		t.Errorf("filtered at %s: %q", loc, count)
	}
	run(ctx, "360 px", chromedp.EmulateViewport(360, 800), chromedp.Navigate(a.srv.URL+"/insights"), chromedp.WaitVisible(`main`, chromedp.ByQuery))
	assertFits(t, ctx, "insights")
	screenshot(ctx, "insights-360")
}

// TestLedgerPage shows the trust ledger of an account that was sent a message, promised
// something and asked for feedback.
func TestLedgerPage(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	ctx := context.Background()
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	inc := a.declare(t, "Wrong invoice sent", at("14:00"))
	if _, err := a.store.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check every invoice run before it goes out",
		Kind: amends.ActionPrevention, Owner: "ana", Due: clock.Now().Add(72 * time.Hour), Public: true}, ana); err != nil {
		t.Fatal(err)
	}
	tokens := seedSurveys(t, a.store, clock, inc)
	if _, err := a.store.AnswerSurvey(ctx, tokens["ada@acme.example"], amends.Answer{Rating: 4, Comment: "Honest & quick."}); err != nil {
		t.Fatal(err)
	}
	res, page := a.do(t, request{method: "GET", path: "/accounts/Acme", role: amends.Viewer})
	if res.StatusCode != 200 {
		t.Fatalf("ledger: %d\n%s", res.StatusCode, page)
	}
	for _, want := range []string{
		`<h1>Trust ledger: Acme</h1>`,
		`<a href="/incidents/` + inc.Ref + `">` + inc.Ref + `</a> Wrong invoice sent`,
		`We sent you the wrong invoice</a> <span class="hint">(acknowledgement) to ada@acme.example`,
		`to cy@acme.example`,
		`Check every invoice run before it goes out`,
		`>open</strong>`,
		`Ada Lovelace: <strong>4 of 5</strong> “Honest &amp; quick.”`,
		`cy@acme.example: <span class="hint">asked`,
		`4.0 of 5`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("ledger lacks %q", want)
		}
	}
	if strings.Contains(page, "bob@globex.example") {
		t.Error("Globex's customer is in Acme's ledger")
	}
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	cdp "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/statuspage"
)

// xssRecorder runs before any script of every document: window.__xss collects the field
// marks of payloads that ran, window.__csp the Content-Security-Policy violations the page
// caused, and alert, confirm and prompt are recorded instead of opening a dialog.
const xssRecorder = `(() => {
  window.__xss = [];
  window.__csp = [];
  const hit = (m) => window.__xss.push("dialog:" + String(m));
  window.alert = hit; window.confirm = hit; window.prompt = hit;
  document.addEventListener("securitypolicyviolation", (e) => {
    window.__csp.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " +
      e.sourceFile + ":" + e.lineNumber + " sample " + JSON.stringify(e.sample || ""));
  });
})();`

// xssInspect reads what a page did and shows once it has loaded: the marks that ran, the CSP
// violations, the visible text (with the values of form fields, which a person sees too),
// and any markup that could run a script if it came from a user rather than from our
// templates: event-handler attributes, javascript: URLs, inline or foreign scripts, frames,
// and htmx's hx-on attributes.
const xssInspect = `(() => {
  const text = [document.body ? document.body.innerText : ""];
  document.querySelectorAll("input:not([type=hidden]):not([type=password]), textarea").forEach(e => text.push(e.value));
  const bad = [];
  for (const e of document.querySelectorAll("*")) {
    for (const a of e.attributes) {
      const n = a.name.toLowerCase(), v = a.value.replace(/[\s\u0000-\u001f]/g, "").toLowerCase();
      if (n.startsWith("on") || n.startsWith("hx-on") || n === "srcdoc") bad.push(e.tagName + " " + n + "=" + a.value);
      if (["href", "src", "action", "formaction", "xlink:href", "data", "poster"].includes(n) &&
          (v.startsWith("javascript:") || v.startsWith("vbscript:") || v.startsWith("data:text/html"))) bad.push(e.tagName + " " + n + "=" + a.value);
    }
    const tag = e.tagName.toLowerCase();
    if (tag === "script" && !(e.getAttribute("src") || "").startsWith("/static/")) bad.push("script " + (e.getAttribute("src") || e.textContent.slice(0, 80)));
    if (["iframe", "frame", "object", "embed", "base"].includes(tag)) bad.push(tag + " element");
    if (tag === "meta" && (e.getAttribute("http-equiv") || "").toLowerCase() === "refresh") bad.push("meta refresh");
  }
  const hrefs = Array.from(document.querySelectorAll("a[href]")).map(a => a.getAttribute("href"));
  return {xss: window.__xss || ["no recorder"], csp: window.__csp || [], text: text.join("\n"), bad: bad, hrefs: hrefs};
})()`

// pageReport is what xssInspect returns.
type pageReport struct {
	XSS   []string `json:"xss"`
	CSP   []string `json:"csp"`
	Text  string   `json:"text"`
	Bad   []string `json:"bad"`
	Hrefs []string `json:"hrefs"`
}

// xssPlanted is one value written into one user-writable field.
type xssPlanted struct {
	id, field, value string
	// shown is what a person must read wherever the field is shown: the value itself, or for
	// Markdown (whose raw HTML is dropped on purpose) the sentence around it.
	shown string
}

// xssPayloads are the shapes a value that would run if it were not escaped takes: a script
// element, an image whose error handler runs, an attribute breaking out of double and single
// quotes, a javascript: link, and htmx attributes (which htmx would act on if they were markup).
var xssPayloads = []string{
	`<script>__xss.push('%s')</script>`,
	`<img src=x onerror="__xss.push('%s')">`,
	`"><svg onload="__xss.push('%s')">`,
	`'><img src=x onerror=__xss.push('%s')>`,
	`<a href="javascript:__xss.push('%s')">link</a>`,
	`<b hx-get="/" hx-trigger="load" hx-on::before-request="__xss.push('%s')">h</b>`,
	`</textarea></title><img src=x onerror=__xss.push('%s')>`,
}

// xssSeeds plants values in every field and remembers them.
type xssSeeds struct {
	t       *testing.T
	list    []xssPlanted
	groupID int64 // the group whose contacts are planted
}

// next returns a new value for field: its mark, then one of the payloads.
func (s *xssSeeds) next(field string) string {
	id := fmt.Sprintf("X%02d", len(s.list)+1)
	v := id + " " + fmt.Sprintf(xssPayloads[len(s.list)%len(xssPayloads)], id)
	s.list = append(s.list, xssPlanted{id: id, field: field, value: v, shown: v})
	return v
}

// markdown returns a Markdown value for field with raw HTML, a javascript: link and an image
// whose error handler runs; only the plain sentence must be shown.
func (s *xssSeeds) markdown(field string) string {
	id := fmt.Sprintf("X%02d", len(s.list)+1)
	sentence := id + " this section says what happened"
	v := fmt.Sprintf("%s.\n\n<script>__xss.push('%s')</script>\n\n<img src=x onerror=\"__xss.push('%s')\">\n\n"+
		"[click %s](javascript:__xss.push('%s')) and ![i](javascript:__xss.push('%s')) and <a href=\"javascript:__xss.push('%s')\">x</a>\n\n"+
		"<details open ontoggle=\"__xss.push('%s')\">d</details> [data](data:text/html,<script>__xss.push('%s')</script>)\n",
		sentence, id, id, id, id, id, id, id, id)
	s.list = append(s.list, xssPlanted{id: id, field: field, value: v, shown: sentence})
	return v
}

// add records a value written some other way (an address, a file name) under a new mark.
func (s *xssSeeds) add(field, value, shown string) string {
	id := fmt.Sprintf("X%02d", len(s.list)+1)
	s.list = append(s.list, xssPlanted{id: id, field: field, value: strings.ReplaceAll(value, "ID", id), shown: strings.ReplaceAll(shown, "ID", id)})
	return s.list[len(s.list)-1].value
}

// hasXSSMark reports whether text holds the mark id ("X07"), not just the start of a longer one.
func hasXSSMark(text, id string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], id)
		if j < 0 {
			return false
		}
		end := i + j + len(id)
		if end == len(text) || text[end] < '0' || text[end] > '9' {
			return true
		}
		i = end
	}
}

// byField returns the value planted in field.
func (s *xssSeeds) byField(field string) xssPlanted {
	s.t.Helper()
	for _, p := range s.list {
		if p.field == field {
			return p
		}
	}
	s.t.Fatalf("nothing planted in %q", field)
	return xssPlanted{}
}

// xssVisit is one page to load and the fields it must show.
type xssVisit struct {
	name, url string
	want      []string // fields whose value (or Markdown sentence) the page must show literally
	// links are fields holding a URL that the page must link to, exactly.
	links []string
	// public pages must show nothing planted but want: no other field's mark may be anywhere
	// in the page, text or markup.
	public bool
}

// xssFields is a readable way to list the fields a page shows.
func xssFields(f ...string) []string { return f }

// TestBrowserNoPayloadRuns plants a payload that would run if it were not escaped in every
// field a person or a system can write (see plantEverything), then loads every page that shows
// them in headless Chromium, signed in as an admin or signed out for the public ones, and for
// each page checks that no payload ran, that no markup that could run came through, that the
// fields the page shows are shown literally (escaped, not dropped), that a public page shows
// no internal field, and, in a second pass with the page's Content-Security-Policy enforced,
// that nothing violated it. It also types payloads where the page answers as you type (the
// ownership check, the composer's preview) and imports customers whose file is a payload.
//
// The first pass tells Chromium to ignore the pages' CSP: the policy forbids inline script, so
// with it an unescaped payload would be blocked rather than run, and escaping is what is under
// test. The second pass checks the policy itself: a page that needed an inline script or
// style it does not allow would report a violation.
func TestBrowserNoPayloadRuns(t *testing.T) {
	bctx := amendstest.Browser(t)
	a := newTestApp(t, nil)
	s := &xssSeeds{t: t}
	w := plantEverything(t, a, s)
	bg := context.Background()

	// The public status page, served by its own publisher over the same store.
	mux := http.NewServeMux()
	w.status = httptest.NewServer(mux)
	t.Cleanup(w.status.Close)
	pub, err := statuspage.New(statuspage.Config{Store: a.store, BaseURL: w.status.URL, Logger: a.web.log})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range pub.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	if _, err := pub.Refresh(bg); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(bctx, 4*time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "xss")
	bypass := true
	install := func(ctx context.Context) {
		t.Helper()
		steps.run(ctx, "install the recorder", chromedp.ActionFunc(func(ctx context.Context) error {
			if _, err := cdp.AddScriptToEvaluateOnNewDocument(xssRecorder).Do(ctx); err != nil {
				return err
			}
			return cdp.SetBypassCSP(bypass).Do(ctx)
		}))
	}
	install(ctx)
	steps.run(ctx, "sign in as the admin",
		chromedp.Navigate(a.srv.URL+"/login"),
		chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-name`, "ada", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav[aria-label=Main]`, chromedp.ByQuery),
	)
	public, closePublic := incognito(t, ctx)
	defer closePublic()
	install(public)

	fieldOf := func(id string) string {
		for _, p := range s.list {
			if p.id == id {
				return p.field
			}
		}
		return id
	}
	// read inspects the page ctx shows now.
	read := func(ctx context.Context, name string) (rep pageReport, html string) {
		t.Helper()
		steps.run(ctx, "inspect "+name, chromedp.Evaluate(xssInspect, &rep),
			chromedp.Evaluate(`document.documentElement.outerHTML`, &html))
		return rep, html
	}
	// check inspects the page ctx shows now, failing the test for what it finds.
	check := func(ctx context.Context, v xssVisit) {
		t.Helper()
		rep, html := read(ctx, v.name)
		for _, id := range rep.XSS {
			t.Errorf("%s: a payload ran: %s (%s)", v.name, id, fieldOf(id))
		}
		for _, b := range rep.Bad {
			t.Errorf("%s: markup that could run: %s", v.name, b)
		}
		if !bypass {
			for _, c := range rep.CSP {
				t.Errorf("%s: Content-Security-Policy violation: %s", v.name, c)
			}
			return
		}
		var shown []string
		for _, p := range s.list {
			if p.shown != "" && strings.Contains(rep.Text, p.shown) {
				shown = append(shown, p.field)
			}
			if v.public && !slices.Contains(v.want, p.field) && hasXSSMark(html, p.id) {
				t.Errorf("public %s shows the %s (%s)", v.name, p.field, p.id)
			}
		}
		t.Logf("%s shows: %s", v.name, strings.Join(shown, "; "))
		for _, f := range v.links {
			want := s.byField(f).value
			if !slices.ContainsFunc(rep.Hrefs, func(h string) bool { u, err := url.PathUnescape(h); return err == nil && u == want }) {
				t.Errorf("%s has no link to the %s %q; links: %q", v.name, f, want, rep.Hrefs)
			}
		}
		for _, f := range v.want {
			if !slices.Contains(shown, f) {
				t.Errorf("%s does not show the %s literally (%q)", v.name, f, s.byField(f).shown)
			}
		}
	}
	inspect := func(ctx context.Context, v xssVisit) {
		t.Helper()
		steps.run(ctx, "load "+v.name, chromedp.Navigate(v.url), chromedp.WaitReady(`body`, chromedp.ByQuery))
		check(ctx, v)
	}

	// A value that arrives in a query string is reflected, never run.
	reflected := func(name string) string { return url.QueryEscape(s.next("query " + name)) }
	ref, inc := w.inc.Ref, a.srv.URL+"/incidents/"+w.inc.Ref
	msg := func(m *amends.Message) string { return fmt.Sprintf("%s/messages/%d", a.srv.URL, m.ID) }
	timeline := xssFields("incident title", "incident summary", "incident owner", "component", "incident lead", "incident comms",
		"internal note", "public update", "status note", "correction")
	incidentPage := append(timeline, "group name", "contact name", "sent message subject", "sent message body", "draft subject v2",
		"public action title", "internal action title", "dropped action title", "drop reason", "waiver reason", "attachment name")
	if w.team {
		incidentPage = append(incidentPage, "incident team")
	}
	if w.surveys != nil {
		incidentPage = append(incidentPage, "survey comment", "survey 1 customer name", "survey 1 customer account", "typed survey comment")
	}
	// Every section as last saved (the solution was saved twice); the public edition has
	// those public by default.
	sections := xssFields("postmortem solution v2")
	for _, name := range amends.Sections {
		if name != amends.SectionSolution {
			sections = append(sections, "postmortem "+string(name))
		}
	}
	postmortem := append(xssFields("incident title", "incident summary", "incident lead", "incident comms", "public update", "status note",
		"correction", "sent message subject", "send override reason",
		"public action title", "internal action title", "dropped action title", "drop reason", "waiver reason", "attachment name"), sections...)
	var publicSections []string
	for _, name := range amends.Sections {
		if name.PublicByDefault() && name != amends.SectionSolution {
			publicSections = append(publicSections, "postmortem "+string(name))
		}
	}
	draft := xssFields("incident title", "audience name", "audience account", "audience column value",
		"draft subject v1", "draft body v1", "draft subject v2", "draft body v2")
	visits := []xssVisit{
		{name: "home", url: a.srv.URL + "/", want: xssFields("incident title", "incident owner", "alert summary")},
		{name: "incident list", url: a.srv.URL + "/incidents", want: xssFields("incident title", "incident owner", "alert summary")},
		{name: "declare", url: a.srv.URL + "/incidents/new"},
		{name: "incident list, filtered", url: a.srv.URL + "/incidents?status=" + reflected("status") + "&severity=" + reflected("severity")},
		{name: "incident", url: inc, want: incidentPage, links: xssFields("ticket URL")},
		{name: "incident, correcting", url: fmt.Sprintf("%s?correct=%d#correct", inc, w.correctID), want: incidentPage},
		{name: "incident, delivery log", url: inc + "?to=" + reflected("delivery log to") + "&correct=" + reflected("correct"),
			want: append(xssFields("query delivery log to"), incidentPage...)},
		{name: "alert incident", url: a.srv.URL + "/incidents/" + w.alert.Ref,
			want: xssFields("alert summary", "alert description", "alert name", "alert instance")},
		{name: "postmortem", url: inc + "/postmortem", want: postmortem},
		{name: "postmortem versions", url: inc + "/postmortem/versions?section=solution&from=1&to=2",
			want: xssFields("postmortem solution", "postmortem solution v2")},
		{name: "postmortem versions, bad section", url: inc + "/postmortem/versions?section=" + reflected("section") + "&from=1&to=2"},
		{name: "postmortem print", url: inc + "/postmortem/print", want: postmortem},
		{name: "image attachment", url: a.srv.URL + w.image},
		{name: "audience", url: inc + "/audience", want: xssFields("incident title", "audience name", "audience account", "audience column value")},
		{name: "audience, paged", url: inc + "/audience?done=" + reflected("audience done") + "&after=" + reflected("audience after"),
			want: xssFields("incident title")},
		{name: "messages", url: inc + "/messages", want: xssFields("incident title", "sent message subject", "draft subject v2")},
		{name: "new message", url: inc + "/messages/new?template=" + reflected("template")},
		{name: "sent message", url: msg(w.sent), want: xssFields("incident title", "audience name", "sent message subject", "sent message body")},
		{name: "sent message, by state", url: msg(w.sent) + "?state=" + reflected("delivery state") + "&after=" + reflected("delivery after")},
		{name: "draft message", url: msg(w.open), want: draft},
		{name: "draft message, v1", url: msg(w.open) + "?v=1", want: draft},
		{name: "draft message, preview for", url: msg(w.open) + "?to=" + reflected("preview to"),
			want: xssFields("incident title", "draft subject v2", "draft body v2", "query preview to")},
		{name: "edit message", url: msg(w.open) + "/edit", want: xssFields("incident title", "audience name", "audience account",
			"audience column value", "draft subject v2", "draft body v2")},
		{name: "customers", url: a.srv.URL + "/customers", want: xssFields("customer name", "customer account")},
		{name: "customers, filtered", url: a.srv.URL + "/customers?account=" + reflected("customer account filter") + "&segment=" + reflected("segment filter"),
			want: xssFields("query customer account filter", "query segment filter")},
		{name: "what I owe", url: a.srv.URL + "/owe", want: xssFields("public action title", "internal action title"), links: xssFields("ticket URL")},
		{name: "users", url: a.srv.URL + "/admin/users?created=" + reflected("created user"), want: xssFields("query created user")},
		{name: "audit", url: a.srv.URL + "/admin/audit", want: xssFields("group name", "contact name", "escalation contact name",
			"incident title", "public action title", "internal action title", "dropped action title", "attachment name", "alert summary")},
		{name: "groups", url: a.srv.URL + "/admin/groups?done=" + reflected("groups done"),
			want: xssFields("group name", "contact name", "escalation contact name")},
	}
	publicVisits := []xssVisit{
		{name: "public postmortem", url: a.srv.URL + "/postmortems/" + ref, public: true,
			want: append(xssFields("incident title", "public update", "public action title", "postmortem solution v2"), publicSections...)},
		{name: "read link", url: a.srv.URL + w.ackPath, want: xssFields("incident title", "incident summary", "incident owner", "component")},
		{name: "sign in, next", url: a.srv.URL + "/login?next=" + reflected("next")},
		{name: "status page", url: w.status.URL + "/status", public: true,
			want: xssFields("incident title", "component", "public update", "public action title")},
		{name: "status page, confirm", url: w.status.URL + "/status/confirm/" + url.PathEscape(s.next("query confirm token"))},
		{name: "status page, unsubscribe", url: w.status.URL + "/status/unsubscribe/" + url.PathEscape(s.next("query unsubscribe token"))},
	}
	if w.surveys != nil {
		publicVisits = append(publicVisits,
			xssVisit{name: "survey, answered", url: a.srv.URL + "/survey/" + w.surveys[1], public: true, want: xssFields("incident title")})
	}
	// Every page of the route table is visited above, or below when this build has it, but
	// for these, which are not HTML pages made of fields.
	notPages := map[string]string{
		"GET /static/{file...}":                 "our own stylesheet and scripts",
		"GET /incidents/{ref}/postmortem.md":    "text/markdown with nosniff, Markdown-escaped (amends.EscapeMarkdown)",
		"GET /lint":                             "typed into below",
		"GET /incidents/{ref}/attachments/{id}": "visited as the image; other files are downloads, and markup is refused on upload",
	}
	defer func() {
		visited := map[string]bool{}
		for _, v := range append(append([]xssVisit(nil), visits...), publicVisits...) {
			u, err := url.Parse(v.url)
			if err != nil {
				t.Fatal(err)
			}
			visited[u.EscapedPath()] = true
		}
		for _, rt := range a.web.table() {
			pattern := rt.method + " " + rt.path
			if rt.method != "GET" || notPages[pattern] != "" {
				continue
			}
			path := strings.NewReplacer("{$}", "", "{ref}", ref, "{token}", "*", "{id}", "*", "{account}", "*").Replace(rt.path)
			found := false
			for p := range visited {
				if ok, _ := filepath.Match(path, p); ok || path == p {
					found = true
				}
			}
			if !found {
				t.Errorf("%s is a page this test does not visit: plant what it shows and add it", pattern)
			}
		}
	}()

	// Pages of features that may not be in this build yet.
	if _, ok := a.web.tableRoute("GET /insights"); ok {
		visits = append(visits, xssVisit{name: "insights", url: a.srv.URL + "/insights", want: xssFields("component", "customer account")},
			xssVisit{name: "insights, filtered", url: a.srv.URL + "/insights?component=" + reflected("insights component") +
				"&team=" + reflected("insights team") + "&from=" + reflected("insights from")})
	} else {
		t.Log("no insights page in this build; it is not part of this check")
	}
	if _, ok := a.web.tableRoute("GET /accounts/{account}"); ok {
		visits = append(visits, xssVisit{name: "account ledger", url: a.srv.URL + "/accounts/" + url.PathEscape(s.byField("customer account").value),
			want: xssFields("customer account")})
	} else {
		t.Log("no account ledger in this build; it is not part of this check")
	}

	// The canary: a page that does not escape at all must be caught, or this test could not
	// fail. Its payload runs when the policy is bypassed; with the policy, it is blocked and
	// the violation is reported.
	canary := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		rw.Header().Set("Content-Type", "text/html; charset=utf-8")
		rw.Header().Set("Content-Security-Policy", "default-src 'self'")
		fmt.Fprintf(rw, "<!doctype html><title>canary</title><body><p>%s</p></body>", r.URL.Query().Get("v"))
	}))
	t.Cleanup(canary.Close)
	sing := func() {
		t.Helper()
		steps.run(ctx, "load the canary", chromedp.Navigate(canary.URL+"/?v="+url.QueryEscape(
			`<script>__xss.push('canary script')</script><img src=x onerror="__xss.push('canary image')">`)),
			chromedp.WaitReady(`body`, chromedp.ByQuery))
		rep, _ := read(ctx, "canary")
		switch {
		case bypass && (!slices.Contains(rep.XSS, "canary script") || !slices.Contains(rep.XSS, "canary image") || len(rep.Bad) < 2):
			t.Errorf("the canary's payloads ran unseen: ran %v, markup found %v", rep.XSS, rep.Bad)
		case !bypass && (len(rep.XSS) != 0 || len(rep.CSP) == 0):
			t.Errorf("with its policy enforced the canary ran %v and reported %v", rep.XSS, rep.CSP)
		}
	}

	// Pages that answer as you type or post: each typed or uploaded value is a payload.
	interact := func() {
		t.Helper()
		lint := s.byField("typed draft").value + " Mistakes were made and we apologize for any inconvenience."
		steps.run(ctx, "type into the ownership check",
			chromedp.Navigate(a.srv.URL+"/lint"),
			chromedp.WaitVisible(`#lint-text`, chromedp.ByQuery),
			chromedp.SetValue(`#lint-text`, lint, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector("#lint-text").dispatchEvent(new Event("input", {bubbles: true})); true`, nil),
			chromedp.WaitVisible(`#draft`, chromedp.ByQuery),
		)
		check(ctx, xssVisit{name: "ownership check, typed", want: xssFields("typed draft")})

		subject, body := s.byField("typed subject"), s.byField("typed body")
		steps.run(ctx, "type into the composer",
			chromedp.Navigate(inc+"/messages/new"),
			chromedp.WaitVisible(`#m-body`, chromedp.ByQuery),
			chromedp.SetValue(`#m-subject`, subject.value, chromedp.ByQuery),
			chromedp.SetValue(`#m-body`, body.value+"\n\n{{plan}}", chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector("#m-body").dispatchEvent(new Event("input", {bubbles: true})); true`, nil),
			chromedp.Poll(fmt.Sprintf(`document.querySelector("#preview").innerText.includes(%q)`, body.id), nil,
				chromedp.WithPollingTimeout(20*time.Second)),
		)
		check(ctx, xssVisit{name: "composer, typed", want: xssFields("typed subject", "typed body", "audience column value")})
	}
	// The customer import: a refused file's report names each bad value; then the good rows.
	importCustomers := func() {
		t.Helper()
		file := filepath.Join(t.TempDir(), "customers.csv")
		csv := fmt.Sprintf("email,name,account,segments\nimported@example.com,%s,%s,vip\nbad@example.com,plain,plain,%s\n",
			xssCSV(s.byField("imported customer name").value), xssCSV(s.byField("imported customer account").value),
			xssCSV(s.byField("segment tag").value))
		if err := os.WriteFile(file, []byte(csv), 0o644); err != nil {
			t.Fatal(err)
		}
		before := a.customerCount(t)
		steps.run(ctx, "import a file with a bad row",
			chromedp.Navigate(a.srv.URL+"/customers"),
			chromedp.WaitVisible(`#import-file`, chromedp.ByQuery),
			chromedp.SetUploadFiles(`#import-file`, []string{file}, chromedp.ByQuery),
			chromedp.Click(`#import-form button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#import-report`, chromedp.ByQuery),
		)
		check(ctx, xssVisit{name: "customer import report", want: xssFields("segment tag")})
		if n := a.customerCount(t); n != before {
			t.Errorf("a refused import changed the customers: %d, were %d", n, before)
		}
		steps.run(ctx, "import its good rows",
			chromedp.WaitVisible(`#import-file`, chromedp.ByQuery),
			chromedp.SetUploadFiles(`#import-file`, []string{file}, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector("input[name=skip_bad]").checked = true`, nil),
			chromedp.Click(`#import-form button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(`#import-report p.notice`, chromedp.ByQuery), // "Imported 1 new, …": the refusal said p.error
		)
		check(ctx, xssVisit{name: "customers after the import", want: xssFields("imported customer name", "imported customer account")})
		if n := a.customerCount(t); n != before+1 {
			t.Errorf("after importing the good row there are %d customers, were %d", n, before)
		}
	}
	// javascript: where a form takes a URL is refused, shown back safely, and changes nothing.
	refuseScriptURLs := func() {
		t.Helper()
		items, err := a.store.ActionItems(bg, ref)
		if err != nil {
			t.Fatal(err)
		}
		steps.run(ctx, "a javascript: ticket link",
			chromedp.Navigate(inc),
			chromedp.WaitVisible(`#ai-title`, chromedp.ByQuery),
			chromedp.SetValue(`#ai-title`, "Check the list before sending", chromedp.ByQuery),
			chromedp.SetValue(`#ai-owner`, "ada", chromedp.ByQuery),
			chromedp.SetValue(`#ai-due`, time.Now().Add(72*time.Hour).Format("2006-01-02"), chromedp.ByQuery),
			chromedp.SetValue(`#ai-ticket`, s.byField("javascript: ticket URL").value, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector("#action-form").requestSubmit(); true`, nil),
			chromedp.WaitVisible(`#action-form .error`, chromedp.ByQuery),
		)
		check(ctx, xssVisit{name: "action form, javascript: ticket link", want: xssFields("javascript: ticket URL")})
		if after, _ := a.store.ActionItems(bg, ref); len(after) != len(items) {
			t.Errorf("a refused ticket link changed the action items: %d, were %d", len(after), len(items))
		}

		g, err := a.store.Group(bg, s.groupID)
		if err != nil {
			t.Fatal(err)
		}
		contact := `article.group form[action$="/contacts"]`
		steps.run(ctx, "a javascript: webhook address",
			chromedp.Navigate(a.srv.URL+"/admin/groups"),
			chromedp.WaitVisible(`article.group`, chromedp.ByQuery),
			chromedp.SetValue(contact+` input[name=name]`, "new hook", chromedp.ByQuery),
			chromedp.SetValue(contact+` select[name=kind]`, "webhook", chromedp.ByQuery),
			chromedp.SetValue(contact+` input[name=address]`, s.byField("javascript: webhook address, typed").value, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector('`+contact+`').requestSubmit(); true`, nil),
			chromedp.WaitVisible(contact+` .error`, chromedp.ByQuery),
		)
		check(ctx, xssVisit{name: "contact form, javascript: address", want: xssFields("javascript: webhook address, typed")})
		if after, _ := a.store.Group(bg, s.groupID); len(after.Contacts) != len(g.Contacts) {
			t.Errorf("a refused webhook address changed the contacts: %d, were %d", len(after.Contacts), len(g.Contacts))
		}
	}
	// The status page's subscribe form, sent with an address that is a payload (the form is
	// submitted without the browser's own checks, as a script or an old browser would).
	subscribe := func() {
		t.Helper()
		steps.run(public, "subscribe with a payload address",
			chromedp.Navigate(w.status.URL+"/status"),
			chromedp.WaitVisible(`#sub-email`, chromedp.ByQuery),
			chromedp.SetValue(`#sub-email`, s.byField("subscriber address").value, chromedp.ByQuery),
			chromedp.Evaluate(`document.querySelector("#sub-email").form.submit(); true`, nil),
			chromedp.WaitNotPresent(`#sub-email`, chromedp.ByQuery),
			chromedp.WaitReady(`body`, chromedp.ByQuery),
		)
		check(public, xssVisit{name: "status page, subscribed"})
	}
	// The survey, answered by a customer who is not signed in, with a payload comment.
	answerSurvey := func() {
		t.Helper()
		steps.run(public, "answer the survey",
			chromedp.Navigate(a.srv.URL+"/survey/"+w.surveys[0]),
			chromedp.WaitVisible(`#survey-form`, chromedp.ByQuery),
			chromedp.Click(`#rating-2`, chromedp.ByQuery),
			chromedp.SetValue(`#comment`, s.byField("typed survey comment").value, chromedp.ByQuery),
			chromedp.Click(`#survey-send`, chromedp.ByQuery),
			chromedp.WaitVisible(`#survey-thanks`, chromedp.ByQuery),
		)
		check(public, xssVisit{name: "survey, thanks", public: true, want: xssFields("incident title")})
	}
	s.next("typed draft")
	s.next("typed subject")
	s.next("typed body")
	s.add("javascript: ticket URL", `javascript:__xss.push('ID')`, `javascript:__xss.push('ID')`)
	s.add("javascript: webhook address, typed", `javascript:__xss.push('ID')//https://hooks.example.com/`, `javascript:__xss.push('ID')//https://hooks.example.com/`)
	s.next("subscriber address")
	s.next("imported customer name")
	s.next("imported customer account")
	s.add("segment tag", `ID<img/src=x/onerror=__xss.push('ID')>`, "")
	s.list[len(s.list)-1].shown = strings.ToLower(s.list[len(s.list)-1].value) // tags are lower-cased before they are checked
	if w.surveys != nil {
		s.next("typed survey comment")
		steps.run(public, "open the unanswered survey", chromedp.Navigate(a.srv.URL+"/survey/"+w.surveys[0]),
			chromedp.WaitVisible(`#survey-form`, chromedp.ByQuery))
		check(public, xssVisit{name: "survey", public: true, want: xssFields("incident title")})
		answerSurvey()
	}
	sing()
	subscribe()
	refuseScriptURLs()
	importCustomers()
	interact()
	for _, v := range visits {
		inspect(ctx, v)
	}
	for _, v := range publicVisits {
		inspect(public, v)
	}

	// Second pass: the pages' own Content-Security-Policy enforced.
	bypass = false
	steps.run(ctx, "enforce CSP", cdp.SetBypassCSP(false))
	steps.run(public, "enforce CSP", cdp.SetBypassCSP(false))
	sing()
	interact()
	for _, v := range visits {
		inspect(ctx, v)
	}
	for _, v := range publicVisits {
		inspect(public, v)
	}
}

package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// xssTitle is a title that would run a script if it were not escaped.
const xssTitle = `<script>alert(1)</script> Wrong renewal email sent`

// TestIncidentLifecycle declares an incident through the forms, records a back-dated event,
// changes status, edits the details and corrects an event, then reads the page.
func TestIncidentLifecycle(t *testing.T) {
	clock := amendstest.NewClock(at("14:44"))
	a := newTestApp(t, clock)
	send := func(path string, form url.Values) *http.Response {
		t.Helper()
		resp, body := a.do(t, request{method: "POST", path: path, role: amends.Responder, form: form})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("POST %s: %d\n%s", path, resp.StatusCode, body)
		}
		return resp
	}
	resp := send("/incidents", url.Values{"title": {"Wrong renewal email sent"}, "summary": {"Renewal emails went to the wrong list."},
		"severity": {"2"}, "noticed_at": {local(at("14:39"))}, "components": {"email, billing"}})
	if loc := resp.Header.Get("Location"); loc != "/incidents/INC-1" {
		t.Fatalf("declare redirected to %q", loc)
	}
	clock.Set(at("15:10"))
	send("/incidents/inc-1/events", url.Values{"kind": {"root_cause"}, "body": {"segment filter inverted"}, "at": {local(at("14:55"))}})
	resp = send("/incidents/INC-1/events", url.Values{"kind": {"colleagues_told"}, "body": {"support, success and sales briefed"},
		"at": {local(at("14:43"))}, "visibility": {"public"}})
	if loc := resp.Header.Get("Location"); !regexp.MustCompile(`^/incidents/INC-1#e\d+$`).MatchString(loc) {
		t.Errorf("add event redirected to %q", loc)
	}
	send("/incidents/INC-1/status", url.Values{"status": {"identified"}, "note": {"the filter is the cause"}})
	send("/incidents/INC-1/details", url.Values{"severity": {"1"}, "owner": {"ana"}, "lead": {"ada"}, "comms": {"vic"},
		"components": {"email"}})

	events, err := a.store.Timeline(context.Background(), "INC-1", false)
	if err != nil {
		t.Fatal(err)
	}
	var rootCause amends.Event
	for _, e := range events {
		if e.Kind == amends.KindRootCause {
			rootCause = e
		}
	}
	clock.Set(at("15:20"))
	send("/incidents/INC-1/events", url.Values{"kind": {"correction"}, "corrects": {fmt.Sprint(rootCause.ID)},
		"body": {"the segment filter was inverted by a config change"}, "at": {local(at("14:54"))}})

	resp, page := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("incident page: %d", resp.StatusCode)
	}
	inc, _ := a.store.Incident(context.Background(), "INC-1")
	if inc.Status != amends.Identified || inc.Severity != 1 || inc.Lead != "ada" || inc.Comms != "vic" ||
		strings.Join(inc.Components, ",") != "email" || inc.Owner != "ana" {
		t.Errorf("incident after the forms: %+v", inc)
	}
	for _, want := range []string{
		`id="status" class="status status-identified">identified<`,
		`<dd id="lead">ada</dd>`,
		`Renewal emails went to the wrong list.`,
		`Colleagues told</span> <strong class="clock">after 4 min</strong>`,
		`Customers told</span> <strong class="clock">not yet</strong>`,
		`data-since="2026-11-03T14:39:00Z"`,
		`recorded 15:10`,
		`<span class="badge">public</span>`,
		`<strong>Corrected</strong>`,
		`Corrects <a href="#e` + fmt.Sprint(rootCause.ID) + `">Root cause found at 14:55</a>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	if strings.Contains(page, `value="closed"`) {
		t.Error("the status form offers closed")
	}
	if strings.Contains(page, `action="/incidents/INC-1/events"`) || strings.Contains(page, "?correct=") {
		t.Error("a viewer is shown the add-event form or a correction link")
	}

	// The timeline is in the order things happened, whatever order they were recorded in.
	var order []string
	for _, m := range regexp.MustCompile(`data-at="([^"]+)" data-kind="([^"]+)"`).FindAllStringSubmatch(page, -1) {
		order = append(order, m[1][11:16]+" "+m[2])
	}
	want := "14:39 noticed|14:43 colleagues_told|14:54 correction|14:55 root_cause|15:10 status|15:10 note|15:10 severity|15:10 owner|15:10 roles|15:10 components"
	want = strings.Replace(want, "|15:10 owner", "", 1) // the owner did not change
	if got := strings.Join(order, "|"); got != want {
		t.Errorf("timeline order\n got %s\nwant %s", got, want)
	}

	resp, list := a.do(t, request{method: "GET", path: "/incidents", role: amends.Viewer})
	if resp.StatusCode != http.StatusOK || !strings.Contains(list, `href="/incidents/INC-1"`) ||
		!strings.Contains(list, "after 4 min") || !strings.Contains(list, "identified") {
		t.Errorf("list: %d\n%s", resp.StatusCode, list)
	}
}

// TestEscaping checks that every user-written field reaches the page as text.
func TestEscaping(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	inc, err := a.store.CreateIncident(context.Background(), amends.NewIncident{Title: xssTitle,
		Summary: `<img src=x onerror=alert(2)>`, Severity: 2, Owner: `"><b>owner</b>`, Components: []string{"<i>c</i>"}},
		amends.Actor{Name: "ana", Role: amends.Responder})
	if err != nil {
		t.Fatal(err)
	}
	e, err := a.store.AddEvent(context.Background(), inc.Ref, amends.NewEvent{Body: `</textarea><script>alert(3)</script>`},
		amends.Actor{Name: "ana", Role: amends.Responder})
	if err != nil {
		t.Fatal(err)
	}
	pages := map[string]request{
		"incident":        {method: "GET", path: "/incidents/INC-1", role: amends.Responder},
		"correction form": {method: "GET", path: fmt.Sprintf("/incidents/INC-1?correct=%d", e.ID), role: amends.Responder},
		"correction form kept": {method: "POST", path: "/incidents/INC-1/events", role: amends.Responder,
			form: url.Values{"kind": {"correction"}, "corrects": {fmt.Sprint(e.ID)}, "body": {"</textarea><script>alert(5)</script>"}, "at": {"x"}}},
		"list": {method: "GET", path: "/incidents", role: amends.Viewer},
		"lint": {method: "POST", path: "/lint", role: amends.Viewer, form: url.Values{"text": {xssTitle + " mistakes were made."}}},
		"declare form kept": {method: "POST", path: "/incidents", role: amends.Responder,
			form: url.Values{"title": {xssTitle}, "summary": {"</textarea><script>alert(4)</script>"}}},
	}
	for name, req := range pages {
		_, body := a.do(t, req)
		for _, bad := range []string{"<script>alert", "<img src=x", "<b>owner", "<i>c</i>", "</textarea><script>"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s: unescaped %q in the page", name, bad)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(") {
			t.Errorf("%s: the script title is not shown as text", name)
		}
	}
}

// TestDeclareFormKeepsInput checks that a refused declaration comes back as typed, with the
// message beside the field that caused it.
func TestDeclareFormKeepsInput(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	resp, body := a.do(t, request{method: "POST", path: "/incidents", role: amends.Responder, form: url.Values{
		"title": {"Invoices doubled"}, "summary": {"Every March invoice twice"}, "severity": {"3"},
		"noticed_at": {local(at("16:00"))}, "owner": {"ada"}, "components": {"billing"}}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	for _, want := range []string{`value="Invoices doubled"`, `>Every March invoice twice</textarea>`,
		`<option value="3" selected>`, `value="` + local(at("16:00")) + `"`, `value="ada"`, `value="billing"`,
		`<label for="d-noticed">`} {
		if !strings.Contains(body, want) {
			t.Errorf("form lacks %q", want)
		}
	}
	label, field := strings.Index(body, `<label for="d-noticed">`), strings.Index(body, `id="d-noticed"`)
	msg := strings.Index(body, "is in the future")
	if !(label < msg && msg < field) {
		t.Errorf("the message is not beside its field (label %d, message %d, field %d)", label, msg, field)
	}
}

func TestIncidentListFiltersAndPages(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	for i := 1; i <= pageSize+5; i++ {
		a.declare(t, fmt.Sprintf("Mistake number %d", i), at("14:00"))
	}
	sev := amends.Severity(4)
	if _, err := a.store.UpdateIncident(context.Background(), "INC-3", amends.IncidentUpdate{Severity: &sev},
		amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	resolved := amends.Resolved
	if _, err := a.store.UpdateIncident(context.Background(), "INC-30", amends.IncidentUpdate{Status: &resolved},
		amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`<th scope="row" data-label="Ref"><a href="/incidents/(INC-\d+)">`)
	refs := func(body string) []string {
		var out []string
		for _, m := range rows.FindAllStringSubmatch(body, -1) {
			out = append(out, m[1])
		}
		return out
	}
	_, body := a.do(t, request{method: "GET", path: "/incidents", role: amends.Viewer})
	first := refs(body)
	if len(first) != pageSize || first[0] != "INC-29" {
		t.Fatalf("first page: %v", first)
	}
	next := regexp.MustCompile(`href="(/incidents\?after=[^"]+)" rel="next"`).FindStringSubmatch(body)
	if next == nil {
		t.Fatal("no next page link")
	}
	_, body = a.do(t, request{method: "GET", path: strings.ReplaceAll(next[1], "&amp;", "&"), role: amends.Viewer})
	second := refs(body)
	if len(second) != 5 || second[len(second)-1] != "INC-30" {
		t.Errorf("second page: %v (open first, the resolved one last)", second)
	}
	_, body = a.do(t, request{method: "GET", path: "/incidents?severity=4", role: amends.Viewer})
	if got := refs(body); len(got) != 1 || got[0] != "INC-3" || !strings.Contains(body, `<option value="4" selected>`) {
		t.Errorf("severity 4: %v", got)
	}
	_, body = a.do(t, request{method: "GET", path: "/incidents?status=resolved", role: amends.Viewer})
	if got := refs(body); len(got) != 1 || got[0] != "INC-30" || !strings.Contains(body, "resolved after 1 h") {
		t.Errorf("resolved: %v", got)
	}
	_, body = a.do(t, request{method: "GET", path: "/incidents?status=open&severity=1", role: amends.Viewer})
	if got := refs(body); len(got) != 0 || !strings.Contains(body, "No incidents match these filters.") {
		t.Errorf("open sev 1: %v", got)
	}
}

func TestAdminCreatesUser(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	resp, _ := a.do(t, request{method: "POST", path: "/admin/users", role: amends.Admin,
		form: url.Values{"name": {"sam"}, "role": {"viewer"}, "password": {testPassword}}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/users?created=sam" {
		t.Fatalf("create user: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := a.store.Authenticate(context.Background(), "sam", testPassword); err != nil {
		t.Errorf("the new user cannot sign in: %v", err)
	}
	_, body := a.do(t, request{method: "GET", path: "/admin/audit", role: amends.Admin})
	if !strings.Contains(body, "user.create") || !strings.Contains(body, "sam") {
		t.Errorf("audit log lacks the new user:\n%s", body)
	}
}

func TestStaticAssets(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	for name, ctype := range map[string]string{"app.css": "text/css", "app.js": "javascript", "htmx.min.js": "javascript"} {
		resp, body := a.do(t, request{method: "GET", path: a.web.assets.url(name)})
		if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Type"), ctype) ||
			!strings.Contains(resp.Header.Get("Cache-Control"), "immutable") || len(body) == 0 {
			t.Errorf("%s: %d %q %q", name, resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Cache-Control"))
		}
	}
	_, page := a.do(t, request{method: "GET", path: "/login"})
	if !strings.Contains(page, a.web.assets.url("htmx.min.js")) || strings.Contains(page, "://") && strings.Contains(page, "cdn") {
		t.Errorf("the page does not load the embedded htmx")
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Minute:                    "under 1 min",
		59 * time.Second:                "under 1 min",
		4 * time.Minute:                 "4 min",
		59*time.Minute + 59*time.Second: "59 min",
		time.Hour:                       "1 h",
		4*time.Hour + 6*time.Minute:     "4 h 6 min",
		24 * time.Hour:                  "1 d",
		50 * time.Hour:                  "2 d 2 h",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
	}
}

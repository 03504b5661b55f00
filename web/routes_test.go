package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// TestRoutes drives every route with people of each role and bad input. None of the requests
// may change anything: after the table, the store holds exactly what it held before.
func TestRoutes(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	a.declare(t, "Wrong renewal email sent", at("14:39"))
	css := a.web.assets.url("app.css")

	declare := url.Values{"title": {"Invoices doubled"}, "severity": {"2"}}
	note := url.Values{"kind": {"note"}, "body": {"troubleshooting starts"}}
	const (
		viewer    = amends.Viewer
		responder = amends.Responder
		admin     = amends.Admin
		signedOut = amends.Role("")
	)
	cases := []struct {
		name       string
		req        request
		wantStatus int
		wantLoc    string // the redirect's Location, when one is expected
		wantBody   string // a substring of the answer
	}{
		{"signed out: list", request{method: "GET", path: "/incidents"}, 303, "/login?next=%2Fincidents", ""},
		{"signed out: incident keeps query", request{method: "GET", path: "/incidents/INC-1?x=1"}, 303, "/login?next=%2Fincidents%2FINC-1%3Fx%3D1", ""},
		{"signed out: root", request{method: "GET", path: "/"}, 303, "/login?next=%2F", ""},
		{"signed out: lint", request{method: "GET", path: "/lint"}, 303, "/login?next=%2Flint", ""},
		{"signed out: admin", request{method: "GET", path: "/admin/users"}, 303, "/login?next=%2Fadmin%2Fusers", ""},
		{"signed out: declare", request{method: "POST", path: "/incidents", form: declare}, 303, "/login", ""},
		{"signed out: login page", request{method: "GET", path: "/login"}, 200, "", `name="password"`},
		{"signed out: asset", request{method: "GET", path: css}, 200, "", "prefers-color-scheme"},
		{"asset with a stale hash", request{method: "GET", path: "/static/000000000000/app.css"}, 404, "", ""},
		{"unknown asset", request{method: "GET", path: "/static/000000000000/nope.js"}, 404, "", ""},

		{"root goes to the list", request{method: "GET", path: "/", role: viewer}, 303, "/incidents", ""},
		{"viewer reads the list", request{method: "GET", path: "/incidents", role: viewer}, 200, "", "Wrong renewal email sent"},
		{"viewer reads an incident", request{method: "GET", path: "/incidents/INC-1", role: viewer}, 200, "", "Wrong renewal email sent"},
		{"lower-case ref", request{method: "GET", path: "/incidents/inc-1", role: viewer}, 200, "", "INC-1"},
		{"viewer reads the check", request{method: "GET", path: "/lint", role: viewer}, 200, "", `<label for="lint-text">`},
		{"viewer uses the check", request{method: "POST", path: "/lint", role: viewer, form: url.Values{"text": {"We are sorry."}}}, 200, "", "Verdict"},
		{"viewer gets no declare form", request{method: "GET", path: "/incidents/new", role: viewer}, 403, "", "your role is viewer"},
		{"viewer cannot declare", request{method: "POST", path: "/incidents", role: viewer, form: declare}, 403, "", ""},
		{"viewer cannot add events", request{method: "POST", path: "/incidents/INC-1/events", role: viewer, form: note}, 403, "", ""},
		{"viewer cannot change status", request{method: "POST", path: "/incidents/INC-1/status", role: viewer, form: url.Values{"status": {"identified"}}}, 403, "", ""},
		{"viewer cannot edit details", request{method: "POST", path: "/incidents/INC-1/details", role: viewer, form: url.Values{"severity": {"1"}}}, 403, "", ""},
		{"viewer: no admin", request{method: "GET", path: "/admin/users", role: viewer}, 403, "", ""},
		{"responder: no admin", request{method: "GET", path: "/admin/audit", role: responder}, 403, "", ""},
		{"responder cannot add users", request{method: "POST", path: "/admin/users", role: responder,
			form: url.Values{"name": {"eve"}, "role": {"admin"}, "password": {testPassword}}}, 403, "", ""},
		{"admin reads users", request{method: "GET", path: "/admin/users", role: admin}, 200, "", "vic"},
		{"admin reads the audit log", request{method: "GET", path: "/admin/audit", role: admin}, 200, "", "incident.declare"},
		{"responder gets the declare form", request{method: "GET", path: "/incidents/new", role: responder}, 200, "", `value="ana"`},

		{"no CSRF token", request{method: "POST", path: "/incidents", role: responder, form: declare, csrf: "-"}, 403, "", "reload the page"},
		{"wrong CSRF token", request{method: "POST", path: "/incidents", role: responder, form: declare, csrf: "forged"}, 403, "", ""},
		{"wrong CSRF token on events", request{method: "POST", path: "/incidents/INC-1/events", role: responder, form: note, csrf: "forged"}, 403, "", ""},
		{"no CSRF token on status", request{method: "POST", path: "/incidents/INC-1/status", role: responder, form: url.Values{"status": {"identified"}}, csrf: "-"}, 403, "", ""},
		{"no CSRF token on logout", request{method: "POST", path: "/logout", role: viewer, csrf: "-"}, 403, "", ""},
		{"no CSRF token on admin", request{method: "POST", path: "/admin/users", role: admin, csrf: "-",
			form: url.Values{"name": {"eve"}, "role": {"admin"}, "password": {testPassword}}}, 403, "", ""},
		{"cross-site request", request{method: "POST", path: "/incidents", role: responder, form: declare,
			header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403, "", ""},
		{"foreign origin", request{method: "POST", path: "/incidents", role: responder, form: declare,
			header: map[string]string{"Origin": "https://evil.example"}}, 403, "", ""},

		{"declare without title", request{method: "POST", path: "/incidents", role: responder,
			form: url.Values{"title": {" "}, "summary": {"kept summary"}, "severity": {"2"}}}, 400, "", "kept summary"},
		{"declare without severity", request{method: "POST", path: "/incidents", role: responder,
			form: url.Values{"title": {"Kept title"}}}, 400, "", "choose a severity"},
		{"declare with severity 7", request{method: "POST", path: "/incidents", role: responder,
			form: url.Values{"title": {"t"}, "severity": {"7"}}}, 400, "", "must be 1 to 4"},
		{"declare noticed in the future", request{method: "POST", path: "/incidents", role: responder,
			form: url.Values{"title": {"t"}, "severity": {"2"}, "noticed_at": {local(at("17:00"))}}}, 400, "", "is in the future"},
		{"declare noticed garbage", request{method: "POST", path: "/incidents", role: responder,
			form: url.Values{"title": {"t"}, "severity": {"2"}, "noticed_at": {"yesterday"}}}, 400, "", "must be a date and time"},
		{"empty note", request{method: "POST", path: "/incidents/INC-1/events", role: responder,
			form: url.Values{"kind": {"note"}, "body": {" "}}}, 400, "", "is required for a note"},
		{"event before noticed", request{method: "POST", path: "/incidents/INC-1/events", role: responder,
			form: url.Values{"kind": {"note"}, "body": {"early"}, "at": {local(at("14:00"))}}}, 400, "", "before the incident was noticed"},
		{"status through events", request{method: "POST", path: "/incidents/INC-1/events", role: responder,
			form: url.Values{"kind": {"status"}, "body": {"resolved"}}}, 400, "", "choose one of the kinds"},
		{"bad visibility", request{method: "POST", path: "/incidents/INC-1/events", role: responder,
			form: url.Values{"kind": {"note"}, "body": {"x"}, "visibility": {"secret"}}}, 400, "", "must be internal or public"},
		{"correction of another incident's event", request{method: "POST", path: "/incidents/INC-1/events", role: responder,
			form: url.Values{"kind": {"correction"}, "corrects": {"999"}, "body": {"x"}}}, 400, "", "is not on the timeline"},
		{"correction of nonsense", request{method: "POST", path: "/incidents/INC-1/events", role: responder,
			form: url.Values{"kind": {"correction"}, "corrects": {"first"}, "body": {"x"}}}, 400, "", ""},
		{"close from the web", request{method: "POST", path: "/incidents/INC-1/status", role: responder,
			form: url.Values{"status": {"closed"}}}, 400, "", "closed with its postmortem"},
		{"status unchanged", request{method: "POST", path: "/incidents/INC-1/status", role: responder,
			form: url.Values{"status": {"investigating"}}}, 400, "", "is already investigating"},
		{"unknown status", request{method: "POST", path: "/incidents/INC-1/status", role: responder,
			form: url.Values{"status": {"exploded"}}}, 400, "", "must be one of"},
		{"details unchanged", request{method: "POST", path: "/incidents/INC-1/details", role: responder,
			form: url.Values{"severity": {"2"}, "owner": {"ana"}}}, 400, "", "nothing changed"},
		{"details with two-line lead", request{method: "POST", path: "/incidents/INC-1/details", role: responder,
			form: url.Values{"severity": {"2"}, "owner": {"ana"}, "lead": {"a\nb"}}}, 400, "", "must be one line"},
		{"list with unknown status", request{method: "GET", path: "/incidents?status=exploded", role: viewer}, 400, "", "unknown status"},
		{"list with severity 9", request{method: "GET", path: "/incidents?severity=9", role: viewer}, 400, "", ""},
		{"list with a forged cursor", request{method: "GET", path: "/incidents?after=x", role: viewer}, 400, "", ""},
		{"lint in an unknown mode", request{method: "POST", path: "/lint", role: viewer, form: url.Values{"mode": {"angry"}}}, 400, "", "customer or blameless"},
		{"short password", request{method: "POST", path: "/admin/users", role: admin,
			form: url.Values{"name": {"eve"}, "role": {"viewer"}, "password": {"short"}}}, 400, "", "at least 12"},
		{"duplicate user", request{method: "POST", path: "/admin/users", role: admin,
			form: url.Values{"name": {"vic"}, "role": {"viewer"}, "password": {testPassword}}}, 409, "", "exists"},

		{"unknown incident", request{method: "GET", path: "/incidents/INC-99", role: viewer}, 404, "", "no incident INC-99"},
		{"malformed ref", request{method: "GET", path: "/incidents/nonsense", role: viewer}, 404, "", ""},
		{"event on an unknown incident", request{method: "POST", path: "/incidents/INC-99/events", role: responder, form: note}, 404, "", ""},
		{"status of an unknown incident", request{method: "POST", path: "/incidents/INC-99/status", role: responder,
			form: url.Values{"status": {"identified"}}}, 404, "", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.do(t, c.req)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("%s %s: status %d, want %d\n%s", c.req.method, c.req.path, resp.StatusCode, c.wantStatus, body)
			}
			if loc := resp.Header.Get("Location"); c.wantLoc != "" && loc != c.wantLoc {
				t.Errorf("Location %q, want %q", loc, c.wantLoc)
			}
			if !strings.Contains(body, c.wantBody) {
				t.Errorf("body lacks %q:\n%s", c.wantBody, body)
			}
			if strings.Contains(body, "internal error") {
				t.Errorf("an expected failure was answered as an internal error:\n%s", body)
			}
		})
	}

	ctx := context.Background()
	page, err := a.store.Incidents(ctx, amends.IncidentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Incidents) != 1 {
		t.Fatalf("%d incidents after refused requests, want 1", len(page.Incidents))
	}
	inc := page.Incidents[0]
	if inc.EventCount != 1 || inc.Status != amends.Investigating || inc.Severity != 2 || inc.Lead != "" {
		t.Errorf("refused requests changed the incident: %+v", inc)
	}
	users, _ := a.store.Users(ctx)
	if len(users) != 3 {
		t.Errorf("%d users after refused requests, want 3", len(users))
	}
}

// TestRoutesTable checks the table itself: each route once, every page behind a session
// except sign-in, assets and the signed read link of a brief, and every change behind a role
// above viewer except the few that anyone may do.
func TestRoutesTable(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	seen := map[string]bool{}
	anyone := map[string]bool{"POST /login": true, "POST /logout": true, "POST /lint": true, "POST /ack/{token}": true,
		"POST /survey/{token}": true}
	open := map[string]bool{"GET /login": true, "POST /login": true, "GET /static/{file...}": true,
		"GET /ack/{token}": true, "POST /ack/{token}": true, "GET /postmortems/{ref}": true,
		"GET /survey/{token}": true, "POST /survey/{token}": true}
	for _, rt := range a.web.table() {
		key := rt.method + " " + rt.path
		if seen[key] {
			t.Errorf("%s is in the table twice", key)
		}
		seen[key] = true
		if rt.min == public && !open[key] {
			t.Errorf("%s needs no session", key)
		}
		if rt.method != http.MethodGet && !anyone[key] && !rt.min.AtLeast(amends.Responder) {
			t.Errorf("%s lets viewers change things", key)
		}
	}
	if got, want := len(a.web.Routes()), len(a.web.table()); got != want {
		t.Errorf("Routes() has %d routes, the table %d", got, want)
	}
}

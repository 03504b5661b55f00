package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/server"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
)

// anyone marks a route that needs no credentials.
const anyone amends.Role = ""

// authzRoute is one line of the authorization matrix: a mounted route and the weakest role
// that may use it. Everyone below that role, everyone without credentials and everyone with
// credentials of the wrong kind is refused; that role and those above it are let through.
// body, when set, is a request that succeeds for the weakest allowed role (a form for a page,
// JSON for the API), so a refusal is checked against a request that would have changed
// something. Lines without one (uploads, and changes that need more state than the fixture
// has) are sent an empty request: the refusal comes before the handler reads anything.
type authzRoute struct {
	route string
	min   amends.Role
	body  string
}

// authzMatrix lists every route the server mounts. It is written out, not derived from the
// code's tables: a route the server mounts that is missing here fails the test, and so does a
// line here that names a route no longer mounted.
var authzMatrix = []authzRoute{
	// Probes, metrics and the public status page.
	{"GET /healthz", anyone, ""},
	{"GET /readyz", anyone, ""},
	{"GET /metrics", anyone, ""},
	{"GET /status", anyone, ""},
	{"GET /status.json", anyone, ""},
	{"GET /status/feed.atom", anyone, ""},
	{"POST /status/subscribe", anyone, "email=new-reader%40example.com"},
	{"GET /status/confirm/{token}", anyone, ""},
	{"POST /status/confirm/{token}", anyone, "confirm=1"},
	{"GET /status/unsubscribe/{token}", anyone, ""},
	{"POST /status/unsubscribe/{token}", anyone, "confirm=1"},

	// The API.
	{"GET /api/v1/openapi.json", anyone, ""},
	{"GET /api/v1/incidents", amends.Viewer, ""},
	{"POST /api/v1/incidents", amends.Responder, `{"title":"Invoices doubled","severity":3}`},
	{"GET /api/v1/incidents/{ref}", amends.Viewer, ""},
	{"PATCH /api/v1/incidents/{ref}", amends.Responder, `{"title":"Renewal email sent to the wrong list"}`},
	{"POST /api/v1/incidents/{ref}/events", amends.Responder, `{"kind":"note","body":"troubleshooting starts"}`},
	{"GET /api/v1/incidents/{ref}/timeline", amends.Viewer, ""},
	{"POST /api/v1/lint", amends.Viewer, `{"text":"We are sorry."}`},
	{"GET /api/v1/audit", amends.Admin, ""},
	{"GET /api/v1/me", amends.Viewer, ""},
	{"GET /api/v1/incidents/{ref}/deliveries", amends.Viewer, ""},
	{"GET /api/v1/incidents/{ref}/readers", amends.Viewer, ""},
	{"POST /api/v1/deliveries/{id}/redrive", amends.Admin, `{}`},
	{"GET /api/v1/groups", amends.Viewer, ""},
	{"POST /api/v1/groups", amends.Admin, `{"name":"Sales","severities":[1,2],"events":["declared"]}`},
	{"GET /api/v1/groups/{id}", amends.Viewer, ""},
	{"PATCH /api/v1/groups/{id}", amends.Admin, `{"severities":[1],"events":["declared"]}`},
	{"DELETE /api/v1/groups/{id}", amends.Admin, `{}`},
	{"POST /api/v1/groups/{id}/contacts", amends.Admin, `{"name":"Sam","kind":"email","address":"sam@example.com"}`},
	{"DELETE /api/v1/contacts/{id}", amends.Admin, `{}`},
	{"GET /api/v1/settings/targets", amends.Viewer, ""},
	{"PUT /api/v1/settings/targets", amends.Admin, `{"targets":[{"severity":1,"colleagues_told":"10m","customers_told":"1h"}]}`},
	{"PUT /api/v1/settings/escalation", amends.Admin, `{"name":"Esa","kind":"email","address":"esa@example.com"}`},
	{"POST /api/v1/hooks/alertmanager", amends.Responder, alertmanagerFiring},
	{"POST /api/v1/hooks/generic", amends.Responder, `{"key":"disk-full","status":"firing","title":"Disk full","severity":3}`},
	{"GET /api/v1/customers", amends.Viewer, ""},
	{"POST /api/v1/customers", amends.Responder, `{"email":"new@acme.example","name":"New","account":"acme"}`},
	{"GET /api/v1/customers/{id}", amends.Viewer, ""},
	{"PATCH /api/v1/customers/{id}", amends.Responder, `{"name":"Renamed"}`},
	{"DELETE /api/v1/customers/{id}", amends.Admin, `{}`},
	{"POST /api/v1/customers/import", amends.Responder, ""},
	{"GET /api/v1/incidents/{ref}/audience", amends.Viewer, ""},
	{"PUT /api/v1/incidents/{ref}/audience", amends.Responder, `{"kind":"accounts","accounts":["acme"]}`},
	{"POST /api/v1/incidents/{ref}/audience/list", amends.Responder, ""},
	{"GET /api/v1/incidents/{ref}/audience/recipients", amends.Viewer, ""},
	{"GET /api/v1/incidents/{ref}/audience/preview", amends.Viewer, ""},
	{"GET /api/v1/incidents/{ref}/templates", amends.Viewer, ""},
	{"GET /api/v1/incidents/{ref}/messages", amends.Viewer, ""},
	{"POST /api/v1/incidents/{ref}/messages", amends.Responder, `{"kind":"update","subject":"An update on the renewal email","body":"We sent you a renewal email meant for someone else. We are sorry. We fixed the list."}`},
	{"GET /api/v1/messages/{id}", amends.Viewer, ""},
	{"PUT /api/v1/messages/{id}", amends.Responder, `{"subject":"We sent you a renewal email by mistake","body":"We sent you a renewal email that was meant for someone else. We are sorry; we fixed the list."}`},
	{"GET /api/v1/messages/{id}/versions", amends.Viewer, ""},
	{"POST /api/v1/messages/{id}/approve", amends.Responder, `{"version":1}`},
	{"POST /api/v1/messages/{id}/send", amends.Responder, `{}`},
	{"GET /api/v1/messages/{id}/preview", amends.Viewer, ""},
	{"GET /api/v1/messages/{id}/deliveries", amends.Viewer, ""},
	{"GET /api/v1/settings/reply-to", amends.Viewer, ""},
	{"PUT /api/v1/settings/reply-to", amends.Admin, `{"address":"support@example.com"}`},
	{"GET /api/v1/incidents/{ref}/postmortem", amends.Viewer, ""},
	{"PUT /api/v1/incidents/{ref}/postmortem/sections/{section}", amends.Responder, `{"markdown":"Renewal emails went to the wrong list.","base_version":0}`},
	{"GET /api/v1/incidents/{ref}/postmortem/versions", amends.Viewer, ""},
	{"POST /api/v1/incidents/{ref}/postmortem/share", amends.Responder, `{}`},
	{"POST /api/v1/incidents/{ref}/postmortem/publish", amends.Responder, ""},
	{"GET /api/v1/incidents/{ref}/postmortem.md", amends.Viewer, ""},
	{"GET /api/v1/incidents/{ref}/checklist", amends.Viewer, ""},
	{"POST /api/v1/incidents/{ref}/checklist/waivers", amends.Responder, `{"item":"root_cause","reason":"recorded elsewhere"}`},
	{"GET /api/v1/incidents/{ref}/actions", amends.Viewer, ""},
	{"POST /api/v1/incidents/{ref}/actions", amends.Responder, `{"title":"Fix the list","kind":"fix","owner":"ana","due":"2026-11-20"}`},
	{"GET /api/v1/actions", amends.Viewer, ""},
	{"PATCH /api/v1/actions/{id}", amends.Responder, `{"title":"Check the list twice before a send"}`},
	{"POST /api/v1/actions/{id}/done", amends.Responder, `{}`},
	{"POST /api/v1/actions/{id}/drop", amends.Responder, `{"reason":"no longer needed"}`},
	{"GET /api/v1/incidents/{ref}/attachments", amends.Viewer, ""},
	{"POST /api/v1/incidents/{ref}/attachments", amends.Responder, ""},
	{"GET /api/v1/incidents/{ref}/attachments/{id}", amends.Viewer, ""},
	// Customer feedback and insights.
	{"GET /api/v1/incidents/{ref}/feedback", amends.Viewer, ""},
	{"POST /api/v1/feedback/{id}/act", amends.Responder, ""},
	{"GET /api/v1/insights", amends.Viewer, ""},
	{"GET /api/v1/accounts/{account}/ledger", amends.Viewer, ""},

	// The web app.
	{"GET /{$}", amends.Viewer, ""},
	{"GET /login", anyone, ""},
	{"POST /login", anyone, ""}, // the body is filled in by the test: it needs the sign-in form's token
	{"POST /logout", amends.Viewer, "confirm=1"},
	{"GET /static/{file...}", anyone, ""},
	{"GET /incidents", amends.Viewer, ""},
	{"GET /incidents/new", amends.Responder, ""},
	{"POST /incidents", amends.Responder, "title=Invoices+doubled&severity=3"},
	{"GET /incidents/{ref}", amends.Viewer, ""},
	{"POST /incidents/{ref}/events", amends.Responder, "kind=note&body=troubleshooting+starts"},
	{"POST /incidents/{ref}/status", amends.Responder, "status=identified"},
	{"POST /incidents/{ref}/details", amends.Responder, "severity=1&owner=ana"},
	{"POST /incidents/{ref}/checklist/waivers", amends.Responder, "item=root_cause&reason=recorded+elsewhere"},
	{"POST /incidents/{ref}/close", amends.Responder, ""},
	{"POST /incidents/{ref}/actions", amends.Responder, "title=Fix+the+list&kind=fix&owner=ana&due=2026-11-20"},
	{"POST /actions/{id}/done", amends.Responder, "confirm=1"},
	{"POST /actions/{id}/drop", amends.Responder, "reason=no+longer+needed"},
	{"GET /owe", amends.Viewer, ""},
	{"GET /incidents/{ref}/postmortem", amends.Viewer, ""},
	{"POST /incidents/{ref}/postmortem/sections/{section}", amends.Responder, "markdown=Renewal+emails+went+to+the+wrong+list.&base_version=0"},
	{"GET /incidents/{ref}/postmortem/versions", amends.Viewer, ""},
	{"POST /incidents/{ref}/postmortem/copy-message", amends.Responder, ""},
	{"POST /incidents/{ref}/postmortem/share", amends.Responder, "confirm=1"},
	{"POST /incidents/{ref}/postmortem/publish", amends.Responder, ""},
	{"GET /incidents/{ref}/postmortem.md", amends.Viewer, ""},
	{"GET /incidents/{ref}/postmortem/print", amends.Viewer, ""},
	{"POST /incidents/{ref}/attachments", amends.Responder, ""},
	{"GET /incidents/{ref}/attachments/{id}", amends.Viewer, ""},
	{"GET /postmortems/{ref}", anyone, ""},
	{"POST /deliveries/{id}/redrive", amends.Admin, "confirm=1"},
	{"GET /customers", amends.Viewer, ""},
	{"POST /customers/import", amends.Responder, ""},
	{"GET /incidents/{ref}/audience", amends.Viewer, ""},
	{"POST /incidents/{ref}/audience", amends.Responder, "kind=accounts&accounts=acme"},
	{"POST /incidents/{ref}/audience/list", amends.Responder, ""},
	{"GET /incidents/{ref}/messages", amends.Viewer, ""},
	{"GET /incidents/{ref}/messages/new", amends.Responder, ""},
	{"POST /incidents/{ref}/messages", amends.Responder, "kind=update&subject=An+update+on+the+renewal+email&body=We+sent+you+a+renewal+email+meant+for+someone+else.+We+are+sorry."},
	{"POST /incidents/{ref}/messages/preview", amends.Responder, "kind=update&subject=An+update&body=We+are+sorry."},
	{"GET /messages/{id}", amends.Viewer, ""},
	{"GET /messages/{id}/edit", amends.Responder, ""},
	{"POST /messages/{id}/versions", amends.Responder, "subject=We+sent+you+a+renewal+email+by+mistake&body=We+sent+you+a+renewal+email+meant+for+someone+else.+We+are+sorry."},
	{"POST /messages/{id}/approve", amends.Responder, "version=1"},
	{"POST /messages/{id}/send", amends.Responder, "confirm=1"},
	{"GET /ack/{token}", anyone, ""},
	{"POST /ack/{token}", anyone, "confirm=1"},
	{"GET /lint", amends.Viewer, ""},
	{"POST /lint", amends.Viewer, "text=We+are+sorry."},
	{"GET /admin/users", amends.Admin, ""},
	{"POST /admin/users", amends.Admin, "name=eve&role=admin&password=correct+horse+battery+staple"},
	{"GET /admin/audit", amends.Admin, ""},
	{"GET /admin/groups", amends.Viewer, ""},
	{"POST /admin/groups", amends.Admin, "name=Success&severities=1&events=declared"},
	{"POST /admin/groups/{id}/rule", amends.Admin, "severities=1&events=declared"},
	{"POST /admin/groups/{id}/delete", amends.Admin, "confirm=1"},
	{"POST /admin/groups/{id}/contacts", amends.Admin, "name=Sol&kind=email&address=sol%40example.com"},
	{"POST /admin/contacts/{id}/delete", amends.Admin, "confirm=1"},
	{"POST /admin/settings/targets", amends.Admin, "colleagues_1=10m&customers_1=1h"},
	{"POST /admin/settings/escalation", amends.Admin, "name=Esa&kind=email&address=esa%40example.com"},
	{"POST /admin/settings/survey", amends.Admin, "survey_delay=48h"},
	// Customer feedback and insights.
	{"GET /survey/{token}", anyone, ""},
	{"POST /survey/{token}", anyone, ""},
	{"POST /feedback/{id}/act", amends.Responder, ""},
	{"GET /insights", amends.Viewer, ""},
	{"GET /accounts/{account}", amends.Viewer, ""},
}

const authzPassword = "correct horse battery staple"

// alertmanagerFiring is a firing group as Alertmanager's webhook sends it.
const alertmanagerFiring = `{"version":"4","groupKey":"{}:{alertname=\"DiskFull\"}","status":"firing","receiver":"amends",
	"groupLabels":{"alertname":"DiskFull"},"commonLabels":{"alertname":"DiskFull","severity":"warning"},
	"alerts":[{"status":"firing","labels":{"alertname":"DiskFull"},"annotations":{"summary":"The disk is full"},
	"startsAt":"2026-11-03T14:50:00Z","fingerprint":"a1"}]}`

// authzFixture is a server over a store holding one of every object a route can name.
type authzFixture struct {
	srv      *httptest.Server
	store    *store.Store
	users    map[amends.Role]*amends.User
	tokens   map[amends.Role]string
	values   map[string]string // path wildcard values by the path segment before them
	own      map[string]string // values for routes that use up their object, by route and segment
	ackToken string
	routes   []string // every "METHOD /pattern" the server mounts
}

func newAuthzFixture(t *testing.T) *authzFixture {
	t.Helper()
	ctx := context.Background()
	clock := amendstest.NewClock(time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC))
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{Now: clock.Now, Files: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(nil)
	base := "http://" + hs.Listener.Addr().String()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	pub, err := statuspage.New(statuspage.Config{Store: s, BaseURL: base, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := pub.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: s, Checker: checker, Logger: log, BaseURL: base, Now: clock.Now, Status: pub})
	if err != nil {
		t.Fatal(err)
	}
	hs.Config.Handler = srv.Handler()
	hs.Start()
	t.Cleanup(hs.Close)

	f := &authzFixture{srv: hs, store: s, users: map[amends.Role]*amends.User{}, tokens: map[amends.Role]string{},
		values: map[string]string{}, own: map[string]string{}, routes: srv.Routes()}
	setup := amends.Actor{Name: "setup", Role: amends.Admin}
	for name, role := range map[string]amends.Role{"ada": amends.Admin, "ana": amends.Responder, "vic": amends.Viewer} {
		u, err := s.CreateUser(ctx, name, role, authzPassword, setup)
		if err != nil {
			t.Fatal(err)
		}
		f.users[role] = u
		if f.tokens[role], err = s.CreateToken(ctx, name+"-token", role, setup); err != nil {
			t.Fatal(err)
		}
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	id := func(n int64) string { return fmt.Sprint(n) }

	everything := []amends.Severity{1, 2, 3, 4}
	g, err := s.CreateGroup(ctx, amends.Group{Name: "Support", Severities: everything, Events: []string{amends.EventDeclared}}, setup)
	must(err)
	c, err := s.AddContact(ctx, g.ID, amends.Contact{Name: "Sue", Kind: "email", Address: "sue@example.com"}, setup)
	must(err)
	f.values["groups"], f.values["contacts"] = id(g.ID), id(c.ID)

	noticed := clock.Now().Add(-20 * time.Minute)
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong renewal email sent", Summary: "Renewal emails went to the wrong list.",
		Severity: 2, NoticedAt: &noticed}, amends.Actor{Name: "ana", Role: amends.Responder})
	must(err)
	f.values["incidents"], f.values["postmortems"] = inc.Ref, inc.Ref

	ds, err := s.Deliveries(ctx, inc.Ref)
	must(err)
	if len(ds) == 0 {
		t.Fatal("declaring sent no brief")
	}
	f.values["deliveries"] = id(ds[0].ID)
	secret, err := s.Secret(ctx, "ack")
	must(err)
	f.ackToken = amends.AckToken(secret, ds[0].ID)
	f.values["ack"] = f.ackToken

	cust, err := s.CreateCustomer(ctx, amends.Customer{Email: "pat@acme.example", Name: "Pat", Account: "acme"}, setup)
	must(err)
	f.values["customers"] = id(cust.ID)
	f.values["accounts"] = "acme"

	// Written by someone other than the users who approve it: nobody approves their own words.
	msg, err := s.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We sent you a renewal email by mistake",
		"We sent you a renewal email that was meant for someone else. We are sorry.", true, 80, "", amends.Actor{Name: "writer", Role: amends.Responder})
	must(err)
	f.values["messages"] = id(msg.ID)

	item, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check the list before a send", Kind: amends.ActionPrevention,
		Owner: "ana", Due: clock.Now().Add(7 * 24 * time.Hour)}, setup)
	must(err)
	f.values["actions"] = id(item.ID)

	att, err := s.Attach(ctx, inc.Ref, "notes.txt", strings.NewReader("what we saw at 14:39\n"), setup)
	must(err)
	f.values["attachments"] = id(att.ID)
	f.values["sections"] = string(amends.SectionDescription)

	sub, err := s.Subscribe(ctx, store.SubscriberEmail, "reader@example.com", "")
	must(err)
	f.values["confirm"], f.values["unsubscribe"] = sub.Token, sub.Token

	// A route that deletes, finishes or approves its object gets one of its own, so that
	// the routes after it still find theirs as the fixture made them.
	for i, route := range []string{"DELETE /api/v1/groups/{id}", "POST /admin/groups/{id}/delete"} {
		g, err := s.CreateGroup(ctx, amends.Group{Name: fmt.Sprintf("Spare %d", i), Severities: everything, Events: []string{amends.EventDeclared}}, setup)
		must(err)
		f.own[route+" groups"] = id(g.ID)
	}
	for i, route := range []string{"DELETE /api/v1/contacts/{id}", "POST /admin/contacts/{id}/delete"} {
		c, err := s.AddContact(ctx, g.ID, amends.Contact{Name: fmt.Sprintf("Sid %d", i), Kind: "email", Address: fmt.Sprintf("sid%d@example.com", i)}, setup)
		must(err)
		f.own[route+" contacts"] = id(c.ID)
	}
	spare, err := s.CreateCustomer(ctx, amends.Customer{Email: "kim@acme.example", Name: "Kim", Account: "acme"}, setup)
	must(err)
	f.own["DELETE /api/v1/customers/{id} customers"] = id(spare.ID)
	for _, route := range []string{"POST /api/v1/actions/{id}/done", "POST /api/v1/actions/{id}/drop", "POST /actions/{id}/done", "POST /actions/{id}/drop"} {
		item, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Own item of " + route, Kind: amends.ActionFix,
			Owner: "ana", Due: clock.Now().Add(7 * 24 * time.Hour)}, setup)
		must(err)
		f.own[route+" actions"] = id(item.ID)
	}
	for _, route := range []string{"PUT /api/v1/messages/{id}", "POST /api/v1/messages/{id}/approve", "POST /messages/{id}/versions", "POST /messages/{id}/approve"} {
		m, err := s.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We sent you a renewal email by mistake",
			"We sent you a renewal email that was meant for someone else. We are sorry.", true, 80, "", amends.Actor{Name: "writer", Role: amends.Responder})
		must(err)
		f.own[route+" messages"] = id(m.ID)
	}
	for _, route := range []string{"POST /incidents/{ref}/postmortem/sections/{section}", "POST /incidents/{ref}/checklist/waivers"} {
		other, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Own incident of " + route, Severity: 3, NoticedAt: &noticed}, setup)
		must(err)
		f.own[route+" incidents"] = other.Ref
	}
	for _, route := range []string{"POST /api/v1/deliveries/{id}/redrive", "POST /deliveries/{id}/redrive"} {
		other, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Own incident of " + route, Severity: 3, NoticedAt: &noticed}, setup)
		must(err)
		ds, err := s.Deliveries(ctx, other.Ref)
		must(err)
		must(s.DeliveryFailed(ctx, ds[0].ID, "refused for good", nil, true))
		f.own[route+" deliveries"] = id(ds[0].ID)
	}
	for _, route := range []string{"POST /api/v1/messages/{id}/send", "POST /messages/{id}/send"} {
		other, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Own incident of " + route, Severity: 3, NoticedAt: &noticed}, setup)
		must(err)
		_, err = s.SetAudience(ctx, other.Ref, amends.Audience{Kind: amends.AudienceAccounts, Accounts: []string{"acme"}}, setup)
		must(err)
		m, err := s.CreateMessage(ctx, other.Ref, amends.MessageAcknowledgement, "We sent you a renewal email by mistake",
			"We sent you a renewal email that was meant for someone else. We are sorry.", true, 80, "", amends.Actor{Name: "writer", Role: amends.Responder})
		must(err)
		_, err = s.ApproveMessage(ctx, m.ID, 1, setup)
		must(err)
		f.own[route+" messages"] = id(m.ID)
	}

	// Routes still being written elsewhere get a value that names nothing: a 404 is not a
	// refusal, so they are checked for authorization all the same.
	f.values["feedback"], f.values["survey"] = "1", "no-such-survey"
	return f
}

// fill substitutes every wildcard of path with an object that exists: the value of the
// segment before it ("/messages/{id}" → a message id), or the route's own object.
func (f *authzFixture) fill(t *testing.T, method, path string) string {
	t.Helper()
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") || seg == "{$}" {
			continue
		}
		switch seg {
		case "{file...}":
			segs[i] = "000000000000/app.css"
			continue
		case "{section}":
			segs[i] = f.values["sections"]
			continue
		}
		before := segs[i-1]
		v, ok := f.values[before]
		if own, mine := f.own[method+" "+path+" "+before]; mine {
			v, ok = own, true
		}
		if !ok {
			t.Fatalf("%s %s: the test has no %s for /%s/", method, path, seg, before)
		}
		segs[i] = url.PathEscape(v)
	}
	out := strings.Join(segs, "/")
	return strings.TrimSuffix(out, "{$}")
}

// caller is who sends a request: the kind of credentials and the role they carry.
type caller struct {
	name string
	role amends.Role // "" when the caller holds no credentials of the kind the route takes
	// creds adds the caller's credentials to a request to a page (api false) or the API.
	creds func(r *http.Request, api bool)
}

// authzCallers returns the callers in the order they are tried: those who must be refused
// everywhere first, then each role from the weakest up. Sessions are fresh for every route,
// since signing in or out ends the one presented.
func (f *authzFixture) authzCallers(t *testing.T) []caller {
	t.Helper()
	ctx := context.Background()
	sessions := map[amends.Role][2]string{}
	for role, u := range f.users {
		id, sess, err := f.store.CreateSession(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		sessions[role] = [2]string{id, sess.CSRF}
	}
	cookie := func(r *http.Request, v string) { r.AddCookie(&http.Cookie{Name: "amends_session", Value: v}) }
	bearer := func(r *http.Request, v string) { r.Header.Set("Authorization", "Bearer "+v) }
	signedIn := func(role amends.Role) func(*http.Request, bool) {
		return func(r *http.Request, api bool) {
			if api {
				bearer(r, f.tokens[role])
				return
			}
			cookie(r, sessions[role][0])
			r.Header.Set("X-CSRF-Token", sessions[role][1])
			r.Header.Set("Sec-Fetch-Site", "same-origin")
		}
	}
	admin := sessions[amends.Admin]
	return []caller{
		{"anonymous", "", func(*http.Request, bool) {}},
		// An admin's API token shown to the pages, as a bearer or as the session cookie; an
		// admin's session shown to the API, as a cookie or as a bearer token.
		{"other kind: admin's credentials of the other surface", "", func(r *http.Request, api bool) {
			if api {
				cookie(r, admin[0])
				r.Header.Set("X-CSRF-Token", admin[1])
				return
			}
			bearer(r, f.tokens[amends.Admin])
			cookie(r, f.tokens[amends.Admin])
		}},
		{"other kind: session id as a bearer token", "", func(r *http.Request, api bool) {
			bearer(r, admin[0])
		}},
		{"other kind: a brief's read link", "", func(r *http.Request, api bool) {
			bearer(r, f.ackToken)
			cookie(r, f.ackToken)
		}},
		{"viewer", amends.Viewer, signedIn(amends.Viewer)},
		{"responder", amends.Responder, signedIn(amends.Responder)},
		{"admin", amends.Admin, signedIn(amends.Admin)},
	}
}

// body returns the request body of line rt, with the Content-Type it needs.
func (f *authzFixture) body(rt authzRoute, api bool) (string, string) {
	if rt.route == "POST /login" {
		return "name=vic&password=" + url.QueryEscape(authzPassword) + "&csrf=" + strings.Repeat("l", 40), "application/x-www-form-urlencoded"
	}
	if api {
		if rt.body == "" {
			return "{}", "application/json"
		}
		return rt.body, "application/json"
	}
	return rt.body, "application/x-www-form-urlencoded"
}

// excerpt shortens a response body for a failure message.
func excerpt(body string) string {
	if _, main, ok := strings.Cut(body, "<main"); ok {
		body = "<main" + main
	}
	if len(body) > 400 {
		return body[:400] + "…"
	}
	return body
}

func (f *authzFixture) send(t *testing.T, rt authzRoute, c caller) (*http.Response, string) {
	t.Helper()
	method, pattern, _ := strings.Cut(rt.route, " ")
	api := strings.HasPrefix(pattern, "/api/")
	var body io.Reader
	ctype := ""
	if method != http.MethodGet {
		var b string
		b, ctype = f.body(rt, api)
		body = strings.NewReader(b)
	}
	req, err := http.NewRequest(method, f.srv.URL+f.fill(t, method, pattern), body)
	if err != nil {
		t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if rt.route == "POST /login" {
		req.AddCookie(&http.Cookie{Name: "amends_login", Value: strings.Repeat("l", 40)})
	}
	c.creds(req, api)
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, excerpt(string(b))
}

// TestAuthorizationMatrix sends every mounted route a request from every caller: without
// credentials, with credentials of the wrong kind, and as each role. Those below the route's
// role are refused (the API with a problem, the pages with the sign-in page or a 403 page) and
// change nothing; the others are let through, and a GET changes nothing for them either.
func TestAuthorizationMatrix(t *testing.T) {
	f := newAuthzFixture(t)
	checkMatrixCoversMounted(t, f)

	for _, rt := range authzMatrix {
		method, pattern, _ := strings.Cut(rt.route, " ")
		if !f.mounted(rt.route) {
			continue // reported by checkMatrixCoversMounted
		}
		api := strings.HasPrefix(pattern, "/api/")
		callers := f.authzCallers(t)
		before := amendstest.Fingerprint(t, f.store.DB())
		var allowed []caller
		for _, c := range callers {
			if rt.min == anyone || (c.role != "" && c.role.AtLeast(rt.min)) {
				allowed = append(allowed, c)
				continue
			}
			res, body := f.send(t, rt, c)
			ctype := res.Header.Get("Content-Type")
			switch {
			case api:
				want := http.StatusUnauthorized
				if c.role != "" {
					want = http.StatusForbidden
				}
				if res.StatusCode != want || ctype != "application/problem+json" {
					t.Errorf("%s as %s: %d %s, want %d application/problem+json\n%s", rt.route, c.name, res.StatusCode, ctype, want, body)
				}
			case c.role == "":
				loc := res.Header.Get("Location")
				if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login") {
					t.Errorf("%s as %s: %d to %q, want 303 to the sign-in page\n%s", rt.route, c.name, res.StatusCode, loc, body)
				}
			default:
				if res.StatusCode != http.StatusForbidden || !strings.HasPrefix(ctype, "text/html") || !strings.Contains(body, "your role is "+string(c.role)) {
					t.Errorf("%s as %s: %d %s, want the 403 page\n%s", rt.route, c.name, res.StatusCode, ctype, body)
				}
			}
		}
		if after := amendstest.Fingerprint(t, f.store.DB()); after != before {
			t.Errorf("%s: refused requests changed the database", rt.route)
		}
		before = amendstest.Fingerprint(t, f.store.DB())
		for i, c := range allowed {
			res, body := f.send(t, rt, c)
			if res.StatusCode == http.StatusUnauthorized || res.StatusCode == http.StatusForbidden || res.StatusCode >= 500 {
				t.Errorf("%s as %s: %d, want it let through\n%s", rt.route, c.name, res.StatusCode, body)
			}
			// The body of the line must work for the weakest allowed caller; otherwise the
			// refusals above were tested with a request that would have failed anyway.
			if i == 0 && rt.body != "" && res.StatusCode >= 400 {
				t.Errorf("%s as %s: the matrix's body was answered %d, want success\n%s", rt.route, c.name, res.StatusCode, body)
			}
		}
		// A GET changes nothing, whoever sends it: mail scanners and link previews fetch
		// every link they see, so a GET that acted would act for nobody.
		if method == http.MethodGet && amendstest.Fingerprint(t, f.store.DB()) != before {
			t.Errorf("%s: a GET changed the database", rt.route)
		}
	}
}

// mounted reports whether the server mounts route.
func (f *authzFixture) mounted(route string) bool {
	return slices.Contains(f.routes, route)
}

// checkMatrixCoversMounted fails for every mounted route the matrix lacks and every line of the
// matrix that names a route not mounted (or names one twice).
func checkMatrixCoversMounted(t *testing.T, f *authzFixture) {
	t.Helper()
	inMatrix := map[string]bool{}
	for _, rt := range authzMatrix {
		if inMatrix[rt.route] {
			t.Errorf("%s is in the matrix twice", rt.route)
		}
		inMatrix[rt.route] = true
	}
	for _, r := range f.routes {
		if !inMatrix[r] {
			t.Errorf("route %s is mounted but not in the authorization matrix: add it with the role it needs", r)
		}
	}
	for _, rt := range authzMatrix {
		if !f.mounted(rt.route) {
			t.Errorf("the authorization matrix names %s, which is not mounted", rt.route)
		}
	}
}

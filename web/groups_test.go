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

// groupNamed returns the stored group called name, or nil.
func (a *testApp) groupNamed(t *testing.T, name string) *amends.Group {
	t.Helper()
	groups, err := a.store.Groups(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

func TestGroupsForms(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	ctx := context.Background()
	resp, _ := a.do(t, request{method: "POST", path: "/admin/groups", role: amends.Admin, form: url.Values{
		"name": {"Support"}, "severities": {"1", "2"}, "events": {"declared", "resolved"}}})
	g := a.groupNamed(t, "Support")
	if resp.StatusCode != http.StatusSeeOther || g == nil {
		t.Fatalf("create group: %d, stored %+v", resp.StatusCode, g)
	}
	if loc := resp.Header.Get("Location"); loc != fmt.Sprintf("/admin/groups?done=group#g%d", g.ID) {
		t.Errorf("create group redirected to %q", loc)
	}
	if fmt.Sprint(g.Severities) != "[SEV1 SEV2]" || strings.Join(g.Events, ",") != "declared,resolved" {
		t.Errorf("stored rule: %v %v", g.Severities, g.Events)
	}
	_, page := a.do(t, request{method: "GET", path: "/admin/groups?done=group", role: amends.Admin})
	if !strings.Contains(page, "Group created.") || !strings.Contains(page, "Hears severity 1, 2, when: declared, resolved.") {
		t.Errorf("the page does not show the new group:\n%s", page)
	}

	contacts := fmt.Sprintf("/admin/groups/%d/contacts", g.ID)
	// Bad input: a clear message beside its field, the input kept, nothing stored.
	for _, c := range []struct {
		name                  string
		form                  url.Values
		field, want, wantKept string
	}{
		{"unknown kind", url.Values{"name": {"ann"}, "kind": {"sms"}, "address": {"4712345678"}}, "kind", "unknown channel kind", `value="4712345678"`},
		{"ftp webhook", url.Values{"name": {"ops"}, "kind": {"webhook"}, "address": {"ftp://hooks.example.com/x"}}, "address", "must be an http or https URL", `value="ftp://hooks.example.com/x"`},
		{"slack without scheme", url.Values{"name": {"ops"}, "kind": {"slack"}, "address": {"hooks.slack.com/services/x"}}, "address", "must be an absolute http or https URL", ""},
		{"teams javascript", url.Values{"name": {"ops"}, "kind": {"teams"}, "address": {"javascript:alert(1)"}}, "address", "must be an http or https URL", ""},
		{"header injection", url.Values{"name": {"ann"}, "kind": {"email"}, "address": {"a@b\r\nBcc: c"}}, "address", "on one line", ""},
		{"not an email", url.Values{"name": {"ann"}, "kind": {"email"}, "address": {"not an email"}}, "address", "is not an email address", `value="not an email"`},
		{"display name", url.Values{"name": {"ann"}, "kind": {"email"}, "address": {"Ann <ann@example.com>"}}, "address", "bare email address", ""},
		{"no name", url.Values{"name": {" "}, "kind": {"email"}, "address": {"ann@example.com"}}, "name", "is required", `value="ann@example.com"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.do(t, request{method: "POST", path: contacts, role: amends.Admin, form: c.form})
			if resp.StatusCode != http.StatusBadRequest {
				t.Fatalf("status %d, want 400\n%s", resp.StatusCode, body)
			}
			prefix := fmt.Sprintf("c%d-", g.ID)
			label, field := strings.Index(body, `<label for="`+prefix+c.field+`">`), strings.Index(body, `id="`+prefix+c.field+`"`)
			msg := strings.Index(body, c.want)
			if msg < 0 {
				t.Fatalf("no message %q:\n%s", c.want, body)
			}
			if !(label < msg && msg < field) {
				t.Errorf("the message is not beside its field (label %d, message %d, field %d)", label, msg, field)
			}
			if c.wantKept != "" && !strings.Contains(body, c.wantKept) {
				t.Errorf("the input %s is not kept", c.wantKept)
			}
			if !regexp.MustCompile(`<details class="panel" open>\s*<summary>Add a contact to Support`).MatchString(body) {
				t.Error("the refused form is folded away")
			}
		})
	}
	if g := a.groupNamed(t, "Support"); len(g.Contacts) != 0 {
		t.Fatalf("refused contacts were stored: %+v", g.Contacts)
	}

	// An email contact is stored and listed; a webhook without a secret gets one, shown once.
	resp, _ = a.do(t, request{method: "POST", path: contacts, role: amends.Admin,
		form: url.Values{"name": {"ann"}, "kind": {"email"}, "address": {" ann@example.com "}}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("add email contact: %d", resp.StatusCode)
	}
	resp, body := a.do(t, request{method: "POST", path: contacts, role: amends.Admin,
		form: url.Values{"name": {"#support"}, "kind": {"webhook"}, "address": {"https://hooks.example.com/amends/secret-path"}}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add webhook contact: %d\n%s", resp.StatusCode, body)
	}
	g = a.groupNamed(t, "Support")
	if len(g.Contacts) != 2 {
		t.Fatalf("contacts: %+v", g.Contacts)
	}
	var hook amends.Contact
	for _, c := range g.Contacts {
		if c.Kind == amends.ChannelWebhook {
			hook = c
		} else if c.Address != "ann@example.com" {
			t.Errorf("email stored as %q", c.Address)
		}
	}
	if len(hook.Secret) < 24 || !strings.Contains(body, `<code id="secret-value">`+hook.Secret+`</code>`) {
		t.Errorf("the made-up secret %q is not shown once:\n%s", hook.Secret, body)
	}
	_, page = a.do(t, request{method: "GET", path: "/admin/groups", role: amends.Admin})
	if strings.Contains(page, hook.Secret) {
		t.Error("the secret is shown again")
	}
	if !strings.Contains(page, "https://hooks.example.com/amends/secret-path") {
		t.Error("admins do not see the webhook URL")
	}
	// A secret given by the admin is kept and not shown.
	resp, _ = a.do(t, request{method: "POST", path: contacts, role: amends.Admin,
		form: url.Values{"name": {"bob"}, "kind": {"webhook"}, "address": {"https://bob.example.com/hook"}, "secret": {"bobs-own-secret"}}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Errorf("webhook with a secret: %d", resp.StatusCode)
	}

	// Everyone may read the page; only admins see forms and full webhook URLs.
	for _, role := range []amends.Role{amends.Viewer, amends.Responder} {
		resp, page := a.do(t, request{method: "GET", path: "/admin/groups", role: role})
		if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Support") || !strings.Contains(page, "ann@example.com") {
			t.Fatalf("%s reads groups: %d", role, resp.StatusCode)
		}
		if strings.Contains(page, "secret-path") || !strings.Contains(page, "https://hooks.example.com/…") {
			t.Errorf("%s sees a webhook URL in full", role)
		}
		if strings.Contains(page, `method="post" action="/admin`) {
			t.Errorf("%s is shown a form that changes groups", role)
		}
		if !strings.Contains(page, `<a href="/admin/groups" aria-current="page">Groups</a>`) {
			t.Errorf("%s has no Groups in the navigation", role)
		}
	}

	// Change the rule; refuse an empty one.
	rule := fmt.Sprintf("/admin/groups/%d/rule", g.ID)
	resp, body = a.do(t, request{method: "POST", path: rule, role: amends.Admin, form: url.Values{"events": {"declared"}}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "tick at least one severity") {
		t.Errorf("empty severities: %d", resp.StatusCode)
	}
	resp, _ = a.do(t, request{method: "POST", path: rule, role: amends.Admin,
		form: url.Values{"severities": {"3"}, "events": {"status_changed", "postmortem_shared"}}})
	if g := a.groupNamed(t, "Support"); resp.StatusCode != http.StatusSeeOther || fmt.Sprint(g.Severities) != "[SEV3]" ||
		strings.Join(g.Events, ",") != "postmortem_shared,status_changed" && strings.Join(g.Events, ",") != "status_changed,postmortem_shared" {
		t.Errorf("change rule: %d %v %v", resp.StatusCode, g.Severities, g.Events)
	}

	// Remove a contact, then the group.
	resp, _ = a.do(t, request{method: "POST", path: fmt.Sprintf("/admin/contacts/%d/delete", hook.ID), role: amends.Admin})
	if g := a.groupNamed(t, "Support"); resp.StatusCode != http.StatusSeeOther || len(g.Contacts) != 2 {
		t.Errorf("remove contact: %d, %d left", resp.StatusCode, len(g.Contacts))
	}
	resp, _ = a.do(t, request{method: "POST", path: fmt.Sprintf("/admin/groups/%d/delete", g.ID), role: amends.Admin})
	if resp.StatusCode != http.StatusSeeOther || a.groupNamed(t, "Support") != nil {
		t.Errorf("delete group: %d", resp.StatusCode)
	}
	if resp, _ := a.do(t, request{method: "POST", path: fmt.Sprintf("/admin/groups/%d/delete", g.ID), role: amends.Admin}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete a deleted group: %d", resp.StatusCode)
	}
	_, audit := a.do(t, request{method: "GET", path: "/admin/audit", role: amends.Admin})
	for _, want := range []string{"group.create", "group.rule", "contact.add", "contact.delete", "group.delete"} {
		if !strings.Contains(audit, want) {
			t.Errorf("audit log lacks %s", want)
		}
	}
	_ = ctx
}

// TestGroupsRefused sends every change of the groups page as people who may not make it, or
// with input that must be refused, and checks that nothing was stored.
func TestGroupsRefused(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	ctx := context.Background()
	g, err := a.store.CreateGroup(ctx, amends.Group{Name: "Sales"}, setupActor)
	if err != nil {
		t.Fatal(err)
	}
	c, err := a.store.AddContact(ctx, g.ID, amends.Contact{Name: "sam", Kind: amends.ChannelEmail, Address: "sam@example.com"}, setupActor)
	if err != nil {
		t.Fatal(err)
	}
	newGroup := url.Values{"name": {"Engineering"}, "severities": {"1"}, "events": {"declared"}}
	contact := url.Values{"name": {"eve"}, "kind": {"email"}, "address": {"eve@example.com"}}
	targets := url.Values{"colleagues_1": {"1m"}}
	posts := map[string]url.Values{
		"/admin/groups": newGroup,
		fmt.Sprintf("/admin/groups/%d/rule", g.ID):     {"severities": {"4"}, "events": {"resolved"}},
		fmt.Sprintf("/admin/groups/%d/delete", g.ID):   nil,
		fmt.Sprintf("/admin/groups/%d/contacts", g.ID): contact,
		fmt.Sprintf("/admin/contacts/%d/delete", c.ID): nil,
		"/admin/settings/targets":                      targets,
		"/admin/settings/escalation":                   contact,
	}
	type refusal struct {
		name       string
		req        request
		wantStatus int
		wantBody   string
	}
	var cases []refusal
	for path, form := range posts {
		cases = append(cases,
			refusal{"viewer " + path, request{method: "POST", path: path, role: amends.Viewer, form: form}, 403, "your role is viewer"},
			refusal{"responder " + path, request{method: "POST", path: path, role: amends.Responder, form: form}, 403, ""},
			refusal{"no token " + path, request{method: "POST", path: path, role: amends.Admin, form: form, csrf: "-"}, 403, ""},
			refusal{"signed out " + path, request{method: "POST", path: path, form: form}, 303, ""})
	}
	cases = append(cases,
		refusal{"group without name", request{method: "POST", path: "/admin/groups", role: amends.Admin,
			form: url.Values{"name": {" "}, "severities": {"1"}, "events": {"declared"}}}, 400, "is required"},
		refusal{"group named twice", request{method: "POST", path: "/admin/groups", role: amends.Admin,
			form: url.Values{"name": {"Sales"}, "severities": {"1"}, "events": {"declared"}}}, 409, "exists"},
		refusal{"group hearing nothing", request{method: "POST", path: "/admin/groups", role: amends.Admin,
			form: url.Values{"name": {"Kept name"}, "severities": {"1"}}}, 400, "tick at least one event"},
		refusal{"group with severity 9", request{method: "POST", path: "/admin/groups", role: amends.Admin,
			form: url.Values{"name": {"Kept name"}, "severities": {"9"}, "events": {"declared"}}}, 400, "must be 1 to 4"},
		refusal{"group with an unknown event", request{method: "POST", path: "/admin/groups", role: amends.Admin,
			form: url.Values{"name": {"Kept name"}, "severities": {"1"}, "events": {"exploded"}}}, 400, "unknown event"},
		refusal{"group on two lines", request{method: "POST", path: "/admin/groups", role: amends.Admin,
			form: url.Values{"name": {"Sales\r\nBcc: x"}, "severities": {"1"}, "events": {"declared"}}}, 400, "one line"},
		refusal{"contact twice", request{method: "POST", path: fmt.Sprintf("/admin/groups/%d/contacts", g.ID), role: amends.Admin,
			form: url.Values{"name": {"sam again"}, "kind": {"email"}, "address": {"sam@example.com"}}}, 409, "already reaches"},
		refusal{"contact of no group", request{method: "POST", path: "/admin/groups/999/contacts", role: amends.Admin, form: contact}, 404, ""},
		refusal{"rule of no group", request{method: "POST", path: "/admin/groups/999/rule", role: amends.Admin,
			form: url.Values{"severities": {"1"}, "events": {"declared"}}}, 404, ""},
		refusal{"no such contact", request{method: "POST", path: "/admin/contacts/999/delete", role: amends.Admin}, 404, ""},
		refusal{"target in words", request{method: "POST", path: "/admin/settings/targets", role: amends.Admin,
			form: url.Values{"colleagues_1": {"5m"}, "customers_2": {"two hours"}}}, 400, "must be a duration such as 15m"},
		refusal{"negative target", request{method: "POST", path: "/admin/settings/targets", role: amends.Admin,
			form: url.Values{"colleagues_3": {"-5m"}}}, 400, "must be a duration"},
		refusal{"escalation to ftp", request{method: "POST", path: "/admin/settings/escalation", role: amends.Admin,
			form: url.Values{"name": {"cto"}, "kind": {"slack"}, "address": {"ftp://x.example.com"}}}, 400, "must be an http or https URL"},
		refusal{"escalation with header injection", request{method: "POST", path: "/admin/settings/escalation", role: amends.Admin,
			form: url.Values{"name": {"cto"}, "kind": {"email"}, "address": {"a@b\r\nBcc: c"}}}, 400, "on one line"},
		refusal{"escalation without name", request{method: "POST", path: "/admin/settings/escalation", role: amends.Admin,
			form: url.Values{"kind": {"email"}, "address": {"cto@example.com"}}}, 400, "is required"},
	)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.do(t, c.req)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, c.wantStatus, body)
			}
			if !strings.Contains(body, c.wantBody) {
				t.Errorf("body lacks %q:\n%s", c.wantBody, body)
			}
			if strings.Contains(body, "internal error") {
				t.Error("an expected refusal was answered as an internal error")
			}
			if c.wantStatus == 400 && c.req.path == "/admin/groups" && !strings.Contains(body, `value="Kept name"`) && strings.Contains(c.wantBody, "tick") {
				t.Error("the refused group form lost its name")
			}
		})
	}

	groups, _ := a.store.Groups(ctx)
	if len(groups) != 1 || groups[0].Name != "Sales" || len(groups[0].Contacts) != 1 || fmt.Sprint(groups[0].Severities) != "[SEV1 SEV2 SEV3 SEV4]" {
		t.Errorf("refused requests changed the groups: %+v", groups)
	}
	if tg, _ := a.store.Targets(ctx); tg[1].ColleaguesTold != 5*time.Minute || tg[2].CustomersTold != 2*time.Hour {
		t.Errorf("refused requests changed the targets: %+v", tg)
	}
	if esc, _ := a.store.EscalationContact(ctx); esc != nil {
		t.Errorf("refused requests set an escalation contact: %+v", esc)
	}
}

func TestTargetsAndEscalation(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	ctx := context.Background()
	_, page := a.do(t, request{method: "GET", path: "/admin/groups", role: amends.Admin})
	for _, want := range []string{`name="colleagues_1" value="5m"`, `name="customers_2" value="2h"`, `name="colleagues_4" value=""`,
		`<label for="t-customers-3">`, "Nobody yet"} {
		if !strings.Contains(page, want) {
			t.Errorf("groups page lacks %q", want)
		}
	}
	form := url.Values{"colleagues_1": {"3m"}, "customers_1": {"20m"}, "colleagues_2": {"10m"}, "customers_2": {"1h30m"},
		"colleagues_3": {"1h"}, "customers_3": {"8h"}, "colleagues_4": {"none"}, "customers_4": {"24h"}}
	resp, _ := a.do(t, request{method: "POST", path: "/admin/settings/targets", role: amends.Admin, form: form})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("set targets: %d", resp.StatusCode)
	}
	tg, _ := a.store.Targets(ctx)
	if tg[1] != (amends.Target{ColleaguesTold: 3 * time.Minute, CustomersTold: 20 * time.Minute}) || tg[2].CustomersTold != 90*time.Minute ||
		tg[4] != (amends.Target{CustomersTold: 24 * time.Hour}) {
		t.Errorf("stored targets: %+v", tg)
	}
	_, page = a.do(t, request{method: "GET", path: "/admin/groups", role: amends.Viewer})
	if !strings.Contains(page, `<td data-label="Customers told within">90m</td>`) || !strings.Contains(page, `<td data-label="Colleagues told within">no target</td>`) {
		t.Errorf("a viewer does not read the targets:\n%s", page)
	}
	// A refused form keeps every value as typed.
	form.Set("customers_3", "eight hours")
	resp, body := a.do(t, request{method: "POST", path: "/admin/settings/targets", role: amends.Admin, form: form})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, `value="eight hours"`) || !strings.Contains(body, `name="customers_4" value="24h"`) {
		t.Errorf("refused targets: %d", resp.StatusCode)
	}

	resp, body = a.do(t, request{method: "POST", path: "/admin/settings/escalation", role: amends.Admin,
		form: url.Values{"name": {"Head of Support"}, "kind": {"webhook"}, "address": {"http://127.0.0.1:9/escalate"}}})
	esc, _ := a.store.EscalationContact(ctx)
	if resp.StatusCode != http.StatusOK || esc == nil || esc.Name != "Head of Support" || len(esc.Secret) < 24 ||
		!strings.Contains(body, esc.Secret) {
		t.Fatalf("set escalation webhook: %d %+v", resp.StatusCode, esc)
	}
	resp, _ = a.do(t, request{method: "POST", path: "/admin/settings/escalation", role: amends.Admin,
		form: url.Values{"name": {"cto"}, "kind": {"email"}, "address": {"cto@example.com"}, "secret": {"ignored for email"}}})
	esc, _ = a.store.EscalationContact(ctx)
	if resp.StatusCode != http.StatusSeeOther || esc.Address != "cto@example.com" || esc.Secret != "" {
		t.Errorf("set escalation email: %d %+v", resp.StatusCode, esc)
	}
	_, page = a.do(t, request{method: "GET", path: "/admin/groups", role: amends.Viewer})
	if !strings.Contains(page, "Now: <strong>cto</strong>, by email.") {
		t.Errorf("a viewer does not see the escalation contact")
	}
}

// TestGroupsEscaping checks that names and addresses people wrote reach the groups page and
// the incident page as text.
func TestGroupsEscaping(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("14:44")))
	ctx := context.Background()
	g, err := a.store.CreateGroup(ctx, amends.Group{Name: `<script>alert(1)</script> Support`}, setupActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.AddContact(ctx, g.ID, amends.Contact{Name: `"><img src=x onerror=alert(2)>`, Kind: amends.ChannelWebhook,
		Address: `https://hooks.example.com/"><script>alert(3)</script>`, Secret: "k"}, setupActor); err != nil {
		t.Fatal(err)
	}
	a.declare(t, "Wrong renewal email sent", at("14:39"))
	for _, req := range []request{
		{method: "GET", path: "/admin/groups", role: amends.Admin},
		{method: "GET", path: "/admin/groups", role: amends.Viewer},
		{method: "GET", path: "/incidents/INC-1", role: amends.Admin},
		{method: "GET", path: "/incidents/INC-1?to=%3Cscript%3Ealert(4)%3C/script%3E", role: amends.Viewer},
	} {
		_, body := a.do(t, req)
		for _, bad := range []string{"<script>alert", "<img src=x"} {
			if strings.Contains(body, bad) {
				t.Errorf("%s as %s: unescaped %q", req.path, req.role, bad)
			}
		}
		if !strings.Contains(body, "&lt;script&gt;alert(") && !strings.Contains(body, "&lt;img src=x") {
			t.Errorf("%s as %s: the names are not shown as text", req.path, req.role)
		}
	}
}

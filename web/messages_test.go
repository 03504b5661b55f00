package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// affectedList is an audience list of three customers, each with their own orders affected.
const affectedList = "email,name,orders_affected\nann@example.com,Ann,3\nbob@example.com,Bob,12\ncy@example.com,,1\n"

// ownsText is a message the ownership check says owns the mistake; disownsText one it says
// does not.
const (
	ownsSubject  = "We charged you twice for your November invoice"
	ownsBody     = "Hello {{name|there}},\n\nWe made a mistake: we charged you twice for your November invoice. {{orders_affected}} of your orders were affected.\n\nWe are sorry. You trusted us with your money and we got it wrong.\n\nWe have refunded the second charge today, and we have added a check to our billing run so that it cannot charge an invoice twice again.\n\nReply to this email with any question; it reaches ana, who is responsible for putting this right.\n\nana"
	disownsBody  = "Hello,\n\nMistakes were made by our payment provider and a small number of users may have been briefly affected. We apologize for any inconvenience."
	disownsTitle = "A billing issue"
)

// messageApp is the web app with a sev2 incident whose audience is affectedList, and two more
// responders, ben and cy, to approve what ana writes.
func messageApp(t *testing.T) (*testApp, *amends.Incident) {
	t.Helper()
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	inc := a.declare(t, "Invoices charged twice", at("14:39"))
	rep, err := a.store.UploadAudience(context.Background(), inc.Ref, strings.NewReader(affectedList), setupActor)
	if err != nil || rep.Members != 3 {
		t.Fatalf("upload audience: %v %+v", err, rep)
	}
	a.user(t, "ben", amends.Responder)
	a.user(t, "cy", amends.Responder)
	return a, inc
}

// write saves a message as ana through the store, checked by the app's checker.
func (a *testApp) write(t *testing.T, ref, subject, body string) *amends.Message {
	t.Helper()
	owns, score, report := a.web.checked(subject, body)
	m, err := a.store.CreateMessage(context.Background(), ref, amends.MessageAcknowledgement, subject, body, owns, score, report,
		amends.Actor{Name: "ana", Role: amends.Responder})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func (a *testApp) approve(t *testing.T, m *amends.Message, by ...string) {
	t.Helper()
	for _, name := range by {
		if _, err := a.store.ApproveMessage(context.Background(), m.ID, m.Version, amends.Actor{Name: name, Role: amends.Responder}); err != nil {
			t.Fatal(err)
		}
	}
}

func (a *testApp) deliveryCount(t *testing.T, m *amends.Message) int {
	t.Helper()
	page, err := a.store.MessageDeliveries(context.Background(), m.ID, "", "", 500)
	if err != nil {
		t.Fatal(err)
	}
	return len(page.Deliveries)
}

func TestAudiencePage(t *testing.T) {
	a, inc := messageApp(t)
	ana, vic := a.users[amends.Responder], a.users[amends.Viewer]
	path := "/incidents/" + inc.Ref + "/audience"

	_, body := a.call(t, call{method: "GET", path: path, user: vic})
	for _, w := range []string{"<strong>3 people will receive it</strong>: the list uploaded for this incident.", "<code>{{orders_affected}}</code>",
		"<code>{{name}}</code>", `<td data-label="orders_affected">12</td>`} {
		if !strings.Contains(body, w) {
			t.Errorf("the audience page lacks %q", w)
		}
	}
	if strings.Contains(body, `action="`+path) {
		t.Error("a viewer is shown the audience forms")
	}

	badList := &csvFile{"list.csv", "email,refund amount\nann@example.com,10\nnope,5\nann@example.com,7\n"}
	cases := []struct {
		name       string
		c          call
		wantStatus int
		want       []string
	}{
		{"viewer cannot choose", call{method: "POST", path: path, user: vic, form: url.Values{"kind": {"all"}}}, 403, nil},
		{"viewer cannot upload", call{method: "POST", path: path + "/list", user: vic, file: badList}, 403, nil},
		{"no CSRF token", call{method: "POST", path: path, user: ana, form: url.Values{"kind": {"all"}}, csrf: "-"}, 403, nil},
		{"upload without CSRF token", call{method: "POST", path: path + "/list", user: ana, file: badList, csrf: "-"}, 403, nil},
		{"accounts without accounts", call{method: "POST", path: path, user: ana, form: url.Values{"kind": {"accounts"}, "segments": {"kept-segment"}}}, 400,
			[]string{"choose at least one account", `value="kept-segment"`, `value="accounts" checked`}},
		{"bad segment", call{method: "POST", path: path, user: ana, form: url.Values{"kind": {"segments"}, "segments": {"a b"}}}, 400,
			[]string{"may hold only a-z"}},
		{"unknown kind", call{method: "POST", path: path, user: ana, form: url.Values{"kind": {"friends"}}}, 400, []string{"must be all, accounts"}},
		{"list with bad rows", call{method: "POST", path: path + "/list", user: ana, file: badList}, 400,
			[]string{"The list was not uploaded", "is not an email address", "duplicate: ann@example.com is also on line 2",
				`<th scope="row" data-label="Line">3</th>`, `<th scope="row" data-label="Line">4</th>`}},
		{"unknown incident", call{method: "GET", path: "/incidents/INC-99/audience", user: vic}, 404, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.call(t, c.c)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, c.wantStatus, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q:\n%s", w, body)
				}
			}
			au, err := a.store.Audience(context.Background(), inc.Ref)
			if err != nil || au.Kind != amends.AudienceList || au.Size != 3 || strings.Join(au.Columns, ",") != "orders_affected" {
				t.Errorf("a refused request changed the audience: %+v %v", au, err)
			}
		})
	}

	// Choosing and uploading go back to the page, which says so.
	if _, err := a.store.CreateCustomer(context.Background(), amends.Customer{Email: "dee@example.com", Account: "acme"}, setupActor); err != nil {
		t.Fatal(err)
	}
	resp, _ := a.call(t, call{method: "POST", path: path, user: ana, form: url.Values{"kind": {"accounts"}, "accounts": {"acme, globex"}}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != path+"?done=audience" {
		t.Fatalf("choose accounts: %d to %q", resp.StatusCode, loc)
	}
	_, body = a.call(t, call{method: "GET", path: path + "?done=audience", user: ana})
	if !strings.Contains(body, "Audience saved.") || !strings.Contains(body, "1 person will receive it</strong>: the customers of accounts acme, globex") ||
		strings.Contains(body, "{{orders_affected}}") {
		t.Errorf("after choosing accounts:\n%s", body)
	}
	resp, _ = a.call(t, call{method: "POST", path: path + "/list", user: ana, file: &csvFile{"l.csv", "email,Refund amount\nann@example.com,10.00\n"}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != path+"?done=list" {
		t.Fatalf("upload list: %d to %q", resp.StatusCode, loc)
	}
	_, body = a.call(t, call{method: "GET", path: path, user: ana})
	if !strings.Contains(body, "1 person will receive it") || !strings.Contains(body, "<code>{{refund_amount}}</code>") {
		t.Errorf("after uploading a list:\n%s", body)
	}
}

// TestMessageFlow drives the review rules through the pages: who may write, approve and send,
// and every refusal with its reason, nothing sent by a refused request.
func TestMessageFlow(t *testing.T) {
	a, inc := messageApp(t)
	ana, vic := a.users[amends.Responder], a.users[amends.Viewer]
	ben, cy := a.user(t, "ben", amends.Responder), a.user(t, "cy", amends.Responder)
	owning := a.write(t, inc.Ref, ownsSubject, ownsBody)
	disowning := a.write(t, inc.Ref, disownsTitle, disownsBody)
	if !owning.Owns || disowning.Owns {
		t.Fatalf("the test texts: owning says %v, disowning %v", owning.Owns, disowning.Owns)
	}
	a.approve(t, disowning, "ben", "cy")
	approve := func(m *amends.Message, v int) string { return fmt.Sprintf("/messages/%d/approve", m.ID) }
	send := func(m *amends.Message) string { return fmt.Sprintf("/messages/%d/send", m.ID) }
	v1 := url.Values{"version": {"1"}}

	cases := []struct {
		name       string
		c          call
		wantStatus int
		want       []string
	}{
		{"viewer reads the review page", call{method: "GET", path: messageURL(owning.ID), user: vic}, 200, []string{ownsSubject, "Approvals"}},
		{"viewer gets no composer", call{method: "GET", path: "/incidents/" + inc.Ref + "/messages/new", user: vic}, 403, nil},
		{"viewer cannot write", call{method: "POST", path: "/incidents/" + inc.Ref + "/messages", user: vic,
			form: url.Values{"kind": {"update"}, "subject": {"s"}, "body": {"b"}}}, 403, nil},
		{"viewer cannot save a version", call{method: "POST", path: fmt.Sprintf("/messages/%d/versions", owning.ID), user: vic,
			form: url.Values{"subject": {"s"}, "body": {"b"}}}, 403, nil},
		{"viewer cannot approve", call{method: "POST", path: approve(owning, 1), user: vic, form: v1}, 403, []string{"your role is viewer"}},
		{"viewer cannot send", call{method: "POST", path: send(disowning), user: vic, form: url.Values{"override": {"x"}}}, 403, nil},
		{"viewer cannot preview live", call{method: "POST", path: "/incidents/" + inc.Ref + "/messages/preview", user: vic,
			form: url.Values{"subject": {"s"}, "body": {"b"}}}, 403, nil},
		{"approve without CSRF token", call{method: "POST", path: approve(owning, 1), user: ben, form: v1, csrf: "-"}, 403, []string{"reload the page"}},
		{"send with a forged token", call{method: "POST", path: send(disowning), user: ana, form: url.Values{"override": {"x"}}, csrf: "forged"}, 403, nil},
		{"the author cannot approve", call{method: "POST", path: approve(owning, 1), user: ana, form: v1}, 403,
			[]string{`id="approve-error">you wrote v1; someone else must approve it`, "You wrote version 1, so you cannot approve it"}},
		{"approve a version that is not the latest", call{method: "POST", path: approve(owning, 1), user: ben, form: url.Values{"version": {"2"}}}, 409,
			[]string{"v2 is not the latest version of message 1; v1 is"}},
		{"approve without a version", call{method: "POST", path: approve(owning, 1), user: ben}, 400, []string{"say which version you approve"}},
		{"send before approval", call{method: "POST", path: send(owning), user: ben}, 409,
			[]string{`id="send-error">v1 needs 2 approvals from people other than its author`}},
		{"send not owning without a reason", call{method: "POST", path: send(disowning), user: ana, form: url.Values{"override": {"  "}}}, 400,
			[]string{"give a reason to send it anyway", `<label for="s-override">Reason to send anyway</label>`}},
		{"approve an unknown message", call{method: "POST", path: "/messages/99/approve", user: ben, form: v1}, 404, nil},
		{"an unknown message", call{method: "GET", path: "/messages/99", user: vic}, 404, nil},
		{"an unknown version", call{method: "GET", path: messageURL(owning.ID) + "?v=7", user: vic}, 404, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body := a.call(t, c.c)
			if resp.StatusCode != c.wantStatus {
				t.Fatalf("status %d, want %d\n%s", resp.StatusCode, c.wantStatus, body)
			}
			for _, w := range c.want {
				if !strings.Contains(body, w) {
					t.Errorf("the answer lacks %q:\n%s", w, body)
				}
			}
			if strings.Contains(body, "internal error") {
				t.Errorf("answered as an internal error:\n%s", body)
			}
			for _, m := range []*amends.Message{owning, disowning} {
				if n := a.deliveryCount(t, m); n != 0 {
					t.Errorf("a refused request sent message %d to %d people", m.ID, n)
				}
				got, _ := a.store.Message(context.Background(), m.ID)
				if got.Version != 1 || got.State == amends.MessageSent || len(got.Approvals) != len(m.Approvals)+map[bool]int{true: 2}[m == disowning] {
					t.Errorf("a refused request changed message %d: v%d %s, %d approvals", m.ID, got.Version, got.State, len(got.Approvals))
				}
			}
		})
	}

	// Two people other than the author approve; the page says who, when and which version.
	for _, u := range []*amends.User{ben, cy} {
		resp, _ := a.call(t, call{method: "POST", path: approve(owning, 1), user: u, form: v1})
		if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != messageURL(owning.ID)+"?done=approved#approvals" {
			t.Fatalf("%s approves: %d to %q", u.Name, resp.StatusCode, loc)
		}
	}
	_, body := a.call(t, call{method: "GET", path: messageURL(owning.ID) + "?done=approved", user: ben})
	for _, w := range []string{"Approved. Version 1 is frozen and ready to send.", "<strong>ben</strong> approved version 1",
		"<strong>cy</strong> approved version 1", "You approved version 1.", `<button type="submit" id="send-button">Send to 3 customers</button>`} {
		if !strings.Contains(body, w) {
			t.Errorf("the approved message's page lacks %q", w)
		}
	}
	if strings.Contains(body, `id="s-override"`) {
		t.Error("a message that owns the mistake asks for a reason to send it")
	}

	// Sending the one that owns the mistake needs no reason.
	resp, _ := a.call(t, call{method: "POST", path: send(owning), user: ben})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != messageURL(owning.ID)+"?done=sent#delivery" {
		t.Fatalf("send: %d to %q", resp.StatusCode, loc)
	}
	if n := a.deliveryCount(t, owning); n != 3 {
		t.Errorf("sent to %d, want 3", n)
	}
	_, body = a.call(t, call{method: "GET", path: messageURL(owning.ID), user: vic})
	for _, w := range []string{"Sent by ben", "to 3 customers.", "3 pending", `data-label="Email" class="addr">bob@example.com</td>`} {
		if !strings.Contains(body, w) {
			t.Errorf("the sent message's page lacks %q", w)
		}
	}
	if resp, body := a.call(t, call{method: "POST", path: send(owning), user: ben}); resp.StatusCode != http.StatusConflict || !strings.Contains(body, "was already sent") {
		t.Errorf("sending twice: %d", resp.StatusCode)
	}

	// Sending the one that does not own it needs a reason, which goes on the timeline.
	resp, body = a.call(t, call{method: "POST", path: send(disowning), user: ana, form: url.Values{"override": {"Legal asked for this <b>wording</b>."}}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("send with a reason: %d\n%s", resp.StatusCode, body)
	}
	events, err := a.store.Timeline(context.Background(), inc.Ref, false)
	if err != nil {
		t.Fatal(err)
	}
	var told, reason int
	for _, e := range events {
		if e.Kind == amends.KindCustomersTold {
			told++
		}
		if strings.Contains(e.Body, "Reason: Legal asked for this <b>wording</b>.") {
			reason++
		}
	}
	if told != 2 || reason != 1 {
		t.Errorf("timeline: %d customers told, %d override reasons", told, reason)
	}
	_, body = a.call(t, call{method: "GET", path: messageURL(disowning.ID), user: vic})
	if !strings.Contains(body, "Reason given: <q>Legal asked for this &lt;b&gt;wording&lt;/b&gt;.</q>") {
		t.Error("the review page does not show the override reason, escaped")
	}

	// The incident page: customers told, the audience and each message's state.
	_, body = a.call(t, call{method: "GET", path: "/incidents/" + inc.Ref, user: vic})
	for _, w := range []string{`<span class="clock-label">Customers told</span> <strong class="clock">after 21 min</strong>`,
		"3 people will receive it", `href="/incidents/INC-1/audience"`, `href="/incidents/INC-1/messages"`,
		`<span class="mstate mstate-sent">sent`, "The deliveries of customer messages are on"} {
		if !strings.Contains(body, w) {
			t.Errorf("the incident page lacks %q", w)
		}
	}
	if !regexp.MustCompile(`id="tell-customers">Hello,\s+Mistakes were made`).MatchString(body) &&
		!regexp.MustCompile(`id="tell-customers">Hello \{\{name\|there\}\}`).MatchString(body) {
		t.Errorf("what to tell customers is not the approved wording:\n%s", body)
	}
	if strings.Contains(body, `<td data-label="What">customer message</td>`) {
		t.Error("the incident's delivery log lists the customer deliveries")
	}
}

// TestComposer writes a message from a template, checks and previews it as it is typed,
// saves a second version and reads the diff reviewers see.
func TestComposer(t *testing.T) {
	a, inc := messageApp(t)
	ana, ben := a.users[amends.Responder], a.user(t, "ben", amends.Responder)
	base := "/incidents/" + inc.Ref + "/messages"

	resp, body := a.call(t, call{method: "GET", path: base + "/new?template=acknowledgement", user: ana})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("composer: %d", resp.StatusCode)
	}
	for _, w := range []string{`value="We made a mistake: Invoices charged twice"`, "- Orders affected: {{orders_affected}}",
		`<label for="m-subject">Subject</label>`, `<label for="m-body">Message</label>`, `<label for="m-to">Preview for`,
		`action="/incidents/INC-1/messages"`, `hx-post="/incidents/INC-1/messages/preview"`, `hx-trigger="input delay:400ms"`,
		`id="verdict" class="verdict owns"`, "Save as version 1", "<strong>3 people will receive it</strong>",
		`id="preview-h">Preview for <span class="addr">ann@example.com</span>`, "- Orders affected: 3", `<option value="bob@example.com">Bob</option>`} {
		if !strings.Contains(body, w) {
			t.Errorf("the composer lacks %q", w)
		}
	}
	if resp, _ := a.call(t, call{method: "GET", path: base + "/new?template=apology", user: ana}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown template: %d", resp.StatusCode)
	}
	resp, body = a.call(t, call{method: "GET", path: base + "/new?template=update", user: ana})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="Update on our mistake: Invoices charged twice"`) {
		t.Errorf("the update template: %d", resp.StatusCode)
	}

	// As it is typed: the check's fragment with the preview swapped in beside it.
	live := func(form url.Values) string {
		t.Helper()
		resp, body := a.call(t, call{method: "POST", path: base + "/preview", user: ana, form: form,
			header: map[string]string{"HX-Request": "true"}})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("live check: %d\n%s", resp.StatusCode, body)
		}
		return body
	}
	body = live(url.Values{"kind": {"acknowledgement"}, "subject": {ownsSubject}, "body": {ownsBody}, "to": {"bob@example.com"}})
	for _, w := range []string{`id="verdict" class="verdict owns"`, `<div id="preview" hx-swap-oob="innerHTML">`,
		"Hello Bob,", "12 of your orders were affected."} {
		if !strings.Contains(body, w) {
			t.Errorf("the live answer lacks %q:\n%s", w, body)
		}
	}
	if strings.Contains(body, "<html") {
		t.Error("the live answer is a whole page")
	}
	body = live(url.Values{"subject": {"Sorry"}, "body": {disownsBody + " {{refund_amount}}"}, "to": {"cy@example.com"}})
	for _, w := range []string{`class="verdict disowns"`, `id="preview-problem">body: unknown placeholder {{refund_amount}}; this audience has`,
		"{{orders_affected}}"} {
		if !strings.Contains(body, w) {
			t.Errorf("the live answer lacks %q:\n%s", w, body)
		}
	}
	body = live(url.Values{"subject": {"s"}, "body": {"b"}, "to": {"zed@example.com"}})
	if !strings.Contains(body, "zed@example.com is not in the audience of INC-1") {
		t.Errorf("previewing for someone outside the audience:\n%s", body)
	}
	// Without JavaScript, "Check and preview" answers the whole composer, the text kept.
	resp, body = a.call(t, call{method: "POST", path: base + "/preview", user: ana,
		form: url.Values{"kind": {"update"}, "subject": {"No change yet"}, "body": {"No change yet: we are still working on it. {{orders_affected}}"}, "to": {"cy@example.com"}}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "<html") || !strings.Contains(body, `value="No change yet"`) ||
		!strings.Contains(body, `id="preview-body">No change yet: we are still working on it. 1</div>`) {
		t.Errorf("check and preview without JavaScript: %d\n%s", resp.StatusCode, body)
	}

	// Saving: refused input comes back beside its field; a good one makes version 1.
	resp, body = a.call(t, call{method: "POST", path: base, user: ana, form: url.Values{"kind": {"acknowledgement"}, "subject": {" "}, "body": {"kept body"}}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, ">kept body</textarea>") {
		t.Fatalf("an empty subject: %d\n%s", resp.StatusCode, body)
	}
	label, msg, field := strings.Index(body, `<label for="m-subject">`), strings.Index(body, "is required"), strings.Index(body, `id="m-subject"`)
	if !(label < msg && msg < field) {
		t.Errorf("the error is not beside its field (label %d, message %d, field %d)", label, msg, field)
	}
	resp, body = a.call(t, call{method: "POST", path: base, user: ana, form: url.Values{"kind": {"acknowledgement"}, "subject": {"s"}, "body": {"a {{broken"}}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "is never closed") {
		t.Errorf("an unclosed placeholder: %d", resp.StatusCode)
	}
	resp, _ = a.call(t, call{method: "POST", path: base, user: ana, form: url.Values{"kind": {"acknowledgement"}, "subject": {ownsSubject}, "body": {ownsBody}}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/messages/1?done=saved" {
		t.Fatalf("save: %d to %q", resp.StatusCode, loc)
	}
	_, body = a.call(t, call{method: "GET", path: "/messages/1?done=saved", user: ana})
	for _, w := range []string{"Saved as version 1. It needs 2 approvals", "This is the first version", `id="verdict" class="verdict owns"`,
		"You wrote version 1, so you cannot approve it", "Hello Ann,", "3 of your orders were affected.", `href="/messages/1/edit"`} {
		if !strings.Contains(body, w) {
			t.Errorf("the review page lacks %q", w)
		}
	}
	if strings.Contains(body, `id="approve-button"`) {
		t.Error("the author is offered to approve")
	}

	// ben approves v1; ana edits; v2 needs approval again and shows what changed.
	a.approve(t, &amends.Message{ID: 1, Version: 1}, "ben")
	_, body = a.call(t, call{method: "GET", path: "/messages/1/edit", user: ana})
	if !strings.Contains(body, `action="/messages/1/versions"`) || !strings.Contains(body, "Save as version 2") || !strings.Contains(body, `name="message" value="1"`) {
		t.Errorf("the edit composer:\n%s", body)
	}
	edited := strings.Replace(ownsBody, "We have refunded the second charge today", "We refunded the second charge at 15:00 today", 1)
	resp, _ = a.call(t, call{method: "POST", path: "/messages/1/versions", user: ana, form: url.Values{"subject": {ownsSubject}, "body": {edited}}})
	if loc := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || loc != "/messages/1?done=saved" {
		t.Fatalf("save v2: %d to %q", resp.StatusCode, loc)
	}
	resp, _ = a.call(t, call{method: "POST", path: "/messages/1/versions", user: ana, form: url.Values{"subject": {ownsSubject}, "body": {edited}}})
	if loc := resp.Header.Get("Location"); loc != "/messages/1?done=unchanged" {
		t.Errorf("saving the same text: %q", loc)
	}
	_, body = a.call(t, call{method: "GET", path: "/messages/1", user: ben})
	for _, w := range []string{"What changed since version 1", "1 line added, 1 removed.",
		`<del><span class="visually-hidden">Removed: </span>We have refunded the second charge today`,
		`<ins><span class="visually-hidden">Added: </span>We refunded the second charge at 15:00 today`,
		"— an earlier version: no longer counts", `<input type="hidden" name="version" value="2">`, "Approve version 2",
		`<a href="/messages/1?v=1">version 1</a>`} {
		if !strings.Contains(body, w) {
			t.Errorf("the review page of v2 lacks %q", w)
		}
	}
	resp, body = a.call(t, call{method: "POST", path: "/messages/1/approve", user: ben, form: url.Values{"version": {"1"}}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "v1 is not the latest version of message 1; v2 is") {
		t.Errorf("approving the stale version: %d", resp.StatusCode)
	}
	_, body = a.call(t, call{method: "GET", path: "/messages/1?v=1", user: ben})
	if !strings.Contains(body, "(not the latest:") || !strings.Contains(body, "This is the first version") {
		t.Errorf("reading version 1:\n%s", body)
	}
	_, body = a.call(t, call{method: "GET", path: base, user: a.users[amends.Viewer]})
	for _, w := range []string{`<a href="/messages/1">` + ownsSubject + `</a>`, "First acknowledgement", "v2", "0 of 2", "owns it", "draft: needs 2 approvals"} {
		if !strings.Contains(body, w) {
			t.Errorf("the message list lacks %q", w)
		}
	}
	if strings.Contains(body, `id="write-form"`) {
		t.Error("a viewer is offered to write a message")
	}
}

// TestMessageEscaping writes a message whose subject and body are markup and reads every page
// that shows it.
func TestMessageEscaping(t *testing.T) {
	a, inc := messageApp(t)
	ana := a.users[amends.Responder]
	subject := `<script>alert("s")</script> We charged you twice`
	body := ownsBody + "\n<script>alert(\"b\")</script><img src=x onerror=alert(1)>"
	m := a.write(t, inc.Ref, subject, body)
	for _, path := range []string{messageURL(m.ID), messageURL(m.ID) + "/edit", "/incidents/" + inc.Ref + "/messages", "/incidents/" + inc.Ref} {
		_, page := a.call(t, call{method: "GET", path: path, user: ana})
		if strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Errorf("%s shows markup unescaped", path)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(&#34;s&#34;)&lt;/script&gt; We charged you twice") {
			t.Errorf("%s does not show the subject as text", path)
		}
	}
	_, page := a.call(t, call{method: "POST", path: "/incidents/" + inc.Ref + "/messages/preview", user: ana,
		form: url.Values{"subject": {subject}, "body": {body}}, header: map[string]string{"HX-Request": "true"}})
	if strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
		t.Errorf("the live preview shows markup unescaped:\n%s", page)
	}
}

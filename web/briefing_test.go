package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

var setupActor = amends.Actor{Name: "setup", Role: amends.Admin}

// briefed sets up group Support with ann (email) and bob (a signed webhook), then declares a
// sev2 incident noticed at 14:39: the store writes the brief and one pending delivery each
// (no queue runs in these tests). It returns the deliveries by recipient.
func (a *testApp) briefed(t *testing.T) (*amends.Incident, map[string]*amends.Delivery) {
	t.Helper()
	ctx := context.Background()
	g, err := a.store.CreateGroup(ctx, amends.Group{Name: "Support"}, setupActor)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []amends.Contact{
		{Name: "ann", Kind: amends.ChannelEmail, Address: "ann@example.com"},
		{Name: "bob", Kind: amends.ChannelWebhook, Address: "https://hooks.example.com/secret-path", Secret: "k"},
	} {
		if _, err := a.store.AddContact(ctx, g.ID, c, setupActor); err != nil {
			t.Fatal(err)
		}
	}
	inc := a.declare(t, "Wrong renewal email sent", at("14:39"))
	ds, err := a.store.Deliveries(ctx, inc.Ref)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*amends.Delivery{}
	for _, d := range ds {
		byName[d.Name] = d
	}
	if len(byName) != 2 {
		t.Fatalf("deliveries after declaring: %+v", ds)
	}
	return inc, byName
}

// ackPath returns the read link of delivery id, signed with the server's secret.
func (a *testApp) ackPath(t *testing.T, id int64) string {
	t.Helper()
	secret, err := a.store.Secret(context.Background(), "ack")
	if err != nil {
		t.Fatal(err)
	}
	return "/ack/" + amends.AckToken(secret, id)
}

// reads counts the brief_read events on the incident's timeline.
func (a *testApp) reads(t *testing.T, ref string) int {
	t.Helper()
	events, err := a.store.Timeline(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range events {
		if e.Kind == amends.KindBriefRead {
			n++
		}
	}
	return n
}

func TestAckLink(t *testing.T) {
	clock := amendstest.NewClock(at("14:44"))
	a := newTestApp(t, clock)
	inc, ds := a.briefed(t)
	ann := ds["ann"]
	path := a.ackPath(t, ann.ID)

	// Opening the link, as people and link scanners do, records nothing.
	for i := 0; i < 2; i++ {
		resp, body := a.do(t, request{method: "GET", path: path})
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
		for _, want := range []string{inc.Ref, "Wrong renewal email sent", "What to tell customers: nothing approved yet",
			`<form method="post" action="` + path + `"`, `>I have read it</button>`, `href="/incidents/INC-1"`} {
			if !strings.Contains(body, want) {
				t.Errorf("read page lacks %q", want)
			}
		}
		if strings.Contains(body, `name="csrf"`) || strings.Contains(body, "Sign out") {
			t.Error("the read page needs no session but shows one")
		}
	}
	if n := a.reads(t, inc.Ref); n != 0 {
		t.Fatalf("GET recorded %d readings", n)
	}

	// A click records the reading once; a second click keeps the first time.
	clock.Set(at("14:50"))
	resp, _ := a.do(t, request{method: "POST", path: path, header: map[string]string{"Sec-Fetch-Site": "same-origin"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != path {
		t.Fatalf("POST: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	clock.Set(at("14:58"))
	if resp, _ := a.do(t, request{method: "POST", path: path}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("second POST: %d", resp.StatusCode)
	}
	if n := a.reads(t, inc.Ref); n != 1 {
		t.Errorf("two clicks recorded %d readings, want 1", n)
	}
	_, body := a.do(t, request{method: "GET", path: path})
	if !strings.Contains(body, "Thank you — recorded at <time datetime=\"2026-11-03T14:50:00Z\">14:50</time>") {
		t.Errorf("after reading, the page does not show the first time:\n%s", body)
	}
	if strings.Contains(body, "I have read it</button>") {
		t.Error("the button is still offered after reading")
	}
	if d, _ := a.store.Delivery(context.Background(), ds["bob"].ID); d.AckedAt != nil {
		t.Error("ann's reading was recorded for bob")
	}
}

func TestAckLinkRefused(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("14:44")))
	inc, ds := a.briefed(t)
	id := ds["ann"].ID
	good := a.ackPath(t, id)
	for name, path := range map[string]string{
		"forged mac":         fmt.Sprintf("/ack/%d.%s", id, strings.Repeat("A", 32)),
		"another secret":     "/ack/" + amends.AckToken("not the server's secret", id),
		"another delivery":   strings.Replace(good, fmt.Sprintf("/ack/%d.", id), fmt.Sprintf("/ack/%d.", ds["bob"].ID), 1),
		"no such delivery":   a.ackPath(t, 9999),
		"no mac":             fmt.Sprintf("/ack/%d", id),
		"garbage":            "/ack/%3Cscript%3E",
		"mac of a truncated": good[:len(good)-1],
	} {
		t.Run(name, func(t *testing.T) {
			for _, method := range []string{"GET", "POST"} {
				resp, body := a.do(t, request{method: method, path: path})
				if resp.StatusCode != http.StatusNotFound {
					t.Fatalf("%s: %d, want 404", method, resp.StatusCode)
				}
				for _, leak := range []string{"Wrong renewal", "INC-1", "ann", "Support", "I have read it"} {
					if strings.Contains(body, leak) {
						t.Errorf("%s: the 404 page reveals %q", method, leak)
					}
				}
				if !strings.Contains(body, "This read link is not valid") {
					t.Errorf("%s: the 404 page does not say why:\n%s", method, body)
				}
			}
		})
	}
	// Another site cannot click the button for someone.
	for _, h := range []map[string]string{{"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}} {
		if resp, _ := a.do(t, request{method: "POST", path: good, header: h}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("cross-site POST %v: %d, want 403", h, resp.StatusCode)
		}
	}
	if n := a.reads(t, inc.Ref); n != 0 {
		t.Errorf("refused links recorded %d readings", n)
	}
	if d, _ := a.store.Delivery(context.Background(), id); d.AckedAt != nil {
		t.Error("a refused link marked the brief read")
	}
}

// TestIncidentTellsWhoKnows reads the incident page's time to own, readers, customer
// wording and delivery log, and the list's targets.
func TestIncidentTellsWhoKnows(t *testing.T) {
	clock := amendstest.NewClock(at("14:44"))
	a := newTestApp(t, clock)
	ctx := context.Background()
	inc, ds := a.briefed(t)
	if err := a.store.DeliveryDelivered(ctx, ds["ann"].ID); err != nil { // colleagues told at 14:44
		t.Fatal(err)
	}
	clock.Set(at("14:46"))
	if _, err := a.store.Ack(ctx, ds["ann"].ID); err != nil {
		t.Fatal(err)
	}
	next := at("14:50")
	if err := a.store.DeliveryFailed(ctx, ds["bob"].ID, "temporary failure: POST to hooks.example.com: 503", &next, false); err != nil {
		t.Fatal(err)
	}

	_, page := a.do(t, request{method: "GET", path: "/incidents/" + inc.Ref, role: amends.Admin})
	for _, want := range []string{
		`<h2 id="clocks-h">Time to own</h2>`,
		`Colleagues told</span> <strong class="clock">after 5 min</strong>`,
		`<span class="target target-met">met</span> <span class="hint target-goal">target 15 min</span>`,
		`Customers told</span> <strong class="clock">not yet</strong>`,
		`<span class="target target-counting" data-until="2026-11-03T16:39:00Z">due in 1 h 53 min</span>`,
		`target 2 h, by <time datetime="2026-11-03T16:39:00Z">16:39</time>`,
		`Nothing approved yet — say we are looking into it and will update by <time datetime="2026-11-03T15:46:00Z">15:46</time>.`,
		`<strong>1 of 2</strong> confirmed reading “[INC-1] SEV2 declared: Wrong renewal email sent”`,
		`whoever has not read it is reminded`,
		`retrying — next try at <time datetime="2026-11-03T14:50:00Z">14:50</time>`,
		`temporary failure: POST to hooks.example.com: 503`,
		`<span class="read-yes">read</span> <time datetime="2026-11-03T14:46:00Z">14:46</time>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("incident page lacks %q", want)
		}
	}
	// Not yet read first.
	readers := regexp.MustCompile(`<tr class="reader [^"]+" data-read="(\w+)">\s*<th scope="row" data-label="Colleague">(\w+)</th>`).FindAllStringSubmatch(page, -1)
	if len(readers) != 2 || readers[0][2] != "bob" || readers[0][1] != "no" || readers[1][2] != "ann" || readers[1][1] != "yes" {
		t.Errorf("readers: %v, want bob (not read) then ann (read)", readers)
	}
	if strings.Contains(page, "secret-path") {
		t.Error("the incident page shows a webhook URL")
	}
	if strings.Contains(page, "Send again") {
		t.Error("a delivery that is not dead is offered to be sent again")
	}

	// Dead: admins may send it again; viewers see the state only.
	if err := a.store.DeliveryFailed(ctx, ds["bob"].ID, "permanent failure: 410 Gone", nil, true); err != nil {
		t.Fatal(err)
	}
	_, page = a.do(t, request{method: "GET", path: "/incidents/" + inc.Ref, role: amends.Admin})
	redrive := fmt.Sprintf(`<form method="post" action="/deliveries/%d/redrive">`, ds["bob"].ID)
	if !strings.Contains(page, redrive) || !strings.Contains(page, `<td data-label="State" class="state state-dead">dead</td>`) {
		t.Errorf("admin page lacks the dead delivery and its button:\n%s", page)
	}
	_, page = a.do(t, request{method: "GET", path: "/incidents/" + inc.Ref, role: amends.Viewer})
	if strings.Contains(page, redrive) || !strings.Contains(page, "state-dead") || !strings.Contains(page, "Who has read the latest brief") {
		t.Error("a viewer is offered to re-drive, or does not see the log and readers")
	}

	// One recipient's log.
	_, page = a.do(t, request{method: "GET", path: "/incidents/" + inc.Ref + "?to=ann", role: amends.Viewer})
	if n := strings.Count(page, `<tr id="d`); n != 1 || !strings.Contains(page, "Only the deliveries to <strong>ann</strong>") {
		t.Errorf("the log narrowed to ann shows %d rows", n)
	}

	// The list shows both targets; later, the customers' one is missed and says by how much.
	_, list := a.do(t, request{method: "GET", path: "/incidents", role: amends.Viewer})
	for _, want := range []string{`after 5 min <span class="target target-met">met</span>`,
		`data-until="2026-11-03T16:39:00Z">due in 1 h 53 min</span>`} {
		if !strings.Contains(list, want) {
			t.Errorf("list lacks %q", want)
		}
	}
	clock.Set(at("17:00"))
	_, list = a.do(t, request{method: "GET", path: "/incidents", role: amends.Viewer})
	if !strings.Contains(list, `<span class="target target-missed" data-until="2026-11-03T16:39:00Z">missed by 21 min</span>`) {
		t.Errorf("list does not show the missed target:\n%s", list)
	}
}

func TestIncidentWithoutTargetsOrGroups(t *testing.T) {
	clock := amendstest.NewClock(at("14:44"))
	a := newTestApp(t, clock)
	noticed := at("14:39")
	if _, err := a.store.CreateIncident(context.Background(), amends.NewIncident{Title: "Typo on the pricing page", Severity: 4,
		NoticedAt: &noticed}, setupActor); err != nil {
		t.Fatal(err)
	}
	_, page := a.do(t, request{method: "GET", path: "/incidents/INC-1", role: amends.Viewer})
	for _, want := range []string{`<span class="target target-none">no target</span>`, "No brief has gone out",
		"Nothing sent yet.", `will update by <time datetime="2026-11-03T18:44:00Z">18:44</time>`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(page, "data-until") {
		t.Error("a severity without targets counts towards one")
	}
}

func TestRedrive(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("14:44")))
	ctx := context.Background()
	inc, ds := a.briefed(t)
	bob := ds["bob"].ID
	if err := a.store.DeliveryFailed(ctx, bob, "permanent failure: 410 Gone", nil, true); err != nil {
		t.Fatal(err)
	}
	path := fmt.Sprintf("/deliveries/%d/redrive", bob)
	state := func() string {
		d, err := a.store.Delivery(ctx, bob)
		if err != nil {
			t.Fatal(err)
		}
		return d.State
	}
	for _, c := range []struct {
		name       string
		req        request
		wantStatus int
	}{
		{"viewer", request{method: "POST", path: path, role: amends.Viewer}, 403},
		{"responder", request{method: "POST", path: path, role: amends.Responder}, 403},
		{"signed out", request{method: "POST", path: path}, 303},
		{"admin without token", request{method: "POST", path: path, role: amends.Admin, csrf: "-"}, 403},
		{"admin from another site", request{method: "POST", path: path, role: amends.Admin, header: map[string]string{"Sec-Fetch-Site": "cross-site"}}, 403},
		{"unknown delivery", request{method: "POST", path: "/deliveries/9999/redrive", role: amends.Admin}, 404},
		{"nonsense id", request{method: "POST", path: "/deliveries/x/redrive", role: amends.Admin}, 404},
	} {
		if resp, body := a.do(t, c.req); resp.StatusCode != c.wantStatus {
			t.Errorf("%s: %d, want %d\n%s", c.name, resp.StatusCode, c.wantStatus, body)
		}
		if got := state(); got != amends.DeliveryDead {
			t.Fatalf("%s: refused re-drive left the delivery %s", c.name, got)
		}
	}
	resp, _ := a.do(t, request{method: "POST", path: path, role: amends.Admin})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/incidents/"+inc.Ref+"#delivery-log" {
		t.Fatalf("re-drive: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if got := state(); got != amends.DeliveryPending {
		t.Errorf("after re-drive the delivery is %s, want pending", got)
	}
	// A pending delivery is not re-driven again (a stale page, or a double click).
	if resp, body := a.do(t, request{method: "POST", path: path, role: amends.Admin}); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(body, "only dead deliveries") {
		t.Errorf("re-drive of a pending delivery: %d\n%s", resp.StatusCode, body)
	}
	_, audit := a.do(t, request{method: "GET", path: "/admin/audit", role: amends.Admin})
	if !strings.Contains(audit, "delivery.redrive") {
		t.Error("the re-drive is not in the audit log")
	}
}

package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestActionItemPages(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	ctx := context.Background()
	inc := a.declare(t, "Wrong invoices", at("14:39"))
	base := "/incidents/" + inc.Ref
	add := func(title, owner, due string) url.Values {
		return url.Values{"title": {title}, "kind": {"prevention"}, "owner": {owner}, "due": {due}, "public": {"on"},
			"ticket_url": {"https://github.com/acme/billing/issues/7"}}
	}
	evil := `Check <script>alert(1)</script> "totals"`

	// Refused: a viewer, a missing or wrong CSRF token, bad input; none stores anything.
	for _, c := range []struct {
		name   string
		req    request
		status int
		body   string
	}{
		{"viewer", request{method: "POST", path: base + "/actions", role: amends.Viewer, form: add("x", "ana", "2026-11-10")}, 403, ""},
		{"no csrf", request{method: "POST", path: base + "/actions", role: amends.Responder, form: add("x", "ana", "2026-11-10"), csrf: "-"}, 403, ""},
		{"wrong csrf", request{method: "POST", path: base + "/actions", role: amends.Responder, form: add("x", "ana", "2026-11-10"), csrf: "nope"}, 403, ""},
		{"owner not a user", request{method: "POST", path: base + "/actions", role: amends.Responder, form: add("x", "zed", "2026-11-10")}, 400, "not a user"},
		{"due in the past", request{method: "POST", path: base + "/actions", role: amends.Responder, form: add("x", "ana", "2026-11-02")}, 400, "in the past"},
		{"no due", request{method: "POST", path: base + "/actions", role: amends.Responder, form: add("x", "ana", "")}, 400, "is required"},
		{"script ticket", request{method: "POST", path: base + "/actions", role: amends.Responder, form: url.Values{"title": {"x"}, "kind": {"fix"}, "owner": {"ana"}, "due": {"2026-11-10"}, "ticket_url": {"javascript:alert(1)"}}}, 400, "http or https"},
	} {
		resp, page := a.do(t, c.req)
		if resp.StatusCode != c.status || !strings.Contains(page, c.body) {
			t.Errorf("%s: %d, want %d with %q", c.name, resp.StatusCode, c.status, c.body)
		}
		if c.status == 400 && !strings.Contains(page, `id="action-form"`) {
			t.Errorf("%s: the form is not shown again", c.name)
		}
	}
	if items, _ := a.store.ActionItems(ctx, inc.Ref); len(items) != 0 {
		t.Fatalf("refused requests stored %d items", len(items))
	}

	// Added by a responder, shown escaped with its badge and ticket link.
	resp, _ := a.do(t, request{method: "POST", path: base + "/actions", role: amends.Responder, form: add(evil, "ana", "2026-11-10")})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), base+"#a") {
		t.Fatalf("add: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, page := a.do(t, request{method: "GET", path: base, role: amends.Viewer})
	if resp.StatusCode != 200 || strings.Contains(page, "<script>alert") || !strings.Contains(page, "&lt;script&gt;alert(1)&lt;/script&gt;") ||
		!strings.Contains(page, "badge-public") || !strings.Contains(page, `href="https://github.com/acme/billing/issues/7"`) || !strings.Contains(page, "2026-11-10") {
		t.Errorf("incident page does not show the item right")
	}
	if strings.Contains(page, `id="action-form"`) || strings.Contains(page, `action="/actions/`) {
		t.Error("a viewer is offered the action forms")
	}
	resp, page = a.do(t, request{method: "GET", path: base, role: amends.Responder})
	if !strings.Contains(page, `<option value="vic">vic</option>`) || !strings.Contains(page, `type="date"`) {
		t.Error("the add form does not offer the users as owners and a date input")
	}

	soon := at("15:00").Add(30 * time.Hour)
	first, err := a.store.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Refund everyone", Kind: amends.ActionFix, Owner: "ana", Due: soon},
		amends.Actor{Name: "ana", Role: amends.Responder})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Not mine", Kind: amends.ActionFix, Owner: "vic", Due: soon},
		amends.Actor{Name: "ana", Role: amends.Responder}); err != nil {
		t.Fatal(err)
	}

	// What I owe: ana's, soonest first; overdue marked once the clock passes the due date.
	clock.Set(soon.Add(time.Hour))
	resp, page = a.do(t, request{method: "GET", path: "/owe", role: amends.Responder})
	if resp.StatusCode != 200 || !strings.Contains(page, `aria-current="page">What I owe`) {
		t.Fatalf("owe: %d", resp.StatusCode)
	}
	i, j := strings.Index(page, "Refund everyone"), strings.Index(page, "&lt;script&gt;")
	if i < 0 || j < 0 || i > j || strings.Contains(page, "Not mine") || strings.Contains(page, "<script>alert") {
		t.Errorf("owe lists the wrong items or order (%d, %d)", i, j)
	}
	if !strings.Contains(page, `class="overdue"`) || !strings.Contains(page, "1 overdue") {
		t.Error("the overdue item is not highlighted")
	}
	if resp, page = a.do(t, request{method: "GET", path: "/owe", role: amends.Viewer}); resp.StatusCode != 200 || !strings.Contains(page, "Not mine") || strings.Contains(page, `action="/actions/`) {
		t.Errorf("vic's page: %d", resp.StatusCode)
	}
	if resp, _ = a.do(t, request{method: "GET", path: "/owe"}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("signed out: %d", resp.StatusCode)
	}

	// Done and drop.
	id := itoa(first.ID)
	if resp, _ = a.do(t, request{method: "POST", path: "/actions/" + id + "/done", role: amends.Viewer}); resp.StatusCode != 403 {
		t.Errorf("viewer marks done: %d", resp.StatusCode)
	}
	if resp, page = a.do(t, request{method: "POST", path: "/actions/" + id + "/drop", role: amends.Responder, form: url.Values{"reason": {" "}}}); resp.StatusCode != 400 || !strings.Contains(page, "reason") {
		t.Errorf("drop without a reason: %d", resp.StatusCode)
	}
	if resp, _ = a.do(t, request{method: "POST", path: "/actions/" + id + "/done", role: amends.Responder, form: url.Values{"from": {"owe"}}}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/owe" {
		t.Errorf("done: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ = a.do(t, request{method: "POST", path: "/actions/99/done", role: amends.Responder}); resp.StatusCode != 404 {
		t.Errorf("no such item: %d", resp.StatusCode)
	}
	if got, _ := a.store.ActionItem(ctx, first.ID); got.State != amends.ActionDone {
		t.Errorf("state %s", got.State)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

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

func TestPostmortemPages(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("19:00")))
	ctx := context.Background()
	inc := a.declare(t, "Renewal reminder sent to renewed customers", at("14:39"))
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	for _, k := range []amends.EventKind{amends.KindRootCause, amends.KindCustomersTold} {
		at := at("14:55")
		if _, err := a.store.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: k, Body: "the segment filter was inverted", At: &at}, ana); err != nil {
			t.Fatal(err)
		}
	}
	resolved := amends.Resolved
	if _, err := a.store.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &resolved}, ana); err != nil {
		t.Fatal(err)
	}
	base := "/incidents/" + inc.Ref

	resp, page := a.do(t, request{method: "GET", path: base + "/postmortem", role: amends.Viewer})
	if resp.StatusCode != 200 {
		t.Fatalf("postmortem page: %d", resp.StatusCode)
	}
	last := 0
	for _, s := range amends.Sections {
		i := strings.Index(page, `id="h-`+string(s)+`"`)
		if i < last {
			t.Errorf("section %s missing or out of order", s)
		}
		last = i
	}
	if strings.Contains(page, `id="form-solution"`) {
		t.Error("a viewer is offered the edit form")
	}

	evil := "We fixed it.\n\n<script>alert(1)</script>\n\n[look](javascript:alert(2))"
	resp, page = a.do(t, request{method: "POST", path: base + "/postmortem/sections/solution?edition=internal", role: amends.Responder,
		form: url.Values{"markdown": {evil}, "base_version": {"0"}, "public": {"on"}, "action": {"preview"}}})
	if resp.StatusCode != 200 || !strings.Contains(page, "We fixed it.") {
		t.Fatalf("preview: %d", resp.StatusCode)
	}
	if strings.Contains(page, "<script>alert") || strings.Contains(page, `href="javascript:`) {
		t.Error("the preview lets script through")
	}
	resp, _ = a.do(t, request{method: "POST", path: base + "/postmortem/sections/solution?edition=internal", role: amends.Responder,
		form: url.Values{"markdown": {evil}, "base_version": {"0"}, "public": {"on"}, "action": {"save"}}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	// A second editor who started from version 0 is told of the conflict; their text stays in the form.
	resp, page = a.do(t, request{method: "POST", path: base + "/postmortem/sections/solution?edition=internal", role: amends.Responder,
		form: url.Values{"markdown": {"My own lost words"}, "base_version": {"0"}, "action": {"save"}}})
	if resp.StatusCode != http.StatusConflict || !strings.Contains(page, "My own lost words") || !strings.Contains(page, "version 1") {
		t.Errorf("stale save: %d", resp.StatusCode)
	}
	resp, page = a.do(t, request{method: "POST", path: base + "/postmortem/sections/learned", role: amends.Responder,
		form: url.Values{"markdown": {strings.Repeat("x", amends.MaxSection+1)}, "base_version": {"0"}, "action": {"save"}}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "100 KB") {
		t.Errorf("oversized section: %d", resp.StatusCode)
	}
	_, page = a.do(t, request{method: "GET", path: base + "/postmortem", role: amends.Viewer})
	if strings.Contains(page, "<script>alert") || strings.Contains(page, `javascript:`) {
		t.Error("the saved section lets script through")
	}
	if !strings.Contains(page, `data-check="blameless"`) {
		t.Error("no blameless check on the internal edition")
	}
	_, page = a.do(t, request{method: "GET", path: base + "/postmortem?edition=public", role: amends.Viewer})
	if !strings.Contains(page, `data-check="customer"`) || strings.Contains(page, `id="h-root_cause"`) {
		t.Error("public edition: customer check missing, or an internal section shown")
	}

	resp, md := a.do(t, request{method: "GET", path: base + "/postmortem.md", role: amends.Viewer})
	if resp.StatusCode != 200 || !strings.Contains(md, "## What we will do to prevent it") || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("markdown download: %d %q", resp.StatusCode, resp.Header.Get("Content-Disposition"))
	}
	resp, print := a.do(t, request{method: "GET", path: base + "/postmortem/print", role: amends.Viewer})
	if resp.StatusCode != 200 || !strings.Contains(print, "print.css") || !strings.Contains(print, "<h2>Apology</h2>") {
		t.Errorf("print view: %d", resp.StatusCode)
	}
	if resp, _ := a.do(t, request{method: "GET", path: "/postmortems/" + inc.Ref}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("unpublished public page: %d", resp.StatusCode)
	}

	// Closing: refused naming what is missing; waive with reasons; closed.
	resp, page = a.do(t, request{method: "POST", path: base + "/close", role: amends.Responder})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "the postmortem was shared") {
		t.Errorf("close with the checklist open: %d", resp.StatusCode)
	}
	if !strings.Contains(page, `data-item="customer_copy"`) {
		t.Error("the incident page shows no checklist")
	}
	for _, path := range []string{"/postmortem/share", "/postmortem/publish"} {
		if resp, _ := a.do(t, request{method: "POST", path: base + path, role: amends.Responder}); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	if resp, _ := a.do(t, request{method: "GET", path: "/postmortems/" + inc.Ref}); resp.StatusCode != 200 {
		t.Errorf("published public page: %d", resp.StatusCode)
	}
	for _, item := range []string{"preventions_owned", "customer_copy"} {
		resp, _ := a.do(t, request{method: "POST", path: base + "/checklist/waivers", role: amends.Responder,
			form: url.Values{"item": {item}, "reason": {"decided in the review: " + item}}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("waive %s: %d", item, resp.StatusCode)
		}
	}
	if resp, _ := a.do(t, request{method: "POST", path: base + "/close", role: amends.Responder}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("close after waivers: %d", resp.StatusCode)
	}
	_, page = a.do(t, request{method: "GET", path: base, role: amends.Viewer})
	if !strings.Contains(page, "decided in the review: customer_copy") {
		t.Error("the waiver's reason is not shown")
	}
	resp, page = a.do(t, request{method: "GET", path: base + "/postmortem/versions?section=solution&from=0&to=1", role: amends.Viewer})
	if resp.StatusCode != 200 || !strings.Contains(page, `id="diff"`) {
		t.Errorf("compare: %d", resp.StatusCode)
	}
}

func TestCopyTheCustomerMessage(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("19:00")))
	ctx := context.Background()
	inc := a.declare(t, "Renewal reminder sent to renewed customers", at("14:39"))
	base := "/incidents/" + inc.Ref
	resp, page := a.do(t, request{method: "POST", path: base + "/postmortem/copy-message", role: amends.Responder})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "nothing to copy") {
		t.Errorf("copy with no message sent: %d", resp.StatusCode)
	}
	body := "We sent a renewal reminder to customers who had already renewed. Nobody will be charged twice."
	// A sent message, as SendMessage leaves it (the sending itself is tested with the messages).
	if _, err := a.store.DB().ExecContext(ctx, `INSERT INTO messages (incident_id, kind, subject, body, state, version, author,
		owns, score, report, sent_at, created_at, updated_at) VALUES ($1, 'resolution', 'Sorry', $2, 'sent', 1, 'ana', 1, 90, '{}', $3, $3, $3)`,
		inc.ID, body, at("18:39").UnixMicro()); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.SaveSection(ctx, inc.Ref, amends.SectionApology, "We are sorry.", true, 0, amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	_, page = a.do(t, request{method: "GET", path: base + "/postmortem", role: amends.Responder})
	if !strings.Contains(page, `id="copy-message"`) {
		t.Fatal("no copy button once a message was sent")
	}
	if resp, _ := a.do(t, request{method: "POST", path: base + "/postmortem/copy-message", role: amends.Responder}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("copy: %d", resp.StatusCode)
	}
	pm, err := a.store.Postmortem(ctx, inc.Ref, amends.EditionInternal)
	if err != nil {
		t.Fatal(err)
	}
	ap := pm.Section(amends.SectionApology)
	if ap.Version != 2 || !strings.HasPrefix(ap.Markdown, "We are sorry.\n\n> What we told customers:") || !strings.Contains(ap.Markdown, "> "+body) {
		t.Errorf("apology after copy: %+v", ap)
	}
	for _, it := range pm.Checklist {
		if it.Name == "customer_copy" && !it.Done {
			t.Error("the postmortem carries the message, but the check does not hold")
		}
	}
}

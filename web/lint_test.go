package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

const badDraft = "Mistakes were made and we apologize for any inconvenience."

func TestLintPage(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	resp, page := a.do(t, request{method: "GET", path: "/lint", role: amends.Viewer})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /lint: %d", resp.StatusCode)
	}
	for _, want := range []string{`<label for="lint-text">`, `<label for="lint-mode">`, `hx-post="/lint"`,
		`hx-trigger="input delay:400ms, submit"`, `method="post" action="/lint"`, `data-element="plan_prevent"`,
		"Type or paste a draft"} {
		if !strings.Contains(page, want) {
			t.Errorf("lint page lacks %q", want)
		}
	}
	if n := strings.Count(page, "data-element="); n != 9 {
		t.Errorf("%d elements in the checklist, want 9", n)
	}

	// Without JavaScript the form posts and the whole page comes back with the result.
	resp, page = a.do(t, request{method: "POST", path: "/lint", role: amends.Viewer, form: url.Values{"text": {badDraft}}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "<html") || !strings.Contains(page, ">"+badDraft+"</textarea>") {
		t.Fatalf("POST /lint: %d\n%s", resp.StatusCode, page)
	}
	// With htmx only the result comes back, ready to swap in.
	resp, frag := a.do(t, request{method: "POST", path: "/lint", role: amends.Viewer, form: url.Values{"text": {badDraft}},
		header: map[string]string{"HX-Request": "true"}})
	if resp.StatusCode != http.StatusOK || strings.Contains(frag, "<html") {
		t.Fatalf("htmx POST /lint: %d\n%s", resp.StatusCode, frag)
	}
	for _, body := range []string{page, frag} {
		for _, want := range []string{"Does not own the mistake yet", `<mark id="mark-1">`, `class="finding"`,
			`class="absent" data-element="responsibility"`, "score "} {
			if !strings.Contains(body, want) {
				t.Errorf("result lacks %q:\n%s", want, body)
			}
		}
	}
	// The token may come as a header, as htmx sends it.
	_, token := a.session(t, amends.Viewer)
	resp, _ = a.do(t, request{method: "POST", path: "/lint", role: amends.Viewer, csrf: "-", form: url.Values{"text": {badDraft}},
		header: map[string]string{"HX-Request": "true", csrfHeader: token}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("another session's token in the header: %d, want 403", resp.StatusCode)
	}

	resp, frag = a.do(t, request{method: "POST", path: "/lint", role: amends.Viewer,
		form: url.Values{"text": {"Kevin should have known better."}, "mode": {"blameless"}}, header: map[string]string{"HX-Request": "true"}})
	if resp.StatusCode != http.StatusOK || strings.Count(frag, "data-element=") != 5 {
		t.Errorf("blameless: %d\n%s", resp.StatusCode, frag)
	}
}

// TestLintSegments checks that highlighting cuts the text without losing or repeating a byte,
// whatever the findings.
func TestLintSegments(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	for _, text := range []string{
		"",
		badDraft,
		"Due to unforeseen circumstances beyond our control, a small number of users were briefly affected. Sorry if you were confused.",
		"Wir bedauern — mistakes were made. Ünïcödé is fine; we apologize for any inconvenience 😀.",
	} {
		res := a.web.check(text, "customer")
		var b strings.Builder
		marked := 0
		for _, s := range res.Segments {
			b.WriteString(s.Text)
			if s.Note != 0 {
				marked++
			}
		}
		if b.String() != text {
			t.Errorf("segments of %q join to %q", text, b.String())
		}
		n := 0
		for _, nt := range res.Notes {
			if nt.Marked {
				n++
			}
		}
		if n != marked || len(res.Notes) != len(res.Report.Findings) {
			t.Errorf("%q: %d marks, %d marked notes, %d notes for %d findings", text, marked, n, len(res.Notes), len(res.Report.Findings))
		}
	}
}

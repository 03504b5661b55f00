package web

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdp "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// TestBrowserPostmortem edits a section in a real headless Chromium (preview, then save), sees
// it on the page, prints the print view to PDF with Chromium's own print-to-PDF, and reads the
// PDF back with pdftotext to find every section heading.
func TestBrowserPostmortem(t *testing.T) {
	bctx := amendstest.Browser(t)
	pdftotext, err := exec.LookPath("pdftotext")
	amendstest.Require(t, err == nil, "pdftotext (poppler-utils)")
	a := newTestApp(t, nil)
	inc := a.declare(t, "Invoices sent with wrong amounts", time.Now().Add(-2*time.Hour).Truncate(time.Minute))
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	run := func(what string, actions ...chromedp.Action) {
		t.Helper()
		if err := chromedp.Run(ctx, actions...); err != nil {
			var loc string
			chromedp.Run(ctx, chromedp.Location(&loc))
			t.Fatalf("%s (at %s): %v", what, loc, err)
		}
	}
	run("sign in",
		chromedp.Navigate(a.srv.URL+"/login"),
		chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-name`, "ana", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav[aria-label=Main]`, chromedp.ByQuery),
	)
	pmURL := a.srv.URL + "/incidents/" + inc.Ref + "/postmortem"
	text := "We reverted the **rounding change** and re-sent correct invoices."
	var preview, rendered string
	run("edit and preview the solution",
		chromedp.Navigate(pmURL),
		chromedp.WaitVisible(`#h-solution`, chromedp.ByQuery),
		chromedp.Click(`#section-solution details.pm-edit summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#md-solution`, chromedp.ByQuery),
		chromedp.SendKeys(`#md-solution`, text, chromedp.ByQuery),
		chromedp.Click(`#form-solution button[value=preview]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#preview-solution .rendered strong`, chromedp.ByQuery),
		chromedp.Text(`#preview-solution .rendered`, &preview, chromedp.ByQuery),
	)
	if !strings.Contains(preview, "rounding change") {
		t.Errorf("preview %q", preview)
	}
	run("save it",
		chromedp.Click(`#save-solution`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done`, chromedp.ByQuery),
		chromedp.Text(`#rendered-solution`, &rendered, chromedp.ByQuery),
	)
	if !strings.Contains(rendered, "We reverted the rounding change") {
		t.Errorf("saved section reads %q", rendered)
	}
	var pdf []byte
	run("print the print view to PDF",
		chromedp.Navigate(pmURL+"/print"),
		chromedp.WaitVisible(`#section-apology`, chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = cdp.PrintToPDF().WithPrintBackground(false).WithPreferCSSPageSize(true).Do(ctx)
			return err
		}),
	)
	dir := t.TempDir()
	path := filepath.Join(dir, "postmortem.pdf")
	if err := os.WriteFile(path, pdf, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-layout", path, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	got := string(out)
	for _, s := range amends.Sections {
		if !strings.Contains(got, s.Title()) {
			t.Errorf("the PDF has no heading %q", s.Title())
		}
	}
	if !strings.Contains(got, "rounding change") {
		t.Error("the PDF does not carry the saved section")
	}
	if pages := strings.Count(got, "\f"); pages < 2 {
		t.Errorf("the PDF has %d pages; the timeline starts on a page of its own", pages)
	}
}

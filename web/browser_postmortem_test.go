package web

import (
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
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
// it on the page, attaches an image through the page's upload form and sees it load, prints the
// print view to PDF with Chromium's own print-to-PDF, and reads the PDF back with pdftotext to
// find every section heading and with pdfimages to find the embedded image.
func TestBrowserPostmortem(t *testing.T) {
	bctx := amendstest.Browser(t)
	pdftotext, err := exec.LookPath("pdftotext")
	amendstest.Require(t, err == nil, "pdftotext (poppler-utils)")
	pdfimages, err := exec.LookPath("pdfimages")
	amendstest.Require(t, err == nil, "pdfimages (poppler-utils)")
	a := newTestApp(t, nil)
	inc := a.declare(t, "Invoices sent with wrong amounts", time.Now().Add(-2*time.Hour).Truncate(time.Minute))
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "postmortem")
	run := func(what string, actions ...chromedp.Action) { t.Helper(); steps.run(ctx, what, actions...) }
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
	dir := t.TempDir()
	pngPath := filepath.Join(dir, "dashboard.png")
	writeTestPNG(t, pngPath, 40, 20)
	var img struct {
		ID       string `json:"id"`
		Src      string `json:"src"`
		Complete bool   `json:"complete"`
		Width    int    `json:"width"`
	}
	run("attach an image",
		chromedp.WaitVisible(`#attach-file`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#attach-file`, []string{pngPath}, chromedp.ByQuery),
		chromedp.Click(`#attach`, chromedp.ByQuery),
		chromedp.WaitVisible(`#attachments li[data-attachment] img`, chromedp.ByQuery),
		chromedp.ScrollIntoView(`#attachments li[data-attachment] img`, chromedp.ByQuery),
		chromedp.Poll(`(() => { const i = document.querySelector("#attachments li[data-attachment] img");
			return i && i.complete && i.naturalWidth > 0; })()`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`(() => { const i = document.querySelector("#attachments li[data-attachment] img");
			return {id: i.closest("li").dataset.attachment, src: i.getAttribute("src"), complete: i.complete, width: i.naturalWidth}; })()`, &img),
	)
	var done, caption string
	run("read the notice and caption",
		chromedp.Text(`#done`, &done, chromedp.ByQuery),
		chromedp.Text(`#attachments li[data-attachment] figcaption`, &caption, chromedp.ByQuery),
	)
	if !strings.Contains(done, "Attached") {
		t.Errorf("after attaching, the notice reads %q", done)
	}
	if !strings.Contains(caption, "dashboard.png") || !strings.Contains(caption, "image/png") {
		t.Errorf("the attachment's caption reads %q", caption)
	}
	if want := fmt.Sprintf("/incidents/%s/attachments/%s", inc.Ref, img.ID); img.ID == "" || img.Src != want {
		t.Errorf("the attached image's src is %q, want %q", img.Src, want)
	}
	if !img.Complete || img.Width != 40 {
		t.Errorf("the attached image has not loaded: complete %v, naturalWidth %d, want 40", img.Complete, img.Width)
	}
	var pdf []byte
	var printWidth int
	run("print the print view to PDF",
		chromedp.Navigate(pmURL+"/print"),
		chromedp.WaitVisible(`#section-apology`, chromedp.ByQuery),
		chromedp.Poll(`(() => { const i = document.querySelector('img[src^="data:image/png"]');
			return i && i.complete && i.naturalWidth > 0; })()`, nil, chromedp.WithPollingTimeout(30*time.Second)),
		chromedp.Evaluate(`document.querySelector('img[src^="data:image/png"]').naturalWidth`, &printWidth),
		chromedp.ActionFunc(func(ctx context.Context) error {
			var err error
			pdf, _, err = cdp.PrintToPDF().WithPrintBackground(false).WithPreferCSSPageSize(true).Do(ctx)
			return err
		}),
	)
	if printWidth != 40 {
		t.Errorf("the print view's embedded image is %d pixels wide, want 40", printWidth)
	}
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
	images, err := exec.Command(pdfimages, "-list", path).Output()
	if err != nil {
		t.Fatalf("pdfimages: %v", err)
	}
	// pdfimages -list prints two header lines, then one line per image.
	var rows int
	for i, line := range strings.Split(strings.TrimSpace(string(images)), "\n") {
		if i >= 2 && strings.TrimSpace(line) != "" {
			rows++
		}
	}
	t.Logf("pdfimages -list:\n%s", images)
	if rows < 1 {
		t.Errorf("the PDF has no images; pdfimages -list says:\n%s", images)
	}
	if pages := strings.Count(got, "\f"); pages < 2 {
		t.Errorf("the PDF has %d pages; the timeline starts on a page of its own", pages)
	}
}

// writeTestPNG writes a w×h PNG of one solid colour to path.
func writeTestPNG(t *testing.T, path string, w, h int) {
	t.Helper()
	m := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			m.Set(x, y, color.RGBA{R: 0x2a, G: 0x6f, B: 0xdb, A: 0xff})
		}
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := png.Encode(f, m); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

package statuspage_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/amends/amends/amendstest"
)

// TestBrowserRendersTheOpenIncident loads /status in headless Chromium at 360 px: the open
// incident shows, the inline stylesheet is allowed by the page's CSP, and nothing scrolls
// sideways.
func TestBrowserRendersTheOpenIncident(t *testing.T) {
	ctx := amendstest.Browser(t)
	f := newFixture(t, "sqlite")
	var title, border, next string
	var width, scripts int
	err := chromedp.Run(ctx,
		chromedp.EmulateViewport(360, 800),
		chromedp.Navigate(f.srv.URL+"/status"),
		chromedp.WaitVisible(`#INC-1-title`, chromedp.ByQuery),
		chromedp.Text(`#INC-1-title`, &title, chromedp.ByQuery),
		chromedp.Text(`#INC-1 .next`, &next, chromedp.ByQuery),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('#INC-1')).borderLeftWidth`, &border),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
		chromedp.Evaluate(`document.scripts.length`, &scripts),
	)
	if err != nil {
		t.Fatal(err)
	}
	if title != openTitle {
		t.Errorf("title %q", title)
	}
	if next == "" {
		t.Error("no next-update time")
	}
	if border != "4px" {
		t.Errorf("the stylesheet did not apply (border %q): is its CSP hash right?", border)
	}
	if width > 360 {
		t.Errorf("the page is %d px wide at 360 px", width)
	}
	if scripts != 0 {
		t.Errorf("%d scripts on the page", scripts)
	}
}

package web

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/accessibility"
	cdproto "github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdp "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/amends/amends/amendstest"
)

// xssTrap runs before every document: any alert, confirm or prompt is recorded in
// sessionStorage (which outlives navigations in the tab) instead of opening a dialog.
const xssTrap = `(() => {
  const hit = (m) => {
    try { sessionStorage.setItem("__xss", (sessionStorage.getItem("__xss") || "") + "|" + String(m)); } catch (e) {}
    window.__xss = (window.__xss || 0) + 1;
  };
  window.alert = hit; window.confirm = hit; window.prompt = hit;
})();`

// timelineItem is what the browser test reads of one timeline entry.
type timelineItem struct {
	At       string `json:"at"`
	Kind     string `json:"kind"`
	Recorded string `json:"recorded"`
}

// TestBrowser drives a real headless Chromium through the spine: sign in, declare an
// incident whose title is a script, record events out of order, change status, read the
// timeline; then the ownership check, which updates as the user types.
func TestBrowser(t *testing.T) {
	bctx := amendstest.Browser(t)
	a := newTestApp(t, nil)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "web")

	var dialogs atomic.Int32
	chromedp.ListenTarget(ctx, func(ev any) {
		if _, ok := ev.(*cdp.EventJavascriptDialogOpening); ok {
			dialogs.Add(1)
			go chromedp.Run(ctx, cdp.HandleJavaScriptDialog(false))
		}
	})
	run := func(what string, actions ...chromedp.Action) { t.Helper(); steps.run(ctx, what, actions...) }
	screenshot := func(name string) { t.Helper(); steps.screenshot(ctx, name) }
	run("install the script trap", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := cdp.AddScriptToEvaluateOnNewDocument(xssTrap).Do(ctx)
		return err
	}))

	// Signed out, the list sends us to sign in, and back to the list afterwards.
	var loc string
	run("sign in",
		chromedp.Navigate(a.srv.URL+"/incidents"),
		chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
		chromedp.Location(&loc),
		chromedp.SendKeys(`#login-name`, "ana", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav[aria-label=Main]`, chromedp.ByQuery),
	)
	if !strings.Contains(loc, "/login?next=%2Fincidents") {
		t.Errorf("signed-out visit went to %s", loc)
	}

	now := time.Now()
	noticed := now.Add(-2 * time.Hour).Truncate(time.Minute)
	run("declare",
		chromedp.Click(`nav a[href="/incidents/new"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#d-title`, chromedp.ByQuery),
		chromedp.SendKeys(`#d-title`, xssTitle, chromedp.ByQuery),
		chromedp.SendKeys(`#d-summary`, "Renewal emails went to customers whose plans had already been renewed.", chromedp.ByQuery),
		chromedp.SetValue(`#d-severity`, "2", chromedp.ByQuery),
		chromedp.SetValue(`#d-noticed`, local(noticed), chromedp.ByQuery),
		chromedp.SendKeys(`#d-components`, "email, billing", chromedp.ByQuery),
		chromedp.Click(`#declare button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#timeline`, chromedp.ByQuery),
	)
	run("add a note now",
		chromedp.SetValue(`#ev-kind`, "note", chromedp.ByQuery),
		chromedp.SendKeys(`#ev-body`, "troubleshooting starts", chromedp.ByQuery),
		chromedp.Click(`#event-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#timeline li[data-kind=note]`, chromedp.ByQuery),
	)
	run("add a back-dated event",
		chromedp.SetValue(`#ev-kind`, "colleagues_told", chromedp.ByQuery),
		chromedp.SendKeys(`#ev-body`, "support, success and sales briefed", chromedp.ByQuery),
		chromedp.SetValue(`#ev-at`, local(noticed.Add(4*time.Minute)), chromedp.ByQuery),
		chromedp.Click(`#event-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#timeline li[data-kind=colleagues_told]`, chromedp.ByQuery),
	)
	var status, title, docTitle string
	run("change status",
		chromedp.SetValue(`#st-status`, "identified", chromedp.ByQuery),
		chromedp.SendKeys(`#st-note`, "the segment filter was inverted", chromedp.ByQuery),
		chromedp.Click(`#status-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#status.status-identified`, chromedp.ByQuery),
		chromedp.Text(`#status`, &status, chromedp.ByQuery),
		chromedp.Text(`#title`, &title, chromedp.ByQuery),
		chromedp.Title(&docTitle),
	)
	if status != "identified" {
		t.Errorf("status shows %q", status)
	}
	if title != xssTitle || !strings.Contains(docTitle, xssTitle) {
		t.Errorf("title shows %q (document title %q), want the literal %q", title, docTitle, xssTitle)
	}

	var items []timelineItem
	run("read the timeline", chromedp.Evaluate(`Array.from(document.querySelectorAll("#timeline > li")).map(li => ({
		at: li.dataset.at, kind: li.dataset.kind,
		recorded: (li.querySelector(".recorded") || {textContent: ""}).textContent}))`, &items))
	var kinds []string
	for i, it := range items {
		kinds = append(kinds, it.Kind)
		if i > 0 && it.At < items[i-1].At {
			t.Errorf("timeline out of order: %s (%s) after %s (%s)", it.Kind, it.At, items[i-1].Kind, items[i-1].At)
		}
		backDated := it.Kind == "colleagues_told" || it.Kind == "noticed"
		if backDated != strings.HasPrefix(it.Recorded, "recorded ") {
			t.Errorf("%s at %s shows recorded-at %q", it.Kind, it.At, it.Recorded)
		}
	}
	if got, want := strings.Join(kinds, " "), "noticed colleagues_told note status note"; got != want {
		t.Errorf("timeline kinds: %s, want %s", got, want)
	}

	// The running clock counts from the instant in data-since.
	var clock string
	run("running clock",
		chromedp.Evaluate(`document.querySelector("[data-since]").dataset.since = new Date(Date.now() - 5*60000 - 5000).toISOString(); true`, nil),
		chromedp.Sleep(1200*time.Millisecond),
		chromedp.Text(`#clocks [data-since]`, &clock, chromedp.ByQuery),
	)
	if clock != "5 min" {
		t.Errorf("running clock shows %q, want 5 min", clock)
	}

	// Correcting an entry: its "Correct" link, named for the entry, opens the page's one
	// correction form, which says what it corrects; the correction is a new entry and the
	// original stays, marked corrected.
	var linkName, correcting, incidentURL string
	var links []*cdproto.Node
	run("name of the Correct link",
		chromedp.Location(&incidentURL),
		chromedp.Nodes(`#timeline li[data-kind=colleagues_told] a.correct-link`, &links, chromedp.ByQuery),
		chromedp.ActionFunc(func(ctx context.Context) error {
			nodes, err := accessibility.GetPartialAXTree().WithBackendNodeID(links[0].BackendNodeID).WithFetchRelatives(false).Do(ctx)
			if err != nil || len(nodes) == 0 || nodes[0].Name == nil {
				return fmt.Errorf("no accessible name: %v", err)
			}
			return json.Unmarshal(nodes[0].Name.Value, &linkName)
		}),
	)
	run("open the correction form",
		chromedp.Click(`#timeline li[data-kind=colleagues_told] a.correct-link`, chromedp.ByQuery),
		chromedp.WaitVisible(`#correct-form`, chromedp.ByQuery),
		chromedp.Text(`#correct .correcting`, &correcting, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	if !strings.HasPrefix(linkName, "Correct this entry: Colleagues told, ") {
		t.Errorf("the Correct link is named %q", linkName)
	}
	if !strings.Contains(correcting, "Colleagues told at") || !strings.Contains(loc, "?correct=") || !strings.HasSuffix(loc, "#correct") {
		t.Errorf("the correction form says %q at %s", correcting, loc)
	}
	correctURL := loc
	var corrected string
	run("record the correction",
		chromedp.SendKeys(`#co-body`, "support and success briefed; sales the next morning", chromedp.ByQuery),
		chromedp.Click(`#correct-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#timeline li.corrected[data-kind=colleagues_told] .correction-note`, chromedp.ByQuery),
		chromedp.Text(`#timeline li.corrected[data-kind=colleagues_told] .correction-note`, &corrected, chromedp.ByQuery),
	)
	if !strings.Contains(corrected, "sales the next morning") {
		t.Errorf("the corrected entry says %q", corrected)
	}
	var forms int
	run("no form left open", chromedp.Evaluate(`document.querySelectorAll("#correct-form, #timeline form").length`, &forms))
	if forms != 0 {
		t.Errorf("%d correction forms after recording the correction", forms)
	}
	run("reload", chromedp.Navigate(incidentURL), chromedp.WaitVisible(`#timeline`, chromedp.ByQuery))
	screenshot("incident")
	run("dark", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}))
	screenshot("incident-dark")
	run("light", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}))

	// No script from the title ran: no dialog opened, no trap fired, and the only scripts
	// in the page are our two files.
	var trapped string
	var scripts int
	run("check for scripts",
		chromedp.Evaluate(`(sessionStorage.getItem("__xss") || "") + (window.__xss ? "window" : "")`, &trapped),
		chromedp.Evaluate(`document.scripts.length`, &scripts),
	)
	if trapped != "" || dialogs.Load() != 0 || scripts != 2 {
		t.Errorf("a script ran: trap %q, dialogs %d, %d script elements", trapped, dialogs.Load(), scripts)
	}

	// At 360 px nothing scrolls sideways: on the incident page, with its correction form
	// open, on the list or on the ownership check.
	for _, p := range []struct{ name, url string }{{"", ""}, {"-correct", correctURL},
		{"-incidents", a.srv.URL + "/incidents"}, {"-lint", a.srv.URL + "/lint"}} {
		var width int
		run("360 px "+p.name,
			chromedp.EmulateViewport(360, 800),
			chromedp.ActionFunc(func(ctx context.Context) error {
				if p.url == "" {
					return chromedp.Reload().Do(ctx)
				}
				return chromedp.Navigate(p.url).Do(ctx)
			}),
			chromedp.WaitVisible(`main`, chromedp.ByQuery),
			chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
		)
		if width > 360 {
			t.Errorf("%s at 360 px is %d px wide", p.name, width)
		}
		screenshot("360" + p.name)
	}

	// The ownership check: typing a bad sentence shows its findings and verdict without
	// submitting, with one request per pause rather than one per keystroke.
	var verdict, marked, typed, lintLoc string
	before := a.hits.get("POST /lint")
	run("ownership check",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Navigate(a.srv.URL+"/lint"),
		chromedp.WaitVisible(`#lint-text`, chromedp.ByQuery),
		chromedp.SendKeys(`#lint-text`, badDraft, chromedp.ByQuery),
		chromedp.WaitVisible(`#verdict.disowns`, chromedp.ByQuery),
		chromedp.WaitVisible(`#draft mark`, chromedp.ByQuery),
		chromedp.Text(`#verdict`, &verdict, chromedp.ByQuery),
		chromedp.Text(`#draft mark`, &marked, chromedp.ByQuery),
		chromedp.Value(`#lint-text`, &typed, chromedp.ByQuery),
		chromedp.Location(&lintLoc),
	)
	posts := a.hits.get("POST /lint") - before
	if !strings.Contains(verdict, "Does not own the mistake yet") || marked == "" {
		t.Errorf("verdict %q, first mark %q", verdict, marked)
	}
	if typed != badDraft || !strings.HasSuffix(lintLoc, "/lint") {
		t.Errorf("the page was submitted or reloaded: textarea %q, location %s", typed, lintLoc)
	}
	if posts < 1 || posts > 3 {
		t.Errorf("%d checks for %d keystrokes, want one per pause", posts, len(badDraft))
	}
	var findings int
	run("findings", chromedp.Evaluate(`document.querySelectorAll("#findings .finding").length`, &findings))
	if findings == 0 {
		t.Error("no findings listed beside the draft")
	}
	screenshot("lint")
}

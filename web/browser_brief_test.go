package web

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/delivery"
)

// hookReceiver is a loopback generic-webhook receiver that verifies each request's signature
// with the secret it is told once amends has made one up, and keeps what it accepted.
type hookReceiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	secret string
	got    []channel.WebhookPayload
	badSig int
}

func newHookReceiver(t *testing.T) *hookReceiver {
	h := &hookReceiver{}
	h.srv = httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		defer h.mu.Unlock()
		if !channel.VerifySignature(h.secret, body, r.Header.Get(channel.HeaderSignature)) {
			h.badSig++
			http.Error(rw, "bad signature", http.StatusUnauthorized)
			return
		}
		var p channel.WebhookPayload
		if err := json.Unmarshal(body, &p); err != nil {
			http.Error(rw, "bad body", http.StatusBadRequest)
			return
		}
		h.got = append(h.got, p)
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hookReceiver) setSecret(s string) {
	h.mu.Lock()
	h.secret = s
	h.mu.Unlock()
}

func (h *hookReceiver) received() ([]channel.WebhookPayload, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]channel.WebhookPayload(nil), h.got...), h.badSig
}

// startQueue runs the real job queue on the app's store, sending generic webhooks only.
func (a *testApp) startQueue(t *testing.T) {
	t.Helper()
	a.startQueueWith(t, channel.Senders{channel.KindWebhook: channel.NewWebhook(channel.NewHTTPClient(5 * time.Second))})
}

// startQueueWith runs a real job queue on the app's store with the given senders until the
// test ends.
func (a *testApp) startQueueWith(t *testing.T, senders channel.Senders) {
	t.Helper()
	ctx := context.Background()
	q, err := delivery.New(ctx, delivery.Config{Store: a.store, BaseURL: a.srv.URL, Senders: senders,
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	a.store.SetEnqueuer(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
}

// browserSteps runs chromedp actions for a test, failing it with the page's location when one
// fails, and keeps screenshots in a directory outside the repository.
type browserSteps struct {
	t     *testing.T
	shots string
}

func newBrowserSteps(t *testing.T, name string) *browserSteps {
	shots, err := os.MkdirTemp("", "amends-"+name+"-screenshots-")
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s", shots)
	return &browserSteps{t: t, shots: shots}
}

func (b *browserSteps) run(ctx context.Context, what string, actions ...chromedp.Action) {
	b.t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var loc string
		chromedp.Run(ctx, chromedp.Location(&loc))
		b.t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

func (b *browserSteps) screenshot(ctx context.Context, name string) {
	b.t.Helper()
	var png []byte
	b.run(ctx, "screenshot "+name, chromedp.FullScreenshot(&png, 100))
	path := filepath.Join(b.shots, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", path)
}

// waitUntil polls cond for up to 20 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); !cond(); time.Sleep(25 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestBrowserBrief follows a brief from the first signal to a colleague's "I have read it"
// in a real Chromium, with the real job queue and a loopback webhook receiver: an admin sets
// up a group through the groups page, declares a sev2 incident, the receiver gets the signed
// brief, a colleague who is not signed in opens its read link and clicks, and the incident
// page shows the reading, "colleagues told" and the delivery.
func TestBrowserBrief(t *testing.T) {
	bctx := amendstest.Browser(t)
	a := newTestApp(t, nil)
	a.startQueue(t)
	hook := newHookReceiver(t)
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "brief")
	run, screenshot := steps.run, steps.screenshot
	run(ctx, "sign in as the admin",
		chromedp.Navigate(a.srv.URL+"/login"),
		chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-name`, "ada", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav[aria-label=Main]`, chromedp.ByQuery),
	)
	run(ctx, "create the group Support",
		chromedp.Click(`nav a[href="/admin/groups"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ng-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#ng-name`, "Support", chromedp.ByQuery),
		chromedp.Click(`#group-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`article.group`, chromedp.ByQuery),
	)
	contact := `article.group form[action$="/contacts"]`
	var secret, done string
	run(ctx, "add a webhook contact without a secret",
		chromedp.Click(`article.group details.panel summary`, chromedp.ByQuery),
		chromedp.WaitVisible(contact+` input[name=name]`, chromedp.ByQuery),
		chromedp.SendKeys(contact+` input[name=name]`, "sam", chromedp.ByQuery),
		chromedp.SetValue(contact+` select[name=kind]`, "webhook", chromedp.ByQuery),
		chromedp.SendKeys(contact+` input[name=address]`, hook.srv.URL+"/hooks/amends", chromedp.ByQuery),
		chromedp.Click(contact+` button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#secret-value`, chromedp.ByQuery),
		chromedp.Text(`#secret-value`, &secret, chromedp.ByQuery),
		chromedp.Text(`#done`, &done, chromedp.ByQuery),
	)
	if len(secret) < 24 || done != "Contact added." {
		t.Fatalf("made-up secret %q, notice %q", secret, done)
	}
	hook.setSecret(secret)
	screenshot(ctx, "groups")

	var incURL string
	run(ctx, "declare a sev2 incident",
		chromedp.Click(`nav a[href="/incidents/new"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#d-title`, chromedp.ByQuery),
		chromedp.SendKeys(`#d-title`, "Renewal email sent to the wrong list", chromedp.ByQuery),
		chromedp.SendKeys(`#d-summary`, "Customers on monthly plans got the annual renewal email.", chromedp.ByQuery),
		chromedp.SetValue(`#d-severity`, "2", chromedp.ByQuery),
		chromedp.Click(`#declare button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#timeline`, chromedp.ByQuery),
		chromedp.Location(&incURL),
	)
	if !strings.HasSuffix(incURL, "/incidents/INC-1") {
		t.Fatalf("declared at %s", incURL)
	}

	var brief channel.WebhookPayload
	waitUntil(t, "the receiver to get the brief", func() bool {
		got, _ := hook.received()
		if len(got) > 0 {
			brief = got[0]
		}
		return len(got) > 0
	})
	if _, bad := hook.received(); bad != 0 || brief.Ref != "INC-1" || brief.Link != a.srv.URL+"/incidents/INC-1" ||
		!strings.HasPrefix(brief.AckLink, a.srv.URL+"/ack/") || brief.Event != "incident.declared" {
		t.Fatalf("brief: %+v (bad signatures %d)", brief, bad)
	}
	if !strings.Contains(brief.Text, "What to tell customers: nothing approved yet") {
		t.Errorf("the brief lacks the customer wording block:\n%s", brief.Text)
	}

	// The colleague is not signed in: a tab in a browser context of their own, without the
	// admin's cookies.
	colleague, closeColleague := incognito(t, ctx)
	defer closeColleague()
	var button, thanks string
	var signedIn bool
	run(colleague, "open the read link",
		chromedp.Navigate(brief.AckLink),
		chromedp.WaitVisible(`#ack-button`, chromedp.ByQuery),
		chromedp.Text(`#ack-button`, &button, chromedp.ByQuery),
		chromedp.Evaluate(`!!document.querySelector("nav[aria-label=Main]")`, &signedIn),
	)
	if button != "I have read it" || signedIn {
		t.Fatalf("read page: button %q, signed in %v", button, signedIn)
	}
	if events, _ := a.store.Timeline(context.Background(), "INC-1", false); hasKind(events, amends.KindBriefRead) {
		t.Fatal("opening the read link recorded a reading")
	}
	run(colleague, "width of the read page at 360 px", chromedp.EmulateViewport(360, 800), chromedp.Reload(),
		chromedp.WaitVisible(`#ack-button`, chromedp.ByQuery))
	assertFits(t, colleague, "read page")
	screenshot(colleague, "ack-360")
	run(colleague, "click I have read it",
		chromedp.Click(`#ack-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#ack-done`, chromedp.ByQuery),
		chromedp.Text(`#ack-done`, &thanks, chromedp.ByQuery),
	)
	if !strings.HasPrefix(thanks, "Thank you — recorded at ") {
		t.Errorf("after the click: %q", thanks)
	}

	waitUntil(t, "the delivery to be recorded as delivered", func() bool {
		ds, _ := a.store.Deliveries(context.Background(), "INC-1")
		return len(ds) == 1 && ds[0].State == amends.DeliveryDone
	})
	var view struct {
		Read      []string `json:"read"`
		Kinds     []string `json:"kinds"`
		Labels    []string `json:"labels"`
		States    []string `json:"states"`
		Count     string   `json:"count"`
		Tell      string   `json:"tell"`
		Clocks    string   `json:"clocks"`
		Scrollbar int      `json:"width"`
	}
	run(ctx, "read the incident page",
		chromedp.Navigate(incURL),
		chromedp.WaitVisible(`#readers-table`, chromedp.ByQuery),
		chromedp.Evaluate(`({
			read: Array.from(document.querySelectorAll("#readers-table tr.reader")).map(tr => tr.querySelector("th").textContent + "=" + tr.dataset.read),
			kinds: Array.from(document.querySelectorAll("#timeline > li")).map(li => li.dataset.kind),
			labels: Array.from(document.querySelectorAll("#timeline > li .kind")).map(s => s.textContent),
			states: Array.from(document.querySelectorAll("#deliveries td.state")).map(td => td.textContent.trim()),
			count: document.querySelector("#read-count").textContent,
			tell: document.querySelector("#tell-customers").textContent,
			clocks: document.querySelector("#clocks").textContent,
		})`, &view),
	)
	if strings.Join(view.Read, ",") != "sam=yes" || !strings.HasPrefix(view.Count, "1 of 1") {
		t.Errorf("readers: %v, %q", view.Read, view.Count)
	}
	labels := strings.Join(view.Labels, "|")
	if !strings.Contains(labels, "Brief read") || !strings.Contains(labels, "Colleagues told") {
		t.Errorf("timeline: %s (%v)", labels, view.Kinds)
	}
	if len(view.States) != 1 || !strings.HasPrefix(view.States[0], "delivered") {
		t.Errorf("delivery log states: %v", view.States)
	}
	if !strings.HasPrefix(view.Tell, "Nothing approved yet — say we are looking into it and will update by ") {
		t.Errorf("what to tell customers: %q", view.Tell)
	}
	if !strings.Contains(view.Clocks, "met") || !strings.Contains(view.Clocks, "due in 1 h 59 min") && !strings.Contains(view.Clocks, "due in 2 h") {
		t.Errorf("time to own: %q", view.Clocks)
	}
	screenshot(ctx, "incident-brief")
	for name, path := range map[string]string{"incident": incURL, "groups": a.srv.URL + "/admin/groups", "incidents": a.srv.URL + "/incidents"} {
		run(ctx, "360 px "+path, chromedp.EmulateViewport(360, 800), chromedp.Navigate(path), chromedp.WaitVisible(`main`, chromedp.ByQuery))
		assertFits(t, ctx, path)
		screenshot(ctx, name+"-360")
	}
}

// incognito opens a tab in a new browser context of the browser driven by ctx: a profile
// without cookies. (chromedp's WithNewBrowserContext opens its tab without a window, which
// current headless Chromium refuses with "no browser is open".)
func incognito(t *testing.T, ctx context.Context) (context.Context, context.CancelFunc) {
	t.Helper()
	c := chromedp.FromContext(ctx)
	browser := cdp.WithExecutor(ctx, c.Browser)
	id, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(browser)
	if err != nil {
		t.Fatal(err)
	}
	tab, err := target.CreateTarget("about:blank").WithBrowserContextID(id).WithNewWindow(true).Do(browser)
	if err != nil {
		t.Fatal(err)
	}
	tctx, cancel := chromedp.NewContext(ctx, chromedp.WithTargetID(tab))
	return tctx, func() {
		cancel()
		target.DisposeBrowserContext(id).Do(browser)
	}
}

// assertFits fails the test when the page in ctx scrolls sideways, naming the elements that
// stick out.
func assertFits(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	var width, viewport int
	var wide []string
	if err := chromedp.Run(ctx, chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
		chromedp.Evaluate(`window.innerWidth`, &viewport),
		chromedp.Evaluate(`Array.from(document.querySelectorAll("main *")).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
			.slice(0, 5).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).replace(/ /g, ".") : "") +
			" " + Math.round(e.getBoundingClientRect().right) + "px")`, &wide)); err != nil {
		t.Fatal(err)
	}
	if width > viewport {
		t.Errorf("%s is %d px wide in a %d px window: %v", what, width, viewport, wide)
	}
}

func hasKind(events []amends.Event, k amends.EventKind) bool {
	for _, e := range events {
		if e.Kind == k {
			return true
		}
	}
	return false
}

package web

import (
	"bytes"
	"context"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
)

// startEmailQueue runs the real job queue on the app's store, sending email to sink.
func (a *testApp) startEmailQueue(t *testing.T, sink *amendstest.SMTPSink) {
	t.Helper()
	email, err := channel.NewEmail(channel.SMTPConfig{URL: sink.URL(), From: "Amends <incidents@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	a.startQueueWith(t, channel.Senders{channel.KindEmail: email})
}

// plainText returns the text/plain part of a mail, decoded.
func plainText(t *testing.T, data []byte) (to, text string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := parts.NextPart()
		if err != nil {
			t.Fatalf("no text/plain part: %v", err)
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "text/plain" {
			continue
		}
		var r io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			r = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			t.Fatal(err)
		}
		return msg.Header.Get("To"), string(b)
	}
}

// TestBrowserCustomerMessage follows a customer message from the audience to the inbox in a
// real Chromium, with the real job queue and an SMTP server in the process: a responder
// uploads the list of the three customers a mistake reached, with how many orders each lost;
// writes the first acknowledgement from its template, watching the ownership check as they
// type (it stops owning the mistake at an excuse and owns it again once the excuse is gone);
// previews it for one customer; two other responders approve it in browsers of their own; it
// is sent; every customer gets their own number; the incident page shows customers told.
func TestBrowserCustomerMessage(t *testing.T) {
	bctx := amendstest.Browser(t)
	a := newTestApp(t, nil)
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	a.startEmailQueue(t, sink)
	a.user(t, "ben", amends.Responder)
	a.user(t, "cy", amends.Responder)
	inc := a.declare(t, "Invoices charged twice", time.Now().Add(-30*time.Minute).Truncate(time.Minute))
	ctx, cancel := context.WithTimeout(bctx, 3*time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "message")
	run, screenshot := steps.run, steps.screenshot
	signIn := func(ctx context.Context, name string) {
		t.Helper()
		run(ctx, "sign in as "+name,
			chromedp.Navigate(a.srv.URL+"/login"),
			chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
			chromedp.SendKeys(`#login-name`, name, chromedp.ByQuery),
			chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
			chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
			chromedp.WaitVisible(`nav[aria-label=Main]`, chromedp.ByQuery),
		)
	}
	incURL := a.srv.URL + "/incidents/" + inc.Ref

	// The audience: a list uploaded for this incident, with a column of its own.
	list := filepath.Join(t.TempDir(), "affected.csv")
	if err := os.WriteFile(list, []byte(affectedList), 0o644); err != nil {
		t.Fatal(err)
	}
	signIn(ctx, "ana")
	var size, fields, cell string
	run(ctx, "upload the audience list",
		chromedp.Navigate(incURL),
		chromedp.WaitVisible(`#customers`, chromedp.ByQuery),
		chromedp.Click(`#customers-audience a[href$="/audience"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#list-file`, chromedp.ByQuery),
		chromedp.SetUploadFiles(`#list-file`, []string{list}, chromedp.ByQuery),
		chromedp.Click(`#list-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done`, chromedp.ByQuery),
		chromedp.Text(`#audience-size`, &size, chromedp.ByQuery),
		chromedp.Text(`#placeholders`, &fields, chromedp.ByQuery),
		chromedp.Text(`#recipient-list tbody tr:nth-child(2) td:last-child`, &cell, chromedp.ByQuery),
	)
	if !strings.HasPrefix(size, "3 people will receive it") || !strings.Contains(fields, "{{orders_affected}}") || cell != "12" {
		t.Fatalf("after the upload: size %q, fields %q, bob's orders %q", size, fields, cell)
	}
	screenshot(ctx, "audience")

	// The composer, from the acknowledgement template.
	run(ctx, "open the composer",
		chromedp.Click(`.crumbs a[href$="/messages"]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#w-template`, chromedp.ByQuery),
		chromedp.SetValue(`#w-template`, "acknowledgement", chromedp.ByQuery),
		chromedp.Click(`#write-form button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#m-body`, chromedp.ByQuery),
	)
	var body, verdict string
	run(ctx, "read the template", chromedp.Value(`#m-body`, &body, chromedp.ByQuery), chromedp.Text(`#verdict`, &verdict, chromedp.ByQuery))
	if !strings.Contains(body, "{{orders_affected}}") || !strings.HasPrefix(verdict, "Owns the mistake") {
		t.Fatalf("the template: verdict %q, body:\n%s", verdict, body)
	}
	toEnd := chromedp.Evaluate(`(() => { const b = document.querySelector("#m-body"); b.focus(); b.setSelectionRange(b.value.length, b.value.length); return true })()`, nil)
	const excuse = "Unfortunately, mistakes were made by our payment provider and a small number of users were briefly affected."
	before := a.hits.get("POST /incidents/" + inc.Ref + "/messages/preview")
	run(ctx, "type an excuse",
		toEnd,
		chromedp.SendKeys(`#m-body`, excuse, chromedp.ByQuery),
		chromedp.WaitVisible(`#verdict.disowns`, chromedp.ByQuery),
		chromedp.Text(`#verdict`, &verdict, chromedp.ByQuery),
	)
	if !strings.HasPrefix(verdict, "Does not own the mistake yet") {
		t.Errorf("after the excuse the check says %q", verdict)
	}
	if n := a.hits.get("POST /incidents/"+inc.Ref+"/messages/preview") - before; n < 1 || n > 4 {
		t.Errorf("%d live checks for %d keystrokes, want one per pause", n, len(excuse))
	}
	const promise = "We have refunded the extra charge on each of your {{orders_affected}} orders, and from now on every invoice run is checked before it goes out."
	var preview, subject string
	run(ctx, "take the excuse back, promise, and preview for bob",
		toEnd,
		chromedp.SendKeys(`#m-body`, strings.Repeat("\b", len(excuse)), chromedp.ByQuery),
		chromedp.WaitVisible(`#verdict.owns`, chromedp.ByQuery),
		toEnd,
		chromedp.SendKeys(`#m-body`, promise, chromedp.ByQuery),
		chromedp.SendKeys(`#m-to`, "bob@example.com", chromedp.ByQuery),
		chromedp.Poll(`(document.querySelector("#preview-body") || {textContent: ""}).textContent.includes("each of your 12 orders")`, nil,
			chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Text(`#preview-body`, &preview, chromedp.ByQuery),
		chromedp.Text(`#preview-subject`, &subject, chromedp.ByQuery),
		chromedp.Text(`#verdict`, &verdict, chromedp.ByQuery),
	)
	if !strings.HasPrefix(preview, "Hello Bob,") || !strings.Contains(preview, "- Orders affected: 12") || strings.Contains(preview, "{{") {
		t.Errorf("preview for bob:\n%s", preview)
	}
	if subject != "We made a mistake: Invoices charged twice" || !strings.HasPrefix(verdict, "Owns the mistake") {
		t.Errorf("subject %q, verdict %q", subject, verdict)
	}
	screenshot(ctx, "composer")
	var msgURL string
	run(ctx, "save",
		chromedp.Click(`#save-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#done`, chromedp.ByQuery),
		chromedp.Location(&msgURL),
	)
	msgURL = strings.SplitN(msgURL, "?", 2)[0]
	var whyNot string
	var approveButtons int
	run(ctx, "the author cannot approve",
		chromedp.Text(`#why-not`, &whyNot, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll("#approve-button").length`, &approveButtons),
	)
	if !strings.Contains(whyNot, "You wrote version 1") || approveButtons != 0 {
		t.Errorf("the author sees %q and %d approve buttons", whyNot, approveButtons)
	}

	// Two other responders approve, each in a browser of their own.
	for _, name := range []string{"ben", "cy"} {
		other, closeOther := incognito(t, ctx)
		signIn(other, name)
		var done string
		run(other, name+" approves",
			chromedp.Navigate(msgURL),
			chromedp.WaitVisible(`#approve-button`, chromedp.ByQuery),
			chromedp.Click(`#approve-button`, chromedp.ByQuery),
			chromedp.WaitVisible(`#done`, chromedp.ByQuery),
			chromedp.Text(`#done`, &done, chromedp.ByQuery),
		)
		if !strings.HasPrefix(done, "Approved.") {
			t.Errorf("%s approved: %q", name, done)
		}
		closeOther()
	}

	// The author sends it.
	var button, approvals string
	run(ctx, "the review page",
		chromedp.Navigate(msgURL),
		chromedp.WaitVisible(`#send-button`, chromedp.ByQuery),
		chromedp.Text(`#send-button`, &button, chromedp.ByQuery),
		chromedp.Text(`#approval-list`, &approvals, chromedp.ByQuery),
	)
	if button != "Send to 3 customers" || !strings.Contains(approvals, "ben approved version 1") || !strings.Contains(approvals, "cy approved version 1") {
		t.Errorf("send button %q, approvals %q", button, approvals)
	}
	screenshot(ctx, "review")
	run(ctx, "dark", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}))
	screenshot(ctx, "review-dark")
	run(ctx, "light", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}))
	run(ctx, "send",
		chromedp.Click(`#send-button`, chromedp.ByQuery),
		chromedp.WaitVisible(`#delivery`, chromedp.ByQuery),
	)

	// Every customer gets the message with their own number.
	waitUntil(t, "three mails", func() bool { return len(sink.Mails()) >= 3 })
	want := map[string]string{"ann@example.com": "each of your 3 orders", "bob@example.com": "each of your 12 orders", "cy@example.com": "each of your 1 orders"}
	mails := sink.Mails()
	if len(mails) != 3 {
		t.Fatalf("%d mails, want 3", len(mails))
	}
	for _, m := range mails {
		to, text := plainText(t, m.Data)
		if len(m.To) != 1 || !strings.Contains(text, want[m.To[0]]) || !strings.Contains(to, m.To[0]) {
			t.Errorf("mail to %v (%s) lacks %q:\n%s", m.To, to, want[m.To[0]], text)
		}
		delete(want, m.To[0])
	}
	if len(want) != 0 {
		t.Errorf("no mail to %v", want)
	}
	waitUntil(t, "three deliveries recorded", func() bool {
		p, err := a.store.MessageDeliveries(context.Background(), 1, amends.DeliveryDone, "", 10)
		return err == nil && p.Counts[amends.DeliveryDone] == 3
	})
	var counts string
	run(ctx, "per-recipient delivery state",
		chromedp.Navigate(msgURL),
		chromedp.WaitVisible(`#deliveries`, chromedp.ByQuery),
		chromedp.Text(`#delivery-counts`, &counts, chromedp.ByQuery),
	)
	if !strings.Contains(counts, "3 delivered") {
		t.Errorf("delivery counts: %q", counts)
	}
	screenshot(ctx, "sent")

	var clocks, told, messages string
	run(ctx, "the incident page",
		chromedp.Navigate(incURL),
		chromedp.WaitVisible(`#clocks`, chromedp.ByQuery),
		chromedp.Text(`#clocks`, &clocks, chromedp.ByQuery),
		chromedp.Text(`#timeline li[data-kind=customers_told]`, &told, chromedp.ByQuery),
		chromedp.Text(`#customer-messages`, &messages, chromedp.ByQuery),
	)
	if clocks = strings.Join(strings.Fields(clocks), " "); !strings.Contains(clocks, "Customers told after") || !strings.Contains(told, "Customers told") || !strings.Contains(messages, "sent") {
		t.Errorf("incident page: clocks %q, timeline %q, messages %q", clocks, told, messages)
	}

	// At 360 px nothing scrolls sideways.
	for name, path := range map[string]string{"review": msgURL, "composer": incURL + "/messages/new?template=update",
		"audience": incURL + "/audience", "messages": incURL + "/messages", "customers": a.srv.URL + "/customers", "incident": incURL} {
		run(ctx, "360 px "+name, chromedp.EmulateViewport(360, 800), chromedp.Navigate(path), chromedp.WaitVisible(`main`, chromedp.ByQuery))
		assertFits(t, ctx, name)
		screenshot(ctx, name+"-360")
	}
}

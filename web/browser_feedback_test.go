package web

import (
	"bytes"
	"context"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
)

var surveyLink = regexp.MustCompile(`https?://\S+/survey/[A-Za-z0-9_-]{22}`)

// mailTo returns the text of the first mail to address whose subject contains subject, or "".
func mailTo(t *testing.T, sink *amendstest.SMTPSink, address, subject string) string {
	t.Helper()
	for _, m := range sink.Mails() {
		if len(m.To) != 1 || m.To[0] != address {
			continue
		}
		msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
		if err != nil {
			t.Fatal(err)
		}
		dec, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if !strings.Contains(dec, subject) {
			continue
		}
		_, text := plainText(t, m.Data)
		return text
	}
	return ""
}

// TestBrowserFeedback follows a customer's feedback from the survey mail to a promise kept,
// in a real Chromium with the real job queue and an SMTP server in the process: a customer is
// sent a message about a mistake and it is delivered; the incident is resolved; a day later
// the survey job mails the customer a link; the customer, not signed in, answers 2 of 5 with
// a comment; the incident's owner is told of the low rating; a responder turns the answer into
// a public promise with one form, marks it done, and the public status page shows it done.
func TestBrowserFeedback(t *testing.T) {
	bctx := amendstest.Browser(t)
	clock := amendstest.NewClock(time.Now().UTC().Truncate(time.Second))
	a := newTestApp(t, clock)
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	a.startEmailQueue(t, sink)
	bg := context.Background()
	ana := amends.Actor{Name: "ana", Role: amends.Responder}

	// The incident, owned by ana, who is reached by email; one public update.
	g, err := a.store.CreateGroup(bg, amends.Group{Name: "Owners", Events: []string{amends.EventDeclared}}, ana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.AddContact(bg, g.ID, amends.Contact{Name: "ana", Kind: amends.ChannelEmail, Address: "ana@example.com"}, ana); err != nil {
		t.Fatal(err)
	}
	noticed := clock.Now().Add(-2 * time.Hour)
	inc, err := a.store.CreateIncident(bg, amends.NewIncident{Title: "Renewal emails went to the wrong list", Severity: 3,
		Owner: "ana", NoticedAt: &noticed}, ana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.AddEvent(bg, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Visibility: amends.Public,
		Body: "We sent renewal reminders to the wrong list of customers. We are sorry."}, ana); err != nil {
		t.Fatal(err)
	}

	// One customer is sent the message, and it is delivered.
	if _, err := a.store.ImportCustomers(bg, strings.NewReader("email,name,account\ndana@acme.example,Dana,Acme\n"), store.ImportOptions{}, ana); err != nil {
		t.Fatal(err)
	}
	if _, err := a.store.SetAudience(bg, inc.Ref, amends.Audience{Kind: amends.AudienceAll}, ana); err != nil {
		t.Fatal(err)
	}
	m, err := a.store.CreateMessage(bg, inc.Ref, amends.MessageAcknowledgement, "We sent you a renewal reminder by mistake",
		"Hello {{name|there}},\n\nWe sent you a renewal reminder by mistake. We made this mistake, and we are sorry.", true, 90, `{}`, ana)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []string{"bo", "cai"}[:m.RequiredApprovals] {
		if m, err = a.store.ApproveMessage(bg, m.ID, m.Version, amends.Actor{Name: who, Role: amends.Responder}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := a.store.SendMessage(bg, m.ID, "", ana); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the customer message delivered", func() bool {
		p, err := a.store.MessageDeliveries(bg, m.ID, amends.DeliveryDone, "", 10)
		return err == nil && p.Counts[amends.DeliveryDone] == 1
	})

	// Resolved; a day later the survey job mails the customer the link.
	resolved := amends.Resolved
	if _, err := a.store.UpdateIncident(bg, inc.Ref, amends.IncidentUpdate{Status: &resolved}, ana); err != nil {
		t.Fatal(err)
	}
	clock.Advance(amends.SurveyDelay + time.Minute)
	if err := a.store.ClockDue(bg, inc.ID, "survey"); err != nil {
		t.Fatal(err)
	}
	var text string
	waitUntil(t, "the survey mail", func() bool {
		text = mailTo(t, sink, "dana@acme.example", "How well did we handle this?")
		return text != ""
	})
	link := surveyLink.FindString(text)
	if !strings.HasPrefix(link, a.srv.URL+"/survey/") || !strings.Contains(text, "Hello Dana,") {
		t.Fatalf("survey mail:\n%s", text)
	}

	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	defer cancel()
	steps := newBrowserSteps(t, "feedback")
	run, screenshot := steps.run, steps.screenshot

	// The customer answers, without signing in and without JavaScript needed.
	var legend, thanks string
	run(ctx, "open the survey",
		chromedp.Navigate(link),
		chromedp.WaitVisible(`#survey-form`, chromedp.ByQuery),
		chromedp.Text(`#survey-form legend`, &legend, chromedp.ByQuery),
	)
	if !strings.Contains(legend, "1 (very badly) to 5 (very well)") {
		t.Errorf("legend %q", legend)
	}
	screenshot(ctx, "survey")
	const comment = "You told us a day late. Please call us next time."
	run(ctx, "answer 2 with a comment",
		chromedp.Click(`label[for="rating-2"]`, chromedp.ByQuery),
		chromedp.SendKeys(`#comment`, comment, chromedp.ByQuery),
		chromedp.Click(`#survey-send`, chromedp.ByQuery),
		chromedp.WaitVisible(`#survey-thanks`, chromedp.ByQuery),
		chromedp.Text(`#survey-thanks`, &thanks, chromedp.ByQuery),
	)
	if !strings.HasPrefix(thanks, "Thank you.") {
		t.Errorf("thanks %q", thanks)
	}
	screenshot(ctx, "survey-thanks")
	var closed string
	run(ctx, "the link works once",
		chromedp.Navigate(link),
		chromedp.WaitVisible(`#survey-closed`, chromedp.ByQuery),
		chromedp.Text(`#survey-closed`, &closed, chromedp.ByQuery),
	)
	if !strings.Contains(closed, "already answered") {
		t.Errorf("second visit: %q", closed)
	}

	// The incident's owner hears of the low rating.
	waitUntil(t, "the low rating mail to ana", func() bool {
		return strings.Contains(mailTo(t, sink, "ana@example.com", "Low feedback 2/5"), comment)
	})

	// A responder acts on it: a public promise, then done.
	fb, err := a.store.Feedback(bg, inc.Ref)
	if err != nil || len(fb.Answers) != 1 {
		t.Fatalf("feedback %+v %v", fb, err)
	}
	id := strconv.FormatInt(fb.Answers[0].ID, 10)
	run(ctx, "sign in as ana",
		chromedp.Navigate(a.srv.URL+"/login"),
		chromedp.WaitVisible(`#login-name`, chromedp.ByQuery),
		chromedp.SendKeys(`#login-name`, "ana", chromedp.ByQuery),
		chromedp.SendKeys(`#login-password`, testPassword, chromedp.ByQuery),
		chromedp.Click(`main button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`nav[aria-label=Main]`, chromedp.ByQuery),
	)
	var answer, title string
	due := clock.Now().Add(7 * 24 * time.Hour).In(time.Local).Format("2006-01-02")
	run(ctx, "open the incident",
		chromedp.Navigate(a.srv.URL+"/incidents/"+inc.Ref),
		chromedp.WaitReady(`#feedback`, chromedp.ByQuery),
	)
	run(ctx, "see the answer on the incident",
		chromedp.WaitVisible(`#feedback-answers`, chromedp.ByQuery),
		chromedp.Text(`#f`+id, &answer, chromedp.ByQuery),
		chromedp.Click(`#f`+id+` summary`, chromedp.ByQuery),
		chromedp.WaitVisible(`#act-title-`+id, chromedp.ByQuery),
		chromedp.Value(`#act-title-`+id, &title, chromedp.ByQuery),
	)
	if !strings.Contains(answer, "2/5") || !strings.Contains(answer, "Dana (Acme)") || !strings.Contains(answer, comment) {
		t.Errorf("answer on the incident: %q", answer)
	}
	if title != comment {
		t.Errorf("title prefilled %q, want the comment", title)
	}
	screenshot(ctx, "feedback")
	const promise = "Call every affected customer the same day"
	var loc string
	run(ctx, "act on it as a public promise",
		chromedp.SetValue(`#act-title-`+id, promise, chromedp.ByQuery),
		chromedp.SetValue(`#act-owner-`+id, "ana", chromedp.ByQuery),
		chromedp.SetValue(`#act-due-`+id, due, chromedp.ByQuery),
		chromedp.Click(`#act-public-`+id, chromedp.ByQuery),
		chromedp.Click(`#act-`+id+` button[type=submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`#action-items`, chromedp.ByQuery),
		chromedp.Location(&loc),
	)
	items, err := a.store.ActionItems(bg, inc.Ref)
	if err != nil || len(items) != 1 || items[0].Title != promise || !items[0].Public || items[0].Source != amends.SourceFeedback || items[0].DueDate != due {
		t.Fatalf("action items %+v %v", items, err)
	}
	row := `#a` + strconv.FormatInt(items[0].ID, 10)
	if !strings.HasSuffix(loc, row) {
		t.Errorf("after acting the page is at %s", loc)
	}
	var became string
	run(ctx, "mark it done",
		chromedp.Click(row+` form[action$="/done"] button`, chromedp.ByQuery),
		chromedp.WaitVisible(row+`[data-state="done"]`, chromedp.ByQuery),
		chromedp.Text(`#f`+id, &became, chromedp.ByQuery),
	)
	if !strings.Contains(became, "Became action item #"+strconv.FormatInt(items[0].ID, 10)) {
		t.Errorf("the answer does not link its action item: %q", became)
	}
	screenshot(ctx, "done")

	// The public status page shows the promise, done.
	mux := http.NewServeMux()
	status := httptest.NewServer(mux)
	t.Cleanup(status.Close)
	pub, err := statuspage.New(statuspage.Config{Store: a.store, BaseURL: status.URL, Logger: a.web.log})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range pub.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	if _, err := pub.Refresh(bg); err != nil {
		t.Fatal(err)
	}
	var promises string
	run(ctx, "the status page",
		chromedp.Navigate(status.URL+"/status"),
		chromedp.WaitVisible(`#`+inc.Ref+` .promises`, chromedp.ByQuery),
		chromedp.Text(`#`+inc.Ref+` .promises`, &promises, chromedp.ByQuery),
	)
	if !strings.Contains(promises, promise) || !strings.Contains(promises, "done") {
		t.Errorf("status page promises: %q", promises)
	}
	screenshot(ctx, "status")

	// At 360 px nothing scrolls sideways.
	for name, path := range map[string]string{"survey": link, "incident": a.srv.URL + "/incidents/" + inc.Ref} {
		run(ctx, "360 px "+name, chromedp.EmulateViewport(360, 800), chromedp.Navigate(path), chromedp.WaitVisible(`main`, chromedp.ByQuery))
		assertFits(t, ctx, name)
		screenshot(ctx, name+"-360")
	}
}

package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// csrfFixture is the app with one of every object a state-changing route can name.
type csrfFixture struct {
	*testApp
	values map[string]string // path wildcard values by the path segment before them
}

func newCSRFFixture(t *testing.T) *csrfFixture {
	t.Helper()
	ctx := context.Background()
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	f := &csrfFixture{testApp: a, values: map[string]string{}}
	setup := amends.Actor{Name: "setup", Role: amends.Admin}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	id := func(n int64) string { return fmt.Sprint(n) }
	g, err := a.store.CreateGroup(ctx, amends.Group{Name: "Support", Severities: []amends.Severity{1, 2, 3, 4}, Events: []string{amends.EventDeclared}}, setup)
	must(err)
	c, err := a.store.AddContact(ctx, g.ID, amends.Contact{Name: "Sue", Kind: "email", Address: "sue@example.com"}, setup)
	must(err)
	inc := a.declare(t, "Wrong renewal email sent", at("14:39"))
	ds, err := a.store.Deliveries(ctx, inc.Ref)
	must(err)
	if len(ds) == 0 {
		t.Fatal("declaring sent no brief")
	}
	msg, err := a.store.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We sent you a renewal email by mistake",
		"We sent you a renewal email that was meant for someone else. We are sorry.", true, 80, "", amends.Actor{Name: "writer", Role: amends.Responder})
	must(err)
	item, err := a.store.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check the list before a send", Kind: amends.ActionPrevention,
		Owner: "ana", Due: at("15:00").Add(7 * 24 * time.Hour)}, setup)
	must(err)
	secret, err := a.store.Secret(ctx, "ack")
	must(err)
	f.values = map[string]string{"incidents": inc.Ref, "groups": id(g.ID), "contacts": id(c.ID), "deliveries": id(ds[0].ID),
		"messages": id(msg.ID), "actions": id(item.ID), "sections": string(amends.SectionDescription),
		"ack": amends.AckToken(secret, ds[0].ID), "feedback": "1", "survey": "no-such-survey"}
	return f
}

// path substitutes every wildcard of pattern with an object that exists.
func (f *csrfFixture) path(t *testing.T, pattern string) string {
	t.Helper()
	segs := strings.Split(pattern, "/")
	for i, seg := range segs {
		if !strings.HasPrefix(seg, "{") {
			continue
		}
		key := segs[i-1]
		if seg == "{section}" {
			key = "sections"
		}
		v, ok := f.values[key]
		if !ok {
			t.Fatalf("%s: the test has no value for %s after /%s/", pattern, seg, segs[i-1])
		}
		segs[i] = url.PathEscape(v)
	}
	return strings.Join(segs, "/")
}

// forged is one way a state-changing request can arrive from somewhere it should not.
type forged struct {
	name     string
	csrf     func(own, other string) string // the token the request carries; "" for none
	header   map[string]string
	inHeader bool // the token travels in htmx's header instead of the form
}

var forgeries = []forged{
	{"no token", func(own, other string) string { return "" }, nil, false},
	{"a wrong token", func(own, other string) string { return "forged-" + own[7:] }, nil, false},
	{"another session's token", func(own, other string) string { return other }, nil, false},
	{"another session's token in the htmx header", func(own, other string) string { return other }, nil, true},
	{"an empty htmx header", func(own, other string) string { return "" }, nil, true},
	{"the right token from another site (Origin)", func(own, other string) string { return own }, map[string]string{"Origin": "https://evil.example"}, false},
	{"the right token from an opaque origin", func(own, other string) string { return own }, map[string]string{"Origin": "null"}, false},
	{"the right token, cross-site (Sec-Fetch-Site)", func(own, other string) string { return own }, map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
	{"the right token, from a sibling site (Sec-Fetch-Site)", func(own, other string) string { return own }, map[string]string{"Sec-Fetch-Site": "same-site"}, false},
}

// sendForm posts to path as the holder of cookie, with token in the form's csrf field (and
// nowhere else); a route that takes a file gets a multipart form with a file, as its page sends.
func (f *csrfFixture) sendForm(t *testing.T, method, pattern string, cookie *http.Cookie, token string, header map[string]string) (*http.Response, string) {
	t.Helper()
	return f.send(t, method, pattern, cookie, token, false, header)
}

// send is sendForm with the token in htmx's header instead when inHeader is set.
func (f *csrfFixture) send(t *testing.T, method, pattern string, cookie *http.Cookie, token string, inHeader bool, header map[string]string) (*http.Response, string) {
	t.Helper()
	formToken := token
	if inHeader {
		formToken = ""
		header = map[string]string{csrfHeader: token}
	}
	token = formToken
	var body bytes.Buffer
	ctype := "application/x-www-form-urlencoded"
	if _, upload := uploads[method+" "+pattern]; upload {
		mw := multipart.NewWriter(&body)
		if token != "" {
			mw.WriteField("csrf", token)
		}
		fw, _ := mw.CreateFormFile(fileField, "customers.csv")
		io.WriteString(fw, "email,name,account\nnew@acme.example,New,acme\n")
		mw.Close()
		ctype = mw.FormDataContentType()
	} else {
		form := url.Values{"confirm": {"1"}}
		if token != "" {
			form.Set("csrf", token)
		}
		body.WriteString(form.Encode())
	}
	req, err := http.NewRequest(method, f.srv.URL+f.path(t, pattern), &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ctype)
	if cookie != nil {
		req.AddCookie(cookie)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

// TestEveryChangeNeedsItsCSRFToken sends every state-changing route of the table, as a signed-in
// admin, without its token, with a wrong one, with another session's, and with its own from
// another site. Each is refused with 403 and changes nothing; the same request with the
// session's own token from this site is not refused (the refusals were the token's doing).
func TestEveryChangeNeedsItsCSRFToken(t *testing.T) {
	f := newCSRFFixture(t)
	checked := 0
	for _, rt := range f.web.table() {
		if rt.method == http.MethodGet || rt.min == public {
			continue // public changes are covered by TestPublicChangesRefuseOtherSites
		}
		checked++
		route := rt.method + " " + rt.path
		cookie, own := f.session(t, amends.Admin)
		_, other := f.session(t, amends.Admin)
		before := amendstest.Fingerprint(t, f.store.DB())
		for _, fg := range forgeries {
			res, body := f.send(t, rt.method, rt.path, cookie, fg.csrf(own, other), fg.inHeader, fg.header)
			if res.StatusCode != http.StatusForbidden || !strings.Contains(body, "Not allowed") {
				t.Errorf("%s with %s: %d, want 403\n%s", route, fg.name, res.StatusCode, body)
			}
		}
		if after := amendstest.Fingerprint(t, f.store.DB()); after != before {
			t.Errorf("%s: refused requests changed the database", route)
		}
		if res, body := f.sendForm(t, rt.method, rt.path, cookie, own, map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": f.srv.URL}); res.StatusCode == http.StatusForbidden {
			t.Errorf("%s with its own token from this site: 403\n%s", route, body)
		}
	}
	if checked < 30 {
		t.Errorf("only %d state-changing routes checked", checked)
	}
}

// TestPublicChangesRefuseOtherSites checks the public routes that change something (a brief's
// read link, sign-in, a survey answer): no session and no CSRF field protects them, so a
// request another site makes the browser send is refused by where it comes from.
func TestPublicChangesRefuseOtherSites(t *testing.T) {
	f := newCSRFFixture(t)
	checked := 0
	for _, rt := range f.web.table() {
		if rt.method == http.MethodGet || rt.min != public {
			continue
		}
		checked++
		route := rt.method + " " + rt.path
		before := amendstest.Fingerprint(t, f.store.DB())
		for _, h := range []map[string]string{{"Origin": "https://evil.example"}, {"Origin": "null"},
			{"Sec-Fetch-Site": "cross-site"}, {"Sec-Fetch-Site": "same-site"}} {
			res, body := f.sendForm(t, rt.method, rt.path, nil, "", h)
			if res.StatusCode != http.StatusForbidden {
				t.Errorf("%s with %v: %d, want 403\n%s", route, h, res.StatusCode, body)
			}
		}
		if after := amendstest.Fingerprint(t, f.store.DB()); after != before {
			t.Errorf("%s: refused requests changed the database", route)
		}
	}
	if checked < 2 {
		t.Errorf("only %d public changes checked", checked)
	}
	// The read link works from the page it shows.
	res, body := f.sendForm(t, "POST", "/ack/{token}", nil, "", map[string]string{"Sec-Fetch-Site": "same-origin"})
	if res.StatusCode >= 400 {
		t.Errorf("the read link from its own page: %d\n%s", res.StatusCode, body)
	}
}

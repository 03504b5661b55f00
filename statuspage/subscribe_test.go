package statuspage_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/delivery"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
)

// subs is a status page with a real job queue, a real SMTP server and a webhook receiver.
type subs struct {
	st    *store.Store
	clock *amendstest.Clock
	srv   *httptest.Server
	sink  *amendstest.SMTPSink
	hooks *receiver
}

// receiver is a webhook receiver on loopback that keeps every request.
type receiver struct {
	mu   sync.Mutex
	reqs []hookRequest
	srv  *httptest.Server
}

type hookRequest struct {
	header http.Header
	body   []byte
}

func (r *receiver) got() []hookRequest {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]hookRequest(nil), r.reqs...)
}

// newSubs starts everything; withQueue false leaves jobs unsent (no enqueuer).
func newSubs(t *testing.T, engine string, withQueue bool) *subs {
	t.Helper()
	ctx := context.Background()
	h := &subs{clock: amendstest.NewClock(time.Date(2026, 11, 3, 14, 30, 0, 0, time.UTC))}
	url := amendstest.DatabaseURL(t, engine)
	st, err := store.Open(ctx, url, "", store.Options{Now: h.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	h.st = st
	mux := http.NewServeMux()
	h.srv = httptest.NewServer(mux)
	t.Cleanup(h.srv.Close)
	h.hooks = &receiver{}
	h.hooks.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.hooks.mu.Lock()
		h.hooks.reqs = append(h.hooks.reqs, hookRequest{r.Header.Clone(), b})
		h.hooks.mu.Unlock()
	}))
	t.Cleanup(h.hooks.srv.Close)
	if withQueue {
		h.sink = amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
		email, err := channel.NewEmail(channel.SMTPConfig{URL: h.sink.URL(), From: "Status <status@example.com>"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { email.Close() })
		q, err := delivery.New(ctx, delivery.Config{Store: st, DBURL: url, BaseURL: h.srv.URL, PollInterval: 20 * time.Millisecond,
			Senders: channel.Senders{channel.KindEmail: email, channel.KindWebhook: channel.NewWebhook(channel.NewHTTPClient(5 * time.Second))},
			Logger:  quietLogger()})
		if err != nil {
			t.Fatal(err)
		}
		st.SetEnqueuer(q)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { q.Stop(context.Background()) })
	}
	pub, err := statuspage.New(statuspage.Config{Store: st, BaseURL: h.srv.URL, Interval: 20 * time.Millisecond,
		Logger: quietLogger(), Now: h.clock.Now, AllowPrivateWebhooks: true})
	if err != nil {
		t.Fatal(err)
	}
	pub.Start(ctx)
	t.Cleanup(pub.Stop)
	for _, r := range pub.Routes() {
		mux.Handle(r.Method+" "+r.Path, r.Handler)
	}
	return h
}

// post sends a form (name, value, …) to path with the given headers and returns the answer.
func (h *subs) post(t *testing.T, path string, form url.Values, headers ...string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return do(t, req)
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

func (h *subs) count(t *testing.T) map[string]int {
	t.Helper()
	n, err := h.st.CountSubscribers(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func eventually(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); !ok(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// readMail returns a mail's headers and its decoded parts, joined.
func readMail(t *testing.T, data []byte) (mail.Header, string) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	var text strings.Builder
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextRawPart()
		if err != nil {
			break
		}
		var r io.Reader = p
		if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
			r = quotedprintable.NewReader(p)
		}
		b, _ := io.ReadAll(r)
		text.Write(b)
		text.WriteString("\n")
	}
	return msg.Header, text.String()
}

func form(kv ...string) url.Values {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Set(kv[i], kv[i+1])
	}
	return v
}

var actor = amends.Actor{Name: "ana", Role: amends.Admin}

func TestSubscribeByEmailEndToEnd(t *testing.T) {
	h := newSubs(t, "sqlite", true)
	ctx := context.Background()
	if _, page := do(t, mustRequest("GET", h.srv.URL+"/status")); !strings.Contains(page, `<form method="post" action="status/subscribe">`) {
		t.Fatalf("the status page has no subscribe form:\n%s", page)
	}
	code, body := h.post(t, "/status/subscribe", form("email", "Reader@Example.com"), "Sec-Fetch-Site", "same-origin")
	if code != 200 || !strings.Contains(body, "Check your inbox") {
		t.Fatalf("subscribe: %d %s", code, body)
	}
	eventually(t, "the confirmation mail", func() bool { return len(h.sink.Mails()) == 1 })
	env := h.sink.Mails()[0]
	if env.To[0] != "reader@example.com" {
		t.Errorf("confirmation to %v", env.To)
	}
	hdr, text := readMail(t, env.Data)
	if hdr.Get("List-Unsubscribe") != "" {
		t.Error("the confirmation mail has List-Unsubscribe")
	}
	link := regexp.MustCompile(regexp.QuoteMeta(h.srv.URL) + `/status/confirm/[A-Za-z0-9_-]{22}`).FindString(text)
	if link == "" {
		t.Fatalf("no confirm link in\n%s", text)
	}
	// Following the link (as a mail scanner would) confirms nothing.
	if code, page := do(t, mustRequest("GET", link)); code != 200 || !strings.Contains(page, `<button type="submit">Confirm subscription</button>`) {
		t.Fatalf("GET confirm: %d %s", code, page)
	}
	if n := h.count(t); n["email:pending"] != 1 {
		t.Fatalf("after GET confirm: %v", n)
	}
	if code, page := do(t, mustRequest("POST", link)); code != 200 || !strings.Contains(page, "You are subscribed") {
		t.Fatalf("POST confirm: %d %s", code, page)
	}
	if n := h.count(t); n["email:active"] != 1 {
		t.Fatalf("after POST confirm: %v", n)
	}

	inc, err := h.st.CreateIncident(ctx, amends.NewIncident{Title: "Exports failed", Severity: 2, Summary: "INTERNAL summary"}, actor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Body: "INTERNAL note", Visibility: amends.Internal}, actor); err != nil {
		t.Fatal(err)
	}
	if _, err := h.st.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Body: "Exports failed this morning; we are sorry.", Visibility: amends.Public}, actor); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the public update", func() bool { return len(h.sink.Mails()) == 2 })
	hdr, text = readMail(t, h.sink.Mails()[1].Data)
	unsub := strings.TrimSuffix(strings.TrimPrefix(hdr.Get("List-Unsubscribe"), "<"), ">")
	if !regexp.MustCompile("^" + regexp.QuoteMeta(h.srv.URL) + `/status/unsubscribe/[A-Za-z0-9_-]{22}$`).MatchString(unsub) {
		t.Errorf("List-Unsubscribe = %q", hdr.Get("List-Unsubscribe"))
	}
	if got := hdr.Get("List-Unsubscribe-Post"); got != "List-Unsubscribe=One-Click" {
		t.Errorf("List-Unsubscribe-Post = %q", got)
	}
	if !strings.Contains(text, "Exports failed this morning; we are sorry.") || !strings.Contains(text, h.srv.URL+"/status#"+inc.Ref) {
		t.Errorf("the update does not say what was published or link the status page:\n%s", text)
	}
	if strings.Contains(text, "INTERNAL") || strings.Contains(text, "/incidents/") {
		t.Errorf("the update shows something internal:\n%s", text)
	}

	// One click from a mail client: a cross-site POST with the RFC 8058 body; twice is fine.
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest("POST", unsub, strings.NewReader("List-Unsubscribe=One-Click"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Sec-Fetch-Site", "cross-site")
		req.Header.Set("Origin", "https://mail.example.net")
		if code, page := do(t, req); code != 200 || !strings.Contains(page, "You are unsubscribed") {
			t.Fatalf("one-click unsubscribe %d: %d %s", i, code, page)
		}
	}
	if n := h.count(t); n["email:unsubscribed"] != 1 {
		t.Fatalf("after unsubscribing: %v", n)
	}
	if _, err := h.st.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Body: "Exports work again.", Visibility: amends.Public}, actor); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if n := len(h.sink.Mails()); n != 2 {
		t.Errorf("%d mails after unsubscribing, want still 2", n)
	}
}

func mustRequest(method, u string) *http.Request {
	req, err := http.NewRequest(method, u, nil)
	if err != nil {
		panic(err)
	}
	return req
}

func TestSubscribeByWebhook(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newSubs(t, engine, true)
			ctx := context.Background()
			const secret = "a webhook secret of some length"
			code, body := h.post(t, "/status/subscribe", form("webhook", h.hooks.srv.URL+"/status", "secret", secret))
			if code != 200 || !strings.Contains(body, "Check your webhook") {
				t.Fatalf("subscribe: %d %s", code, body)
			}
			eventually(t, "the webhook to be confirmed", func() bool { return h.count(t)["webhook:active"] == 1 })
			inc, err := h.st.CreateIncident(ctx, amends.NewIncident{Title: "Exports failed", Severity: 2, Summary: "INTERNAL summary"}, actor)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := h.st.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Body: "We are on it.", Visibility: amends.Public}, actor); err != nil {
				t.Fatal(err)
			}
			eventually(t, "the public update", func() bool { return len(h.hooks.got()) == 2 })
			reqs := h.hooks.got()
			for i, want := range []string{"subscription.confirm", "status.update"} {
				r := reqs[i]
				if !channel.VerifySignature(secret, r.body, r.header.Get(channel.HeaderSignature)) {
					t.Errorf("request %d: bad signature", i)
				}
				if got := r.header.Get(channel.HeaderEvent); got != want {
					t.Errorf("request %d: event %q, want %q", i, got, want)
				}
			}
			var p channel.WebhookPayload
			if err := json.Unmarshal(reqs[1].body, &p); err != nil {
				t.Fatal(err)
			}
			if p.Text != "We are on it." || p.Title != "Exports failed" || p.Link != h.srv.URL+"/status#"+inc.Ref || p.Ref != inc.Ref {
				t.Errorf("payload %+v", p)
			}
			if bytes.Contains(reqs[1].body, []byte("INTERNAL")) {
				t.Errorf("payload shows something internal: %s", reqs[1].body)
			}
		})
	}
}

func TestSubscribeAnswersTheSameForKnownAddresses(t *testing.T) {
	h := newSubs(t, "sqlite", false)
	ctx := context.Background()
	known, err := h.st.Subscribe(ctx, store.SubscriberEmail, "known@example.com", "")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.st.ConfirmSubscription(ctx, known.Token); err != nil {
		t.Fatal(err)
	}
	_, fresh := h.post(t, "/status/subscribe", form("email", "new@example.com"))
	_, again := h.post(t, "/status/subscribe", form("email", "new@example.com"))
	_, confirmed := h.post(t, "/status/subscribe", form("email", "known@example.com"))
	if fresh != again || fresh != confirmed {
		t.Errorf("answers differ:\nnew: %s\nagain: %s\nconfirmed: %s", fresh, again, confirmed)
	}
	if got, _ := h.st.Subscriber(ctx, known.ID); got.Token != known.Token || !got.Active() {
		t.Error("a stranger's request changed a confirmed subscription")
	}
}

func TestSubscriptionFloodIsLimited(t *testing.T) {
	h := newSubs(t, "sqlite", false)
	ctx := context.Background()
	hash := func() string {
		var s string
		if err := h.st.DB().QueryRow("SELECT token_hash FROM subscribers WHERE address = 'flood@example.com'").Scan(&s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	for i := 0; i < statuspage.AddressLimit; i++ {
		if code, body := h.post(t, "/status/subscribe", form("email", "flood@example.com")); code != 200 {
			t.Fatalf("request %d: %d %s", i+1, code, body)
		}
	}
	before := hash()
	req, _ := http.NewRequest("POST", h.srv.URL+"/status/subscribe", strings.NewReader("email=FLOOD%40example.com"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 429 || !strings.Contains(string(b), "at most 5 subscription requests for one address") || res.Header.Get("Retry-After") == "" {
		t.Fatalf("6th request: %d Retry-After %q %s", res.StatusCode, res.Header.Get("Retry-After"), b)
	}
	if hash() != before {
		t.Error("a refused request renewed the subscription")
	}
	// One client: ClientLimit requests an hour, whatever the addresses.
	for i := statuspage.AddressLimit; i < statuspage.ClientLimit; i++ {
		if code, body := h.post(t, "/status/subscribe", form("email", "reader"+string(rune('a'+i))+"@example.com")); code != 200 {
			t.Fatalf("request %d: %d %s", i+1, code, body)
		}
	}
	if code, _ := h.post(t, "/status/subscribe", form("email", "one-more@example.com")); code != 429 {
		t.Fatalf("request %d from one client: %d", statuspage.ClientLimit+1, code)
	}
	var n int
	h.st.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM subscribers WHERE address = 'one-more@example.com'").Scan(&n)
	if n != 0 {
		t.Error("a refused request stored its address")
	}
	h.clock.Advance(statuspage.LimitWindow)
	if code, body := h.post(t, "/status/subscribe", form("email", "flood@example.com")); code != 200 {
		t.Fatalf("an hour later: %d %s", code, body)
	}
}

func TestSubscribeRefusesBadInput(t *testing.T) {
	h := newSubs(t, "sqlite", false)
	// A public form takes no webhook on a private address; this publisher allows them for the
	// receivers of the other tests, so check the rule on one that does not.
	strict, err := statuspage.New(statuspage.Config{Store: h.st, BaseURL: h.srv.URL, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	var subscribe http.Handler
	for _, r := range strict.Routes() {
		if r.Method == "POST" && r.Path == "/status/subscribe" {
			subscribe = r.Handler
		}
	}
	const secret = "a long enough secret"
	for _, tt := range []struct {
		name string
		form url.Values
		code int
		want string
	}{
		{"nothing", form(), 400, "enter an email address"},
		{"both", form("email", "a@example.com", "webhook", "https://hooks.example.com/x", "secret", secret), 400, "not both"},
		{"not an email", form("email", "not-an-email"), 400, "is not an email address"},
		{"CRLF", form("email", "a@example.com\r\nBcc: evil@example.com"), 400, "one line"},
		{"two addresses", form("email", "a@example.com, b@example.com"), 400, "not an email address"},
		{"with a name", form("email", "Ann <a@example.com>"), 400, "bare email address"},
		{"ftp webhook", form("webhook", "ftp://hooks.example.com/x", "secret", secret), 400, "not ftp:"},
		{"relative webhook", form("webhook", "/x", "secret", secret), 400, "absolute"},
		{"short secret", form("webhook", "https://hooks.example.com/x", "secret", "short"), 400, "secret: must be 16"},
		{"loopback webhook", form("webhook", "http://127.0.0.1:8080/x", "secret", secret), 400, "public address"},
		{"private webhook", form("webhook", "http://10.1.2.3/x", "secret", secret), 400, "public address"},
		{"cross-site", form("email", "a@example.com"), 403, "from our status page only"},
		{"other origin", form("email", "a@example.com"), 403, "from our status page only"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := httptest.NewRequest("POST", "/status/subscribe", strings.NewReader(tt.form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			switch tt.name {
			case "cross-site":
				req.Header.Set("Sec-Fetch-Site", "cross-site")
			case "other origin":
				req.Header.Set("Origin", "https://evil.example")
			}
			w := httptest.NewRecorder()
			subscribe.ServeHTTP(w, req)
			if w.Code != tt.code || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body, tt.code, tt.want)
			}
			if n := h.count(t); len(n) != 0 {
				t.Errorf("stored %v", n)
			}
		})
	}
	// The confirm and unsubscribe pages refuse unknown links without changing anything.
	for _, path := range []string{"/status/confirm/AAAAAAAAAAAAAAAAAAAAAA", "/status/unsubscribe/AAAAAAAAAAAAAAAAAAAAAA", "/status/unsubscribe/x"} {
		if code, body := h.post(t, path, nil); code != 404 || !strings.Contains(body, "not valid") {
			t.Errorf("POST %s: %d %s", path, code, body)
		}
	}
}

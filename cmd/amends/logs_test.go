package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// TestSecretsStayOutOfTheLog runs the real server with its log at debug level into a file,
// uses every credential and capability link amends knows — the first admin's password,
// sign-in with right and wrong passwords, a new user's password, the session and its CSRF
// token, API tokens right and forged, a webhook's signing secret and secret URL, the SMTP
// password (on the sends that fail), a brief's read link, a status-page subscriber's confirm
// and unsubscribe link, a customer's survey link — and then reads the whole log: none of those
// values may appear, raw or URL-encoded. Nor may they in the audit log or in the reasons
// recorded for failed deliveries, which people read.
func TestSecretsStayOutOfTheLog(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) { testSecretsStayOutOfTheLog(t, engine) })
	}
}

func testSecretsStayOutOfTheLog(t *testing.T, engine string) {
	ctx := context.Background()
	dir := t.TempDir()
	secrets := map[string]string{} // what → value
	keep := func(what, value string) string {
		t.Helper()
		if len(value) < 8 {
			t.Fatalf("%s %q is too short to look for", what, value)
		}
		secrets[what] = value
		return value
	}
	db := amendstest.DatabaseURL(t, engine)
	if engine == "postgres" {
		// The test server trusts local connections, so a password in the URL is only carried.
		u, err := url.Parse(db)
		if err != nil {
			t.Fatal(err)
		}
		u.User = url.UserPassword(u.User.Username(), keep("database password", "db-pass-"+store.RandomSecret(12)))
		db = u.String()
	}

	smtpPass := keep("SMTP password", "smtp-pass-"+store.RandomSecret(12))
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{User: "mailer", Pass: smtpPass})

	// A chat receiver whose URL is itself a credential, as an incoming-webhook URL is.
	hookSecret := keep("webhook signing secret", "hook-secret-"+store.RandomSecret(16))
	hookPath := "/services/T01/B01/" + keep("webhook URL secret", store.RandomSecret(24))
	var mu sync.Mutex
	var received [][]byte
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if r.URL.Path != hookPath || !channel.VerifySignature(hookSecret, body, r.Header.Get("X-Amends-Signature")) {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		mu.Lock()
		received = append(received, body)
		mu.Unlock()
	}))
	defer recv.Close()

	logPath := filepath.Join(dir, "amends.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	t.Cleanup(func() { // what the server said, when the run itself failed
		if b, _ := os.ReadFile(logPath); t.Failed() && len(b) > 0 {
			lines := strings.Split(strings.TrimSpace(string(b)), "\n")
			t.Logf("the server's log, last lines:\n%s", strings.Join(lines[max(0, len(lines)-60):], "\n"))
		}
	})
	var notice bytes.Buffer
	m := &Main{Config: config{Addr: "127.0.0.1:0", Data: dir, DB: db, Workers: 4, RescueAfter: time.Minute,
		SMTPURL: sink.URL(), SMTPFrom: "amends@example.com"},
		Logger: slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelDebug})), Notice: &notice}
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	base := m.URL()
	adminPassword := keep("first admin's password", regexp.MustCompile(`password: (\S+)`).FindStringSubmatch(notice.String())[1])

	jar, _ := cookiejar.New(nil)
	browser := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	csrfField := regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	page := func(path string) string {
		t.Helper()
		res, err := browser.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode >= 400 {
			t.Fatalf("GET %s: %d", path, res.StatusCode)
		}
		return string(b)
	}
	postForm := func(path string, form url.Values, want int) {
		t.Helper()
		res, err := browser.PostForm(base+path, form)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Fatalf("POST %s: %d, want %d", path, res.StatusCode, want)
		}
	}

	// Sign-in: a wrong password, a name nobody has, then the first admin's password.
	loginToken := keep("sign-in form token", csrfField.FindStringSubmatch(page("/login"))[1])
	postForm("/login", url.Values{"csrf": {loginToken}, "name": {"admin"}, "password": {keep("a mistyped password", "Hunter2-"+store.RandomSecret(8))}}, http.StatusUnauthorized)
	postForm("/login", url.Values{"csrf": {loginToken}, "name": {"nobody"}, "password": {keep("a guessed password", "Winter2026-"+store.RandomSecret(8))}}, http.StatusUnauthorized)
	postForm("/login", url.Values{"csrf": {loginToken}, "name": {"admin"}, "password": {adminPassword}}, http.StatusSeeOther)
	baseURL, _ := url.Parse(base)
	for _, c := range jar.Cookies(baseURL) {
		if c.Name == "amends_session" {
			keep("session id", c.Value)
		}
	}
	if secrets["session id"] == "" {
		t.Fatal("signing in set no session cookie")
	}
	csrf := keep("session CSRF token", csrfField.FindStringSubmatch(page("/admin/users"))[1])
	postForm("/admin/users", url.Values{"csrf": {csrf}, "name": {"bea"}, "role": {"responder"},
		"password": {keep("new user's password", "bea-password-"+store.RandomSecret(10))}}, http.StatusSeeOther)

	// API tokens: one made by the command, one forged.
	code, out, stderr := cli(t, "token", "create", "--db", db, "--role", "admin", "--name", "logs-test")
	if code != 0 {
		t.Fatalf("token create: %d %s", code, stderr)
	}
	token := keep("API token", strings.TrimSpace(out))
	api := func(method, path, bearer, body string, want int) []byte {
		t.Helper()
		req, _ := http.NewRequest(method, base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+bearer)
		req.Header.Set("Content-Type", "application/json")
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != want {
			t.Fatalf("%s %s: %d, want %d\n%s", method, path, res.StatusCode, want, b)
		}
		return b
	}
	api("GET", "/api/v1/me", keep("forged API token", "amends_"+store.RandomSecret(20)), "", http.StatusUnauthorized)
	var group struct{ ID int64 }
	json.Unmarshal(api("POST", "/api/v1/groups", token, `{"name":"Support","severities":[1,2,3,4],"events":["declared"]}`, http.StatusCreated), &group)
	groupPath := "/api/v1/groups/" + strconv.FormatInt(group.ID, 10) + "/contacts"
	api("POST", groupPath, token, `{"name":"Chat","kind":"webhook","address":"`+recv.URL+hookPath+`","secret":"`+hookSecret+`"}`, http.StatusCreated)
	api("POST", groupPath, token, `{"name":"Sue","kind":"email","address":"sue@example.com"}`, http.StatusCreated)
	// A chat whose secret URL cannot be reached: the failure, not the URL, is what is recorded.
	deadHook := "http://127.0.0.1:1/services/T02/B02/" + keep("unreachable webhook URL secret", store.RandomSecret(24))
	api("POST", groupPath, token, `{"name":"Gone","kind":"slack","address":"`+deadHook+`"}`, http.StatusCreated)
	api("POST", "/api/v1/incidents", token, `{"title":"Wrong renewal email sent","severity":2}`, http.StatusCreated)

	// The brief reaches the chat receiver with its read link; the link is opened and used.
	var ack string
	waitFor(t, "the brief at the webhook receiver", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, b := range received {
			if m := regexp.MustCompile(`/ack/([A-Za-z0-9._~-]+)`).FindSubmatch(b); m != nil {
				ack = string(m[1])
				return true
			}
		}
		return false
	})
	keep("read link token", ack)
	page("/ack/" + ack)
	postForm("/ack/"+ack, url.Values{}, http.StatusSeeOther)
	if res, err := http.Get(base + "/ack/" + ack + "0"); err == nil {
		res.Body.Close()
	}

	// A status-page subscriber confirms and leaves.
	if res, err := http.PostForm(base+"/status/subscribe", url.Values{"email": {"reader@example.com"}}); err != nil {
		t.Fatal(err)
	} else {
		res.Body.Close()
	}
	var subID int64
	if err := m.Store.DB().QueryRow("SELECT id FROM subscribers WHERE address = $1", "reader@example.com").Scan(&subID); err != nil {
		t.Fatal(err)
	}
	sub, err := m.Store.Subscriber(ctx, subID)
	if err != nil {
		t.Fatal(err)
	}
	subToken := keep("subscriber token", sub.Token)
	for _, step := range []struct{ method, path string }{{"GET", "/status/confirm/"}, {"POST", "/status/confirm/"},
		{"GET", "/status/unsubscribe/"}, {"POST", "/status/unsubscribe/"}} {
		req, _ := http.NewRequest(step.method, base+step.path+subToken, nil)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode >= 400 {
			t.Fatalf("%s %s…: %d", step.method, step.path, res.StatusCode)
		}
	}
	// A customer told by a message is asked, after resolution, how the mistake was handled; the
	// survey link is opened and answered.
	postForm("/admin/settings/survey", url.Values{"csrf": {csrf}, "survey_delay": {"1s"}}, http.StatusSeeOther)
	api("POST", "/api/v1/customers", token, `{"email":"pat@acme.example","name":"Pat","account":"acme"}`, http.StatusCreated)
	api("PUT", "/api/v1/incidents/INC-1/audience", token, `{"kind":"accounts","accounts":["acme"]}`, http.StatusOK)
	writer := amends.Actor{Name: "writer", Role: amends.Responder}
	msg, err := m.Store.CreateMessage(ctx, "INC-1", amends.MessageAcknowledgement, "We sent you a renewal email by mistake",
		"We sent you a renewal email that was meant for someone else. We are sorry.", true, 90, "", writer)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"admin", "bea"} {
		if _, err := m.Store.ApproveMessage(ctx, msg.ID, 1, amends.Actor{Name: name, Role: amends.Responder}); err != nil {
			t.Fatal(err)
		}
	}
	api("POST", "/api/v1/messages/"+strconv.FormatInt(msg.ID, 10)+"/send", token, `{}`, http.StatusOK)
	// The mail cannot go out here (see below): once the first try has failed, it is recorded as
	// delivered, which is what the survey waits for.
	var customerDelivery int64
	waitFor(t, "the customer message tried", func() bool {
		return m.Store.DB().QueryRow("SELECT id FROM deliveries WHERE purpose = 'customer' AND last_error <> ''").Scan(&customerDelivery) == nil
	})
	if err := m.Store.DeliveryDelivered(ctx, customerDelivery); err != nil {
		t.Fatal(err)
	}
	api("PATCH", "/api/v1/incidents/INC-1", token, `{"status":"resolved"}`, http.StatusOK)
	var surveyToken string
	waitFor(t, "the survey", func() bool {
		return m.Store.DB().QueryRow("SELECT secret FROM deliveries WHERE purpose = 'survey'").Scan(&surveyToken) == nil
	})
	keep("survey token", surveyToken)
	page("/survey/" + surveyToken)
	if res, err := http.PostForm(base+"/survey/"+surveyToken, url.Values{"rating": {"2"}, "comment": {"Late, but honest."}}); err != nil {
		t.Fatal(err)
	} else if res.Body.Close(); res.StatusCode >= 400 {
		t.Fatalf("answering the survey: %d", res.StatusCode)
	}

	// The brief's email was tried on the SMTP server, and its chat message on the unreachable URL. amends will not
	// send a password over a connection without TLS, which this server has not, so each try
	// fails: the failure path, where a connection string would most likely be logged. The
	// reasons recorded for people to read must not hold a secret either.
	waitFor(t, "the brief's email and chat message tried", func() bool {
		var tried int
		m.Store.DB().QueryRow("SELECT COUNT(*) FROM deliveries WHERE kind IN ('email', 'slack') AND attempts > 0").Scan(&tried)
		return tried >= 2
	})
	rows, err := m.Store.DB().Query("SELECT last_error FROM deliveries")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var reason string
		rows.Scan(&reason)
		for what, v := range secrets {
			if strings.Contains(reason, v) {
				t.Errorf("a delivery's recorded failure holds the %s: %s", what, reason)
			}
		}
	}
	rows.Close()

	// What admins read about who did what holds none of it either.
	var audit strings.Builder
	rows, err = m.Store.DB().Query("SELECT actor, action, target, detail FROM audit")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var actor, action, target, detail string
		rows.Scan(&actor, &action, &target, &detail)
		fmt.Fprintf(&audit, "%s %s %s %s\n", actor, action, target, detail)
	}
	rows.Close()
	for what, v := range secrets {
		if strings.Contains(audit.String(), v) {
			t.Errorf("the audit log holds the %s", what)
		}
	}

	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(raw)
	if !strings.Contains(log, "msg=request") || !strings.Contains(log, "/ack/{token}") {
		t.Fatalf("the log does not hold the requests at debug level:\n%s", log)
	}
	for what, v := range secrets {
		for _, form := range []string{v, url.QueryEscape(v), url.PathEscape(v)} {
			if i := strings.Index(log, form); i >= 0 {
				line := log[strings.LastIndex(log[:i], "\n")+1:]
				line, _, _ = strings.Cut(line, "\n")
				t.Errorf("the log holds the %s:\n%s", what, line)
				break
			}
		}
	}
}

// waitFor polls cond until it holds, for up to 30 seconds: the queue works in the background.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

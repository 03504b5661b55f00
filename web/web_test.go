package web

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

const testPassword = "correct horse battery staple"

// TestMain pins the server's time zone, so pages and forms read the same in every place the
// tests run.
func TestMain(m *testing.M) {
	time.Local = time.UTC
	os.Exit(m.Run())
}

// testApp is the web app on a real SQLite store behind a real HTTP server, with one user per
// role: ada (admin), ana (responder) and vic (viewer).
type testApp struct {
	srv   *httptest.Server
	store *store.Store
	web   *Web
	clock *amendstest.Clock
	hits  *hits
	users map[amends.Role]*amends.User
}

// hits counts the requests the server received, by method and path.
type hits struct {
	mu sync.Mutex
	n  map[string]int
}

func (h *hits) add(key string) {
	h.mu.Lock()
	h.n[key]++
	h.mu.Unlock()
}

// get returns how many requests key ("POST /lint") counted.
func (h *hits) get(key string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.n[key]
}

// newTestApp starts the app. With a clock, the store and the pages read it; without one
// they read the real time (the browser tests do, since the browser's clock is real).
func newTestApp(t testing.TB, clock *amendstest.Clock) *testApp {
	t.Helper()
	ctx := context.Background()
	var now func() time.Time
	if clock != nil {
		now = clock.Now
	}
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{Now: now, Files: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	hits := &hits{n: map[string]int{}}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		hits.add(r.Method + " " + r.URL.Path)
		mux.ServeHTTP(rw, r)
	}))
	t.Cleanup(srv.Close)
	w, err := New(Config{Store: s, Checker: checker, Logger: slog.New(slog.NewTextHandler(testLog{t}, nil)),
		BaseURL: srv.URL, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range w.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	a := &testApp{srv: srv, store: s, web: w, clock: clock, hits: hits, users: map[amends.Role]*amends.User{}}
	setup := amends.Actor{Name: "setup", Role: amends.Admin}
	for name, role := range map[string]amends.Role{"ada": amends.Admin, "ana": amends.Responder, "vic": amends.Viewer} {
		u, err := s.CreateUser(ctx, name, role, testPassword, setup)
		if err != nil {
			t.Fatal(err)
		}
		a.users[role] = u
	}
	return a
}

// testLog sends the app's log to the test's log.
type testLog struct{ t testing.TB }

func (l testLog) Write(p []byte) (int, error) {
	l.t.Helper()
	l.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// session signs the user with role in directly through the store and returns the session
// cookie and the session's CSRF token.
func (a *testApp) session(t testing.TB, role amends.Role) (*http.Cookie, string) {
	t.Helper()
	id, sess, err := a.store.CreateSession(context.Background(), a.users[role])
	if err != nil {
		t.Fatal(err)
	}
	return &http.Cookie{Name: sessionCookie, Value: id}, sess.CSRF
}

// request is one request of a test; the zero value of csrf sends the session's own token,
// "-" sends none, anything else is sent as the token.
type request struct {
	method, path string
	role         amends.Role // "" for signed out
	form         url.Values
	csrf         string
	header       map[string]string
}

// do sends req without following redirects and returns the answer with its body read.
func (a *testApp) do(t *testing.T, req request) (*http.Response, string) {
	t.Helper()
	var body io.Reader
	form := url.Values{}
	for k, v := range req.form {
		form[k] = v
	}
	var cookie *http.Cookie
	if req.role != "" {
		var token string
		cookie, token = a.session(t, req.role)
		switch req.csrf {
		case "":
			form.Set("csrf", token)
		case "-":
		default:
			form.Set("csrf", req.csrf)
		}
	}
	if req.method != http.MethodGet {
		body = strings.NewReader(form.Encode())
	}
	r, err := http.NewRequest(req.method, a.srv.URL+req.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if cookie != nil {
		r.AddCookie(cookie)
	}
	for k, v := range req.header {
		r.Header.Set(k, v)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(r)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}

// at returns 3 November 2026 at hh:mm UTC, the afternoon of the story in DESIGN.md.
func at(hhmm string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", "2026-11-03 "+hhmm)
	if err != nil {
		panic(err)
	}
	return t
}

// local writes t the way a datetime-local field holds it, in the server's time zone.
func local(t time.Time) string { return t.In(time.Local).Format(layoutInput) }

// declare records an incident through the store, as ana.
func (a *testApp) declare(t testing.TB, title string, noticed time.Time) *amends.Incident {
	t.Helper()
	inc, err := a.store.CreateIncident(context.Background(), amends.NewIncident{Title: title, Severity: 2,
		NoticedAt: &noticed}, amends.Actor{Name: "ana", Role: amends.Responder})
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

var hiddenCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrfIn returns the CSRF token in a page's first form.
func csrfIn(t *testing.T, page string) string {
	t.Helper()
	m := hiddenCSRF.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no CSRF field in page:\n%s", page)
	}
	return m[1]
}

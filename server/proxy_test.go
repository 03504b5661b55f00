package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/server"
	"github.com/amends/amends/store"
)

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// TestSignInLimitBehindAProxy signs in with a wrong password through a reverse proxy (the
// connection's peer): with the proxy trusted, the limit counts each client named by
// X-Forwarded-For, so one client's guessing does not lock out another; without it, the
// header is not believed and changing it does not escape the limit.
func TestSignInLimitBehindAProxy(t *testing.T) {
	const proxy = "192.0.2.1" // httptest's peer address
	for _, tt := range []struct {
		name         string
		trusted      string
		otherBlocked bool
	}{
		{"proxy trusted", proxy, false},
		{"proxy not trusted", "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			if _, err := s.CreateUser(ctx, "ana", amends.Responder, "correct horse battery staple", amends.Actor{Name: "setup", Role: amends.Admin}); err != nil {
				t.Fatal(err)
			}
			checker, err := ownership.New()
			if err != nil {
				t.Fatal(err)
			}
			trusted, err := server.ParseTrustedProxies(tt.trusted)
			if err != nil {
				t.Fatal(err)
			}
			srv, err := server.New(server.Config{Store: s, Checker: checker, BaseURL: "http://amends.test", TrustedProxies: trusted,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				t.Fatal(err)
			}
			signIn := func(client, password string) int {
				t.Helper()
				form := httptest.NewRequest("GET", "http://amends.test/login", nil)
				form.Header.Set("X-Forwarded-For", client)
				rec := httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, form)
				m := csrfField.FindStringSubmatch(rec.Body.String())
				if m == nil {
					t.Fatalf("no CSRF field on the sign-in form (%d)", rec.Code)
				}
				body := url.Values{"csrf": {m[1]}, "name": {"ana"}, "password": {password}}.Encode()
				req := httptest.NewRequest("POST", "http://amends.test/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.Header.Set("Origin", "http://amends.test")
				req.Header.Set("X-Forwarded-For", client)
				for _, c := range rec.Result().Cookies() {
					req.AddCookie(c)
				}
				rec = httptest.NewRecorder()
				srv.Handler().ServeHTTP(rec, req)
				return rec.Code
			}
			for i := 0; i < 10; i++ {
				if code := signIn("203.0.113.1", "wrong password"); code == http.StatusTooManyRequests || code == http.StatusSeeOther {
					t.Fatalf("failure %d answered %d", i+1, code)
				}
			}
			if code := signIn("203.0.113.1", "correct horse battery staple"); code != http.StatusTooManyRequests {
				t.Errorf("the guessing client after ten failures: %d, want 429", code)
			}
			code := signIn("203.0.113.2", "correct horse battery staple")
			if blocked := code == http.StatusTooManyRequests; blocked != tt.otherBlocked {
				t.Errorf("another client with the right password: %d (blocked %v, want %v)", code, blocked, tt.otherBlocked)
			}
			if !tt.otherBlocked && code != http.StatusSeeOther {
				t.Errorf("another client with the right password: %d, want 303 into the app", code)
			}
		})
	}
}

package web

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// browserless is an HTTP client with a cookie jar that does not follow redirects.
func browserless(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	return resp, readBody(t, resp)
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func cookieNamed(resp *http.Response, name string) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// signIn fetches the sign-in form and posts it; it returns the answer to the post.
func signIn(t *testing.T, c *http.Client, base, name, password, next string) (*http.Response, string) {
	t.Helper()
	_, page := get(t, c, base+"/login?next="+url.QueryEscape(next))
	return post(t, c, base+"/login", url.Values{"csrf": {csrfIn(t, page)}, "name": {name}, "password": {password}, "next": {next}})
}

func TestSignInAndOut(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	c := browserless(t)
	base, _ := url.Parse(a.srv.URL)

	resp, body := signIn(t, c, a.srv.URL, "ana", "wrong password!", "/lint")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "Wrong user name or password.") {
		t.Fatalf("wrong password: %d\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `value="ana"`) {
		t.Errorf("the user name was not kept")
	}
	resp, body2 := signIn(t, c, a.srv.URL, "nobody", "wrong password!", "/lint")
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body2, "Wrong user name or password.") {
		t.Fatalf("unknown user: %d\n%s", resp.StatusCode, body2)
	}

	// Whatever session the browser held before (here someone else's) is ended, and the
	// new one has a new id: an id planted before sign-in is worth nothing after it.
	token := csrfIn(t, body)
	before, _ := a.session(t, amends.Viewer)
	c.Jar.SetCookies(base, []*http.Cookie{before})
	resp, _ = post(t, c, a.srv.URL+"/login", url.Values{"csrf": {token}, "name": {"ana"}, "password": {testPassword}, "next": {"/lint"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/lint" {
		t.Fatalf("sign in: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	sc := cookieNamed(resp, sessionCookie)
	if sc == nil || !sc.HttpOnly || sc.SameSite != http.SameSiteLaxMode || sc.Path != "/" || sc.Secure {
		t.Fatalf("session cookie %+v", sc)
	}
	if sc.Value == before.Value {
		t.Fatal("sign-in kept the session id the browser had")
	}
	if _, err := a.store.SessionByID(context.Background(), before.Value); amends.ErrorCode(err) != amends.EUnauthorized {
		t.Errorf("the session that was replaced still works: %v", err)
	}

	resp, body = get(t, c, a.srv.URL+"/incidents")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "ana") || !strings.Contains(body, "Sign out") {
		t.Fatalf("after sign-in: %d\n%s", resp.StatusCode, body)
	}
	resp, _ = get(t, c, a.srv.URL+"/login?next=/incidents/INC-1")
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/incidents/INC-1" {
		t.Errorf("a signed-in visit to /login goes on: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}

	resp, _ = post(t, c, a.srv.URL+"/logout", url.Values{"csrf": {csrfIn(t, body)}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := a.store.SessionByID(context.Background(), sc.Value); amends.ErrorCode(err) != amends.EUnauthorized {
		t.Errorf("the session survived sign-out: %v", err)
	}
	// Even a browser that kept the cookie is signed out.
	c.Jar.SetCookies(base, []*http.Cookie{{Name: sessionCookie, Value: sc.Value}})
	if resp, _ := get(t, c, a.srv.URL+"/incidents"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("old session after sign-out: %d", resp.StatusCode)
	}
}

func TestSignInNeedsItsToken(t *testing.T) {
	a := newTestApp(t, amendstest.NewClock(at("15:00")))
	c := browserless(t)
	form := url.Values{"name": {"ana"}, "password": {testPassword}}
	if resp, _ := post(t, c, a.srv.URL+"/login", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in without the form's token: %d, want 403", resp.StatusCode)
	}
	_, page := get(t, c, a.srv.URL+"/login")
	form.Set("csrf", csrfIn(t, page)+"x")
	if resp, _ := post(t, c, a.srv.URL+"/login", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with a wrong token: %d, want 403", resp.StatusCode)
	}
	// A fresh client has the right token in the form but not the cookie that must match it.
	form.Set("csrf", csrfIn(t, page))
	if resp, _ := post(t, browserless(t), a.srv.URL+"/login", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("sign-in with the token but not its cookie: %d, want 403", resp.StatusCode)
	}
	if resp, _ := post(t, c, a.srv.URL+"/login", form); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign-in with the token: %d, want 303", resp.StatusCode)
	}
}

func TestSignInRateLimit(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	c := browserless(t)
	for i := 0; i < maxFailedLogins; i++ {
		if resp, _ := signIn(t, c, a.srv.URL, "Ana", "not the password", "/"); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("failure %d: %d", i+1, resp.StatusCode)
		}
	}
	resp, body := signIn(t, c, a.srv.URL, "ana", testPassword, "/")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("after %d failures: %d\n%s", maxFailedLogins, resp.StatusCode, body)
	}
	if resp, _ := signIn(t, browserless(t), a.srv.URL, "vic", testPassword, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("another name from the same address: %d, want 303", resp.StatusCode)
	}
	clock.Advance(loginWindow)
	if resp, _ := signIn(t, browserless(t), a.srv.URL, "ana", testPassword, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the window: %d, want 303", resp.StatusCode)
	}
}

func TestSecureCookiesOverHTTPS(t *testing.T) {
	s, err := store.Open(context.Background(), amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{Store: s, Checker: checker, BaseURL: "https://amends.example"})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	w.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "https://amends.example/login", nil))
	c := cookieNamed(rec.Result(), "__Host-"+loginCookie)
	if c == nil || !c.Secure || !c.HttpOnly || c.Path != "/" || c.Domain != "" {
		t.Fatalf("sign-in cookie over https: %+v", rec.Result().Cookies())
	}
	if _, err := New(Config{Store: s, Checker: checker, BaseURL: "ftp://x"}); err == nil {
		t.Error("an ftp base URL was accepted")
	}
}

func TestSafeNext(t *testing.T) {
	for next, want := range map[string]string{
		"":                          "/incidents",
		"/incidents/INC-4":          "/incidents/INC-4",
		"/incidents?status=open":    "/incidents?status=open",
		"//evil.example/x":          "/incidents",
		"/\\evil.example":           "/incidents",
		"https://evil.example/":     "/incidents",
		"javascript:alert(1)":       "/incidents",
		"incidents":                 "/incidents",
		"/login?next=//evil":        "/incidents",
		"/%0d%0aSet-Cookie:x":       "/%0d%0aSet-Cookie:x",
		"/ok\r\nSet-Cookie: x=1":    "/incidents",
		"/\t/evil.example":          "/incidents",
		"/admin/users?created=vic":  "/admin/users?created=vic",
		"/incidents/INC-1#timeline": "/incidents/INC-1#timeline",
	} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestLimiterForgetsOldFailures(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	l := newLimiter(3, 15*time.Minute, clock.Now)
	for i := 0; i < 3; i++ {
		l.failed("k")
		clock.Advance(time.Minute)
	}
	if wait := l.blocked("k"); wait != 12*time.Minute {
		t.Errorf("blocked for %v, want 12m (until the first failure leaves the window)", wait)
	}
	clock.Advance(12 * time.Minute)
	if wait := l.blocked("k"); wait != 0 {
		t.Errorf("still blocked for %v", wait)
	}
	l.reset("k")
	if len(l.fails) != 0 {
		t.Errorf("reset kept %v", l.fails)
	}
}

package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// TestSignInRefusalsRevealNothing: a wrong password and a name nobody has get the same status,
// the same headers and the same page, byte for byte once the name typed is set aside; and so
// do the refusals once the name is blocked.
func TestSignInRefusalsRevealNothing(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	c := browserless(t)
	try := func(name string) (*http.Response, string) {
		t.Helper()
		resp, body := signIn(t, c, a.srv.URL, name, "not the password", "/lint")
		return resp, strings.ReplaceAll(body, `value="`+name+`"`, `value="NAME"`)
	}
	same := func(what string, r1 *http.Response, b1 string, r2 *http.Response, b2 string) {
		t.Helper()
		if r1.StatusCode != r2.StatusCode {
			t.Errorf("%s: status %d for a user, %d for nobody", what, r1.StatusCode, r2.StatusCode)
		}
		for _, h := range []string{"Content-Type", "Set-Cookie", "Retry-After", "Location"} {
			if v1, v2 := r1.Header.Values(h), r2.Header.Values(h); strings.Join(v1, "\n") != strings.Join(v2, "\n") {
				t.Errorf("%s: %s %q for a user, %q for nobody", what, h, v1, v2)
			}
		}
		if b1 != b2 {
			t.Errorf("%s: the pages differ\nuser:\n%s\nnobody:\n%s", what, b1, b2)
		}
	}
	r1, b1 := try("ana")
	r2, b2 := try("zed")
	if r1.StatusCode != http.StatusUnauthorized || !strings.Contains(b1, "Wrong user name or password.") {
		t.Fatalf("wrong password: %d\n%s", r1.StatusCode, b1)
	}
	same("wrong password", r1, b1, r2, b2)

	for i := 1; i < maxFailedLogins; i++ {
		try("ana")
		try("zed")
	}
	r1, b1 = try("ana")
	r2, b2 = try("zed")
	if r1.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("after %d failures: %d\n%s", maxFailedLogins, r1.StatusCode, b1)
	}
	same("blocked", r1, b1, r2, b2)
}

// TestSignInRateLimitPerClient: a name tried too often from one address is blocked with 429
// and a Retry-After that lets it in when waited, even with the right password, and no session
// is made. (One password tried on many names is left to the proxy in front: amends sees the
// proxy's address for every client, so a limit per address would lock everyone out; see
// docs/OPERATIONS.md.)
func TestSignInRateLimitPerClient(t *testing.T) {
	clock := amendstest.NewClock(at("15:00"))
	a := newTestApp(t, clock)
	sessions := func() int {
		t.Helper()
		var n int
		if err := a.store.DB().QueryRow("SELECT COUNT(*) FROM sessions").Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	c := browserless(t)
	for i := 0; i < maxFailedLogins; i++ {
		signIn(t, c, a.srv.URL, "ana", "not the password", "/")
	}
	before := sessions()
	resp, body := signIn(t, c, a.srv.URL, "ana", testPassword, "/")
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, "Too many failed sign-ins") {
		t.Fatalf("the right password after %d failures: %d\n%s", maxFailedLogins, resp.StatusCode, body)
	}
	if got, want := resp.Header.Get("Retry-After"), strconv.Itoa(int(loginWindow.Seconds())); got != want {
		t.Errorf("Retry-After %q, want %q: the failures were all just now", got, want)
	}
	if got := sessions(); got != before || cookieNamed(resp, sessionCookie) != nil {
		t.Errorf("a blocked sign-in made a session: %d sessions, was %d", got, before)
	}

	// Once the failures leave the window, the right password works again.
	clock.Advance(loginWindow)
	if resp, _ := signIn(t, c, a.srv.URL, "ana", testPassword, "/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after the window: %d, want 303", resp.StatusCode)
	}
}

// TestSessionOverHTTPS follows one browser through sign-in and sign-out on an https base URL:
// the cookies carry the __Host- prefix and their flags, a session id planted before sign-in
// is not the one after it, a cookie without the prefix is ignored, and a signed-out session is
// refused even to a browser that kept it.
func TestSessionOverHTTPS(t *testing.T) {
	ctx := context.Background()
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.CreateUser(ctx, "ana", amends.Responder, testPassword, amends.Actor{Name: "setup", Role: amends.Admin})
	if err != nil {
		t.Fatal(err)
	}
	w, err := New(Config{Store: s, Checker: checker, BaseURL: "https://amends.example"})
	if err != nil {
		t.Fatal(err)
	}
	h := w.Handler()
	serve := func(method, path string, form url.Values, cookies ...*http.Cookie) (*http.Response, string) {
		t.Helper()
		var req *http.Request
		if form != nil {
			req = httptest.NewRequest(method, "https://amends.example"+path, strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			req = httptest.NewRequest(method, "https://amends.example"+path, nil)
		}
		for _, c := range cookies {
			req.AddCookie(c)
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec.Result(), rec.Body.String()
	}
	const sessionName, loginName = "__Host-" + sessionCookie, "__Host-" + loginCookie
	planted := &http.Cookie{Name: sessionName, Value: "chosen-by-the-attacker-0123456789abcdef"}

	resp, page := serve("GET", "/login", nil, planted)
	login := cookieNamed(resp, loginName)
	if login == nil || !login.Secure || !login.HttpOnly || login.SameSite != http.SameSiteLaxMode || login.Path != "/" || login.Domain != "" {
		t.Fatalf("sign-in form's cookie %+v", resp.Cookies())
	}
	resp, body := serve("POST", "/login", url.Values{"csrf": {csrfIn(t, page)}, "name": {"ana"}, "password": {testPassword}},
		login, planted)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %d\n%s", resp.StatusCode, body)
	}
	sess := cookieNamed(resp, sessionName)
	if sess == nil || !sess.Secure || !sess.HttpOnly || sess.SameSite != http.SameSiteLaxMode || sess.Path != "/" || sess.Domain != "" || sess.MaxAge <= 0 {
		t.Fatalf("session cookie %+v", resp.Cookies())
	}
	if sess.Value == planted.Value || len(sess.Value) < 32 {
		t.Fatalf("the session id after sign-in is %q", sess.Value)
	}
	if c := cookieNamed(resp, loginName); c == nil || c.MaxAge >= 0 {
		t.Errorf("the sign-in form's token was not cleared: %+v", c)
	}
	if resp, _ := serve("GET", "/incidents", nil, planted); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the planted id opens a page: %d", resp.StatusCode)
	}
	if resp, _ := serve("GET", "/incidents", nil, sess); resp.StatusCode != http.StatusOK {
		t.Fatalf("the new session: %d", resp.StatusCode)
	}
	// Without the prefix (a cookie a sibling site or plain http could set) it is not a session.
	if resp, _ := serve("GET", "/incidents", nil, &http.Cookie{Name: sessionCookie, Value: sess.Value}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a session cookie without __Host- was honoured over https: %d", resp.StatusCode)
	}

	live, err := s.SessionByID(ctx, sess.Value)
	if err != nil || live.User.ID != u.ID {
		t.Fatalf("the session in the store: %v", err)
	}
	resp, _ = serve("POST", "/logout", url.Values{"csrf": {live.CSRF}}, sess)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign out: %d", resp.StatusCode)
	}
	if c := cookieNamed(resp, sessionName); c == nil || c.MaxAge >= 0 || c.Value != "" {
		t.Errorf("sign-out did not clear the cookie: %+v", c)
	}
	if resp, _ := serve("GET", "/incidents", nil, sess); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("the kept cookie after sign-out: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if _, err := s.SessionByID(ctx, sess.Value); amends.ErrorCode(err) != amends.EUnauthorized {
		t.Errorf("the session survived sign-out in the store: %v", err)
	}
}

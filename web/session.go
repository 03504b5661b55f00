package web

import (
	"context"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// handler is what every route runs once the guard let the request through. sess is nil on
// public routes.
type handler func(rw http.ResponseWriter, r *http.Request, sess *store.Session)

// Cookie names; with an https base URL they carry the __Host- prefix, which makes the
// browser insist on Secure, Path=/ and no Domain.
const (
	sessionCookie = "amends_session"
	loginCookie   = "amends_login" // the pre-session double-submit token of the sign-in form
)

// Sign-in rate limit: at most this many failures per user name and address in the window.
const (
	maxFailedLogins = 10
	loginWindow     = 15 * time.Minute
)

type sessionKey struct{}

// sessionOf returns the session the guard found for r, or nil.
func sessionOf(r *http.Request) *store.Session {
	s, _ := r.Context().Value(sessionKey{}).(*store.Session)
	return s
}

// guard wraps h with what its route asks for: a session with at least role min (none for
// public routes), and for every method but GET a same-origin request with a valid CSRF token.
func (w *Web) guard(method string, min amends.Role, h handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if min == public {
			if method != http.MethodGet && !sameOrigin(r, w.baseOrigin) {
				w.fail(rw, r, errCrossSite)
				return
			}
			h(rw, r, nil)
			return
		}
		sess, err := w.session(r)
		if amends.ErrorCode(err) == amends.EUnauthorized {
			w.toLogin(rw, r, method)
			return
		} else if err != nil {
			w.fail(rw, r, err)
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), sessionKey{}, sess))
		if method != http.MethodGet {
			if !sameOrigin(r, w.baseOrigin) {
				w.fail(rw, r, errCrossSite)
				return
			}
			if !validToken(sess.CSRF, csrfToken(r)) {
				w.fail(rw, r, errCSRF)
				return
			}
		}
		if !sess.User.Role.AtLeast(min) {
			w.fail(rw, r, amends.Errorf(amends.EForbidden, "", "your role is %s; this needs %s or higher", sess.User.Role, min))
			return
		}
		h(rw, r, sess)
	})
}

// session returns the live session named by the request's cookie, or EUnauthorized.
func (w *Web) session(r *http.Request) (*store.Session, error) {
	c, err := r.Cookie(w.cookieName(sessionCookie))
	if err != nil || c.Value == "" {
		return nil, amends.Errorf(amends.EUnauthorized, "", "not signed in")
	}
	return w.store.SessionByID(r.Context(), c.Value)
}

// toLogin sends a signed-out visitor to the sign-in page, remembering where they were going.
func (w *Web) toLogin(rw http.ResponseWriter, r *http.Request, method string) {
	target := "/login"
	if method == http.MethodGet {
		target += "?next=" + url.QueryEscape(r.URL.RequestURI())
	}
	if r.Header.Get("HX-Request") == "true" {
		rw.Header().Set("HX-Redirect", target)
		rw.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(rw, r, target, http.StatusSeeOther)
}

// safeNext returns next when it is a path on this site, else the incident list: the sign-in
// page must not become an open redirect.
func safeNext(next string) string {
	const home = "/incidents"
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return home
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || strings.HasPrefix(u.Path, "/login") {
		return home
	}
	return next
}

type loginPage struct {
	page
	Name    string
	Next    string
	Message string
}

func (w *Web) loginForm(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	next := safeNext(r.URL.Query().Get("next"))
	if _, err := w.session(r); err == nil {
		http.Redirect(rw, r, next, http.StatusSeeOther)
		return
	}
	w.renderLogin(rw, r, http.StatusOK, &loginPage{Next: next})
}

// renderLogin shows the sign-in form with a fresh pre-session token when there is none yet.
func (w *Web) renderLogin(rw http.ResponseWriter, r *http.Request, status int, p *loginPage) {
	token := ""
	if c, err := r.Cookie(w.cookieName(loginCookie)); err == nil && len(c.Value) >= 32 {
		token = c.Value
	} else {
		token = store.RandomSecret(32)
		w.setCookie(rw, loginCookie, token, int(time.Hour/time.Second))
	}
	p.Title, p.CSRF = "Sign in", token
	w.render(rw, r, status, "login", p)
}

func (w *Web) login(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	c, err := r.Cookie(w.cookieName(loginCookie))
	if err != nil || !validToken(c.Value, r.PostFormValue("csrf")) {
		w.fail(rw, r, errCSRF)
		return
	}
	name, password := strings.TrimSpace(r.PostFormValue("name")), r.PostFormValue("password")
	p := &loginPage{Name: name, Next: safeNext(r.PostFormValue("next"))}
	key := strings.ToLower(name) + "|" + clientIP(r)
	if wait := w.limiter.blocked(key); wait > 0 {
		p.Message = "Too many failed sign-ins for this name from your address. Try again in " + formatDuration(wait+time.Minute) + "."
		// Whole seconds, rounded up: a client that waits this long is let in.
		rw.Header().Set("Retry-After", strconv.Itoa(int((wait+time.Second-1)/time.Second)))
		w.renderLogin(rw, r, http.StatusTooManyRequests, p)
		return
	}
	u, err := w.store.Authenticate(r.Context(), name, password)
	if amends.ErrorCode(err) == amends.EUnauthorized {
		w.limiter.failed(key)
		p.Message = "Wrong user name or password."
		w.renderLogin(rw, r, http.StatusUnauthorized, p)
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.limiter.reset(key)
	if old, err := r.Cookie(w.cookieName(sessionCookie)); err == nil && old.Value != "" {
		if err := w.store.DeleteSession(r.Context(), old.Value); err != nil {
			w.log.Warn("delete previous session", "err", err)
		}
	}
	id, _, err := w.store.CreateSession(r.Context(), u)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.setCookie(rw, sessionCookie, id, int(store.SessionTTL/time.Second))
	w.setCookie(rw, loginCookie, "", -1)
	http.Redirect(rw, r, p.Next, http.StatusSeeOther)
}

func (w *Web) logout(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	if c, err := r.Cookie(w.cookieName(sessionCookie)); err == nil {
		if err := w.store.DeleteSession(r.Context(), c.Value); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	w.setCookie(rw, sessionCookie, "", -1)
	http.Redirect(rw, r, "/login", http.StatusSeeOther)
}

func (w *Web) home(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	http.Redirect(rw, r, "/incidents", http.StatusSeeOther)
}

func (w *Web) cookieName(base string) string {
	if w.secure {
		return "__Host-" + base
	}
	return base
}

// setCookie sets (maxAge > 0) or clears (maxAge < 0) one of our cookies.
func (w *Web) setCookie(rw http.ResponseWriter, base, value string, maxAge int) {
	http.SetCookie(rw, &http.Cookie{Name: w.cookieName(base), Value: value, Path: "/", MaxAge: maxAge,
		HttpOnly: true, Secure: w.secure, SameSite: http.SameSiteLaxMode})
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// limiter counts failed sign-ins per key in a sliding window, in memory: a restart forgets,
// which costs an attacker nothing they could not get by waiting.
type limiter struct {
	mu     sync.Mutex
	max    int
	window time.Duration
	now    func() time.Time
	fails  map[string][]time.Time
}

func newLimiter(max int, window time.Duration, now func() time.Time) *limiter {
	return &limiter{max: max, window: window, now: now, fails: map[string][]time.Time{}}
}

// recent drops the failures of key that left the window and returns the rest. l.mu is held.
func (l *limiter) recent(key string, now time.Time) []time.Time {
	ts := l.fails[key]
	for len(ts) > 0 && now.Sub(ts[0]) >= l.window {
		ts = ts[1:]
	}
	if len(ts) == 0 {
		delete(l.fails, key)
		return nil
	}
	l.fails[key] = ts
	return ts
}

// blocked returns how long key must wait before trying again, or 0.
func (l *limiter) blocked(key string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	ts := l.recent(key, now)
	if len(ts) < l.max {
		return 0
	}
	return ts[len(ts)-l.max].Add(l.window).Sub(now)
}

func (l *limiter) failed(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if len(l.fails) > 10000 { // keep memory bounded under a spray of names
		for k := range l.fails {
			l.recent(k, now)
		}
	}
	l.fails[key] = append(l.recent(key, now), now)
}

func (l *limiter) reset(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.fails, key)
}

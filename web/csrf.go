package web

import (
	"crypto/subtle"
	"net/http"
	"net/url"
	"strings"

	"github.com/amends/amends"
)

// csrfHeader carries the token on htmx requests (set once on <body> with hx-headers).
const csrfHeader = "X-CSRF-Token"

var (
	errCSRF      = amends.Errorf(amends.EForbidden, "csrf", "this form has expired or did not come from amends: reload the page and try again")
	errCrossSite = amends.Errorf(amends.EForbidden, "csrf", "cross-site requests are refused")
)

// csrfToken returns the token a state-changing request carries: the header set by htmx, or
// the hidden form field that every POST form has. An upload's form is streamed, not parsed:
// its field was read ahead of the file (see streamUpload).
func csrfToken(r *http.Request) string {
	if t := r.Header.Get(csrfHeader); t != "" {
		return t
	}
	if u := uploadOf(r); u != nil {
		return u.fields.Get("csrf")
	}
	return r.PostFormValue("csrf")
}

// validToken compares in constant time, so the comparison leaks nothing about want.
func validToken(want, got string) bool {
	return want != "" && got != "" && subtle.ConstantTimeCompare([]byte(want), []byte(got)) == 1
}

// sameOrigin refuses requests the browser says came from another site: Sec-Fetch-Site when
// the browser sends it, otherwise an Origin naming another host. Requests with neither
// (curl, old browsers) are left to the token check.
func sameOrigin(r *http.Request, baseOrigin string) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	if baseOrigin != "" && strings.EqualFold(origin, baseOrigin) {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host != "" && strings.EqualFold(u.Host, r.Host)
}

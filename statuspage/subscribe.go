package statuspage

import (
	"bytes"
	_ "embed"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// Limits on subscription requests, counted in memory per replica over LimitWindow: a flood from
// one client, or aimed at one address, is refused with 429 before anything is stored or sent.
const (
	AddressLimit = 5  // requests naming one address (email or webhook URL)
	ClientLimit  = 20 // requests from one client IP (an IPv6 client: its /64)
	LimitWindow  = time.Hour
	// limiterKeys bounds the limiter's memory; past it, new clients are refused until old
	// entries expire.
	limiterKeys = 100_000
	// maxSubscribeBody bounds a subscribe form.
	maxSubscribeBody = 16 << 10
	minWebhookSecret = 16
)

//go:embed templates/page.html
var pageTemplate string

// subscriptions serves the public subscribe, confirm and unsubscribe pages. They are rendered
// per request (they are small and rare) and never cached; confirm and unsubscribe links carry
// a token, so their pages send no Referer and are not indexed.
type subscriptions struct {
	st      *store.Store
	home    string
	name    string
	style   template.CSS
	csp     []string
	tmpl    *template.Template
	limit   *limiter
	private bool
	log     interface {
		Error(msg string, args ...any)
	}
}

type pageData struct {
	Name, Title, Home, Button string
	Lines                     []string
	Style                     template.CSS
}

// limiter counts requests per key in a sliding window.
type limiter struct {
	mu   sync.Mutex
	now  func() time.Time
	hits map[string][]time.Time
}

type limitKey struct {
	key   string
	limit int
}

// allow reports whether every key is under its limit and, only then, counts one request for
// each; otherwise it says how long until the fullest key frees a slot.
func (l *limiter) allow(keys ...limitKey) (bool, time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	since := now.Add(-LimitWindow)
	if len(l.hits) >= limiterKeys {
		for k, ts := range l.hits {
			if !ts[len(ts)-1].After(since) {
				delete(l.hits, k)
			}
		}
	}
	var wait time.Duration
	for _, k := range keys {
		ts := l.hits[k.key]
		for len(ts) > 0 && !ts[0].After(since) {
			ts = ts[1:]
		}
		if len(ts) == 0 {
			delete(l.hits, k.key)
		} else {
			l.hits[k.key] = ts
		}
		if len(ts) >= k.limit {
			wait = max(wait, ts[len(ts)-k.limit].Add(LimitWindow).Sub(now))
		}
	}
	if wait > 0 {
		return false, wait
	}
	if len(l.hits)+len(keys) > limiterKeys {
		return false, time.Minute
	}
	for _, k := range keys {
		l.hits[k.key] = append(l.hits[k.key], now)
	}
	return true, 0
}

func newSubscriptions(cfg Config, r *Renderer, csp []string) (*subscriptions, error) {
	tmpl, err := template.New("page.html").Parse(pageTemplate)
	if err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = cfg.Store.Now
	}
	return &subscriptions{st: cfg.Store, home: strings.TrimRight(cfg.BaseURL, "/") + "/status", name: r.name,
		style: template.CSS(r.style), csp: csp, tmpl: tmpl, private: cfg.AllowPrivateWebhooks, log: cfg.Logger,
		limit: &limiter{now: now, hits: map[string][]time.Time{}}}, nil
}

func (s *subscriptions) routes() []Route {
	return []Route{
		{"POST", "/status/subscribe", http.HandlerFunc(s.subscribe)},
		{"GET", "/status/confirm/{token}", s.ask("Confirm your subscription", "Confirm subscription",
			"Confirm that you want to receive every update we publish on our status page.")},
		{"POST", "/status/confirm/{token}", http.HandlerFunc(s.confirm)},
		{"GET", "/status/unsubscribe/{token}", s.ask("Unsubscribe", "Unsubscribe",
			"Stop receiving the updates we publish on our status page.")},
		{"POST", "/status/unsubscribe/{token}", http.HandlerFunc(s.unsubscribe)},
	}
}

// The answer to every accepted subscription request: the same whether the address was new,
// waiting for its confirmation or subscribed already, so it reveals nothing about it.
var (
	answerEmail = []string{"If this address can receive our updates, we have sent it a message with a link to confirm the subscription.",
		"Nothing more is sent until you confirm. If no message arrives within a few minutes, check your spam folder."}
	answerWebhook = []string{"We are sending a signed test request (event subscription.confirm) to the URL. Answering it with a 2xx status confirms the subscription.",
		"Every request carries X-Amends-Signature, an HMAC-SHA256 of the body keyed with your secret."}
)

// subscribe handles the status page's form: an email address, or a webhook URL and its secret.
func (s *subscriptions) subscribe(w http.ResponseWriter, r *http.Request) {
	if crossSite(r, s.home) {
		s.page(w, http.StatusForbidden, "Not accepted", "", "Subscriptions are accepted from our status page only.")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxSubscribeBody)
	if err := r.ParseForm(); err != nil {
		s.page(w, http.StatusBadRequest, "Not subscribed", "", "The form could not be read; please try again from the status page.")
		return
	}
	email, hook, secret := strings.TrimSpace(r.PostForm.Get("email")), strings.TrimSpace(r.PostForm.Get("webhook")), r.PostForm.Get("secret")
	var kind, address string
	var err error
	switch {
	case email != "" && hook != "":
		err = amends.Errorf(amends.EInvalid, "", "enter an email address or a webhook URL, not both")
	case email != "":
		kind, address = store.SubscriberEmail, email
		err = channel.Destination{Kind: channel.KindEmail, Address: r.PostForm.Get("email")}.Validate()
		address = strings.ToLower(address)
	case hook != "":
		kind, address = store.SubscriberWebhook, hook
		err = s.validateWebhook(hook, secret)
	default:
		err = amends.Errorf(amends.EInvalid, "", "enter an email address, or a webhook URL and its secret")
	}
	if err != nil {
		s.fail(w, err)
		return
	}
	ok, wait := s.limit.allow(limitKey{"client:" + clientKey(r.RemoteAddr), ClientLimit}, limitKey{"address:" + kind + ":" + address, AddressLimit})
	if !ok {
		w.Header().Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
		s.page(w, http.StatusTooManyRequests, "Too many requests", "",
			"We accept at most "+strconv.Itoa(AddressLimit)+" subscription requests for one address, and "+strconv.Itoa(ClientLimit)+
				" from one network, per hour. Nothing was changed; please try again in "+roundUp(wait)+".")
		return
	}
	if _, err := s.st.Subscribe(r.Context(), kind, address, secret); err != nil && amends.ErrorCode(err) != amends.EConflict {
		// A conflict is a simultaneous request for the same address, which did subscribe it.
		s.fail(w, err)
		return
	}
	if kind == store.SubscriberWebhook {
		s.page(w, http.StatusOK, "Check your webhook", "", answerWebhook...)
		return
	}
	s.page(w, http.StatusOK, "Check your inbox", "", answerEmail...)
}

func (s *subscriptions) validateWebhook(hook, secret string) error {
	if err := (channel.Destination{Kind: channel.KindWebhook, Address: hook, Secret: "-"}).Validate(); err != nil {
		return err
	}
	if len(secret) < minWebhookSecret || len(secret) > 256 || strings.ContainsAny(secret, "\r\n\x00") {
		return amends.Errorf(amends.EInvalid, "secret", "must be %d to 256 characters on one line", minWebhookSecret)
	}
	if !s.private {
		u, _ := url.Parse(hook)
		if internalHost(u.Hostname()) {
			return amends.Errorf(amends.EInvalid, "webhook", "must be a public address, not a local or private one")
		}
	}
	return nil
}

// internalHost reports whether host names this machine or a private network by its literal
// form. (A public name that resolves to a private address is not caught here.)
func internalHost(host string) bool {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") || strings.HasSuffix(h, ".internal") {
		return true
	}
	ip, err := netip.ParseAddr(h)
	if err != nil {
		return !strings.Contains(h, ".") // a bare name resolves on the local network
	}
	ip = ip.Unmap()
	return ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsUnspecified() || ip.IsMulticast() ||
		ip.IsLinkLocalMulticast() || ip.IsInterfaceLocalMulticast()
}

// ask shows a page with one button that posts back to the same URL: following a link (or a
// mail scanner fetching it) changes nothing.
func (s *subscriptions) ask(title, button, line string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.page(w, http.StatusOK, title, button, line)
	})
}

func (s *subscriptions) confirm(w http.ResponseWriter, r *http.Request) {
	if crossSite(r, s.home) {
		s.page(w, http.StatusForbidden, "Not accepted", "", "Confirm your subscription from the link in our message.")
		return
	}
	if err := s.st.ConfirmSubscription(r.Context(), r.PathValue("token")); err != nil {
		s.fail(w, err)
		return
	}
	s.page(w, http.StatusOK, "You are subscribed", "", "You will receive every update we publish on our status page.",
		"Each message has a link to unsubscribe in one click.")
}

// unsubscribe works from any site and without a body: mail clients post here on their users'
// behalf (RFC 8058, List-Unsubscribe=One-Click).
func (s *subscriptions) unsubscribe(w http.ResponseWriter, r *http.Request) {
	if err := s.st.Unsubscribe(r.Context(), r.PathValue("token")); err != nil {
		s.fail(w, err)
		return
	}
	s.page(w, http.StatusOK, "You are unsubscribed", "", "We will send you nothing more.",
		"You can subscribe again on our status page at any time.")
}

// fail answers an error: the message of what the visitor can fix, "internal error" (logged
// once) for the rest.
func (s *subscriptions) fail(w http.ResponseWriter, err error) {
	switch e := amends.ErrorOf(err); amends.ErrorCode(err) {
	case amends.EInvalid:
		msg := e.Message
		if e.Field != "" && e.Field != "address" {
			msg = e.Field + ": " + msg
		}
		s.page(w, http.StatusBadRequest, "Not subscribed", "", "Please correct this and try again: "+msg+".")
	case amends.ENotFound:
		s.page(w, http.StatusNotFound, "Link not valid", "", "This link is not valid any more: "+e.Message+".",
			"Use the link in the latest message we sent you, or subscribe again on the status page.")
	case amends.EUnavailable:
		s.page(w, http.StatusServiceUnavailable, "Try again later", "", "We cannot take your request right now; please try again in a minute.")
	default:
		s.log.Error("status page subscription", "err", err)
		s.page(w, http.StatusInternalServerError, "Internal error", "", "Internal error; please try again later.")
	}
}

var hdrNoReferrer = []string{"no-referrer"}

func (s *subscriptions) page(w http.ResponseWriter, status int, title, button string, lines ...string) {
	var buf bytes.Buffer
	if err := s.tmpl.Execute(&buf, pageData{Name: s.name, Title: title, Home: s.home, Button: button, Lines: lines, Style: s.style}); err != nil {
		s.log.Error("status page: render", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h["Content-Type"] = []string{"text/html; charset=utf-8"}
	h["Cache-Control"], h["Content-Security-Policy"], h["Referrer-Policy"] = hdrNoStore, s.csp, hdrNoReferrer
	h["X-Robots-Tag"] = []string{"noindex"}
	h["Content-Length"] = []string{strconv.Itoa(buf.Len())}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// crossSite reports whether a browser says the request comes from another site: by
// Sec-Fetch-Site when it sends one, otherwise by Origin, which must be this server's (as
// requested, or as configured in home). Requests without either (curl, scripts) pass.
func crossSite(r *http.Request, home string) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "same-site", "none":
		return false
	case "":
	default:
		return true
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		return false
	}
	if u, err := url.Parse(home); err == nil && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
		return false
	}
	return !strings.EqualFold(origin, "http://"+r.Host) && !strings.EqualFold(origin, "https://"+r.Host)
}

// clientKey is the limit key of a client: its IP, or for IPv6 its /64, which one host
// commonly holds entirely.
func clientKey(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		return host
	}
	ip = ip.Unmap()
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.String()
	}
	return ip.String()
}

func roundUp(d time.Duration) string {
	if m := int(d.Minutes()) + 1; m > 1 {
		return strconv.Itoa(m) + " minutes"
	}
	return "a minute"
}

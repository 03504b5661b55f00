// Package web is amends' server-rendered web app: sign-in, the incident list, the declare
// form, the incident page with its timeline, time-to-own clocks, readers of the brief and
// delivery log, the ownership check, the stakeholder groups, the customers and each incident's
// audience (CSV uploads streamed, not buffered), customer messages from composer to review,
// approval and sending, the public read link of a brief and a small admin area. Pages are html/template files and static assets embedded in the
// binary; a vendored htmx file adds live updates where they help, and every page works
// without JavaScript.
//
// Every state-changing request from a signed-in person carries a CSRF token checked in
// constant time, and cross-site requests are refused, so the protection holds however the
// routes are mounted. The one state-changing request without a session, "I have read it" on a
// brief's read link, is authorised by the signed token in its path instead.
package web

import (
	"bytes"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/amends/amends/lru"
	"github.com/amends/amends/markdown"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// Config is what the web app needs.
type Config struct {
	Store   *store.Store
	Checker *ownership.Checker
	Logger  *slog.Logger
	// BaseURL is where people reach amends, e.g. http://127.0.0.1:8080. When it starts with
	// https:// cookies are Secure and carry the __Host- prefix.
	BaseURL string
	// Now is the clock; time.Now when nil.
	Now func() time.Time
}

// Route is one page route. The server registers Method+" "+Path on its root mux.
type Route struct {
	Method  string
	Path    string
	Handler http.Handler
	// MaxBody is the largest request body the route reads, which the server enforces before
	// the handler runs; 0 leaves the server's usual limit. Only the upload pages set it.
	MaxBody int64
}

// Web holds the parsed templates, the embedded assets and the sign-in state.
type Web struct {
	store      *store.Store
	checker    *ownership.Checker
	log        *slog.Logger
	now        func() time.Time
	secure     bool   // cookies are Secure and __Host- prefixed
	baseOrigin string // scheme://host of BaseURL, "" when not given
	assets     *assets
	pages      map[string]*template.Template
	fragments  *template.Template
	limiter    *limiter
	// timelines holds rendered timelines by incident and chain head (timelineKey): an
	// unchanged timeline is rendered once, not on every view of its page.
	timelines *lru.Cache[timelineKey, []template.HTML]
	buffers   sync.Pool // of *bytes.Buffer, see render
	md        *markdown.Renderer
}

// New parses every template and hashes every asset once, so a broken template fails here,
// at start, rather than on a request.
func New(cfg Config) (*Web, error) {
	if cfg.Store == nil {
		return nil, fmt.Errorf("web: a store is required")
	}
	if cfg.Checker == nil {
		return nil, fmt.Errorf("web: an ownership checker is required")
	}
	w := &Web{store: cfg.Store, checker: cfg.Checker, log: cfg.Logger, now: cfg.Now, md: markdown.New()}
	if w.log == nil {
		w.log = slog.New(slog.DiscardHandler)
	}
	if w.now == nil {
		w.now = time.Now
	}
	if cfg.BaseURL != "" {
		u, err := url.Parse(cfg.BaseURL)
		if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("web: base URL %q must be http://HOST or https://HOST", cfg.BaseURL)
		}
		w.secure = u.Scheme == "https"
		w.baseOrigin = u.Scheme + "://" + strings.ToLower(u.Host)
	}
	var err error
	if w.assets, err = loadAssets(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	if w.pages, w.fragments, err = w.parseTemplates(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	w.limiter = newLimiter(maxFailedLogins, loginWindow, w.now)
	w.timelines = lru.New[timelineKey, []template.HTML](timelineCacheSize)
	w.buffers.New = func() any { return new(bytes.Buffer) }
	return w, nil
}

package statuspage

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/amends/amends/store"
)

// DefaultInterval is how often a publisher asks the database whether anything was published:
// a publish shows on every replica within this plus one rebuild, well inside a second.
const DefaultInterval = 250 * time.Millisecond

// CacheControl lets browsers and CDNs keep a copy for 10 s and serve it a further 30 s while
// they revalidate (an ETag makes that a 304), and a day if this server cannot be reached: in
// an outage a stale page beats none. A publish is visible here within a second; behind a CDN,
// within about 10 s more.
const CacheControl = "public, max-age=10, stale-while-revalidate=30, stale-if-error=86400"

// Config is what a Publisher needs.
type Config struct {
	Store *store.Store
	// BaseURL is this server's public URL; the JSON and the feed link to BaseURL/status.
	BaseURL string
	// Name heads the page and the feed; "Status" when empty.
	Name string
	// Location is the zone the page shows times in; UTC when nil.
	Location *time.Location
	// Interval is how often the publish counter is polled; DefaultInterval when zero.
	Interval time.Duration
	// ExportDir, when set, receives index.html, status.json and feed.atom after every rebuild.
	ExportDir string
	// ExportURL is where ExportDir is served, for the export's absolute links; when empty
	// they name this server's page.
	ExportURL string
	Logger    *slog.Logger
	// Now is the clock of the subscription rate limits; the store's when nil.
	Now func() time.Time
	// AllowPrivateWebhooks lets the public subscribe form take webhook URLs on loopback and
	// private addresses (tests, closed installations); refused by default, as the form is open
	// to anyone.
	AllowPrivateWebhooks bool
}

// Route is one route of the status page, for the server to mount.
type Route struct {
	Method, Path string
	Handler      http.Handler
}

// Publisher serves the public status page from memory. It rebuilds its snapshot only when the
// store's publish counter moves, and its handlers never touch the database: a spike of
// visitors during an outage costs a pointer load and a write of bytes prepared in advance.
type Publisher struct {
	cfg      Config
	render   *Renderer
	log      *slog.Logger
	cur      atomic.Pointer[Snapshot]
	key      string
	mu       sync.Mutex // one refresh at a time
	failing  bool
	stop     context.CancelFunc
	done     chan struct{}
	routes   []Route
	htmlCSP  []string
	rebuilds atomic.Int64
}

// Snapshot is one published state, rendered: each document with its gzipped form and ETags.
type Snapshot struct {
	Version int64
	HTML    Representation
	JSON    Representation
	Atom    Representation
}

// Representation is one document ready to send.
type Representation struct {
	Body, Gzip []byte
	// ETag and GzipETag are strong validators: a hash of the exact bytes sent.
	ETag, GzipETag string
	contentType    []string
	etag, gzETag   []string
	length, gzLen  []string
	lastModified   []string
}

// New builds a publisher; it reads nothing until Start or Refresh.
func New(cfg Config) (*Publisher, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	r, err := NewRenderer(cfg.Name, cfg.Location)
	if err != nil {
		return nil, err
	}
	p := &Publisher{cfg: cfg, render: r, log: cfg.Logger, htmlCSP: []string{r.CSP()}}
	subs, err := newSubscriptions(cfg, r, p.htmlCSP)
	if err != nil {
		return nil, err
	}
	p.routes = append([]Route{
		{"GET", "/status", p.handler(func(s *Snapshot) *Representation { return &s.HTML })},
		{"GET", "/status.json", p.handler(func(s *Snapshot) *Representation { return &s.JSON })},
		{"GET", "/status/feed.atom", p.handler(func(s *Snapshot) *Representation { return &s.Atom })},
	}, subs.routes()...)
	return p, nil
}

// Routes lists the status page's routes: GET /status, /status.json and /status/feed.atom, and
// the subscription routes (POST /status/subscribe, GET and POST /status/confirm/{token} and
// /status/unsubscribe/{token}).
func (p *Publisher) Routes() []Route { return p.routes }

// Current returns the snapshot being served (nil before the first build).
func (p *Publisher) Current() *Snapshot { return p.cur.Load() }

// Rebuilds counts the snapshots built so far.
func (p *Publisher) Rebuilds() int64 { return p.rebuilds.Load() }

// Start builds the first snapshot, then polls the publish counter every Interval until Stop.
// A failing database leaves the last snapshot in place: the page keeps answering.
func (p *Publisher) Start(ctx context.Context) {
	ctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p.stop, p.done = cancel, make(chan struct{})
	p.poll(ctx)
	go func() {
		defer close(p.done)
		t := time.NewTicker(p.cfg.Interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				p.poll(ctx)
			}
		}
	}()
}

// Stop ends the polling started by Start and waits for it.
func (p *Publisher) Stop() {
	if p.stop != nil {
		p.stop()
		<-p.done
		p.stop = nil
	}
}

// poll refreshes and logs a failure once, and the recovery once.
func (p *Publisher) poll(ctx context.Context) {
	_, err := p.Refresh(ctx)
	switch {
	case err != nil && ctx.Err() != nil:
	case err != nil && !p.failing:
		p.failing = true
		p.log.Warn("status page: cannot refresh; serving the last snapshot", "err", err)
	case err == nil && p.failing:
		p.failing = false
		p.log.Info("status page: refreshing again")
	}
}

// Refresh reads the publish counter and, when it moved (or nothing is built yet), reads the
// published state and swaps in a new snapshot, then writes the static export when configured.
// It reports whether it rebuilt.
func (p *Publisher) Refresh(ctx context.Context) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, err := p.cfg.Store.PublishVersion(ctx)
	if err != nil {
		return false, err
	}
	if cur := p.cur.Load(); cur != nil && cur.Version == v {
		return false, nil
	}
	if p.key == "" {
		if p.key, err = feedKey(ctx, p.cfg.Store); err != nil {
			return false, err
		}
	}
	st, err := p.cfg.Store.PublishedState(ctx)
	if err != nil {
		return false, err
	}
	files, err := p.render.Render(st, ServerLinks(p.cfg.BaseURL), p.key)
	if err != nil {
		return false, err
	}
	snap, err := newSnapshot(st, files)
	if err != nil {
		return false, err
	}
	p.cur.Store(snap)
	p.rebuilds.Add(1)
	if p.cfg.ExportDir != "" {
		ex, err := p.render.Render(st, ExportLinks(p.cfg.ExportURL, p.cfg.BaseURL), p.key)
		if err == nil {
			err = WriteDir(p.cfg.ExportDir, ex)
		}
		if err != nil {
			p.log.Error("status page: export", "dir", p.cfg.ExportDir, "err", err)
		}
	}
	return true, nil
}

// feedKey is the installation's key for feed ids: a random value made once and shared by
// every replica and export through the database.
func feedKey(ctx context.Context, st *store.Store) (string, error) {
	return st.Secret(ctx, "status_feed")
}

func newSnapshot(st store.PublicState, f Files) (*Snapshot, error) {
	var lastMod []string
	if !st.PublishedAt.IsZero() {
		lastMod = []string{st.PublishedAt.UTC().Format(http.TimeFormat)}
	}
	s := &Snapshot{Version: st.Version}
	for _, d := range []struct {
		rep   *Representation
		body  []byte
		ctype string
	}{
		{&s.HTML, f.HTML, "text/html; charset=utf-8"},
		{&s.JSON, f.JSON, "application/json"},
		{&s.Atom, f.Atom, "application/atom+xml; charset=utf-8"},
	} {
		gz, err := gzipBytes(d.body)
		if err != nil {
			return nil, err
		}
		*d.rep = Representation{Body: d.body, Gzip: gz, ETag: etag(d.body), GzipETag: etag(gz),
			contentType: []string{d.ctype}, lastModified: lastMod,
			length: []string{strconv.Itoa(len(d.body))}, gzLen: []string{strconv.Itoa(len(gz))}}
		d.rep.etag, d.rep.gzETag = []string{d.rep.ETag}, []string{d.rep.GzipETag}
	}
	return s, nil
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:18]) + `"`
}

func gzipBytes(b []byte) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return nil, err
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Header values shared by every response; never appended to, only assigned.
var (
	hdrCacheControl = []string{CacheControl}
	hdrVary         = []string{"Accept-Encoding"}
	hdrGzip         = []string{"gzip"}
	hdrAnyOrigin    = []string{"*"}
	hdrNoStore      = []string{"no-store"}
	hdrRetry        = []string{"1"}
	hdrText         = []string{"text/plain; charset=utf-8"}
)

// handler serves one document of the current snapshot: the gzipped bytes when the client
// accepts gzip, 304 when its copy is current. It reads no database.
func (p *Publisher) handler(pick func(*Snapshot) *Representation) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		snap := p.cur.Load()
		if snap == nil {
			h["Content-Type"], h["Cache-Control"], h["Retry-After"] = hdrText, hdrNoStore, hdrRetry
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("The status page is being prepared; try again in a second.\n"))
			return
		}
		rep := pick(snap)
		gz := acceptsGzip(r.Header["Accept-Encoding"])
		tag, body, length := rep.etag, rep.Body, rep.length
		if gz {
			tag, body, length = rep.gzETag, rep.Gzip, rep.gzLen
		}
		h["Cache-Control"], h["Vary"], h["Etag"] = hdrCacheControl, hdrVary, tag
		if rep.lastModified != nil {
			h["Last-Modified"] = rep.lastModified
		}
		if notModified(r, tag[0], rep.lastModified) {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h["Content-Type"], h["Content-Length"] = rep.contentType, length
		if gz {
			h["Content-Encoding"] = hdrGzip
		}
		switch rep {
		case &snap.HTML:
			h["Content-Security-Policy"] = p.htmlCSP
		case &snap.JSON:
			h["Access-Control-Allow-Origin"] = hdrAnyOrigin // public data, for widgets on other sites
		}
		w.Write(body)
	})
}

// notModified applies If-None-Match (weak comparison, as RFC 9110 asks for it) and, only
// without it, If-Modified-Since.
func notModified(r *http.Request, tag string, lastModified []string) bool {
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		for _, v := range inm {
			for v != "" {
				var t string
				t, v, _ = strings.Cut(v, ",")
				t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
				if t == "*" || t == tag {
					return true
				}
			}
		}
		return false
	}
	if ims := r.Header.Get("If-Modified-Since"); ims != "" && lastModified != nil {
		since, err1 := http.ParseTime(ims)
		mod, err2 := http.ParseTime(lastModified[0])
		return err1 == nil && err2 == nil && !mod.After(since)
	}
	return false
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip: named (or matched by *)
// with a q-value above zero.
func acceptsGzip(values []string) bool {
	star, named := false, false
	for _, v := range values {
		for v != "" {
			var part string
			part, v, _ = strings.Cut(v, ",")
			name, params, _ := strings.Cut(part, ";")
			name = strings.TrimSpace(name)
			ok := !qZero(params)
			switch {
			case strings.EqualFold(name, "gzip") || strings.EqualFold(name, "x-gzip"):
				if !ok {
					return false
				}
				named = true
			case name == "*":
				star = ok
			}
		}
	}
	return named || star
}

// qZero reports whether parameters such as " q=0.000" give a q-value of zero.
func qZero(params string) bool {
	for params != "" {
		var p string
		p, params, _ = strings.Cut(params, ";")
		k, val, _ := strings.Cut(strings.TrimSpace(p), "=")
		if strings.EqualFold(strings.TrimSpace(k), "q") {
			q, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			return err == nil && q == 0
		}
	}
	return false
}

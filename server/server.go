// Package server is amends' root HTTP handler: it mounts the web app and the API on one
// ServeMux, adds the probes and /metrics, and wraps everything in recovery, logging, metrics,
// security headers, and each route in its request size limit.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/amends/amends/api"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
	"github.com/amends/amends/web"
)

// Config is what the server needs; cmd/amends builds it from flags and the environment.
type Config struct {
	Store   *store.Store
	Checker *ownership.Checker
	Logger  *slog.Logger
	BaseURL string
	Now     func() time.Time
	// Status is the public status page, mounted when set; cmd/amends runs its polling.
	Status *statuspage.Publisher
	// TrustedProxies are the reverse proxies whose X-Forwarded-For names the client (see
	// forwardedClient); none by default, when the connection's peer is the client.
	TrustedProxies []netip.Prefix
}

// Server serves amends over HTTP.
type Server struct {
	handler http.Handler
	routes  []string
	log     *slog.Logger
	http    *http.Server
}

// New builds the server and every route, failing at start (templates, documents) rather
// than on a request.
func New(cfg Config) (*Server, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	w, err := web.New(web.Config{Store: cfg.Store, Checker: cfg.Checker, Logger: cfg.Logger, BaseURL: cfg.BaseURL, Now: cfg.Now})
	if err != nil {
		return nil, err
	}
	a := api.New(api.Config{Store: cfg.Store, Checker: cfg.Checker, Logger: cfg.Logger})

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m := newMetrics(reg)
	reg.MustRegister(newInsightCollector(cfg.Store, cfg.Now, cfg.Logger))

	s := &Server{log: cfg.Logger}
	mux := http.NewServeMux()
	// Each route reads at most its own body limit: api.MaxBody, or more for an API route
	// or a page that takes files.
	handle := func(method, path string, h http.Handler, maxBody int64) {
		pattern := method + " " + path
		mux.Handle(pattern, limitBody(maxBody, h))
		s.routes = append(s.routes, pattern)
	}
	handle("GET", "/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok\n"))
	}), api.MaxBody)
	handle("GET", "/readyz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		if err := cfg.Store.Ping(r.Context()); err != nil {
			cfg.Logger.Warn("not ready", "err", err)
			w.WriteHeader(http.StatusServiceUnavailable)
			w.Write([]byte("database unavailable\n"))
			return
		}
		w.Write([]byte("ready\n"))
	}), api.MaxBody)
	handle("GET", "/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}), api.MaxBody)
	for _, rt := range a.Routes() {
		handle(rt.Method, rt.Path, rt.Handler, rt.MaxBody)
	}
	for _, rt := range w.Routes() {
		maxBody := rt.MaxBody
		if maxBody == 0 {
			maxBody = api.MaxBody
		}
		handle(rt.Method, rt.Path, rt.Handler, maxBody)
	}
	if cfg.Status != nil {
		for _, rt := range cfg.Status.Routes() {
			handle(rt.Method, rt.Path, rt.Handler, api.MaxBody)
		}
	}
	s.handler = recoverer(cfg.Logger, logRequests(cfg.Logger, m.instrument(secureHeaders(forwardedClient(cfg.TrustedProxies, mux)))))
	// Built here, not in Serve, so Shutdown may race Serve's start safely.
	s.http = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn),
	}
	return s, nil
}

// Handler returns the root handler.
func (s *Server) Handler() http.Handler { return s.handler }

// Routes returns every registered "METHOD /path" pattern.
func (s *Server) Routes() []string { return s.routes }

// Serve answers requests on ln until Shutdown.
func (s *Server) Serve(ln net.Listener) error {
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting requests and waits for those in flight, up to ctx's deadline.
func (s *Server) Shutdown(ctx context.Context) error {
	return s.http.Shutdown(ctx)
}

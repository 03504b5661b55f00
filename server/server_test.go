package server_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/server"
	"github.com/amends/amends/store"
)

func newServer(t *testing.T) (*httptest.Server, *store.Store, string) {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Config{Store: s, Checker: checker, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), BaseURL: "http://127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	token, err := s.CreateToken(ctx, "probe", amends.Viewer, amends.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return hs, s, token
}

func get(t *testing.T, url, token string) (*http.Response, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func TestProbesAndMetrics(t *testing.T) {
	hs, s, token := newServer(t)
	if res, body := get(t, hs.URL+"/healthz", ""); res.StatusCode != 200 || body != "ok\n" {
		t.Errorf("healthz: %d %q", res.StatusCode, body)
	}
	if res, body := get(t, hs.URL+"/readyz", ""); res.StatusCode != 200 || body != "ready\n" {
		t.Errorf("readyz: %d %q", res.StatusCode, body)
	}
	get(t, hs.URL+"/api/v1/incidents", token)
	get(t, hs.URL+"/api/v1/incidents/INC-9", token)
	res, body := get(t, hs.URL+"/metrics", "")
	if res.StatusCode != 200 {
		t.Fatalf("metrics: %d", res.StatusCode)
	}
	for _, want := range []string{
		`amends_http_requests_total{code="200",route="GET /api/v1/incidents"} 1`,
		`amends_http_requests_total{code="404",route="GET /api/v1/incidents/{ref}"} 1`,
		`amends_http_request_duration_seconds_count{route="GET /api/v1/incidents"} 1`,
		"go_goroutines",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if strings.Contains(body, "INC-9") {
		t.Error("raw paths leaked into metric labels")
	}
	// The database goes away: readiness says so, liveness does not.
	s.Close()
	if res, _ := get(t, hs.URL+"/readyz", ""); res.StatusCode != 503 {
		t.Errorf("readyz with the database closed: %d, want 503", res.StatusCode)
	}
	if res, _ := get(t, hs.URL+"/healthz", ""); res.StatusCode != 200 {
		t.Errorf("healthz with the database closed: %d", res.StatusCode)
	}
}

func TestEveryResponseCarriesSecurityHeadersAndTheBodyLimit(t *testing.T) {
	hs, _, token := newServer(t)
	res, _ := get(t, hs.URL+"/api/v1/incidents", token)
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if csp := res.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'self'") {
		t.Errorf("CSP %q", csp)
	}
	big := strings.NewReader(strings.Repeat("x", 2<<20))
	req, _ := http.NewRequest("POST", hs.URL+"/api/v1/incidents", big)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusRequestEntityTooLarge || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Errorf("2 MiB body: %d %s", res.StatusCode, res.Header.Get("Content-Type"))
	}
}

func TestRoutesMountOnce(t *testing.T) {
	s, err := store.Open(context.Background(), amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	checker, _ := ownership.New()
	srv, err := server.New(server.Config{Store: s, Checker: checker})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, r := range srv.Routes() {
		if seen[r] {
			t.Errorf("route %s registered twice", r)
		}
		seen[r] = true
	}
	for _, want := range []string{"GET /healthz", "GET /readyz", "GET /metrics", "POST /api/v1/incidents", "GET /incidents/{ref}", "POST /api/v1/hooks/alertmanager"} {
		if !seen[want] {
			t.Errorf("route %s is not mounted", want)
		}
	}
}

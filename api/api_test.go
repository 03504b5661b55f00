package api_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/api"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

type harness struct {
	srv    *httptest.Server
	store  *store.Store
	tokens map[amends.Role]string
}

func newHarness(t testing.TB, engine string) *harness {
	t.Helper()
	ctx := context.Background()
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, engine), "", store.Options{Files: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	a := api.New(api.Config{Store: s, Checker: checker})
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	h := &harness{srv: srv, store: s, tokens: map[amends.Role]string{}}
	for _, role := range []amends.Role{amends.Viewer, amends.Responder, amends.Admin} {
		tok, err := s.CreateToken(ctx, "t-"+string(role), role, amends.Actor{Name: "test"})
		if err != nil {
			t.Fatal(err)
		}
		h.tokens[role] = tok
	}
	return h
}

func (h *harness) do(t testing.TB, role amends.Role, method, path, body string) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, h.srv.URL+path, strings.NewReader(body))
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[role])
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("%s %s: answer is not JSON: %s", method, path, b)
		}
	}
	return res.StatusCode, res.Header, out
}

func TestIncidentAPI(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			noticed := time.Now().Add(-30 * time.Minute).UTC().Format(time.RFC3339)
			status, hdr, inc := h.do(t, amends.Responder, "POST", "/api/v1/incidents",
				`{"title":"Wrong renewal email sent","summary":"Renewal emails went to the wrong list","severity":2,"noticed_at":"`+noticed+`"}`)
			if status != 201 || inc["ref"] != "INC-1" || inc["status"] != "investigating" || inc["noticed_at"] != noticed {
				t.Fatalf("declare: %d %v", status, inc)
			}
			if hdr.Get("Location") != "/api/v1/incidents/INC-1" {
				t.Errorf("Location %q", hdr.Get("Location"))
			}
			if inc["owner"] != "token:t-responder" {
				t.Errorf("owner defaults to the caller: %v", inc["owner"])
			}
			backdated := time.Now().Add(-20 * time.Minute).UTC().Format(time.RFC3339)
			status, _, ev := h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/events", `{"kind":"note","body":"we found it","visibility":"public"}`)
			if status != 201 || ev["visibility"] != "public" {
				t.Fatalf("event: %d %v", status, ev)
			}
			status, _, ev = h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/events", `{"kind":"colleagues_told","body":"briefed","at":"`+backdated+`"}`)
			if status != 201 || ev["at"] != backdated {
				t.Fatalf("back-dated event: %d %v", status, ev)
			}
			status, _, got := h.do(t, amends.Responder, "PATCH", "/api/v1/incidents/INC-1", `{"status":"identified","note":"segment filter inverted","severity":1}`)
			if status != 200 || got["status"] != "identified" || got["severity"] != 1.0 {
				t.Fatalf("update: %d %v", status, got)
			}
			status, _, tl := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/timeline", "")
			events := tl["events"].([]any)
			if status != 200 || len(events) != 6 {
				t.Fatalf("timeline: %d %d events", status, len(events))
			}
			var prev string
			for _, e := range events {
				m := e.(map[string]any)
				for _, k := range []string{"id", "kind", "body", "at", "recorded_at", "actor", "visibility"} {
					if _, ok := m[k]; !ok {
						t.Errorf("event lacks %s: %v", k, m)
					}
				}
				if at := m["at"].(string); at < prev {
					t.Errorf("timeline not ordered by at: %s after %s", at, prev)
				}
				prev = m["at"].(string)
			}
			if k := events[1].(map[string]any)["kind"]; k != "colleagues_told" {
				t.Errorf("the back-dated event comes second, got %v", k)
			}
			_, _, pub := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/timeline?visibility=public", "")
			if n := len(pub["events"].([]any)); n != 1 {
				t.Errorf("public timeline has %d events, want 1", n)
			}
			status, _, list := h.do(t, amends.Viewer, "GET", "/api/v1/incidents?status=identified", "")
			if status != 200 || len(list["incidents"].([]any)) != 1 {
				t.Errorf("list: %d %v", status, list)
			}
			status, _, one := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/inc-1", "")
			if status != 200 || one["colleagues_told_at"] != backdated {
				t.Errorf("get: %d %v", status, one)
			}
		})
	}
}

// TestBadInputChangesNothing sends each kind of bad request and checks the answer names the
// problem as problem+json, and that no incident or event was stored.
func TestBadInputChangesNothing(t *testing.T) {
	h := newHarness(t, "sqlite")
	if status, _, _ := h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"seed","severity":3}`); status != 201 {
		t.Fatal("seed incident")
	}
	future := time.Now().Add(2 * time.Hour).UTC().Format(time.RFC3339)
	big := `{"title":"x","severity":2,"summary":"` + strings.Repeat("a", api.MaxBody) + `"}`
	cases := []struct {
		name, method, path, body string
		role                     amends.Role
		wantStatus               int
		wantField                string
	}{
		{"malformed JSON", "POST", "/api/v1/incidents", `{"title":`, amends.Responder, 400, ""},
		{"not an object", "POST", "/api/v1/incidents", `[1,2]`, amends.Responder, 400, ""},
		{"trailing data", "POST", "/api/v1/incidents", `{"title":"a","severity":2} {}`, amends.Responder, 400, ""},
		{"unknown field", "POST", "/api/v1/incidents", `{"title":"a","severity":2,"sevrity":1}`, amends.Responder, 400, "sevrity"},
		{"empty title", "POST", "/api/v1/incidents", `{"title":"","severity":2}`, amends.Responder, 400, "title"},
		{"title over 200", "POST", "/api/v1/incidents", `{"title":"` + strings.Repeat("é", 201) + `","severity":2}`, amends.Responder, 400, "title"},
		{"severity 0", "POST", "/api/v1/incidents", `{"title":"a","severity":0}`, amends.Responder, 400, "severity"},
		{"severity 5", "POST", "/api/v1/incidents", `{"title":"a","severity":5}`, amends.Responder, 400, "severity"},
		{"severity as text", "POST", "/api/v1/incidents", `{"title":"a","severity":"high"}`, amends.Responder, 400, "severity"},
		{"future noticed_at", "POST", "/api/v1/incidents", `{"title":"a","severity":2,"noticed_at":"` + future + `"}`, amends.Responder, 400, "noticed_at"},
		{"unparseable noticed_at", "POST", "/api/v1/incidents", `{"title":"a","severity":2,"noticed_at":"yesterday"}`, amends.Responder, 400, "noticed_at"},
		{"over 1 MiB", "POST", "/api/v1/incidents", big, amends.Responder, 413, ""},
		{"viewer cannot declare", "POST", "/api/v1/incidents", `{"title":"a","severity":2}`, amends.Viewer, 403, ""},
		{"no token", "POST", "/api/v1/incidents", `{"title":"a","severity":2}`, "", 401, ""},
		{"invalid transition", "PATCH", "/api/v1/incidents/INC-1", `{"status":"closed"}`, amends.Responder, 400, "status"},
		{"unknown status", "PATCH", "/api/v1/incidents/INC-1", `{"status":"fixed"}`, amends.Responder, 400, "status"},
		{"empty update", "PATCH", "/api/v1/incidents/INC-1", `{}`, amends.Responder, 400, ""},
		{"unknown incident", "PATCH", "/api/v1/incidents/INC-9", `{"severity":1}`, amends.Responder, 404, "ref"},
		{"event in the future", "POST", "/api/v1/incidents/INC-1/events", `{"body":"x","at":"` + future + `"}`, amends.Responder, 400, "at"},
		{"event time unparseable", "POST", "/api/v1/incidents/INC-1/events", `{"body":"x","at":"14:39"}`, amends.Responder, 400, "at"},
		{"event on unknown incident", "POST", "/api/v1/incidents/INC-404/events", `{"body":"x"}`, amends.Responder, 404, "ref"},
		{"event kind unknown", "POST", "/api/v1/incidents/INC-1/events", `{"kind":"rumour","body":"x"}`, amends.Responder, 400, "kind"},
		{"unknown incident read", "GET", "/api/v1/incidents/INC-77", "", amends.Viewer, 404, "ref"},
		{"bad severity filter", "GET", "/api/v1/incidents?severity=9", "", amends.Viewer, 400, "severity"},
		{"bad limit", "GET", "/api/v1/incidents?limit=-1", "", amends.Viewer, 400, "limit"},
		{"lint mode unknown", "POST", "/api/v1/lint", `{"text":"x","mode":"angry"}`, amends.Viewer, 400, "mode"},
		{"audit needs admin", "GET", "/api/v1/audit", "", amends.Responder, 403, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(c.method, h.srv.URL+c.path, strings.NewReader(c.body))
			req.Header.Set("Content-Type", "application/json")
			if c.role != "" {
				req.Header.Set("Authorization", "Bearer "+h.tokens[c.role])
			}
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var p api.Problem
			if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
				t.Fatalf("not a problem document: %v", err)
			}
			if res.StatusCode != c.wantStatus || p.Status != c.wantStatus {
				t.Errorf("status %d (body %d), want %d: %+v", res.StatusCode, p.Status, c.wantStatus, p)
			}
			if ct := res.Header.Get("Content-Type"); ct != "application/problem+json" {
				t.Errorf("Content-Type %q", ct)
			}
			if p.Field != c.wantField || p.Detail == "" || p.Title == "" {
				t.Errorf("field %q, want %q; detail %q", p.Field, c.wantField, p.Detail)
			}
		})
	}
	page, _ := h.store.Incidents(context.Background(), amends.IncidentFilter{})
	events, _ := h.store.Timeline(context.Background(), "INC-1", false)
	if len(page.Incidents) != 1 || len(events) != 1 || page.Incidents[0].Status != amends.Investigating {
		t.Errorf("bad input changed something: %d incidents, %d events", len(page.Incidents), len(events))
	}
}

func TestLintAPI(t *testing.T) {
	h := newHarness(t, "sqlite")
	status, _, rep := h.do(t, amends.Viewer, "POST", "/api/v1/lint", `{"text":"Mistakes were made. We apologize for any inconvenience this may have caused."}`)
	if status != 200 || rep["owns"] != false || rep["mode"] != "customer" {
		t.Fatalf("lint: %d %v", status, rep)
	}
	elements, ok := rep["elements"].(map[string]any)
	if !ok || len(elements) != 9 {
		t.Fatalf("elements: %v", rep["elements"])
	}
	if len(rep["findings"].([]any)) == 0 {
		t.Error("no findings for a message that hides who erred")
	}
}

// TestOpenAPIMatchesRoutes checks that every route is documented and every documented
// operation is served.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.Unmarshal(api.OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.1") {
		t.Errorf("openapi %q, want 3.1", doc.OpenAPI)
	}
	var documented, served []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method == "parameters" {
				continue
			}
			documented = append(documented, strings.ToUpper(method)+" "+path)
		}
	}
	for _, rt := range api.New(api.Config{}).Routes() {
		served = append(served, rt.Method+" "+rt.Path)
	}
	sort.Strings(documented)
	sort.Strings(served)
	if strings.Join(documented, "\n") != strings.Join(served, "\n") {
		t.Errorf("openapi.json and the routes differ\ndocumented:\n%s\nserved:\n%s", strings.Join(documented, "\n"), strings.Join(served, "\n"))
	}
}

func TestTimelineETag(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"t","severity":3}`)
	get := func(etag string) (int, string) {
		req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/incidents/INC-1/timeline", nil)
		req.Header.Set("Authorization", "Bearer "+h.tokens[amends.Viewer])
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode, res.Header.Get("ETag")
	}
	status, etag := get("")
	if status != 200 || etag == "" {
		t.Fatalf("first read: %d %q", status, etag)
	}
	if status, _ := get(etag); status != 304 {
		t.Errorf("unchanged timeline: %d, want 304", status)
	}
	h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/events", `{"body":"more"}`)
	if status, newTag := get(etag); status != 200 || newTag == etag {
		t.Errorf("after an event: %d, etag %q (was %q)", status, newTag, etag)
	}
}

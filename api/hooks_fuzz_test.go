package api_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/api"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// fuzzAPI is the API over a SQLite store, called in-process (no sockets) so a fuzzer runs
// it thousands of times a second, with a second connection to the database that tells
// whether a request wrote anything.
type fuzzAPI struct {
	handler http.Handler
	store   *store.Store
	tokens  map[amends.Role]string
	watch   *sql.Conn
}

// fuzzStart is the instant the fuzzed API's clock stands at: fixed, so a crasher replays.
var fuzzStart = time.Date(2026, 11, 3, 14, 39, 0, 0, time.UTC)

func newFuzzAPI(f *testing.F) *fuzzAPI {
	ctx := context.Background()
	path := filepath.Join(f.TempDir(), "amends.db")
	clock := amendstest.NewClock(fuzzStart)
	s, err := store.Open(ctx, "sqlite:"+path, "", store.Options{Files: f.TempDir(), Now: clock.Now, Location: time.UTC})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	checker, err := ownership.New()
	if err != nil {
		f.Fatal(err)
	}
	a := api.New(api.Config{Store: s, Checker: checker})
	mux := http.NewServeMux()
	for _, rt := range a.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	fa := &fuzzAPI{handler: mux, store: s, tokens: map[amends.Role]string{}}
	for _, role := range []amends.Role{amends.Viewer, amends.Responder, amends.Admin} {
		tok, err := s.CreateToken(ctx, "fuzz-"+string(role), role, amends.Actor{Name: "fuzz"})
		if err != nil {
			f.Fatal(err)
		}
		fa.tokens[role] = tok
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { db.Close() })
	if fa.watch, err = db.Conn(ctx); err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { fa.watch.Close() })
	return fa
}

// version is SQLite's data_version as the watching connection sees it: it changes whenever
// another connection (the store's) commits a change.
func (fa *fuzzAPI) version(t testing.TB) int64 {
	var v int64
	if err := fa.watch.QueryRowContext(context.Background(), "PRAGMA data_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

// do sends body to method path as role and returns the status and the decoded answer.
func (fa *fuzzAPI) do(t testing.TB, role amends.Role, method, path, body string) (int, map[string]any) {
	r := httptest.NewRequest(method, path, strings.NewReader(body))
	r.Header.Set("Authorization", "Bearer "+fa.tokens[role])
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	fa.handler.ServeHTTP(w, r)
	var out map[string]any
	if w.Body.Len() > 0 {
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s %s: the answer is not JSON: %s", method, path, w.Body)
		}
	}
	if w.Code >= 400 && w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%s %s: %d answered as %q", method, path, w.Code, w.Header().Get("Content-Type"))
	}
	return w.Code, out
}

// checkAnswer sends body and checks the rules every outside input must keep: the answer is
// a success or the client's error, never a server error; a client's error is a problem
// document with a code and stores nothing.
func (fa *fuzzAPI) checkAnswer(t *testing.T, role amends.Role, method, path, body string) (int, map[string]any) {
	before := fa.version(t)
	status, out := fa.do(t, role, method, path, body)
	switch {
	case status >= 500:
		t.Fatalf("%s %s %q: %d %v", method, path, body, status, out)
	case status >= 400:
		if out["code"] == nil || out["code"] == "" || out["detail"] == "" {
			t.Fatalf("%s %s %q: %d without a problem code: %v", method, path, body, status, out)
		}
		if after := fa.version(t); after != before {
			t.Fatalf("%s %s %q: refused with %d %v, but the database changed", method, path, body, status, out)
		}
	case status < 200 || status >= 300:
		t.Fatalf("%s %s %q: status %d", method, path, body, status)
	}
	return status, out
}

func alertmanagerFixtures(f *testing.F) []string {
	var out []string
	for _, name := range []string{"testdata/alertmanager-firing.json", "testdata/alertmanager-resolved.json"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, string(b))
	}
	return out
}

// FuzzAlertmanagerHook posts any body to the Alertmanager hook, seeded with Alertmanager's
// own payloads and the refusals of TestHooksAndGroupsRejectBadInput. The hook answers 2xx
// with the incident it declared or updated, or 4xx and stores nothing; never 5xx.
func FuzzAlertmanagerHook(f *testing.F) {
	fixtures := alertmanagerFixtures(f)
	for _, s := range fixtures {
		f.Add(s)
		f.Add(strings.Replace(s, `"version": "4"`, `"version": "3"`, 1))
		f.Add(strings.Replace(s, `"severity": "critical"`, `"severity": "sev9"`, 1))
		f.Add(strings.Replace(s, `"truncatedAlerts": 0`, `"truncatedAlerts": -7`, 1))
		f.Add(strings.Replace(s, `"startsAt": "`, `"startsAt": "0001-`, 1))
	}
	for _, s := range []string{
		`{"version":"4",`,
		`{"version":"4","groupKey":"k","status":"firing","alerts":[]}`,
		`{"version":"4","groupKey":"","status":"firing","alerts":[{"labels":{"alertname":"x"}}]}`,
		`{"version":"4","groupKey":"k","status":"resolved","alerts":[{"endsAt":"9999-12-31T23:59:59Z"}]}`,
		`{"version":"4","groupKey":"k","status":"firing","alerts":[{"startsAt":"2026-11-03T14:39:00+14:00"}],"commonAnnotations":{"summary":"\u0000"}}`,
		`{"version":"4","groupKey":"k","status":"firing","alerts":[{}],"commonLabels":{"severity":" P1 "}}`,
		`{"version":"4","groupKey":"` + strings.Repeat("k", 300) + `","status":"firing","alerts":[{}]}`,
		`{"version":"4","groupKey":"k\u202e","status":"firing","alerts":[{}],"commonAnnotations":{"summary":"` + strings.Repeat("s", 600) + `"}}`,
	} {
		f.Add(s)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body string) {
		status, out := fa.checkAnswer(t, amends.Responder, "POST", "/api/v1/hooks/alertmanager", body)
		if status < 300 {
			checkIncident(t, fa, out)
		}
	})
}

// FuzzGenericHook does for the generic JSON hook what FuzzAlertmanagerHook does for
// Alertmanager's.
func FuzzGenericHook(f *testing.F) {
	for _, s := range []string{
		`{"key":"checkout","title":"Checkout is failing","summary":"Card payments fail","severity":1,"started_at":"2026-11-03T14:39:00Z"}`,
		`{"key":"checkout","status":"resolved","ended_at":"2026-11-03T15:02:00Z"}`,
		`{"key":"a","title":"t","colour":"red"}`,
		`{"key":"a","title":"t","status":"burning"}`,
		`{"key":"a","title":"t","started_at":"noon"}`,
		`{"key":"a"}`, `{"key":"","title":"no key"}`, `{"key":"a","title":"t","severity":9}`,
		`{"key":"a","title":"t","severity":-1}`, `{"key":"a","title":"t","severity":4294967297}`,
		`{"key":"a","title":"t","started_at":"0000-01-01T00:00:00Z"}`,
		`{"key":"a","title":"t","started_at":"9999-12-31T23:59:59.999999999+23:59"}`,
		`{"key":"a","title":"t","ended_at":"2026-11-03T14:00:00Z","started_at":"2026-11-03T15:00:00Z"}`,
		`{"key":"a","title":"` + strings.Repeat("t", 300) + `"}`, `{"key":"a","title":"a\nb\u0000"}`,
		`{"key":"a","title":"t"} x`, `[]`, `null`, ``,
	} {
		f.Add(s)
	}
	fa := newFuzzAPI(f)
	f.Fuzz(func(t *testing.T, body string) {
		status, out := fa.checkAnswer(t, amends.Responder, "POST", "/api/v1/hooks/generic", body)
		if status < 300 {
			checkIncident(t, fa, out)
		}
	})
}

// checkIncident checks that a hook's success names an incident that can be read back.
func checkIncident(t *testing.T, fa *fuzzAPI, out map[string]any) {
	ref, _ := out["ref"].(string)
	if ref == "" {
		return // a resolution of an alert group that declared nothing
	}
	if status, inc := fa.do(t, amends.Viewer, "GET", "/api/v1/incidents/"+ref, ""); status != 200 || inc["ref"] != ref {
		t.Fatalf("the hook answered %v, but GET %s answers %d %v", out, ref, status, inc)
	}
}

package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/api"
)

// send makes a request with the given content type and returns the status and the JSON answer.
func (h *harness) send(t testing.TB, base string, role amends.Role, method, path, contentType string, body io.Reader) (int, http.Header, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, base+path, body)
	if role != "" {
		req.Header.Set("Authorization", "Bearer "+h.tokens[role])
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
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

func (h *harness) importCSV(t testing.TB, query, file string) (int, map[string]any) {
	t.Helper()
	status, _, out := h.send(t, h.srv.URL, amends.Responder, "POST", "/api/v1/customers/import"+query, "text/csv; charset=utf-8", strings.NewReader(file))
	return status, out
}

func TestCustomerAPI(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			status, hdr, c := h.do(t, amends.Responder, "POST", "/api/v1/customers", `{"email":"Ann@Example.com","name":"Ann","account":"Acme","segments":["VIP"]}`)
			if status != 201 || c["email"] != "ann@example.com" || fmt.Sprint(c["segments"]) != "[vip]" {
				t.Fatalf("create: %d %v", status, c)
			}
			id := fmt.Sprint(c["id"])
			if hdr.Get("Location") != "/api/v1/customers/"+id {
				t.Errorf("Location %q", hdr.Get("Location"))
			}
			if status, _, got := h.do(t, amends.Viewer, "GET", "/api/v1/customers/"+id, ""); status != 200 || got["name"] != "Ann" {
				t.Errorf("get: %d %v", status, got)
			}
			if status, _, got := h.do(t, amends.Responder, "PATCH", "/api/v1/customers/"+id, `{"name":"Ann Lee","segments":[]}`); status != 200 || got["name"] != "Ann Lee" || got["account"] != "Acme" || fmt.Sprint(got["segments"]) != "[]" {
				t.Errorf("patch: %d %v", status, got)
			}

			file := "email,name,account,segments,plan\nbo@example.com,Bo,Acme,enterprise;eu,pro\ncy@example.com,<b>Cy</b>,Globex,,free\n"
			status, rep := h.importCSV(t, "", file)
			if status != 200 || rep["imported"] != 2.0 || rep["rows"] != 2.0 || fmt.Sprint(rep["ignored_columns"]) != "[plan]" || len(rep["problems"].([]any)) != 0 {
				t.Fatalf("import: %d %v", status, rep)
			}
			bad := "email,name\ndee@example.com,Dee\nnot-an-email,X\nbo@example.com,Bo again\n"
			status, rep = h.importCSV(t, "", bad)
			problems := rep["problems"].([]any)
			if status != 422 || rep["imported"] != 0.0 || len(problems) != 2 {
				t.Fatalf("bad file: %d %v", status, rep)
			}
			if p := problems[0].(map[string]any); p["line"] != 3.0 || p["field"] != "email" || p["message"] == "" {
				t.Errorf("first problem %v", p)
			}
			status, rep = h.importCSV(t, "?skip_bad=true", bad)
			if status != 200 || rep["imported"] != 1.0 || rep["skipped"] != 2.0 {
				t.Errorf("skip bad: %d %v", status, rep)
			}
			status, rep = h.importCSV(t, "?update=true&skip_bad=false", "email,account\nbo@example.com,Initech\n")
			if status != 200 || rep["updated"] != 1.0 {
				t.Errorf("update: %d %v", status, rep)
			}

			status, _, page := h.do(t, amends.Viewer, "GET", "/api/v1/customers?limit=2", "")
			list := page["customers"].([]any)
			if status != 200 || len(list) != 2 || page["next"] == "" {
				t.Fatalf("list: %d %v", status, page)
			}
			status, _, page = h.do(t, amends.Viewer, "GET", "/api/v1/customers?limit=2&after="+page["next"].(string), "")
			if list = page["customers"].([]any); status != 200 || len(list) != 2 || page["next"] != "" {
				t.Errorf("second page: %d %v", status, page)
			}
			if _, _, page = h.do(t, amends.Viewer, "GET", "/api/v1/customers?segment=enterprise&account=Initech", ""); len(page["customers"].([]any)) != 1 {
				t.Errorf("filtered: %v", page)
			}
			if status, _, _ := h.do(t, amends.Admin, "DELETE", "/api/v1/customers/"+id, ""); status != 204 {
				t.Errorf("delete: %d", status)
			}
			if status, _, _ := h.do(t, amends.Viewer, "GET", "/api/v1/customers/"+id, ""); status != 404 {
				t.Errorf("get deleted: %d", status)
			}
		})
	}
}

// TestCustomerBadInputChangesNothing sends each kind of bad request: the answer is a problem
// document naming the field, and no customer is added, changed or removed.
func TestCustomerBadInputChangesNothing(t *testing.T) {
	h := newHarness(t, "sqlite")
	status, _, c := h.do(t, amends.Responder, "POST", "/api/v1/customers", `{"email":"ann@example.com","name":"Ann"}`)
	if status != 201 {
		t.Fatal("seed customer")
	}
	id := fmt.Sprint(c["id"])
	// An API with a small import limit, on the same store, for the 413.
	small := api.New(api.Config{Store: h.store, MaxImportBody: 1 << 10})
	mux := http.NewServeMux()
	for _, rt := range small.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	smallSrv := httptest.NewServer(mux)
	defer smallSrv.Close()
	big := "email\n" + strings.Repeat("someone@example.com\n", 100)

	cases := []struct {
		name, method, path, contentType, body string
		role                                  amends.Role
		wantStatus                            int
		wantField                             string
		base                                  string
	}{
		{"bad email", "POST", "/api/v1/customers", "application/json", `{"email":"ann at example.com"}`, amends.Responder, 400, "email", ""},
		{"display name in email", "POST", "/api/v1/customers", "application/json", `{"email":"Ann <b@example.com>"}`, amends.Responder, 400, "email", ""},
		{"no email", "POST", "/api/v1/customers", "application/json", `{"name":"Bo"}`, amends.Responder, 400, "email", ""},
		{"header injection", "POST", "/api/v1/customers", "application/json", `{"email":"b@example.com","name":"Bo\r\nBcc: x@example.net"}`, amends.Responder, 400, "name", ""},
		{"bad segment", "POST", "/api/v1/customers", "application/json", `{"email":"b@example.com","segments":["a b"]}`, amends.Responder, 400, "segments", ""},
		{"unknown field", "POST", "/api/v1/customers", "application/json", `{"email":"b@example.com","phone":"1"}`, amends.Responder, 400, "phone", ""},
		{"duplicate", "POST", "/api/v1/customers", "application/json", `{"email":"ANN@example.com"}`, amends.Responder, 409, "email", ""},
		{"viewer cannot add", "POST", "/api/v1/customers", "application/json", `{"email":"b@example.com"}`, amends.Viewer, 403, "", ""},
		{"no token", "GET", "/api/v1/customers", "", "", "", 401, "", ""},
		{"unknown customer", "GET", "/api/v1/customers/999", "", "", amends.Viewer, 404, "customer", ""},
		{"id not a number", "GET", "/api/v1/customers/x", "", "", amends.Viewer, 404, "id", ""},
		{"patch two-line account", "PATCH", "/api/v1/customers/" + id, "application/json", `{"account":"A\nB"}`, amends.Responder, 400, "account", ""},
		{"patch nothing", "PATCH", "/api/v1/customers/" + id, "application/json", `{}`, amends.Responder, 400, "", ""},
		{"responder cannot delete", "DELETE", "/api/v1/customers/" + id, "", "", amends.Responder, 403, "", ""},
		{"bad segment filter", "GET", "/api/v1/customers?segment=a%25", "", "", amends.Viewer, 400, "segment", ""},
		{"bad cursor", "GET", "/api/v1/customers?after=x", "", "", amends.Viewer, 400, "after", ""},
		{"bad limit", "GET", "/api/v1/customers?limit=0", "", "", amends.Viewer, 400, "limit", ""},
		{"import JSON", "POST", "/api/v1/customers/import", "application/json", `{"email":"b@example.com"}`, amends.Responder, 400, "", ""},
		{"import without a type", "POST", "/api/v1/customers/import", "", "email\nb@example.com\n", amends.Responder, 400, "", ""},
		{"import Latin-1", "POST", "/api/v1/customers/import", "text/csv; charset=iso-8859-1", "email\nb@example.com\n", amends.Responder, 400, "", ""},
		{"import bad flag", "POST", "/api/v1/customers/import?skip_bad=yes", "text/csv", "email\nb@example.com\n", amends.Responder, 400, "skip_bad", ""},
		{"viewer cannot import", "POST", "/api/v1/customers/import", "text/csv", "email\nb@example.com\n", amends.Viewer, 403, "", ""},
		{"import over the limit", "POST", "/api/v1/customers/import", "text/csv", big, amends.Responder, 413, "", smallSrv.URL},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := c.base
			if base == "" {
				base = h.srv.URL
			}
			req, _ := http.NewRequest(c.method, base+c.path, strings.NewReader(c.body))
			if c.contentType != "" {
				req.Header.Set("Content-Type", c.contentType)
			}
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
			if p.Field != c.wantField || p.Detail == "" {
				t.Errorf("field %q, want %q; detail %q", p.Field, c.wantField, p.Detail)
			}
		})
	}
	// The import's limit shows in its answer when the length is not declared up front either.
	status, _, p := h.send(t, smallSrv.URL, amends.Responder, "POST", "/api/v1/customers/import", "text/csv", io.MultiReader(strings.NewReader(big)))
	if status != 413 || !strings.Contains(fmt.Sprint(p["detail"]), "1024 bytes") {
		t.Errorf("streamed body over the limit: %d %v", status, p)
	}
	n, _ := h.store.CountCustomers(context.Background(), amends.CustomerFilter{})
	got, _ := h.store.Customer(context.Background(), int64(c["id"].(float64)))
	if n != 1 || got == nil || got.Name != "Ann" || got.Account != "" {
		t.Errorf("bad input changed something: %d customers, %+v", n, got)
	}
}

package api_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/amends/amends"
)

func TestPostmortemAPI(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"Wrong invoices","summary":"We sent wrong invoices.","severity":2}`)
	h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/events", `{"kind":"root_cause","body":"rounding"}`)
	h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/events", `{"kind":"customers_told","body":"emailed"}`)
	h.do(t, amends.Responder, "PATCH", "/api/v1/incidents/INC-1", `{"status":"resolved"}`)
	big := strings.Repeat("a", amends.MaxSection+1)
	for _, tc := range []struct {
		name, method, path, body string
		role                     amends.Role
		want                     int
		field                    string
	}{
		{"read internal", "GET", "/api/v1/incidents/INC-1/postmortem", "", amends.Viewer, 200, ""},
		{"read public", "GET", "/api/v1/incidents/INC-1/postmortem?edition=public", "", amends.Viewer, 200, ""},
		{"bad edition", "GET", "/api/v1/incidents/INC-1/postmortem?edition=secret", "", amends.Viewer, 400, "edition"},
		{"viewer cannot save", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/solution", `{"markdown":"x","base_version":0}`, amends.Viewer, 403, ""},
		{"save", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/solution", `{"markdown":"Reverted.","base_version":0}`, amends.Responder, 200, ""},
		{"stale save", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/solution", `{"markdown":"Other.","base_version":0}`, amends.Responder, 409, "base_version"},
		{"too large", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/learned", `{"markdown":"` + big + `","base_version":0}`, amends.Responder, 400, "markdown"},
		{"unknown section", "PUT", "/api/v1/incidents/INC-1/postmortem/sections/gossip", `{"markdown":"x","base_version":0}`, amends.Responder, 400, "section"},
		{"versions", "GET", "/api/v1/incidents/INC-1/postmortem/versions", "", amends.Viewer, 200, ""},
		{"compare", "GET", "/api/v1/incidents/INC-1/postmortem/versions?section=solution&from=0&to=1", "", amends.Viewer, 200, ""},
		{"compare missing", "GET", "/api/v1/incidents/INC-1/postmortem/versions?section=solution&from=0&to=7", "", amends.Viewer, 404, "version"},
		{"close refused", "PATCH", "/api/v1/incidents/INC-1", `{"status":"closed"}`, amends.Responder, 400, "status"},
		{"share", "POST", "/api/v1/incidents/INC-1/postmortem/share", "", amends.Responder, 201, ""},
		{"waiver needs a reason", "POST", "/api/v1/incidents/INC-1/checklist/waivers", `{"item":"customer_copy","reason":""}`, amends.Responder, 400, "reason"},
		{"waive copy", "POST", "/api/v1/incidents/INC-1/checklist/waivers", `{"item":"customer_copy","reason":"told by phone"}`, amends.Responder, 201, ""},
		{"waive preventions", "POST", "/api/v1/incidents/INC-1/checklist/waivers", `{"item":"preventions_owned","reason":"nothing to prevent: a one-off manual run"}`, amends.Responder, 201, ""},
		{"checklist", "GET", "/api/v1/incidents/INC-1/checklist", "", amends.Viewer, 200, ""},
		{"close", "PATCH", "/api/v1/incidents/INC-1", `{"status":"closed"}`, amends.Responder, 200, ""},
		{"publish", "POST", "/api/v1/incidents/INC-1/postmortem/publish", "", amends.Responder, 201, ""},
		{"no incident", "GET", "/api/v1/incidents/INC-9/postmortem", "", amends.Viewer, 404, "ref"},
	} {
		status, _, out := h.do(t, tc.role, tc.method, tc.path, tc.body)
		if status != tc.want {
			t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
			continue
		}
		if tc.field != "" && out["field"] != tc.field {
			t.Errorf("%s: field %v, want %s (%v)", tc.name, out["field"], tc.field, out)
		}
		if tc.name == "close refused" {
			detail, _ := out["detail"].(string)
			if !strings.Contains(detail, "postmortem was shared") || !strings.Contains(detail, "copy of what customers were told") {
				t.Errorf("close refusal does not say what is missing: %v", out)
			}
		}
	}

	req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/incidents/INC-1/postmortem.md?edition=public", nil)
	req.Header.Set("Authorization", "Bearer "+h.tokens[amends.Viewer])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/markdown") ||
		!strings.Contains(string(b), "## Solution\n\nReverted.") || strings.Contains(string(b), "## Root cause") {
		t.Errorf("markdown export %d %s:\n%s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
}

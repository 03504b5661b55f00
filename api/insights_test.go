package api_test

import (
	"context"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestInsightsAPI(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			status, _, inc := h.do(t, amends.Responder, "POST", "/api/v1/incidents",
				`{"title":"Wrong renewal email","severity":2,"noticed_at":"2026-01-05T14:39:00Z","components":["Billing"]}`)
			if status != 201 {
				t.Fatalf("declare: %d %v", status, inc)
			}
			status, _, inc = h.do(t, amends.Responder, "PATCH", "/api/v1/incidents/INC-1", `{"team":"billing","cause":"config"}`)
			if status != 200 || inc["team"] != "billing" || inc["cause"] != "config" {
				t.Fatalf("team and cause: %d %v", status, inc)
			}
			for _, ev := range []string{
				`{"kind":"colleagues_told","body":"told","at":"2026-01-05T14:43:00Z"}`,
				`{"kind":"customers_told","body":"emailed","at":"2026-01-05T18:39:00Z","visibility":"public"}`,
			} {
				if status, _, e := h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/events", ev); status != 201 {
					t.Fatalf("event: %d %v", status, e)
				}
			}
			h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"Another team's","severity":3,"noticed_at":"2026-01-06T10:00:00Z"}`)

			for _, tc := range []struct {
				name, path string
				role       amends.Role
				want       int
				field      string
				incidents  float64
			}{
				{"all", "/api/v1/insights", amends.Viewer, 200, "", 2},
				{"by team", "/api/v1/insights?team=billing", amends.Viewer, 200, "", 1},
				{"by component", "/api/v1/insights?component=Billing&severity=2", amends.Viewer, 200, "", 1},
				{"by period", "/api/v1/insights?from=2026-01-06&to=2026-01-06", amends.Viewer, 200, "", 1},
				{"bad from", "/api/v1/insights?from=last+week", amends.Viewer, 400, "from", 0},
				{"to before from", "/api/v1/insights?from=2026-01-06&to=2026-01-01", amends.Viewer, 400, "to", 0},
				{"bad severity", "/api/v1/insights?severity=9", amends.Viewer, 400, "severity", 0},
				{"no token", "/api/v1/insights", "", 401, "", 0},
			} {
				status, hdr, body := h.do(t, tc.role, "GET", tc.path, "")
				if status != tc.want {
					t.Errorf("%s: %d %v, want %d", tc.name, status, body, tc.want)
					continue
				}
				if status != 200 {
					if hdr.Get("Content-Type") != "application/problem+json" || (tc.field != "" && body["field"] != tc.field) {
						t.Errorf("%s: %s %v, want a problem naming %q", tc.name, hdr.Get("Content-Type"), body, tc.field)
					}
					continue
				}
				if body["incidents"] != tc.incidents {
					t.Errorf("%s: %v incidents, want %v", tc.name, body["incidents"], tc.incidents)
				}
			}
			_, _, body := h.do(t, amends.Viewer, "GET", "/api/v1/insights?team=billing", "")
			ct := body["colleagues_told"].(map[string]any)
			cu := body["customers_told"].(map[string]any)
			if ct["median_seconds"] != 240.0 || ct["within_target"] != 1.0 || cu["median_seconds"] != 14400.0 || cu["within_target"] != 0.0 {
				t.Errorf("told: colleagues %v customers %v", ct, cu)
			}
			if body["public_first_update_reference_seconds"] != 1800.0 {
				t.Errorf("reference %v", body["public_first_update_reference_seconds"])
			}

			// Nothing changed by the bad requests: the incident is as it was.
			if _, _, inc := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1", ""); inc["cause"] != "config" {
				t.Errorf("incident after bad requests %v", inc)
			}
			if status, _, p := h.do(t, amends.Responder, "PATCH", "/api/v1/incidents/INC-1", `{"cause":"gremlins"}`); status != 400 || p["field"] != "cause" {
				t.Errorf("bad cause: %d %v", status, p)
			}

			if _, err := h.store.CreateCustomer(context.Background(), amends.Customer{Email: "ana@acme.example", Account: "Acme"}, amends.Actor{Name: "test"}); err != nil {
				t.Fatal(err)
			}
			if status, _, l := h.do(t, amends.Viewer, "GET", "/api/v1/accounts/Acme/ledger", ""); status != 200 || l["account"] != "Acme" || l["customers"] != 1.0 {
				t.Errorf("ledger: %d %v", status, l)
			}
			if status, _, l := h.do(t, amends.Viewer, "GET", "/api/v1/accounts/Nobody/ledger", ""); status != 404 {
				t.Errorf("ledger of nobody: %d %v", status, l)
			}
		})
	}
}

package api_test

import (
	"context"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestActionItemAPI(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			if _, err := h.store.CreateUser(context.Background(), "ines", amends.Responder, "correct horse battery staple", amends.Actor{Name: "test"}); err != nil {
				t.Fatal(err)
			}
			h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"Wrong invoices","severity":2}`)
			loc := h.store.Location()
			later := time.Now().In(loc).AddDate(0, 0, 10).Format("2006-01-02")
			sooner := time.Now().In(loc).AddDate(0, 0, 3).Format("2006-01-02")
			yesterday := time.Now().In(loc).AddDate(0, 0, -1).Format("2006-01-02")
			for _, tc := range []struct {
				name, method, path, body string
				role                     amends.Role
				want                     int
				field                    string
			}{
				{"viewer cannot add", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"fix","owner":"ines","due":"` + later + `"}`, amends.Viewer, 403, ""},
				{"no token", "GET", "/api/v1/incidents/INC-1/actions", "", "", 401, ""},
				{"add", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"Test the invoice run","kind":"prevention","owner":"ines","due":"` + later + `","public":true,"ticket_url":"https://github.com/acme/billing/issues/7"}`, amends.Responder, 201, ""},
				{"add sooner", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"Refund everyone","kind":"fix","owner":"ines","due":"` + sooner + `"}`, amends.Responder, 201, ""},
				{"owner not a user", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"fix","owner":"zed","due":"` + later + `"}`, amends.Responder, 400, "owner"},
				{"due in the past", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"fix","owner":"ines","due":"` + yesterday + `"}`, amends.Responder, 400, "due"},
				{"due not a date", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"fix","owner":"ines","due":"soon"}`, amends.Responder, 400, "due"},
				{"bad kind", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"wish","owner":"ines","due":"` + later + `"}`, amends.Responder, 400, "kind"},
				{"bad ticket", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"fix","owner":"ines","due":"` + later + `","ticket_url":"javascript:alert(1)"}`, amends.Responder, 400, "ticket_url"},
				{"unknown field", "POST", "/api/v1/incidents/INC-1/actions", `{"title":"t","kind":"fix","owner":"ines","due":"` + later + `","comment":"x"}`, amends.Responder, 400, "comment"},
				{"no incident", "POST", "/api/v1/incidents/INC-9/actions", `{"title":"t","kind":"fix","owner":"ines","due":"` + later + `"}`, amends.Responder, 404, "ref"},
				{"list", "GET", "/api/v1/incidents/INC-1/actions", "", amends.Viewer, 200, ""},
				{"owed needs owner", "GET", "/api/v1/actions", "", amends.Viewer, 400, "owner"},
				{"owed", "GET", "/api/v1/actions?owner=ines", "", amends.Viewer, 200, ""},
				{"edit", "PATCH", "/api/v1/actions/1", `{"title":"Test every invoice run"}`, amends.Responder, 200, ""},
				{"edit past due", "PATCH", "/api/v1/actions/1", `{"due":"` + yesterday + `"}`, amends.Responder, 400, "due"},
				{"edit nothing", "PATCH", "/api/v1/actions/1", `{}`, amends.Responder, 400, ""},
				{"edit missing", "PATCH", "/api/v1/actions/99", `{"title":"x"}`, amends.Responder, 404, "id"},
				{"drop without reason", "POST", "/api/v1/actions/2/drop", `{"reason":" "}`, amends.Responder, 400, "reason"},
				{"drop", "POST", "/api/v1/actions/2/drop", `{"reason":"refunds went out with the fix"}`, amends.Responder, 200, ""},
				{"done", "POST", "/api/v1/actions/1/done", "", amends.Responder, 200, ""},
				{"done dropped", "POST", "/api/v1/actions/2/done", "", amends.Responder, 409, "state"},
				{"edit done", "PATCH", "/api/v1/actions/1", `{"title":"x"}`, amends.Responder, 409, "state"},
			} {
				status, _, out := h.do(t, tc.role, tc.method, tc.path, tc.body)
				if status != tc.want {
					t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
					continue
				}
				if tc.field != "" && out["field"] != tc.field {
					t.Errorf("%s: field %v, want %s (%v)", tc.name, out["field"], tc.field, out)
				}
				switch tc.name {
				case "add":
					if out["due_date"] != later || out["state"] != "open" || out["public"] != true || out["ref"] != "INC-1" {
						t.Errorf("add answered %v", out)
					}
				case "owed":
					list := out["actions"].([]any)
					if len(list) != 2 || list[0].(map[string]any)["title"] != "Refund everyone" {
						t.Errorf("owed is not soonest first: %v", list)
					}
				case "done":
					if out["state"] != "done" || out["done_at"] == nil {
						t.Errorf("done answered %v", out)
					}
				}
			}
			_, _, out := h.do(t, amends.Viewer, "GET", "/api/v1/actions?owner=ines", "")
			if list := out["actions"].([]any); len(list) != 0 {
				t.Errorf("ines owes %d after done and drop", len(list))
			}
		})
	}
}

package api_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

func TestAlertmanagerRepeatsAddToOneIncident(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			firing, _ := os.ReadFile("testdata/alertmanager-firing.json")
			resolved, _ := os.ReadFile("testdata/alertmanager-resolved.json")
			status, _, res := h.do(t, amends.Responder, "POST", "/api/v1/hooks/alertmanager", string(firing))
			if status != 201 || res["ref"] != "INC-1" || res["created"] != true {
				t.Fatalf("first firing: %d %v", status, res)
			}
			for i := 0; i < 3; i++ {
				status, _, res = h.do(t, amends.Responder, "POST", "/api/v1/hooks/alertmanager", string(firing))
				if status != 200 || res["ref"] != "INC-1" || res["action"] != "updated" {
					t.Fatalf("repeat %d: %d %v", i, status, res)
				}
			}
			status, _, res = h.do(t, amends.Responder, "POST", "/api/v1/hooks/alertmanager", string(resolved))
			if status != 200 || res["action"] != "resolved" {
				t.Fatalf("resolved: %d %v", status, res)
			}
			_, _, inc := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1", "")
			if inc["noticed_at"] != "2026-11-03T14:39:12.345Z" || inc["severity"] != 1.0 || inc["title"] != "Checkout is failing for card payments" {
				t.Errorf("incident from the alert: %v", inc)
			}
			_, _, page := h.do(t, amends.Viewer, "GET", "/api/v1/incidents", "")
			if n := len(page["incidents"].([]any)); n != 1 {
				t.Errorf("%d incidents from one alert group", n)
			}
			events, _ := h.store.Timeline(context.Background(), "INC-1", false)
			var alerts []string
			resolvedAt := ""
			for _, e := range events {
				if e.Kind == amends.KindAlert {
					alerts = append(alerts, e.Body)
					if strings.HasPrefix(e.Body, "Alerts resolved: CheckoutErrorRate on checkout-1:9100") {
						resolvedAt = e.At.Format("15:04")
					}
				}
			}
			// One firing record per delivery of the group, and the resolution at the alert's own end.
			if len(alerts) != 5 || resolvedAt != "15:02" {
				t.Errorf("alert events (resolved at %q): %q", resolvedAt, alerts)
			}
		})
	}
}

func TestHooksAndGroupsRejectBadInput(t *testing.T) {
	h := newHarness(t, "sqlite")
	firing, _ := os.ReadFile("testdata/alertmanager-firing.json")
	status, _, g := h.do(t, amends.Admin, "POST", "/api/v1/groups", `{"name":"Support","severities":[1,2]}`)
	if status != 201 {
		t.Fatalf("group: %d %v", status, g)
	}
	cases := []struct {
		name, method, path, body string
		role                     amends.Role
		want                     int
		field                    string
	}{
		{"malformed alertmanager", "POST", "/api/v1/hooks/alertmanager", `{"version":"4",`, amends.Responder, 400, ""},
		{"wrong version", "POST", "/api/v1/hooks/alertmanager", strings.Replace(string(firing), `"version": "4"`, `"version": "3"`, 1), amends.Responder, 400, "version"},
		{"no alerts", "POST", "/api/v1/hooks/alertmanager", `{"version":"4","groupKey":"k","status":"firing","alerts":[]}`, amends.Responder, 400, "alerts"},
		{"no group key", "POST", "/api/v1/hooks/alertmanager", `{"version":"4","groupKey":"","status":"firing","alerts":[{"labels":{"alertname":"x"}}]}`, amends.Responder, 400, "groupKey"},
		{"oversized", "POST", "/api/v1/hooks/alertmanager", `{"version":"4","groupKey":"` + strings.Repeat("k", 2<<20) + `"}`, amends.Responder, 413, ""},
		{"wrong token", "POST", "/api/v1/hooks/alertmanager", string(firing), "", 401, ""},
		{"viewer cannot declare by hook", "POST", "/api/v1/hooks/alertmanager", string(firing), amends.Viewer, 403, ""},
		{"generic unknown field", "POST", "/api/v1/hooks/generic", `{"key":"a","title":"t","colour":"red"}`, amends.Responder, 400, "colour"},
		{"generic bad status", "POST", "/api/v1/hooks/generic", `{"key":"a","title":"t","status":"burning"}`, amends.Responder, 400, "status"},
		{"generic bad time", "POST", "/api/v1/hooks/generic", `{"key":"a","title":"t","started_at":"noon"}`, amends.Responder, 400, "started_at"},
		{"generic no title", "POST", "/api/v1/hooks/generic", `{"key":"a"}`, amends.Responder, 400, "title"},
		{"unknown channel kind", "POST", "/api/v1/groups/1/contacts", `{"name":"x","kind":"pager","address":"x"}`, amends.Admin, 400, "kind"},
		{"webhook not http", "POST", "/api/v1/groups/1/contacts", `{"name":"x","kind":"webhook","address":"ftp://example.com/hook"}`, amends.Admin, 400, "address"},
		{"slack javascript url", "POST", "/api/v1/groups/1/contacts", `{"name":"x","kind":"slack","address":"javascript:alert(1)"}`, amends.Admin, 400, "address"},
		{"email unparseable", "POST", "/api/v1/groups/1/contacts", `{"name":"x","kind":"email","address":"not an email"}`, amends.Admin, 400, "address"},
		{"email header injection", "POST", "/api/v1/groups/1/contacts", `{"name":"x","kind":"email","address":"a@example.com\r\nBcc: evil@example.com"}`, amends.Admin, 400, "address"},
		{"contact on unknown group", "POST", "/api/v1/groups/99/contacts", `{"name":"x","kind":"email","address":"a@example.com"}`, amends.Admin, 404, "group"},
		{"responder cannot manage groups", "POST", "/api/v1/groups", `{"name":"Sales"}`, amends.Responder, 403, ""},
		{"duplicate group", "POST", "/api/v1/groups", `{"name":"Support"}`, amends.Admin, 409, "name"},
		{"group severity 7", "POST", "/api/v1/groups", `{"name":"Ops","severities":[7]}`, amends.Admin, 400, "severities"},
		{"group unknown event", "POST", "/api/v1/groups", `{"name":"Ops","events":["lunch"]}`, amends.Admin, 400, "events"},
		{"redrive unknown", "POST", "/api/v1/deliveries/77/redrive", "", amends.Admin, 404, "delivery"},
		{"targets bad duration", "PUT", "/api/v1/settings/targets", `{"targets":[{"severity":1,"colleagues_told":"soon"}]}`, amends.Admin, 400, "colleagues_told"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			status, _, p := h.do(t, c.role, c.method, c.path, c.body)
			if status != c.want || (c.field != "" && p["field"] != c.field) {
				t.Errorf("got %d %v, want %d field %q", status, p, c.want, c.field)
			}
		})
	}
	page, _ := h.store.Incidents(context.Background(), amends.IncidentFilter{})
	groups, _ := h.store.Groups(context.Background())
	if len(page.Incidents) != 0 || len(groups) != 1 || len(groups[0].Contacts) != 0 {
		t.Errorf("bad input stored something: %d incidents, %d groups, %d contacts", len(page.Incidents), len(groups), len(groups[0].Contacts))
	}
	// A good contact: a webhook gets a signing secret, shown once.
	status, _, c := h.do(t, amends.Admin, "POST", "/api/v1/groups/1/contacts", `{"name":"Support room","kind":"webhook","address":"https://hooks.example.com/amends"}`)
	if status != 201 || len(c["secret"].(string)) < 20 {
		t.Errorf("webhook contact: %d %v", status, c)
	}
}

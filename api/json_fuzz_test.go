package api_test

import (
	"context"
	"testing"

	"github.com/amends/amends"
)

// jsonEndpoints are the API's routes that read a JSON body, on objects that exist in the
// fuzzed store, each with a body it accepts (the seeds).
var jsonEndpoints = []struct {
	method, path, seed string
}{
	{"POST", "/api/v1/incidents", `{"title":"Wrong renewal email sent","summary":"Renewal emails went to the wrong list","severity":2,"noticed_at":"2026-11-03T14:30:00Z","components":["billing"]}`},
	{"PATCH", "/api/v1/incidents/INC-1", `{"status":"identified","note":"segment filter inverted","severity":1,"at":"2026-11-03T14:35:00Z"}`},
	{"POST", "/api/v1/incidents/INC-1/events", `{"kind":"note","body":"we found it","visibility":"public"}`},
	{"POST", "/api/v1/lint", `{"text":"Mistakes were made. We apologize for any inconvenience.","mode":"customer"}`},
	{"POST", "/api/v1/groups", `{"name":"Sales","severities":[1,2],"events":["declared"]}`},
	{"PATCH", "/api/v1/groups/1", `{"name":"Support desk","severities":[1]}`},
	{"POST", "/api/v1/groups/1/contacts", `{"name":"Support room","kind":"webhook","address":"https://hooks.example.com/amends"}`},
	{"PUT", "/api/v1/settings/targets", `{"targets":[{"severity":1,"colleagues_told":"5m","customers_told":"1h"}]}`},
	{"PUT", "/api/v1/settings/escalation", `{"name":"Duty manager","kind":"email","address":"duty@example.com"}`},
	{"POST", "/api/v1/customers", `{"email":"Ann@Example.com","name":"Ann","account":"Acme","segments":["VIP"]}`},
	{"PATCH", "/api/v1/customers/1", `{"name":"Bo Lee","segments":["eu"]}`},
	{"PUT", "/api/v1/incidents/INC-1/audience", `{"kind":"accounts","accounts":["Acme"]}`},
	{"POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"We got it wrong","body":"We charged you twice. We are sorry."}`},
	{"PUT", "/api/v1/messages/1", `{"subject":"We charged you twice","body":"We charged you twice on 3 November. We are sorry."}`},
	{"POST", "/api/v1/messages/1/approve", `{"version":1}`},
	{"POST", "/api/v1/messages/1/send", `{"override":"sent after a call with the customer"}`},
	{"PUT", "/api/v1/settings/reply-to", `{"address":"care@example.com"}`},
	{"PUT", "/api/v1/incidents/INC-1/postmortem/sections/impact", `{"markdown":"312 customers were charged twice.","public":true,"base_version":0}`},
	{"POST", "/api/v1/incidents/INC-1/checklist/waivers", `{"item":"customers_told","reason":"no customer was reached: the wrong list was internal"}`},
	{"POST", "/api/v1/incidents/INC-1/actions", `{"title":"Test the invoice run","kind":"prevention","owner":"ines","due":"2026-12-01","public":true}`},
	{"PATCH", "/api/v1/actions/1", `{"title":"Test every invoice run","due":"2026-12-15"}`},
	{"POST", "/api/v1/actions/1/drop", `{"reason":"refunds went out with the fix"}`},
}

// FuzzJSONBodies sends any body to each route that reads JSON (the first argument picks the
// route) and checks that the answer is a success or a problem document with a 4xx status,
// never a 5xx, and that a refused request changed nothing in the database. The store keeps
// what earlier inputs created, so the routes meet objects in many states.
func FuzzJSONBodies(f *testing.F) {
	for i, e := range jsonEndpoints {
		f.Add(uint8(i), e.seed)
		f.Add(uint8(i), `{}`)
		f.Add(uint8(i), `{"`+e.method+`":1}`)
	}
	for _, s := range []string{`null`, `[]`, `{"severity":1e400}`, `{"title":"t","severity":"2"}`, `{"title":"\u0000"}`, `{"title":"t"} x`, ``} {
		f.Add(uint8(0), s)
	}
	fa := newFuzzAPI(f)
	if _, err := fa.store.CreateUser(context.Background(), "ines", amends.Responder, "correct horse battery staple", amends.Actor{Name: "fuzz"}); err != nil {
		f.Fatal(err)
	}
	for _, s := range []struct{ method, path, body string }{
		{"POST", "/api/v1/incidents", `{"title":"Invoices doubled","severity":2}`},
		{"POST", "/api/v1/groups", `{"name":"Support","severities":[1,2]}`},
		{"POST", "/api/v1/customers", `{"email":"bo@example.com","name":"Bo","account":"Acme"}`},
		{"POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"An update","body":"We charged you twice. We are sorry."}`},
		{"POST", "/api/v1/incidents/INC-1/actions", `{"title":"Refund everyone","kind":"fix","owner":"ines","due":"2026-11-10"}`},
	} {
		if status, out := fa.do(f, amends.Admin, s.method, s.path, s.body); status != 201 {
			f.Fatalf("%s %s: %d %v", s.method, s.path, status, out)
		}
	}
	f.Fuzz(func(t *testing.T, route uint8, body string) {
		e := jsonEndpoints[int(route)%len(jsonEndpoints)]
		fa.checkAnswer(t, amends.Admin, e.method, e.path, body)
	})
}

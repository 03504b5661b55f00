package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/api"
)

// reviewer is a second responder token: approvals need someone other than the author.
const reviewer = amends.Role("reviewer")

func (h *harness) addReviewer(t testing.TB) {
	t.Helper()
	tok, err := h.store.CreateToken(context.Background(), "t-reviewer", amends.Responder, amends.Actor{Name: "test"})
	if err != nil {
		t.Fatal(err)
	}
	h.tokens[reviewer] = tok
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

const evasive = "Mistakes were made during a routine update. We apologize for any inconvenience this may have caused."

func TestMessagesAPI(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			h.addReviewer(t)
			if status, _, _ := h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"Invoices doubled","severity":2}`); status != 201 {
				t.Fatal("declare")
			}
			status, _, aud := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/audience", "")
			if status != 200 || aud["kind"] != "none" || aud["size"] != 0.0 {
				t.Fatalf("audience before: %d %v", status, aud)
			}
			list := "email,name,Orders affected\nann@example.com,Ann <b>Lee</b>,3\nbo@example.com,Bo,5\ncy@example.com,,8\n"
			status, _, rep := h.send(t, h.srv.URL, amends.Responder, "POST", "/api/v1/incidents/INC-1/audience/list", "text/csv", strings.NewReader(list))
			if status != 200 || rep["members"] != 3.0 || fmt.Sprint(rep["columns"]) != "[orders_affected]" {
				t.Fatalf("upload: %d %v", status, rep)
			}
			status, _, aud = h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/audience", "")
			if status != 200 || aud["kind"] != "list" || aud["size"] != 3.0 {
				t.Fatalf("audience: %d %v", status, aud)
			}
			status, _, page := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/audience/recipients?limit=2", "")
			if status != 200 || len(page["recipients"].([]any)) != 2 || page["next"] != "bo@example.com" {
				t.Fatalf("recipients: %d %v", status, page)
			}
			status, _, tp := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/templates", "")
			templates := tp["templates"].([]any)
			if status != 200 || len(templates) != 4 {
				t.Fatalf("templates: %d %v", status, tp)
			}
			ack := templates[0].(map[string]any)
			if ack["kind"] != "acknowledgement" || !strings.Contains(ack["body"].(string), "{{orders_affected}}") {
				t.Fatalf("acknowledgement template: %v", ack)
			}
			// A default template, sent as written, owns the mistake by the server's own check.
			status, hdr, m := h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/messages",
				`{"kind":"acknowledgement","subject":`+jsonString(ack["subject"].(string))+`,"body":`+jsonString(ack["body"].(string))+`}`)
			if status != 201 || m["owns"] != true || m["state"] != "draft" || m["version"] != 1.0 || m["required_approvals"] != 2.0 {
				t.Fatalf("create: %d %v", status, m)
			}
			report, ok := m["report"].(map[string]any)
			if !ok || report["owns"] != true || report["elements"] == nil {
				t.Fatalf("the report is not the check's: %v", m["report"])
			}
			id := fmt.Sprint(m["id"])
			if hdr.Get("Location") != "/api/v1/messages/"+id {
				t.Errorf("Location %q", hdr.Get("Location"))
			}
			status, _, pv := h.do(t, amends.Viewer, "GET", "/api/v1/messages/"+id+"/preview?email=bo@example.com", "")
			if status != 200 || !strings.Contains(pv["body"].(string), "Orders affected: 5") || !strings.HasPrefix(pv["body"].(string), "Hello Bo,") {
				t.Fatalf("preview: %d %v", status, pv)
			}
			status, _, pv = h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/audience/preview?email=cy@example.com&message_id="+id, "")
			if status != 200 || !strings.Contains(pv["body"].(string), "Orders affected: 8") || !strings.HasPrefix(pv["body"].(string), "Hello there,") {
				t.Fatalf("audience preview: %d %v", status, pv)
			}
			if fmt.Sprint(pv["placeholders"]) != "[email name account ref title owner orders_affected]" {
				t.Errorf("placeholders %v", pv["placeholders"])
			}
			// Review: the author cannot approve; sev2 needs two others.
			if status, _, _ := h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id+"/approve", `{"version":1}`); status != 403 {
				t.Errorf("author approved: %d", status)
			}
			if status, _, _ := h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id+"/send", `{}`); status != 409 {
				t.Errorf("sent a draft: %d", status)
			}
			if status, _, m = h.do(t, amends.Admin, "POST", "/api/v1/messages/"+id+"/approve", `{"version":1}`); status != 200 || m["state"] != "draft" || m["approved"] != 1.0 {
				t.Fatalf("first approval: %d %v", status, m)
			}
			if status, _, m = h.do(t, reviewer, "POST", "/api/v1/messages/"+id+"/approve", `{"version":1}`); status != 200 || m["state"] != "approved" {
				t.Fatalf("second approval: %d %v", status, m)
			}
			status, _, m = h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id+"/send", "")
			if status != 200 || m["state"] != "sent" || m["recipients"] != 3.0 || m["sent_by"] != "token:t-responder" {
				t.Fatalf("send: %d %v", status, m)
			}
			if status, _, _ := h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id+"/send", `{}`); status != 409 {
				t.Errorf("sent twice: %d", status)
			}
			status, _, dp := h.do(t, amends.Viewer, "GET", "/api/v1/messages/"+id+"/deliveries", "")
			if status != 200 || dp["counts"].(map[string]any)["pending"] != 3.0 || len(dp["deliveries"].([]any)) != 3 {
				t.Fatalf("deliveries: %d %v", status, dp)
			}
			_, _, inc := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1", "")
			if inc["customers_told_at"] == nil {
				t.Error("sending did not set customers told")
			}
			// A message that does not own the mistake: sending it needs a reason.
			status, _, m = h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"An update","body":`+jsonString(evasive)+`}`)
			if status != 201 || m["owns"] != false {
				t.Fatalf("evasive: %d %v", status, m)
			}
			id2 := fmt.Sprint(m["id"])
			status, _, m = h.do(t, amends.Admin, "PUT", "/api/v1/messages/"+id2, `{"subject":"An update on our mistake","body":`+jsonString(evasive)+`}`)
			if status != 200 || m["version"] != 2.0 || m["author"] != "token:t-admin" {
				t.Fatalf("edit: %d %v", status, m)
			}
			status, _, vs := h.do(t, amends.Viewer, "GET", "/api/v1/messages/"+id2+"/versions", "")
			versions := vs["versions"].([]any)
			if status != 200 || len(versions) != 2 || versions[1].(map[string]any)["diff"] == nil || versions[0].(map[string]any)["report"] == nil {
				t.Fatalf("versions: %d %v", status, vs)
			}
			if status, _, _ := h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id2+"/approve", `{"version":1}`); status != 409 {
				t.Errorf("approved a stale version: %d", status)
			}
			h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id2+"/approve", `{"version":2}`)
			h.do(t, reviewer, "POST", "/api/v1/messages/"+id2+"/approve", `{"version":2}`)
			var p api.Problem
			status, _, out := h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id2+"/send", `{"override":""}`)
			if b, _ := json.Marshal(out); status != 400 || json.Unmarshal(b, &p) != nil || p.Field != "override" {
				t.Fatalf("send without override: %d %v", status, out)
			}
			status, _, m = h.do(t, amends.Responder, "POST", "/api/v1/messages/"+id2+"/send", `{"override":"Legal wrote this wording"}`)
			if status != 200 || m["override_reason"] != "Legal wrote this wording" {
				t.Fatalf("send with override: %d %v", status, m)
			}
			status, _, ms := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/messages", "")
			if status != 200 || len(ms["messages"].([]any)) != 2 {
				t.Errorf("list: %d %v", status, ms)
			}
			_, _, tl := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/timeline", "")
			var bodies []string
			for _, e := range tl["events"].([]any) {
				bodies = append(bodies, e.(map[string]any)["body"].(string))
			}
			all := strings.Join(bodies, "\n")
			if !strings.Contains(all, "Reason: Legal wrote this wording") || !strings.Contains(all, "to 3 customers") || !strings.Contains(all, "approved the customer message v2") {
				t.Errorf("timeline:\n%s", all)
			}
			status, _, rt := h.do(t, amends.Admin, "PUT", "/api/v1/settings/reply-to", `{"address":"care@example.com"}`)
			if status != 200 || rt["address"] != "care@example.com" {
				t.Errorf("reply-to: %d %v", status, rt)
			}
		})
	}
}

// TestMessageBadInputChangesNothing sends each kind of bad request and checks the answer is a
// problem document naming the field, and that nothing was stored.
func TestMessageBadInputChangesNothing(t *testing.T) {
	h := newHarness(t, "sqlite")
	h.addReviewer(t)
	h.do(t, amends.Responder, "POST", "/api/v1/incidents", `{"title":"Invoices doubled","severity":3}`)
	h.send(t, h.srv.URL, amends.Responder, "POST", "/api/v1/incidents/INC-1/audience/list", "text/csv", strings.NewReader("email\nann@example.com\n"))
	_, _, m := h.do(t, amends.Responder, "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"We got it wrong","body":"We charged you twice. We are sorry."}`)
	id := fmt.Sprint(m["id"])
	big := strings.Repeat("a", amends.MaxMessageBody+1)
	cases := []struct {
		name, method, path, body string
		role                     amends.Role
		wantStatus               int
		wantField                string
	}{
		{"unknown kind", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"apology","subject":"s","body":"b"}`, amends.Responder, 400, "kind"},
		{"header injection in subject", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"Sorry\r\nBcc: all@example.com","body":"b"}`, amends.Responder, 400, "subject"},
		{"subject over 200", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"` + strings.Repeat("s", 201) + `","body":"b"}`, amends.Responder, 400, "subject"},
		{"body over 50,000 bytes", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"s","body":"` + big + `"}`, amends.Responder, 400, "body"},
		{"NUL in body", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"s","body":"a\u0000b"}`, amends.Responder, 400, "body"},
		{"malformed placeholder", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"s","body":"Hi {{first name}}"}`, amends.Responder, 400, "body"},
		{"a client's report", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"s","body":"b","owns":true}`, amends.Responder, 400, "owns"},
		{"unknown incident", "POST", "/api/v1/incidents/INC-9/messages", `{"kind":"update","subject":"s","body":"b"}`, amends.Responder, 404, "ref"},
		{"viewer cannot write", "POST", "/api/v1/incidents/INC-1/messages", `{"kind":"update","subject":"s","body":"b"}`, amends.Viewer, 403, ""},
		{"no token", "GET", "/api/v1/messages/" + id, "", "", 401, ""},
		{"unknown message", "GET", "/api/v1/messages/999", "", amends.Viewer, 404, "message"},
		{"message id not a number", "PUT", "/api/v1/messages/abc", `{"subject":"s","body":"b"}`, amends.Responder, 404, "id"},
		{"edit with injection", "PUT", "/api/v1/messages/" + id, `{"subject":"a\nb","body":"b"}`, amends.Responder, 400, "subject"},
		{"viewer cannot approve", "POST", "/api/v1/messages/" + id + "/approve", `{"version":1}`, amends.Viewer, 403, ""},
		{"approve without version", "POST", "/api/v1/messages/" + id + "/approve", `{}`, reviewer, 400, "version"},
		{"approve a version that is not the latest", "POST", "/api/v1/messages/" + id + "/approve", `{"version":7}`, reviewer, 409, "version"},
		{"author approves", "POST", "/api/v1/messages/" + id + "/approve", `{"version":1}`, amends.Responder, 403, "version"},
		{"send a draft", "POST", "/api/v1/messages/" + id + "/send", `{}`, amends.Responder, 409, "state"},
		{"send with an unknown field", "POST", "/api/v1/messages/" + id + "/send", `{"overide":"x"}`, amends.Responder, 400, "overide"},
		{"audience kind unknown", "PUT", "/api/v1/incidents/INC-1/audience", `{"kind":"everyone"}`, amends.Responder, 400, "kind"},
		{"audience accounts empty", "PUT", "/api/v1/incidents/INC-1/audience", `{"kind":"accounts","accounts":[]}`, amends.Responder, 400, "accounts"},
		{"audience account injects", "PUT", "/api/v1/incidents/INC-1/audience", `{"kind":"accounts","accounts":["a\r\nb"]}`, amends.Responder, 400, "accounts"},
		{"viewer cannot choose", "PUT", "/api/v1/incidents/INC-1/audience", `{"kind":"all"}`, amends.Viewer, 403, ""},
		{"preview for a stranger", "GET", "/api/v1/messages/" + id + "/preview?email=x@example.com", "", amends.Viewer, 404, "email"},
		{"preview of another incident's message", "GET", "/api/v1/incidents/INC-1/audience/preview?message_id=999", "", amends.Viewer, 404, "message_id"},
		{"deliveries in an unknown state", "GET", "/api/v1/messages/" + id + "/deliveries?state=lost", "", amends.Viewer, 400, "state"},
		{"reply-to with a display name", "PUT", "/api/v1/settings/reply-to", `{"address":"Care <care@example.com>"}`, amends.Admin, 400, "reply_to"},
		{"reply-to needs admin", "PUT", "/api/v1/settings/reply-to", `{"address":"care@example.com"}`, amends.Responder, 403, ""},
		{"upload that is not CSV", "POST", "/api/v1/incidents/INC-1/audience/list", `{"email":"a@example.com"}`, amends.Responder, 400, ""},
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
			if p.Field != c.wantField || p.Detail == "" {
				t.Errorf("field %q, want %q; detail %q", p.Field, c.wantField, p.Detail)
			}
		})
	}
	// A list with a bad row is refused whole, with the report.
	status, _, rep := h.send(t, h.srv.URL, amends.Responder, "POST", "/api/v1/incidents/INC-1/audience/list", "text/csv",
		strings.NewReader("email,orders\nbo@example.com,1\nnot-an-address,2\n"))
	if status != 422 || rep["members"] != 0.0 || len(rep["problems"].([]any)) != 1 {
		t.Errorf("bad list: %d %v", status, rep)
	}
	ms, _ := h.store.Messages(context.Background(), "INC-1")
	aud, _ := h.store.Audience(context.Background(), "INC-1")
	if len(ms) != 1 || ms[0].Version != 1 || len(ms[0].Approvals) != 0 || ms[0].State != amends.MessageDraft || aud.Size != 1 || aud.Kind != amends.AudienceList {
		t.Errorf("bad input changed something: %d messages, %+v, audience %+v", len(ms), ms[0], aud)
	}
}

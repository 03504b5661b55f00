package api_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

func TestFeedbackAPI(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			h := newHarness(t, engine)
			ctx := context.Background()
			s := h.store
			ana := amends.Actor{Name: "ana", Role: amends.Responder}
			if _, err := s.CreateUser(ctx, "ines", amends.Responder, "correct horse battery staple", ana); err != nil {
				t.Fatal(err)
			}
			inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 3}, ana)
			if err != nil {
				t.Fatal(err)
			}
			// One customer is sent a message, it is delivered, the incident resolved, the survey sent.
			if _, err := s.ImportCustomers(ctx, strings.NewReader("email,name,account\nada@acme.example,Ada,Acme\n"), store.ImportOptions{}, ana); err != nil {
				t.Fatal(err)
			}
			s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: amends.AudienceAll}, ana)
			m, err := s.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We sent the wrong invoice", "We made this mistake, and we are sorry.", true, 90, `{}`, ana)
			if err != nil {
				t.Fatal(err)
			}
			m, _ = s.ApproveMessage(ctx, m.ID, m.Version, amends.Actor{Name: "bo", Role: amends.Responder})
			if _, err := s.SendMessage(ctx, m.ID, "", ana); err != nil {
				t.Fatal(err)
			}
			pending, _ := s.PendingMessageDeliveries(ctx, m.ID)
			s.DeliveriesDelivered(ctx, []int64{pending[0].ID})
			resolved := amends.Resolved
			s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &resolved}, ana)
			if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
				t.Fatal(err)
			}

			status, _, out := h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/feedback", "")
			if status != 200 || out["sent"] != 1.0 || len(out["answers"].([]any)) != 0 {
				t.Fatalf("feedback before answers: %d %v", status, out)
			}
			ds, _ := s.Deliveries(ctx, inc.Ref)
			var token string
			for _, d := range ds {
				if d.Purpose == amends.PurposeSurvey {
					full, _ := s.Delivery(ctx, d.ID)
					token = full.Secret
				}
			}
			sv, err := s.AnswerSurvey(ctx, token, amends.Answer{Rating: 1, Comment: "Nobody called us."})
			if err != nil {
				t.Fatal(err)
			}
			due := time.Now().In(s.Location()).AddDate(0, 0, 7).Format("2006-01-02")
			act := "/api/v1/feedback/" + strconv.FormatInt(sv.ID, 10) + "/act"
			item := `{"title":"Call every affected account","kind":"communication","owner":"ines","due":"` + due + `","public":true}`
			for _, tc := range []struct {
				name, method, path, body string
				role                     amends.Role
				want                     int
				field                    string
			}{
				{"no token", "GET", "/api/v1/incidents/INC-1/feedback", "", "", 401, ""},
				{"no incident", "GET", "/api/v1/incidents/INC-9/feedback", "", amends.Viewer, 404, "ref"},
				{"viewer cannot act", "POST", act, item, amends.Viewer, 403, ""},
				{"owner not a user", "POST", act, strings.Replace(item, "ines", "zed", 1), amends.Responder, 400, "owner"},
				{"unknown field", "POST", act, `{"title":"t","kind":"fix","owner":"ines","due":"` + due + `","rating":5}`, amends.Responder, 400, "rating"},
				{"no survey", "POST", "/api/v1/feedback/999/act", item, amends.Responder, 404, "id"},
				{"act", "POST", act, item, amends.Responder, 201, ""},
				{"act twice", "POST", act, item, amends.Responder, 409, "id"},
			} {
				status, _, out := h.do(t, tc.role, tc.method, tc.path, tc.body)
				if status != tc.want {
					t.Errorf("%s: %d %v, want %d", tc.name, status, out, tc.want)
					continue
				}
				if tc.field != "" && out["field"] != tc.field {
					t.Errorf("%s: field %v, want %s", tc.name, out["field"], tc.field)
				}
				if tc.name == "act" && (out["source"] != "feedback" || out["public"] != true || out["owner"] != "ines") {
					t.Errorf("act answered %v", out)
				}
			}
			status, _, out = h.do(t, amends.Viewer, "GET", "/api/v1/incidents/INC-1/feedback", "")
			answers := out["answers"].([]any)
			if status != 200 || len(answers) != 1 {
				t.Fatalf("feedback: %d %v", status, out)
			}
			a := answers[0].(map[string]any)
			if a["rating"] != 1.0 || a["comment"] != "Nobody called us." || a["name"] != "Ada" || a["account"] != "Acme" || a["action_item_id"] == nil {
				t.Errorf("answer %v", a)
			}
			if _, ok := a["token_hash"]; ok {
				t.Error("the API shows the token's hash")
			}
		})
	}
}

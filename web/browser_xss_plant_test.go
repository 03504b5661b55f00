package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/api"
)

// The planting half of TestBrowserNoPayloadRuns (browser_xss_test.go): a payload in every
// field a person or a system can write.

// xssWorld is the app with every field planted, and what the pages need to find it.
type xssWorld struct {
	a          *testApp
	s          *xssSeeds
	inc, alert *amends.Incident
	sent, open *amends.Message
	ackPath    string
	status     *httptest.Server
	correctID  int64
	image      string // the path of the image attachment
	// surveys are the tokens of an unanswered and an answered survey, when this build has
	// surveys.
	surveys []string
	team    bool // whether this build has teams, and the incident's team is planted
}

// plantEverything writes a payload into every field a person or a system can write, through
// the store as the forms and the API would, and through the real Alertmanager hook.
func plantEverything(t *testing.T, a *testApp, s *xssSeeds) *xssWorld {
	t.Helper()
	ctx := context.Background()
	w := &xssWorld{a: a, s: s}
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	ada := amends.Actor{Name: "ada", Role: amends.Admin}
	check := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	a.user(t, "ben", amends.Responder)
	a.user(t, "cy", amends.Responder)

	// User names cannot carry markup at all: refused, and nobody is added.
	before, err := a.store.Users(ctx)
	check("users", err)
	if _, err := a.store.CreateUser(ctx, `<img src=x onerror=__xss.push(1)>`, amends.Viewer, testPassword, ada); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("a user name with markup: %v, want it refused", err)
	}
	if after, _ := a.store.Users(ctx); len(after) != len(before) {
		t.Errorf("a refused user name added a user: %d users, were %d", len(after), len(before))
	}

	// Colleagues: a group, its contacts, the escalation contact. The store keeps what it is
	// given (the forms and the API check addresses first), so a javascript: address stands
	// for one written before those checks or straight into the database.
	g, err := a.store.CreateGroup(ctx, amends.Group{Name: s.next("group name")}, ada)
	check("group", err)
	s.groupID = g.ID
	_, err = a.store.AddContact(ctx, g.ID, amends.Contact{Name: s.next("contact name"), Kind: amends.ChannelEmail,
		Address: "ann@example.com"}, ada)
	check("email contact", err)
	_, err = a.store.AddContact(ctx, g.ID, amends.Contact{Name: "hook", Kind: amends.ChannelWebhook, Secret: "k",
		Address: s.add("webhook address", `https://hooks.example.com/ID?a="><svg/onload=__xss.push('ID')>`, "")}, ada)
	check("webhook contact", err)
	_, err = a.store.AddContact(ctx, g.ID, amends.Contact{Name: "old hook", Kind: amends.ChannelWebhook, Secret: "k",
		Address: s.add("javascript: webhook address", `javascript:__xss.push('ID')`, "")}, ada)
	check("javascript contact", err)
	check("escalation", a.store.SetEscalationContact(ctx, amends.Contact{Name: s.next("escalation contact name"),
		Kind: amends.ChannelEmail, Address: "esc@example.com"}, ada))

	// The incident, declared with everything, then its roles; the brief goes to the group.
	noticed := time.Now().Add(-2 * time.Hour).Truncate(time.Minute)
	w.inc, err = a.store.CreateIncident(ctx, amends.NewIncident{Title: s.next("incident title"), Summary: s.next("incident summary"),
		Severity: 2, NoticedAt: &noticed, Owner: s.next("incident owner"), Components: []string{s.next("component"), "billing"}}, ana)
	check("declare", err)
	ref := w.inc.Ref
	lead, comms := s.next("incident lead"), s.next("incident comms")
	_, err = a.store.UpdateIncident(ctx, ref, amends.IncidentUpdate{Lead: &lead, Comms: &comms}, ana)
	check("roles", err)

	// The timeline: an internal note, a public update, a status change's note, a correction.
	note, err := a.store.AddEvent(ctx, ref, amends.NewEvent{Kind: amends.KindNote, Body: s.next("internal note"), Visibility: amends.Internal}, ana)
	check("note", err)
	_, err = a.store.AddEvent(ctx, ref, amends.NewEvent{Kind: amends.KindNote, Body: s.next("public update"), Visibility: amends.Public}, ana)
	check("public update", err)
	identified := amends.Identified
	_, err = a.store.UpdateIncident(ctx, ref, amends.IncidentUpdate{Status: &identified, Note: s.next("status note")}, ana)
	check("status", err)
	_, err = a.store.AddEvent(ctx, ref, amends.NewEvent{Kind: amends.KindCorrection, Body: s.next("correction"), Corrects: &note.ID,
		Visibility: amends.Internal}, ana)
	check("correction", err)
	w.correctID = note.ID

	// The read link of the email contact's copy of the brief.
	ds, err := a.store.Deliveries(ctx, ref)
	check("deliveries", err)
	for _, d := range ds {
		if d.Purpose == amends.PurposeBrief && d.Kind == amends.ChannelEmail {
			w.ackPath = a.ackPath(t, d.ID)
		}
	}
	if w.ackPath == "" {
		t.Fatalf("no brief to the email contact among %d deliveries", len(ds))
	}

	// Customers and the audience: a list with its own column, every value a payload.
	_, err = a.store.CreateCustomer(ctx, amends.Customer{Email: "cust@example.com", Name: s.next("customer name"),
		Account: s.next("customer account"), Segments: []string{"vip"}}, ana)
	check("customer", err)
	var list bytes.Buffer
	fmt.Fprintf(&list, "email,name,account,plan\nann@example.com,%s,%s,%s\n", xssCSV(s.next("audience name")),
		xssCSV(s.next("audience account")), xssCSV(s.next("audience column value")))
	rep, err := a.store.UploadAudience(ctx, ref, &list, ana)
	check("audience list", err)
	if rep.ProblemCount() != 0 {
		t.Fatalf("audience list refused: %+v", rep.Problems)
	}

	// Messages: one approved and sent (with an override reason, if the check asks for one),
	// one draft with two versions, so the diff shows both.
	subject, body := s.next("sent message subject"), s.next("sent message body")+"\n\nYour plan: {{plan}}"
	owns, score, report := a.web.checked(subject, body)
	w.sent, err = a.store.CreateMessage(ctx, ref, amends.MessageAcknowledgement, subject, body, owns, score, report, ana)
	check("message", err)
	a.approve(t, w.sent, "ben", "cy")
	override := ""
	if !owns {
		override = s.next("send override reason")
	}
	_, err = a.store.SendMessage(ctx, w.sent.ID, override, ana)
	check("send", err)
	subject, body = s.next("draft subject v1"), s.next("draft body v1")+"\n\n{{plan}}"
	owns, score, report = a.web.checked(subject, body)
	w.open, err = a.store.CreateMessage(ctx, ref, amends.MessageUpdate, subject, body, owns, score, report, ana)
	check("draft", err)
	subject, body = s.next("draft subject v2"), s.next("draft body v2")+"\n\n{{plan}}"
	owns, score, report = a.web.checked(subject, body)
	w.open, err = a.store.UpdateMessage(ctx, w.open.ID, subject, body, owns, score, report, ana)
	check("draft v2", err)

	// Action items: a public promise with a ticket link, an internal one, a dropped one.
	due := time.Now().Add(7 * 24 * time.Hour)
	_, err = a.store.CreateActionItem(ctx, ref, amends.NewActionItem{Title: s.next("public action title"), Kind: amends.ActionPrevention,
		Owner: "ada", Due: due, Public: true,
		TicketURL: s.add("ticket URL", `https://tickets.example.com/ID?q="><svg/onload=__xss.push('ID')>`, "")}, ana)
	check("public action", err)
	_, err = a.store.CreateActionItem(ctx, ref, amends.NewActionItem{Title: s.next("internal action title"), Kind: amends.ActionFix,
		Owner: "ada", Due: due}, ana)
	check("internal action", err)
	dropped, err := a.store.CreateActionItem(ctx, ref, amends.NewActionItem{Title: s.next("dropped action title"), Kind: amends.ActionProcess,
		Owner: "ada", Due: due}, ana)
	check("action to drop", err)
	_, err = a.store.DropActionItem(ctx, dropped.ID, s.next("drop reason"), ana)
	check("drop", err)

	// The postmortem: every section Markdown with raw HTML and script links; two versions
	// of the solution; a waiver; shared and published.
	for _, name := range amends.Sections {
		_, err = a.store.SaveSection(ctx, ref, name, s.markdown("postmortem "+string(name)), name.PublicByDefault(), 0, ana)
		check("section "+string(name), err)
	}
	_, err = a.store.SaveSection(ctx, ref, amends.SectionSolution, s.markdown("postmortem solution v2"), true, 1, ana)
	check("solution v2", err)
	_, err = a.store.Waive(ctx, ref, "customer_copy", s.next("waiver reason"), ana)
	check("waive", err)

	// Attachments: an image whose name is a payload, and a text file with a script after
	// the part the type is sniffed from.
	var png bytes.Buffer
	pngPath := filepath.Join(t.TempDir(), "x.png")
	writeTestPNG(t, pngPath, 4, 4)
	b, err := os.ReadFile(pngPath)
	check("png", err)
	png.Write(b)
	img, err := a.store.Attach(ctx, ref, s.add("attachment name", `ID<img src=x onerror=__xss.push('ID')>.png`, `ID<img src=x onerror=__xss.push('ID')>.png`), &png, ana)
	check("attach image", err)
	w.image = fmt.Sprintf("/incidents/%s/attachments/%d", ref, img.ID)
	// A text file with markup after the part its type is sniffed from is refused, and
	// nothing is attached.
	text := strings.Repeat("plain notes line\n", 40) + "<html><body><script>__xss.push('attachment text')</script></body></html>\n"
	if _, err := a.store.Attach(ctx, ref, "notes.txt", strings.NewReader(text), ana); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("a text file with markup late in it: %v, want it refused", err)
	}
	if as, err := a.store.Attachments(ctx, ref); err != nil || len(as) != 1 {
		t.Errorf("after the refusal the incident has %d attachments (%v), want the image only", len(as), err)
	}

	_, err = a.store.SharePostmortem(ctx, ref, ana)
	check("share", err)
	_, err = a.store.PublishPostmortem(ctx, ref, ana)
	check("publish", err)

	// An incident declared by Prometheus Alertmanager through the real hook.
	w.alert = xssPostAlert(t, a, s)

	// Fields of features that may not be in this build: written straight into their tables
	// when the tables have them, so this test needs none of their Go API.
	team := s.next("incident team")
	if _, err := a.store.DB().ExecContext(ctx, "UPDATE incidents SET team = $1 WHERE id = $2", team, w.inc.ID); err != nil {
		t.Logf("no incident teams in this build (%v); teams are not part of this check", err)
		s.list = s.list[:len(s.list)-1]
	} else {
		w.team = true
	}
	w.surveys = plantXSSSurveys(t, a, s, w.inc.ID)
	return w
}

// plantXSSSurveys adds to incident id, when this build has surveys, an unanswered survey and
// one answered with a payload comment, both to customers whose name and account are payloads,
// and returns their tokens.
func plantXSSSurveys(t *testing.T, a *testApp, s *xssSeeds, id int64) []string {
	t.Helper()
	if _, ok := a.web.tableRoute("GET /survey/{token}"); !ok {
		t.Log("no survey page in this build; surveys are not part of this check")
		return nil
	}
	now := time.Now()
	var tokens []string
	for i, answered := range []bool{false, true} {
		token := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("xss-test-survey%d", i)))
		sum := sha256.Sum256([]byte(token))
		var answeredAt, rating any
		comment := ""
		if answered {
			answeredAt, rating, comment = now.UnixMicro(), 2, s.next("survey comment")
		}
		_, err := a.store.DB().Exec(`INSERT INTO surveys (incident_id, email, name, account, token_hash, created_at, expires_at, answered_at, rating, comment)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			id, fmt.Sprintf("survey%d@example.com", i), s.next(fmt.Sprintf("survey %d customer name", i)), s.next(fmt.Sprintf("survey %d customer account", i)),
			hex.EncodeToString(sum[:]), now.UnixMicro(), now.Add(30*24*time.Hour).UnixMicro(), answeredAt, rating, comment)
		if err != nil {
			t.Fatalf("insert a survey: %v", err)
		}
		tokens = append(tokens, token)
	}
	return tokens
}

// tableRoute returns the line of the route table for pattern ("GET /insights"), if there is one.
func (w *Web) tableRoute(pattern string) (route, bool) {
	for _, rt := range w.table() {
		if rt.method+" "+rt.path == pattern {
			return rt, true
		}
	}
	return route{}, false
}

// xssCSV quotes v for a CSV file.
func xssCSV(v string) string { return `"` + strings.ReplaceAll(v, `"`, `""`) + `"` }

// xssPostAlert sends a firing Alertmanager group whose labels and annotations are payloads to
// the API's hook, with a responder's token, and returns the incident it declared.
func xssPostAlert(t *testing.T, a *testApp, s *xssSeeds) *amends.Incident {
	t.Helper()
	ctx := context.Background()
	mux := http.NewServeMux()
	for _, rt := range api.New(api.Config{Store: a.store, Checker: a.web.checker}).Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
	}
	srv := httptest.NewServer(mux)
	defer srv.Close()
	token, err := a.store.CreateToken(ctx, "alertmanager", amends.Responder, amends.Actor{Name: "ada", Role: amends.Admin})
	if err != nil {
		t.Fatal(err)
	}
	payload := map[string]any{
		"version": "4", "groupKey": `{}:{alertname="x"}`, "status": "firing", "receiver": "amends",
		"groupLabels":       map[string]string{"alertname": "x"},
		"commonLabels":      map[string]string{"severity": "critical"},
		"commonAnnotations": map[string]string{"summary": s.next("alert summary"), "description": s.next("alert description")},
		"alerts": []map[string]any{{"status": "firing", "startsAt": time.Now().Add(-10 * time.Minute).UTC().Format(time.RFC3339),
			"labels": map[string]string{"alertname": s.next("alert name"), "instance": s.next("alert instance")}}},
	}
	body, _ := json.Marshal(payload)
	req, _ := http.NewRequest("POST", srv.URL+"/api/v1/hooks/alertmanager", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var got struct {
		Ref string `json:"ref"`
	}
	if err := json.NewDecoder(res.Body).Decode(&got); err != nil || res.StatusCode/100 != 2 || got.Ref == "" {
		t.Fatalf("alertmanager hook: %d %v %+v", res.StatusCode, err, got)
	}
	inc, err := a.store.Incident(ctx, got.Ref)
	if err != nil {
		t.Fatal(err)
	}
	return inc
}

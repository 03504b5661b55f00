package statuspage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
	"github.com/amends/amends/web"
)

// The public text this test adds: each must appear where the public reads it, so the scan
// for secret markers is not vacuous.
const (
	publicPromise   = "PUBLIC-PROMISE check every renewal list before it is sent"
	publicPMSection = "PUBLIC-PM-SECTION-"
)

// TestNoInternalFieldInAnyPublicResponse adds to the fixture of TestNothingInternalIsEverPublic
// a marker in every internal field it does not cover — action items (internal ones, owners,
// ticket links, drop reasons), postmortem sections kept internal and earlier versions of public
// ones, waiver reasons, customer messages and the bodies delivered from them, an
// uploaded audience list, an alert, survey answers when this build has surveys — then
// publishes a promise and the postmortem, and scans every public response: the status page,
// its JSON and Atom feed (plain and gzipped), the static export, the public postmortem page,
// and the survey page when there is one. No marker may appear; the public text must.
func TestNoInternalFieldInAnyPublicResponse(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			ctx := context.Background()
			mark := func(field string) string {
				m := "SECRET-MARKER-" + field
				f.markers = append(f.markers, m)
				return m
			}
			check := func(what string, err error) {
				t.Helper()
				if err != nil {
					t.Fatalf("%s: %v", what, err)
				}
			}
			actor := amends.Actor{Name: mark("actor-2"), Role: amends.Admin}
			ref := f.open.Ref

			// People: the owner of the promises, and two who approve the customer message.
			owner := mark("promise-owner")
			for _, name := range []string{owner, "approver-one", "approver-two"} {
				_, err := f.st.CreateUser(ctx, name, amends.Responder, "a long enough password 1", actor)
				check("user "+name, err)
			}

			// Action items: a public promise (its title is public; its owner, ticket link and
			// kind of work are not), an internal one, and a public one dropped with a reason.
			due := f.clock.Now().Add(7 * 24 * time.Hour)
			_, err := f.st.CreateActionItem(ctx, ref, amends.NewActionItem{Title: publicPromise, Kind: amends.ActionPrevention,
				Owner: owner, Due: due, Public: true, TicketURL: "https://tickets.example.com/" + mark("ticket-url")}, actor)
			check("public promise", err)
			_, err = f.st.CreateActionItem(ctx, ref, amends.NewActionItem{Title: mark("internal-action"), Kind: amends.ActionFix,
				Owner: owner, Due: due}, actor)
			check("internal action", err)
			dropped, err := f.st.CreateActionItem(ctx, ref, amends.NewActionItem{Title: "Call every customer", Kind: amends.ActionCommunication,
				Owner: owner, Due: due, Public: true}, actor)
			check("action to drop", err)
			_, err = f.st.DropActionItem(ctx, dropped.ID, mark("drop-reason"), actor)
			check("drop", err)

			// The postmortem: public sections say so; the root cause and what we learned stay
			// internal by default, the impact is made internal, and the apology's first draft
			// (replaced by a public one) must not show either.
			var publicSections []string
			for _, name := range amends.Sections {
				public := name.PublicByDefault() && name != amends.SectionImpact
				text := mark("pm-" + string(name))
				if public {
					text = publicPMSection + string(name)
					publicSections = append(publicSections, text)
				}
				if name == amends.SectionApology {
					text = mark("pm-apology-draft")
				}
				_, err := f.st.SaveSection(ctx, ref, name, text+"\n\nSaid in **Markdown**.", public, 0, actor)
				check("section "+string(name), err)
			}
			_, err = f.st.SaveSection(ctx, ref, amends.SectionApology, publicPMSection+"apology", true, 1, actor)
			check("apology v2", err)
			publicSections = append(publicSections, publicPMSection+"apology")
			_, err = f.st.Waive(ctx, ref, "customer_copy", mark("waiver-reason"), actor)
			check("waive", err)

			// A customer message to an uploaded list, sent: its subject, body and every value
			// of the list end up in deliveries; a second one stays a draft.
			list := fmt.Sprintf("email,name,account,plan\n%s@example.com,%s,%s,%s\n", strings.ToLower(mark("list-email")),
				mark("list-name"), mark("list-account"), mark("list-plan"))
			rep, err := f.st.UploadAudience(ctx, ref, strings.NewReader(list), actor)
			check("audience", err)
			if rep.ProblemCount() != 0 {
				t.Fatalf("audience list refused: %+v", rep.Problems)
			}
			m, err := f.st.CreateMessage(ctx, ref, amends.MessageAcknowledgement, mark("message-subject"),
				"We sent the wrong email. "+mark("message-body")+" {{plan}} {{name}} {{account}}", true, 100, "", actor)
			check("message", err)
			for _, who := range []string{"approver-one", "approver-two"} {
				_, err := f.st.ApproveMessage(ctx, m.ID, m.Version, amends.Actor{Name: who, Role: amends.Responder})
				check("approve", err)
			}
			_, err = f.st.SendMessage(ctx, m.ID, mark("send-override"), actor)
			check("send", err)
			_, err = f.st.CreateMessage(ctx, ref, amends.MessageUpdate, mark("draft-subject"), mark("draft-body"), true, 100, "", actor)
			check("draft", err)

			// An incident an alert declared, never published.
			_, err = f.st.IngestAlert(ctx, store.Alert{Source: "alertmanager", GroupKey: mark("alert-group"), Firing: true,
				Title: mark("alert-title"), Summary: mark("alert-summary"), Severity: 3, StartedAt: f.clock.Now(), Detail: mark("alert-detail")}, actor)
			check("alert", err)

			surveyTokens := f.plantSurveys(t, mark)

			// Publish the postmortem's public edition, and let the status page catch up.
			_, err = f.st.SharePostmortem(ctx, ref, actor)
			check("share", err)
			_, err = f.st.PublishPostmortem(ctx, ref, actor)
			check("publish", err)
			if _, err := f.pub.Refresh(ctx); err != nil {
				t.Fatal(err)
			}

			docs := map[string][]byte{}
			for _, p := range paths {
				res, plain := f.get(t, p, "Accept-Encoding", "identity")
				_, zipped := f.get(t, p, "Accept-Encoding", "gzip")
				if res.StatusCode != 200 {
					t.Fatalf("GET %s: %d %s", p, res.StatusCode, plain)
				}
				docs[p], docs[p+" (gzip)"] = plain, gunzip(t, zipped)
			}
			dir := t.TempDir()
			if err := statuspage.Export(ctx, f.st, dir, statuspage.ExportOptions{ExportURL: "https://status.example.net"}); err != nil {
				t.Fatal(err)
			}
			for _, name := range statuspage.ExportFiles {
				b, err := os.ReadFile(filepath.Join(dir, name))
				check("export "+name, err)
				docs["export "+name] = b
			}
			site := f.webSite(t)
			docs["public postmortem"] = site.get(t, "/postmortems/"+ref, 200)
			if site.has("GET /survey/{token}") {
				for i, token := range surveyTokens {
					want := 200
					if i > 0 {
						want = 0 // an answered survey says so, with a status of its choosing
					}
					page := site.get(t, "/survey/"+token, want)
					if i == 0 && !bytes.Contains(page, []byte(`id="survey-form"`)) {
						t.Errorf("the unanswered survey shows no form:\n%s", page)
					}
					if !bytes.Contains(page, []byte("Renewal emails went to the wrong list")) {
						t.Errorf("survey page %d does not say which incident it is about:\n%s", i+1, page)
					}
					docs[fmt.Sprintf("survey page %d", i+1)] = page
				}
			} else {
				t.Log("this build has no survey page; it is not part of this check")
			}

			for name, b := range docs {
				low := strings.ToLower(string(b))
				for _, m := range f.markers {
					if strings.Contains(low, strings.ToLower(m)) {
						t.Errorf("%s shows %s", name, m)
					}
				}
			}
			// The public text is there, so the scan above looked at real pages.
			for _, name := range []string{"/status", "/status.json", "export index.html", "export status.json"} {
				if !bytes.Contains(docs[name], []byte(publicPromise)) {
					t.Errorf("%s does not show the public promise %q", name, publicPromise)
				}
			}
			pm := string(docs["public postmortem"])
			for _, want := range append(publicSections, publicPromise, "Renewal emails went to the wrong list", "We found why") {
				if !strings.Contains(pm, want) {
					t.Errorf("the public postmortem does not show %q", want)
				}
			}
			for name, b := range docs {
				if strings.HasPrefix(name, "/status") || strings.HasPrefix(name, "export") {
					if !bytes.Contains(b, []byte("stopped every further send")) {
						t.Errorf("%s does not show the public update", name)
					}
				}
			}
		})
	}
}

// plantSurveys adds, when this build has surveys, one unanswered survey and one answered with
// a marked comment to the open incident, straight into the table (the survey job needs a
// delivered message and a day of waiting), and returns their tokens.
func (f *fixture) plantSurveys(t *testing.T, mark func(string) string) []string {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow("SELECT COUNT(*) FROM surveys").Scan(&n); err != nil {
		t.Logf("no surveys table (%v); surveys are not part of this check", err)
		return nil
	}
	now := f.clock.Now()
	var tokens []string
	for i, answered := range []bool{false, true} {
		// Shaped like a real token: 16 bytes in unpadded base64url, stored as its SHA-256.
		token := base64.RawURLEncoding.EncodeToString([]byte(fmt.Sprintf("marker-survey-%02d", i)))
		sum := sha256.Sum256([]byte(token))
		var answeredAt, rating any
		comment := ""
		if answered {
			answeredAt, rating, comment = now.UnixMicro(), 2, mark("survey-comment")
		}
		_, err := f.st.DB().Exec(`INSERT INTO surveys (incident_id, email, name, account, token_hash, created_at, expires_at, answered_at, rating, comment)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			f.open.ID, strings.ToLower(mark(fmt.Sprintf("survey-email-%d", i)))+"@example.com", mark(fmt.Sprintf("survey-name-%d", i)),
			mark(fmt.Sprintf("survey-account-%d", i)), hex.EncodeToString(sum[:]), now.UnixMicro(), now.Add(30*24*time.Hour).UnixMicro(),
			answeredAt, rating, comment)
		if err != nil {
			t.Errorf("insert a survey: %v", err)
			continue
		}
		tokens = append(tokens, token)
	}
	return tokens
}

// webSite is the web app's public pages over the fixture's store.
type webSite struct {
	srv    *httptest.Server
	routes []string
}

func (f *fixture) webSite(t *testing.T) *webSite {
	t.Helper()
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	w, err := web.New(web.Config{Store: f.st, Checker: checker, Logger: quietLogger(), BaseURL: base, Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	s := &webSite{}
	mux := http.NewServeMux()
	for _, rt := range w.Routes() {
		mux.Handle(rt.Method+" "+rt.Path, rt.Handler)
		s.routes = append(s.routes, rt.Method+" "+rt.Path)
	}
	s.srv = httptest.NewServer(mux)
	t.Cleanup(s.srv.Close)
	return s
}

func (s *webSite) has(route string) bool { return slices.Contains(s.routes, route) }

// get fetches path, signed out, failing the test unless it answers status (any status below
// 500 when status is 0).
func (s *webSite) get(t *testing.T, path string, status int) []byte {
	t.Helper()
	res, err := http.Get(s.srv.URL + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	if status != 0 && res.StatusCode != status || status == 0 && res.StatusCode >= 500 {
		t.Fatalf("GET %s: %d\n%s", path, res.StatusCode, b)
	}
	return b
}

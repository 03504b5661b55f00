package statuspage_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
)

const base = "https://example.com/amends"

// Public text: what the page must show, escaped wherever it goes.
const (
	openTitle   = `Renewal emails went to the wrong list <script>alert("title")</script>`
	firstBody   = "We sent this morning's renewal email to the wrong list of customers. <script>alert(1)</script>\nWe are sorry."
	secondBody  = "We found why & stopped every further send."
	goneTitle   = "Invoices showed doubled amounts"
	goneFirst   = "Invoices sent today show twice the amount owed."
	goneResolve = "Fixed: corrected invoices are on their way."
)

// fixture is a store holding a published open incident, a published resolved one and an
// unpublished one, with a marker string in every field that must never be public, and a
// publisher serving them.
type fixture struct {
	st      *store.Store
	clock   *amendstest.Clock
	pub     *statuspage.Publisher
	srv     *httptest.Server
	markers []string
	open    *amends.Incident
	client  *http.Client
}

func newFixture(t testing.TB, engine string) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{clock: amendstest.NewClock(time.Date(2026, 11, 3, 14, 30, 0, 0, time.UTC))}
	st, err := store.Open(ctx, amendstest.DatabaseURL(t, engine), "", store.Options{Now: f.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	f.st = st
	mark := func(field string) string {
		m := "SECRET-MARKER-" + field
		f.markers = append(f.markers, m)
		return m
	}
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	actor := amends.Actor{Name: mark("actor"), Role: amends.Admin}
	_, err = st.CreateUser(ctx, mark("user"), amends.Responder, "a long enough password 1", actor)
	must(err)
	_, err = st.CreateToken(ctx, mark("token"), amends.Viewer, actor)
	must(err)
	g, err := st.CreateGroup(ctx, amends.Group{Name: mark("group")}, actor)
	must(err)
	_, err = st.AddContact(ctx, g.ID, amends.Contact{Name: mark("contact-name"), Kind: amends.ChannelEmail,
		Address: mark("contact-address") + "@example.com"}, actor)
	must(err)
	_, err = st.AddContact(ctx, g.ID, amends.Contact{Name: mark("webhook-name"), Kind: amends.ChannelWebhook,
		Address: "https://hooks.example.com/" + mark("webhook-url"), Secret: mark("webhook-secret")}, actor)
	must(err)
	must(st.SetEscalationContact(ctx, amends.Contact{Name: mark("escalation-name"), Kind: amends.ChannelEmail,
		Address: mark("escalation-address") + "@example.com"}, actor))
	f.addCustomers(t, mark)
	// Status-page subscribers, confirmed before anything is published so that every public
	// update is also delivered to them: their addresses and secrets are never public either.
	for _, sub := range []struct{ kind, address, secret string }{
		{store.SubscriberEmail, strings.ToLower(mark("subscriber-email")) + "@example.com", ""},
		{store.SubscriberWebhook, "https://hooks.example.com/" + mark("subscriber-webhook"), mark("subscriber-secret")},
	} {
		s, err := st.Subscribe(ctx, sub.kind, sub.address, sub.secret)
		must(err)
		must(st.ConfirmSubscription(ctx, s.Token))
	}

	step := func() { f.clock.Advance(2 * time.Minute) }
	note := func(ref string, kind amends.EventKind, vis amends.Visibility, body string) amends.Event {
		t.Helper()
		step()
		e, err := st.AddEvent(ctx, ref, amends.NewEvent{Kind: kind, Body: body, Visibility: vis}, actor)
		must(err)
		return e
	}
	update := func(ref string, u amends.IncidentUpdate) {
		t.Helper()
		step()
		_, err := st.UpdateIncident(ctx, ref, u, actor)
		must(err)
	}
	status := func(s amends.Status) *amends.Status { return &s }
	str := func(s string) *string { return &s }

	f.open, err = st.CreateIncident(ctx, amends.NewIncident{Title: openTitle, Summary: mark("summary"), Severity: 2,
		Owner: mark("owner"), Components: []string{"Email", "Billing"}}, actor)
	must(err)
	update(f.open.Ref, amends.IncidentUpdate{Lead: str(mark("lead")), Comms: str(mark("comms"))})
	note(f.open.Ref, amends.KindNote, amends.Internal, mark("internal-note"))
	note(f.open.Ref, amends.KindColleaguesTold, amends.Internal, mark("colleagues-told"))
	first := note(f.open.Ref, amends.KindCustomersTold, amends.Public, firstBody)
	step()
	_, err = st.AddEvent(ctx, f.open.Ref, amends.NewEvent{Kind: amends.KindCorrection, Body: mark("internal-correction"),
		Corrects: &first.ID, Visibility: amends.Internal}, actor)
	must(err)
	update(f.open.Ref, amends.IncidentUpdate{Status: status(amends.Identified), Note: mark("status-note")})
	note(f.open.Ref, amends.KindRootCause, amends.Internal, mark("root-cause"))
	note(f.open.Ref, amends.KindNote, amends.Public, secondBody)
	update(f.open.Ref, amends.IncidentUpdate{Summary: str(mark("summary-changed"))})

	gone, err := st.CreateIncident(ctx, amends.NewIncident{Title: goneTitle, Summary: mark("gone-summary"), Severity: 1,
		Components: []string{"Billing"}}, actor)
	must(err)
	note(gone.Ref, amends.KindNote, amends.Public, goneFirst)
	update(gone.Ref, amends.IncidentUpdate{Status: status(amends.Resolved), Note: mark("resolve-note")})
	note(gone.Ref, amends.KindNote, amends.Public, goneResolve)

	private, err := st.CreateIncident(ctx, amends.NewIncident{Title: mark("unpublished-title"), Severity: 1,
		Components: []string{mark("unpublished-component")}}, actor)
	must(err)
	note(private.Ref, amends.KindNote, amends.Internal, mark("unpublished-note"))

	f.pub, err = statuspage.New(statuspage.Config{Store: st, BaseURL: base, Interval: 20 * time.Millisecond,
		Logger: quietLogger()})
	must(err)
	f.pub.Start(ctx)
	t.Cleanup(f.pub.Stop)
	mux := http.NewServeMux()
	for _, r := range f.pub.Routes() {
		mux.Handle(r.Method+" "+r.Path, r.Handler)
	}
	f.srv = httptest.NewServer(mux)
	t.Cleanup(f.srv.Close)
	f.client = &http.Client{Transport: &http.Transport{DisableCompression: true}}
	return f
}

// addCustomers puts a marked customer in the customers table when this build has one.
func (f *fixture) addCustomers(t testing.TB, mark func(string) string) {
	t.Helper()
	var n int
	if err := f.st.DB().QueryRow("SELECT COUNT(*) FROM customers").Scan(&n); err != nil {
		t.Logf("no customers table (%v); customers are not part of this check", err)
		return
	}
	now := f.clock.Now().UnixMicro()
	if _, err := f.st.DB().Exec(`INSERT INTO customers (email, name, account, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)`,
		strings.ToLower(mark("customer-email"))+"@example.com", mark("customer-name"), mark("customer-account"), now); err != nil {
		t.Errorf("insert a customer: %v", err)
	}
}

// get fetches path with the given request headers (name, value, name, value…).
func (f *fixture) get(t *testing.T, path string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	req, _ := http.NewRequest("GET", f.srv.URL+path, nil)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := f.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res, b
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

var paths = []string{"/status", "/status.json", "/status/feed.atom"}

func TestNothingInternalIsEverPublic(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			f := newFixture(t, engine)
			if len(f.markers) < 25 {
				t.Fatalf("only %d markers", len(f.markers))
			}
			docs := map[string][]byte{}
			for _, p := range paths {
				res, plain := f.get(t, p, "Accept-Encoding", "identity")
				if res.StatusCode != 200 {
					t.Fatalf("GET %s: %d %s", p, res.StatusCode, plain)
				}
				res, zipped := f.get(t, p, "Accept-Encoding", "gzip")
				if res.Header.Get("Content-Encoding") != "gzip" {
					t.Fatalf("GET %s with gzip: Content-Encoding %q", p, res.Header.Get("Content-Encoding"))
				}
				docs[p] = plain
				docs[p+" (gzip)"] = gunzip(t, zipped)
			}
			dir := t.TempDir()
			if err := statuspage.Export(context.Background(), f.st, dir, statuspage.ExportOptions{ExportURL: "https://status.example.net"}); err != nil {
				t.Fatal(err)
			}
			for _, name := range statuspage.ExportFiles {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				docs["export "+name] = b
			}
			for name, b := range docs {
				low := strings.ToLower(string(b))
				if strings.Contains(low, "secret-marker") {
					for _, m := range f.markers {
						if strings.Contains(low, strings.ToLower(m)) {
							t.Errorf("%s shows %s", name, m)
						}
					}
				}
				// What was published does appear, escaped for its format.
				for _, want := range []string{"We found why", "stopped every further send", "Invoices showed doubled amounts",
					"Fixed: corrected invoices", "Renewal emails went to the wrong list", "renewal email to the wrong list"} {
					if !bytes.Contains(b, []byte(want)) {
						t.Errorf("%s does not show %q", name, want)
					}
				}
				if bytes.Contains(b, []byte("<script")) {
					t.Errorf("%s contains an unescaped <script", name)
				}
			}
			if !bytes.Equal(docs["/status"], docs["/status (gzip)"]) {
				t.Error("the gzipped page differs from the page")
			}
		})
	}
}

func TestPageShowsWhatWasPublished(t *testing.T) {
	f := newFixture(t, "sqlite")
	_, page := f.get(t, "/status")
	for _, want := range []string{
		`Renewal emails went to the wrong list &lt;script&gt;alert(&#34;title&#34;)&lt;/script&gt;`,
		`&lt;script&gt;alert(1)&lt;/script&gt;`,
		`We found why &amp; stopped`,
		`<h1 class="impact-partial_outage">`, "Partial outage",
		`id="INC-1"`, `id="INC-1-2"`, `<strong>Identified</strong>`, `<strong>Investigating</strong>`,
		"Next update", // SEV2: an hour after the latest public update
		`<li><span class="name">Billing</span> <span class="state impact-partial_outage">`,
		`<li><span class="name">Email</span> <span class="state impact-partial_outage">`,
		"Recent history", "Major outage", "Resolved",
		`href="status/feed.atom"`, `href="status.json"`,
	} {
		if !strings.Contains(string(page), want) {
			t.Errorf("page lacks %s", want)
		}
	}
	var doc statuspage.Document
	_, b := f.get(t, "/status.json")
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.SchemaVersion != 1 || doc.Status.Impact != amends.ImpactPartial || len(doc.Incidents) != 1 || len(doc.History) != 1 {
		t.Fatalf("document %+v", doc)
	}
	inc := doc.Incidents[0]
	if inc.Ref != "INC-1" || inc.Title != openTitle || inc.Status != amends.Identified || inc.Impact != amends.ImpactPartial ||
		inc.URL != base+"/status#INC-1" || len(inc.Updates) != 2 || inc.ResolvedAt != nil || inc.NextUpdateBy == nil {
		t.Fatalf("open incident %+v", inc)
	}
	if inc.Updates[0].Body != secondBody || inc.Updates[0].ID != "INC-1-2" || inc.Updates[1].Body != firstBody ||
		inc.Updates[1].Status != amends.Investigating || inc.Updates[0].Status != amends.Identified {
		t.Errorf("updates, newest first: %+v", inc.Updates)
	}
	last, _ := time.Parse(time.RFC3339, inc.Updates[0].PublishedAt)
	if due, _ := time.Parse(time.RFC3339, *inc.NextUpdateBy); !due.Equal(last.Add(time.Hour)) {
		t.Errorf("next update by %s, last published %s", *inc.NextUpdateBy, inc.Updates[0].PublishedAt)
	}
	if started, _ := time.Parse(time.RFC3339, inc.StartedAt); !started.Equal(last.Add(-8 * time.Minute)) {
		t.Errorf("started %s", inc.StartedAt)
	}
	gone := doc.History[0]
	if gone.Status != amends.Resolved || gone.ResolvedAt == nil || gone.NextUpdateBy != nil || gone.Impact != amends.ImpactMajor {
		t.Errorf("history %+v", gone)
	}
	want := []statuspage.Component{{Name: "Billing", Impact: amends.ImpactPartial, Description: "Partial outage"},
		{Name: "Email", Impact: amends.ImpactPartial, Description: "Partial outage"}}
	if len(doc.Components) != 2 || doc.Components[0] != want[0] || doc.Components[1] != want[1] {
		t.Errorf("components %+v", doc.Components)
	}
	if doc.Page.Feed != base+"/status/feed.atom" || doc.Page.URL != base+"/status" || doc.UpdatedAt == nil {
		t.Errorf("page %+v updated %v", doc.Page, doc.UpdatedAt)
	}
}

func TestCachingHeaders(t *testing.T) {
	f := newFixture(t, "sqlite")
	for _, p := range paths {
		res, body := f.get(t, p, "Accept-Encoding", "identity")
		tag := res.Header.Get("ETag")
		if !strings.HasPrefix(tag, `"`) || res.Header.Get("Cache-Control") != statuspage.CacheControl ||
			res.Header.Get("Vary") != "Accept-Encoding" || res.Header.Get("Last-Modified") == "" ||
			res.Header.Get("Content-Length") != fmt.Sprint(len(body)) {
			t.Errorf("%s headers %v", p, res.Header)
		}
		gzRes, _ := f.get(t, p, "Accept-Encoding", "br, gzip;q=0.8")
		gzTag := gzRes.Header.Get("ETag")
		if gzTag == tag || gzRes.Header.Get("Content-Encoding") != "gzip" {
			t.Errorf("%s gzip: ETag %s (identity %s), encoding %q", p, gzTag, tag, gzRes.Header.Get("Content-Encoding"))
		}
		for _, tc := range []struct {
			name        string
			headers     []string
			want        int
			wantEncoded bool
		}{
			{"same tag", []string{"If-None-Match", tag, "Accept-Encoding", "identity"}, 304, false},
			{"weak and listed", []string{"If-None-Match", `"nope", W/` + tag}, 304, false},
			{"star", []string{"If-None-Match", "*"}, 304, false},
			{"gzip tag", []string{"If-None-Match", gzTag, "Accept-Encoding", "gzip"}, 304, false},
			{"gzip tag, identity asked", []string{"If-None-Match", gzTag}, 200, false},
			{"other tag", []string{"If-None-Match", `"other"`, "Accept-Encoding", "gzip"}, 200, true},
			{"gzip refused", []string{"Accept-Encoding", "gzip;q=0, *"}, 200, false},
			{"if-modified-since", []string{"If-Modified-Since", res.Header.Get("Last-Modified")}, 304, false},
			{"modified since", []string{"If-Modified-Since", "Mon, 02 Nov 2026 10:00:00 GMT"}, 200, false},
		} {
			r, b := f.get(t, p, tc.headers...)
			if r.StatusCode != tc.want || (r.Header.Get("Content-Encoding") == "gzip") != tc.wantEncoded {
				t.Errorf("%s %s: %d encoding %q", p, tc.name, r.StatusCode, r.Header.Get("Content-Encoding"))
			}
			if r.StatusCode == 304 && (len(b) > 0 || r.Header.Get("ETag") == "") {
				t.Errorf("%s %s: 304 with %d bytes, ETag %q", p, tc.name, len(b), r.Header.Get("ETag"))
			}
		}
	}
	res, _ := f.get(t, "/status")
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "style-src 'sha256-") || !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "script-src") {
		t.Errorf("page CSP %q", csp)
	}
	if res, _ := f.get(t, "/status.json"); res.Header.Get("Access-Control-Allow-Origin") != "*" || res.Header.Get("Content-Type") != "application/json" {
		t.Errorf("status.json headers %v", res.Header)
	}
	if res, _ := f.get(t, "/status/feed.atom"); res.Header.Get("Content-Type") != "application/atom+xml; charset=utf-8" {
		t.Errorf("feed Content-Type %q", res.Header.Get("Content-Type"))
	}
}

func TestPublishIsVisibleWithinASecond(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	res, _ := f.get(t, "/status.json")
	oldTag := res.Header.Get("ETag")
	rebuilds := f.pub.Rebuilds()

	// Internal changes cause no rebuild; the counter did not move.
	if _, err := f.st.AddEvent(ctx, f.open.Ref, amends.NewEvent{Body: "internal only"}, amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	if rebuilt, err := f.pub.Refresh(ctx); err != nil || rebuilt {
		t.Errorf("an internal note rebuilt the page: %v %v", rebuilt, err)
	}

	const body = "Every affected customer has had a corrected email."
	start := time.Now()
	if _, err := f.st.AddEvent(ctx, f.open.Ref, amends.NewEvent{Body: body, Visibility: amends.Public}, amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	deadline := start.Add(time.Second)
	for {
		res, b := f.get(t, "/status.json")
		if bytes.Contains(b, []byte(body)) {
			if res.Header.Get("ETag") == oldTag {
				t.Error("the ETag did not change with the content")
			}
			t.Logf("visible after %v", time.Since(start).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a public update was not visible within 1 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if f.pub.Rebuilds() <= rebuilds {
		t.Errorf("rebuilds %d → %d", rebuilds, f.pub.Rebuilds())
	}
	// A status change of a published incident shows too.
	resolved := amends.Resolved
	if _, err := f.st.UpdateIncident(ctx, f.open.Ref, amends.IncidentUpdate{Status: &resolved}, amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.pub.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	_, b := f.get(t, "/status")
	if !strings.Contains(string(b), "All systems operational") || strings.Contains(string(b), "Next update") {
		t.Errorf("after resolving, the page still shows an open incident")
	}
}

func TestHandlersDoNotTouchTheDatabase(t *testing.T) {
	f := newFixture(t, "sqlite")
	f.pub.Stop()
	f.st.Close() // the database is gone; the page is served from memory
	for _, p := range paths {
		if res, _ := f.get(t, p); res.StatusCode != 200 {
			t.Errorf("GET %s without a database: %d", p, res.StatusCode)
		}
	}
	if _, err := f.pub.Refresh(context.Background()); err == nil {
		t.Error("Refresh on a closed database did not fail")
	}
	if res, _ := f.get(t, "/status"); res.StatusCode != 200 {
		t.Errorf("a failed refresh dropped the page: %d", res.StatusCode)
	}
}

func TestBeforeTheFirstBuild(t *testing.T) {
	st, err := store.Open(context.Background(), amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	p, err := statuspage.New(statuspage.Config{Store: st, BaseURL: base})
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	p.Routes()[0].Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 503 || rec.Header().Get("Retry-After") == "" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("before the first build: %d %v", rec.Code, rec.Header())
	}
	if _, err := p.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	rec = httptest.NewRecorder()
	p.Routes()[0].Handler.ServeHTTP(rec, httptest.NewRequest("GET", "/status", nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), "All systems operational") ||
		!strings.Contains(rec.Body.String(), "No open incidents") || rec.Header().Get("Last-Modified") != "" {
		t.Errorf("empty page: %d %v", rec.Code, rec.Header())
	}
}

func TestExportWritesFilesAtomically(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "site")
	if err := statuspage.Export(ctx, f.st, dir, statuspage.ExportOptions{}); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("export without any URL: %v", err)
	}
	if err := statuspage.Export(ctx, f.st, dir, statuspage.ExportOptions{ExportURL: "https://status.example.net/"}); err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(dir)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if strings.Join(names, ",") != "feed.atom,index.html,status.json" {
		t.Errorf("export wrote %v", names)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	if !strings.Contains(string(html), `href="feed.atom"`) || !strings.Contains(string(html), `http-equiv="Content-Security-Policy"`) {
		t.Errorf("exported page links: %s", html)
	}
	var doc statuspage.Document
	b, _ := os.ReadFile(filepath.Join(dir, "status.json"))
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Page.URL != "https://status.example.net/" || doc.Page.Feed != "https://status.example.net/feed.atom" ||
		doc.Incidents[0].URL != "https://status.example.net/#INC-1" {
		t.Errorf("exported links %+v %s", doc.Page, doc.Incidents[0].URL)
	}
	// The same state renders the same bytes as the server, apart from the links and the
	// subscribe form, which only the server's page has.
	_, served := f.get(t, "/status")
	start, end := bytes.Index(served, []byte("\n<section aria-labelledby=\"subscribe\"")), bytes.Index(served, []byte("</form>\n</section>"))
	if start < 0 || end < start || bytes.Contains(html, []byte("<form")) {
		t.Fatal("the served page has no subscribe form, or the export has one")
	}
	served = append(served[:start:start], served[end+len("</form>\n</section>"):]...)
	if got := strings.ReplaceAll(string(html), `href="feed.atom"`, `href="status/feed.atom"`); got != string(served) {
		t.Error("the exported page differs from the served one beyond its feed link")
	}
}

func TestServeExportsAfterEachPublish(t *testing.T) {
	f := newFixture(t, "sqlite")
	ctx := context.Background()
	dir := t.TempDir()
	p, err := statuspage.New(statuspage.Config{Store: f.st, BaseURL: base, ExportDir: dir, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(dir, "status.json"))
	if err != nil || !bytes.Contains(b, []byte(`"feed":"`+base+`/status/feed.atom"`)) {
		t.Fatalf("export after the first build: %v %s", err, b)
	}
	if _, err := f.st.AddEvent(ctx, f.open.Ref, amends.NewEvent{Body: "Exported too.", Visibility: amends.Public}, amends.Actor{Name: "ana"}); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Refresh(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "index.html")); !bytes.Contains(b, []byte("Exported too.")) {
		t.Error("the export was not rewritten after a publish")
	}
}

package statuspage

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

//go:embed templates/status.html templates/status.css
var templateFiles embed.FS

// Links say where the three documents of a status page live: absolute URLs for the JSON and the
// feed, which are read away from the page, and the relative links the HTML page uses, which
// depend only on how the files sit next to each other.
type Links struct {
	Page, JSON, Feed   string // absolute URLs
	JSONHref, FeedHref string // relative to the HTML page
	// SubscribeHref is where the page's subscribe form posts, relative to the page; empty (no
	// form) in a static export, which may be served from another site while the server is down.
	SubscribeHref string
}

// ServerLinks are the links of the status page a server at baseURL serves: /status,
// /status.json and /status/feed.atom.
func ServerLinks(baseURL string) Links {
	b := strings.TrimRight(baseURL, "/")
	return Links{Page: b + "/status", JSON: b + "/status.json", Feed: b + "/status/feed.atom",
		JSONHref: "status.json", FeedHref: "status/feed.atom", SubscribeHref: "status/subscribe"}
}

// ExportLinks are the links of a static export (index.html, status.json and feed.atom in one
// directory). exportURL is where the directory is served; when it is empty, the absolute links
// name the server at baseURL instead, so the export is a mirror of that server's page.
func ExportLinks(exportURL, baseURL string) Links {
	l := ServerLinks(baseURL)
	if exportURL != "" {
		b := strings.TrimRight(exportURL, "/")
		l = Links{Page: b + "/", JSON: b + "/status.json", Feed: b + "/feed.atom"}
	}
	l.JSONHref, l.FeedHref, l.SubscribeHref = "status.json", "feed.atom", ""
	return l
}

// Files are the three documents of one published state.
type Files struct {
	HTML, JSON, Atom []byte
}

// Renderer turns a published state into the status page's documents. The output depends only
// on its input (no clock), so every replica renders the same bytes and the same ETags.
type Renderer struct {
	tmpl  *template.Template
	style string
	// csp allows exactly the inline stylesheet and nothing else: no scripts, no frames.
	csp  string
	name string
	loc  *time.Location
}

// NewRenderer parses the page template. name heads the page and the feed ("Status" when
// empty); times are shown in loc (UTC when nil).
func NewRenderer(name string, loc *time.Location) (*Renderer, error) {
	if name == "" {
		name = "Status"
	}
	if loc == nil {
		loc = time.UTC
	}
	css, err := templateFiles.ReadFile("templates/status.css")
	if err != nil {
		return nil, err
	}
	tmpl, err := template.New("status.html").Funcs(template.FuncMap{
		"join": func(s []string) string { return strings.Join(s, ", ") },
	}).ParseFS(templateFiles, "templates/status.html")
	if err != nil {
		return nil, fmt.Errorf("status page template: %w", err)
	}
	sum := sha256.Sum256(css)
	csp := "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
		"'; img-src data:; base-uri 'none'; form-action 'self'"
	return &Renderer{tmpl: tmpl, style: string(css), csp: csp, name: name, loc: loc}, nil
}

// CSP is the Content-Security-Policy the HTML page needs; the page also carries it in a meta
// element, for static copies served without headers.
func (r *Renderer) CSP() string { return r.csp + "; frame-ancestors 'none'" }

// Render writes the HTML page, the JSON document and the Atom feed of st. feedKey makes the
// feed's ids (urn:uuid) unique to this installation and stable across replicas and exports.
func (r *Renderer) Render(st store.PublicState, l Links, feedKey string) (Files, error) {
	var f Files
	var buf bytes.Buffer
	if err := r.tmpl.Execute(&buf, r.page(st, l)); err != nil {
		return f, fmt.Errorf("render status page: %w", err)
	}
	f.HTML = buf.Bytes()
	var err error
	if f.JSON, err = r.json(st, l); err != nil {
		return f, err
	}
	if f.Atom, err = r.atom(st, l, feedKey); err != nil {
		return f, err
	}
	return f, nil
}

// The HTML page's view: every value already a string in its final form.
type pageView struct {
	Name, Headline, Zone string
	Overall              amends.Impact
	Updated              *timeView
	Components           []componentView
	Open, History        []incidentView
	JSONHref, FeedHref   string
	SubscribeHref        string
	Style                template.CSS
	CSP                  string
}

type timeView struct{ ISO, Text string }

type componentView struct {
	Name   string
	Impact amends.Impact
	Label  string
}

type incidentView struct {
	Ref, Title               string
	Impact                   amends.Impact
	ImpactLabel, StatusLabel string
	Open                     bool
	Components               []string
	Started, Resolved        *timeView
	NextUpdate               *timeView
	Updates                  []updateView // newest first
	Promises                 []promiseView
}

// promiseView is a public action item: what we promised, by when, and whether it is done.
type promiseView struct {
	Title, DueDate string
	Done           *timeView
}

type updateView struct {
	Anchor string
	At     timeView
	Status string
	Body   string
}

// headlines say the worst current impact in a sentence.
var headlines = map[amends.Impact]string{
	amends.ImpactNone:     "All systems operational",
	amends.ImpactMinor:    "Minor issues",
	amends.ImpactDegraded: "Degraded service",
	amends.ImpactPartial:  "Partial outage",
	amends.ImpactMajor:    "Major outage",
}

func (r *Renderer) page(st store.PublicState, l Links) pageView {
	all := append(append([]amends.PublicIncident{}, st.Open...), st.History...)
	overall := amends.OverallImpact(st.Open)
	p := pageView{Name: r.name, Overall: overall, Headline: headlines[overall], Zone: r.zoneName(),
		JSONHref: l.JSONHref, FeedHref: l.FeedHref, SubscribeHref: l.SubscribeHref, Style: template.CSS(r.style), CSP: r.csp}
	if !st.PublishedAt.IsZero() {
		p.Updated = r.when(st.PublishedAt, true)
	}
	for _, c := range amends.ComponentStates(all) {
		p.Components = append(p.Components, componentView{c.Name, c.Impact, c.Impact.Label()})
	}
	for _, inc := range st.Open {
		p.Open = append(p.Open, r.incident(inc))
	}
	for _, inc := range st.History {
		p.History = append(p.History, r.incident(inc))
	}
	return p
}

func (r *Renderer) incident(inc amends.PublicIncident) incidentView {
	v := incidentView{Ref: inc.Ref, Title: inc.Title, Impact: inc.Impact(), ImpactLabel: inc.Impact().Label(),
		StatusLabel: inc.Status.PublicLabel(), Open: inc.Open(), Components: inc.Components}
	if s := inc.Started(); !s.IsZero() {
		v.Started = r.when(s, true)
	}
	if inc.ResolvedAt != nil {
		v.Resolved = r.when(*inc.ResolvedAt, true)
	}
	if due := inc.NextUpdateDue(); !due.IsZero() {
		last := inc.LastPublished().In(r.loc)
		d := due.In(r.loc)
		sameDay := last.YearDay() == d.YearDay() && last.Year() == d.Year()
		v.NextUpdate = r.when(due, !sameDay)
	}
	for _, u := range newestFirst(inc.Updates) {
		v.Updates = append(v.Updates, updateView{Anchor: anchor(inc.Ref, u.N), At: *r.when(u.At, true),
			Status: u.Status.PublicLabel(), Body: u.Body})
	}
	for _, p := range inc.Promises {
		pv := promiseView{Title: p.Title, DueDate: p.DueDate}
		if p.DoneAt != nil {
			pv.Done = r.when(*p.DoneAt, true)
		}
		v.Promises = append(v.Promises, pv)
	}
	return v
}

// newestFirst orders updates by when they happened, the latest first (ties: the later
// recorded first), as the page and the JSON list them.
func newestFirst(ups []amends.PublicUpdate) []amends.PublicUpdate {
	out := slices.Clone(ups)
	slices.SortStableFunc(out, func(a, b amends.PublicUpdate) int {
		if c := b.At.Compare(a.At); c != 0 {
			return c
		}
		return b.N - a.N
	})
	return out
}

// anchor is the fragment of update n of incident ref on the page: INC-4-2.
func anchor(ref string, n int) string { return fmt.Sprintf("%s-%d", ref, n) }

func (r *Renderer) when(t time.Time, withDate bool) *timeView {
	lt := t.In(r.loc)
	text := lt.Format("15:04 MST")
	if withDate {
		text = lt.Format("Mon 2 Jan 2006, 15:04 MST")
	}
	return &timeView{ISO: t.UTC().Format(time.RFC3339), Text: text}
}

func (r *Renderer) zoneName() string {
	if r.loc == time.UTC {
		return "UTC"
	}
	return r.loc.String()
}

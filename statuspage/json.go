package statuspage

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// SchemaVersion is the version of the /status.json document (docs/STATUS-JSON.md). Fields may
// be added within a version; none is removed or changes meaning.
const SchemaVersion = 1

// Document is /status.json. docs/STATUS-JSON.md describes every field; a test keeps the two
// in step.
type Document struct {
	SchemaVersion int         `json:"schema_version"`
	Page          PageLinks   `json:"page"`
	UpdatedAt     *string     `json:"updated_at"`
	Status        Summary     `json:"status"`
	Components    []Component `json:"components"`
	Incidents     []Incident  `json:"incidents"`
	History       []Incident  `json:"history"`
}

// PageLinks names the page and where its documents are.
type PageLinks struct {
	Name string `json:"name"`
	URL  string `json:"url"`
	JSON string `json:"json"`
	Feed string `json:"feed"`
}

// Summary is the worst current impact.
type Summary struct {
	Impact      amends.Impact `json:"impact"`
	Description string        `json:"description"`
}

// Component is one affected component and its current impact.
type Component struct {
	Name        string        `json:"name"`
	Impact      amends.Impact `json:"impact"`
	Description string        `json:"description"`
}

// Incident is one published incident.
type Incident struct {
	Ref               string        `json:"ref"`
	Title             string        `json:"title"`
	URL               string        `json:"url"`
	Impact            amends.Impact `json:"impact"`
	ImpactDescription string        `json:"impact_description"`
	Status            amends.Status `json:"status"`
	StatusDescription string        `json:"status_description"`
	Components        []string      `json:"components"`
	StartedAt         string        `json:"started_at"`
	ResolvedAt        *string       `json:"resolved_at"`
	NextUpdateBy      *string       `json:"next_update_by"`
	Updates           []Update      `json:"updates"`
	Promises          []Promise     `json:"promises"`
}

// Promise is one public action item of an incident: what we promised, by when, and when it
// was done.
type Promise struct {
	Title   string  `json:"title"`
	DueDate string  `json:"due_date"`
	DoneAt  *string `json:"done_at"`
}

// Update is one public update of an incident.
type Update struct {
	ID          string        `json:"id"`
	URL         string        `json:"url"`
	At          string        `json:"at"`
	PublishedAt string        `json:"published_at"`
	Status      amends.Status `json:"status"`
	Body        string        `json:"body"`
}

func stamp(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func stampPtr(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := stamp(t)
	return &s
}

// document builds /status.json from st.
func (r *Renderer) document(st store.PublicState, l Links) Document {
	overall := amends.OverallImpact(st.Open)
	d := Document{SchemaVersion: SchemaVersion, Page: PageLinks{Name: r.name, URL: l.Page, JSON: l.JSON, Feed: l.Feed},
		UpdatedAt: stampPtr(st.PublishedAt), Status: Summary{overall, headlines[overall]},
		Components: []Component{}, Incidents: []Incident{}, History: []Incident{}}
	all := append(append([]amends.PublicIncident{}, st.Open...), st.History...)
	for _, c := range amends.ComponentStates(all) {
		d.Components = append(d.Components, Component{c.Name, c.Impact, c.Impact.Label()})
	}
	conv := func(inc amends.PublicIncident) Incident {
		out := Incident{Ref: inc.Ref, Title: inc.Title, URL: l.Page + "#" + inc.Ref, Impact: inc.Impact(),
			ImpactDescription: inc.Impact().Label(), Status: inc.Status, StatusDescription: inc.Status.PublicLabel(),
			Components: inc.Components, StartedAt: stamp(inc.Started()), NextUpdateBy: stampPtr(inc.NextUpdateDue()),
			Updates: []Update{}, Promises: []Promise{}}
		for _, p := range inc.Promises {
			pr := Promise{Title: p.Title, DueDate: p.DueDate}
			if p.DoneAt != nil {
				pr.DoneAt = stampPtr(*p.DoneAt)
			}
			out.Promises = append(out.Promises, pr)
		}
		if out.Components == nil {
			out.Components = []string{}
		}
		if inc.ResolvedAt != nil {
			out.ResolvedAt = stampPtr(*inc.ResolvedAt)
		}
		for _, u := range newestFirst(inc.Updates) {
			id := anchor(inc.Ref, u.N)
			out.Updates = append(out.Updates, Update{ID: id, URL: l.Page + "#" + id, At: stamp(u.At),
				PublishedAt: stamp(u.RecordedAt), Status: u.Status, Body: u.Body})
		}
		return out
	}
	for _, inc := range st.Open {
		d.Incidents = append(d.Incidents, conv(inc))
	}
	for _, inc := range st.History {
		d.History = append(d.History, conv(inc))
	}
	return d
}

func (r *Renderer) json(st store.PublicState, l Links) ([]byte, error) {
	b, err := json.Marshal(r.document(st, l))
	if err != nil {
		return nil, fmt.Errorf("encode status.json: %w", err)
	}
	return append(b, '\n'), nil
}

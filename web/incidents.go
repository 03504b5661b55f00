package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// pageSize is how many incidents one page of the list shows.
const pageSize = 25

// actorOf is who the timeline and the audit log name for a request: the signed-in user.
func actorOf(s *store.Session) amends.Actor {
	return amends.Actor{Name: s.User.Name, Role: s.User.Role}
}

// incidentRow is one incident of the list with its time-to-own targets.
type incidentRow struct {
	*amends.Incident
	Colleagues, Customers ownView
}

type incidentsPage struct {
	page
	Incidents []incidentRow
	Status    string // "", "open" or a status
	Severity  string // "" or 1..4
	Next      string // the URL of the next page, "" on the last
}

func (w *Web) incidents(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	q := r.URL.Query()
	p := &incidentsPage{page: page{Title: "Incidents", Nav: "incidents"}, Status: q.Get("status"), Severity: q.Get("severity")}
	f := amends.IncidentFilter{Limit: pageSize, After: q.Get("after")}
	switch p.Status {
	case "":
	case "open":
		f.OpenOnly = true
	default:
		f.Status = amends.Status(p.Status)
	}
	if p.Severity != "" {
		sev, err := amends.ParseSeverity(p.Severity)
		if err != nil {
			w.fail(rw, r, err)
			return
		}
		f.Severity = sev
	}
	res, err := w.store.Incidents(r.Context(), f)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	targets, err := w.store.Targets(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, inc := range res.Incidents {
		row := incidentRow{Incident: inc}
		row.Colleagues, row.Customers = w.ownBoth(inc, targets)
		p.Incidents = append(p.Incidents, row)
	}
	if res.Next != "" {
		v := url.Values{"after": {res.Next}}
		if p.Status != "" {
			v.Set("status", p.Status)
		}
		if p.Severity != "" {
			v.Set("severity", p.Severity)
		}
		p.Next = "/incidents?" + v.Encode()
	}
	w.render(rw, r, http.StatusOK, "incidents", p)
}

// declareForm is the declare form as typed, kept so an invalid one comes back as it was.
type declareForm struct {
	Title, Summary, Severity, NoticedAt, Owner, Components string
	Err                                                    *formError
}

var declareFields = []string{"title", "summary", "severity", "noticed_at", "owner", "components"}

func (f declareForm) parse() (amends.NewIncident, error) {
	n := amends.NewIncident{Title: f.Title, Summary: f.Summary, Owner: f.Owner, Components: splitList(f.Components)}
	sev, err := parseSeverity(f.Severity)
	if err != nil {
		return n, err
	}
	n.Severity = sev
	if n.NoticedAt, err = parseLocal("noticed_at", f.NoticedAt); err != nil {
		return n, err
	}
	return n, nil
}

type declarePage struct {
	page
	Form declareForm
}

func (w *Web) declareForm(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	w.render(rw, r, http.StatusOK, "declare", &declarePage{page: page{Title: "Declare an incident", Nav: "declare"},
		Form: declareForm{Owner: sess.User.Name}})
}

func (w *Web) declare(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := declareForm{Title: r.PostFormValue("title"), Summary: r.PostFormValue("summary"),
		Severity: r.PostFormValue("severity"), NoticedAt: r.PostFormValue("noticed_at"),
		Owner: r.PostFormValue("owner"), Components: r.PostFormValue("components")}
	n, err := f.parse()
	var inc *amends.Incident
	if err == nil {
		inc, err = w.store.CreateIncident(r.Context(), n, actorOf(sess))
	}
	if fe, status := asFormError(err, declareFields...); fe != nil {
		f.Err = fe
		w.render(rw, r, status, "declare", &declarePage{page: page{Title: "Declare an incident", Nav: "declare"}, Form: f})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/incidents/"+inc.Ref, http.StatusSeeOther)
}

// parseSeverity reads a severity from a form; the form has no default, so "" asks for one.
func parseSeverity(v string) (amends.Severity, error) {
	if strings.TrimSpace(v) == "" {
		return 0, amends.Errorf(amends.EInvalid, "severity", "choose a severity")
	}
	return amends.ParseSeverity(strings.TrimSpace(v))
}

// splitList reads a comma-separated field; the store trims and drops empty items.
func splitList(v string) []string {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	return strings.Split(v, ",")
}

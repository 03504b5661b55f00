package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// eventKinds are the kinds the add-event form offers: the rest are recorded by declaring,
// by changing fields, or by later work (postmortems), or are corrections.
var eventKinds = []amends.EventKind{amends.KindNote, amends.KindRootCause, amends.KindMitigated,
	amends.KindColleaguesTold, amends.KindCustomersTold}

// clockView is one of the incident's clocks. When Since is set the clock is running and
// static/app.js keeps Text current from that instant; the server's Text is right without it.
// Own, on the "colleagues told" and "customers told" clocks, measures them against the
// time-to-own target of the incident's severity.
type clockView struct {
	Label string
	Text  string
	At    *time.Time
	Since *time.Time
	Own   *ownView
}

type eventForm struct {
	Kind, Body, At, Visibility string
	Err                        *formError
}

type statusForm struct {
	Status, Note, At string
	Err              *formError
}

type detailsForm struct {
	Severity, Owner, Lead, Comms, Components, Team, Cause string
	Err                                                   *formError
}

// correctForm is the one correction form of the page. It is shown when Target is set: the
// page was asked for it (?correct=ID, an entry's "Correct" link) or a correction failed.
type correctForm struct {
	EventID  int64
	Body, At string
	Err      *formError
	Target   *correctTarget
}

type incidentPage struct {
	page
	Inc          *amends.Incident
	Timeline     []template.HTML // the timeline's entries, rendered once per chain head
	Clocks       []clockView
	NextStatuses []amends.Status
	Kinds        []amends.EventKind
	EventForm    eventForm
	StatusForm   statusForm
	DetailsForm  detailsForm
	CorrectForm  correctForm
	Problem      string // an error that belongs to no form on the page
	Brief        briefView
	Customers    customersView
	Checklist    []amends.CheckItem
	Actions      actionsView
	ActionForm   actionForm // the add-an-action-item form, when it comes back with an error
	Feedback     feedbackView
}

func (w *Web) incident(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showIncident(rw, r, http.StatusOK, &incidentPage{})
}

// showIncident renders the incident named in the path with the forms in p, filling those
// that carry no error with their defaults.
func (w *Web) showIncident(rw http.ResponseWriter, r *http.Request, status int, p *incidentPage) {
	ref := r.PathValue("ref")
	inc, err := w.store.Incident(r.Context(), ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	events, head, err := w.store.TimelineOf(r.Context(), inc.Ref, false)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Title, p.Nav, p.Inc, p.Kinds = inc.Ref+": "+inc.Title, "incidents", inc, eventKinds
	if s := sessionOf(r); s != nil {
		p.User = s.User
	}
	targets, err := w.store.Targets(r.Context())
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if p.Brief, err = w.briefView(r, inc); err != nil {
		w.fail(rw, r, err)
		return
	}
	if p.Customers, err = w.customersView(r.Context(), inc); err != nil {
		w.fail(rw, r, err)
		return
	}
	year := w.year()
	if p.Timeline, err = w.timelineHTML(inc.Ref, head, events, p.CanChange(), year); err != nil {
		w.internal(rw, r, err)
		return
	}
	p.Clocks = w.clocks(inc, targets)
	if p.Checklist, err = w.store.Checklist(r.Context(), inc.Ref); err != nil {
		w.fail(rw, r, err)
		return
	}
	if p.Actions, err = w.actionsView(r.Context(), inc, p.CanChange(), p.ActionForm); err != nil {
		w.fail(rw, r, err)
		return
	}
	if p.Feedback, err = w.feedbackView(r.Context(), inc, p.Feedback.Form); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.correctionForm(r, p, events, year)
	for _, s := range amends.Statuses {
		if s != amends.Closed && inc.Status.CanBecome(s) {
			p.NextStatuses = append(p.NextStatuses, s)
		}
	}
	if p.EventForm.Err == nil {
		p.EventForm = eventForm{Kind: string(amends.KindNote), Visibility: string(amends.Internal)}
	}
	if p.DetailsForm.Err == nil {
		p.DetailsForm = detailsForm{Severity: strconv.Itoa(int(inc.Severity)), Owner: inc.Owner, Lead: inc.Lead,
			Comms: inc.Comms, Components: strings.Join(inc.Components, ", "), Team: inc.Team, Cause: string(inc.Cause)}
	}
	w.render(rw, r, status, "incident", p)
}

// correctionForm decides whether the page shows the correction form, and for which event:
// after a failed correction, the one it was for, with the error and the input kept; else the
// one the address names (?correct=ID), for people who may change the incident.
func (w *Web) correctionForm(r *http.Request, p *incidentPage, events []amends.Event, year int) {
	f := &p.CorrectForm
	if f.Err == nil {
		v := r.URL.Query().Get("correct")
		if v == "" || !p.CanChange() {
			return
		}
		f.EventID, _ = strconv.ParseInt(v, 10, 64) // 0, no event's, when v is not a number
	}
	if e, ok := eventByID(events, f.EventID); ok {
		f.Target = newCorrectTarget(e, year)
	} else if f.Err != nil {
		p.Problem = f.Err.Message
	} else {
		p.Problem = "There is no such entry on the timeline of " + p.Inc.Ref + " to correct."
	}
}

func (w *Web) clocks(inc *amends.Incident, targets amends.Targets) []clockView {
	noticed := inc.NoticedAt
	cs := []clockView{{Label: "Since noticed", Text: formatDuration(w.now().Sub(noticed)), At: &noticed, Since: &noticed}}
	if inc.ResolvedAt != nil {
		cs[0] = clockView{Label: "Resolved", Text: "after " + formatDuration(inc.ResolvedAt.Sub(noticed)), At: inc.ResolvedAt}
	}
	colleagues, customers := w.ownBoth(inc, targets)
	for _, c := range []struct {
		label string
		own   ownView
	}{{"Colleagues told", colleagues}, {"Customers told", customers}} {
		if c.own.At != nil {
			cs = append(cs, clockView{Label: c.label, Text: "after " + formatDuration(c.own.At.Sub(noticed)), At: c.own.At, Own: &c.own})
		} else {
			cs = append(cs, clockView{Label: c.label, Text: "not yet", Own: &c.own})
		}
	}
	return cs
}

func (w *Web) addEvent(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	if r.PostFormValue("corrects") != "" {
		w.correctEvent(rw, r, sess)
		return
	}
	f := eventForm{Kind: r.PostFormValue("kind"), Body: r.PostFormValue("body"), At: r.PostFormValue("at"),
		Visibility: r.PostFormValue("visibility")}
	n := amends.NewEvent{Kind: amends.EventKind(f.Kind), Body: f.Body, Visibility: amends.Visibility(f.Visibility)}
	var err error
	if !offered(n.Kind) {
		err = amends.Errorf(amends.EInvalid, "kind", "choose one of the kinds offered")
	} else if n.At, err = parseLocal("at", f.At); err == nil {
		var e amends.Event
		if e, err = w.store.AddEvent(r.Context(), r.PathValue("ref"), n, actorOf(sess)); err == nil {
			http.Redirect(rw, r, incidentURL(r)+"#e"+strconv.FormatInt(e.ID, 10), http.StatusSeeOther)
			return
		}
	}
	if fe, status := asFormError(err, "kind", "body", "at", "visibility"); fe != nil {
		f.Err = fe
		w.showIncident(rw, r, status, &incidentPage{EventForm: f})
		return
	}
	w.fail(rw, r, err)
}

func offered(k amends.EventKind) bool {
	for _, o := range eventKinds {
		if k == o {
			return true
		}
	}
	return false
}

// correctEvent records a correction: a new event that refers to the old one, which stays.
func (w *Web) correctEvent(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := correctForm{Body: r.PostFormValue("body"), At: r.PostFormValue("at")}
	id, err := strconv.ParseInt(r.PostFormValue("corrects"), 10, 64)
	if err != nil {
		w.fail(rw, r, amends.Errorf(amends.EInvalid, "corrects", "must be the number of an event"))
		return
	}
	f.EventID = id
	n := amends.NewEvent{Kind: amends.KindCorrection, Body: f.Body, Corrects: &id, Visibility: amends.Internal}
	if n.At, err = parseLocal("at", f.At); err == nil {
		var e amends.Event
		if e, err = w.store.AddEvent(r.Context(), r.PathValue("ref"), n, actorOf(sess)); err == nil {
			http.Redirect(rw, r, incidentURL(r)+"#e"+strconv.FormatInt(e.ID, 10), http.StatusSeeOther)
			return
		}
	}
	if fe, status := asFormError(err, "body", "at"); fe != nil {
		f.Err = fe
		w.showIncident(rw, r, status, &incidentPage{CorrectForm: f})
		return
	}
	w.fail(rw, r, err)
}

func (w *Web) changeStatus(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := statusForm{Status: r.PostFormValue("status"), Note: r.PostFormValue("note"), At: r.PostFormValue("at")}
	st := amends.Status(f.Status)
	u := amends.IncidentUpdate{Status: &st, Note: f.Note}
	var err error
	if st == amends.Closed {
		err = amends.Errorf(amends.EInvalid, "status", "an incident is closed with its postmortem, once the loop-closing checklist holds")
	} else if u.At, err = parseLocal("at", f.At); err == nil {
		if _, err = w.store.UpdateIncident(r.Context(), r.PathValue("ref"), u, actorOf(sess)); err == nil {
			http.Redirect(rw, r, incidentURL(r), http.StatusSeeOther)
			return
		}
	}
	if fe, status := asFormError(err, "status", "note", "at"); fe != nil {
		f.Err = fe
		w.showIncident(rw, r, status, &incidentPage{StatusForm: f})
		return
	}
	w.fail(rw, r, err)
}

func (w *Web) editDetails(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := detailsForm{Severity: r.PostFormValue("severity"), Owner: r.PostFormValue("owner"),
		Lead: r.PostFormValue("lead"), Comms: r.PostFormValue("comms"), Components: r.PostFormValue("components"),
		Team: r.PostFormValue("team"), Cause: r.PostFormValue("cause")}
	components := splitList(f.Components)
	if components == nil {
		components = []string{}
	}
	u := amends.IncidentUpdate{Owner: &f.Owner, Lead: &f.Lead, Comms: &f.Comms, Components: &components}
	if r.PostForm.Has("team") { // a form without the field leaves the team as it is
		u.Team = &f.Team
	}
	if r.PostForm.Has("cause") {
		cause := amends.Cause(f.Cause)
		u.Cause = &cause
	}
	sev, err := parseSeverity(f.Severity)
	if err == nil {
		u.Severity = &sev
		if _, err = w.store.UpdateIncident(r.Context(), r.PathValue("ref"), u, actorOf(sess)); err == nil {
			http.Redirect(rw, r, incidentURL(r), http.StatusSeeOther)
			return
		}
	}
	if fe, status := asFormError(err, "severity", "owner", "lead", "comms", "components", "team", "cause"); fe != nil {
		f.Err = fe
		w.showIncident(rw, r, status, &incidentPage{DetailsForm: f})
		return
	}
	w.fail(rw, r, err)
}

// incidentURL is the page of the incident the request names, with its reference written the
// canonical way (INC-n) whatever case or form the path used.
func incidentURL(r *http.Request) string {
	ref := r.PathValue("ref")
	if n, err := amends.ParseRef(ref); err == nil {
		ref = amends.FormatRef(n)
	}
	return "/incidents/" + ref
}

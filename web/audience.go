package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// The audience page says who an incident's customer messages reach and how many they are,
// lists them a page at a time with their own fields, and lets responders choose: every
// customer, some accounts, some segments, or a list uploaded for this incident whose extra
// columns become fields each message can use ({{orders_affected}}).

// recipientPageSize is how many recipients one page of the audience shows.
const recipientPageSize = 25

// audienceForm is the choose-the-audience form as typed.
type audienceForm struct {
	Kind, Accounts, Segments string
	Err                      *formError
}

var audienceFields = []string{"kind", "accounts", "segments"}

type audiencePage struct {
	page
	Inc        *amends.Incident
	Audience   *amends.Audience
	Summary    audienceSummary
	Recipients []amends.Recipient
	Next       string // the URL of the next page of recipients, "" on the last
	Form       audienceForm
	ListErr    *formError
	Report     *amends.AudienceReport // of the list just uploaded, when it was refused
	Done       string
}

// audienceSummary is what every page says about an incident's audience.
type audienceSummary struct {
	Chosen       bool     // a kind was chosen: messages can be sent
	Size         int      // how many people a message sent now reaches
	People       string   // "1,204 people"
	SizeText     string   // "1,204 people will receive it"
	Describe     string   // "an uploaded list", "every customer", …
	Placeholders []string // "{{name}}", "{{orders_affected}}", …
}

func summarize(a *amends.Audience) audienceSummary {
	s := audienceSummary{Chosen: a.Kind != amends.AudienceNone, Size: a.Size, People: peopleText(a.Size)}
	switch a.Kind {
	case amends.AudienceAll:
		s.Describe = "every customer"
	case amends.AudienceAccounts:
		s.Describe = "the customers of " + plural(len(a.Accounts), "account ", "accounts ") + strings.Join(a.Accounts, ", ")
	case amends.AudienceSegments:
		s.Describe = "the customers in " + plural(len(a.Segments), "segment ", "any of the segments ") + strings.Join(a.Segments, ", ")
	case amends.AudienceList:
		s.Describe = "the list uploaded for this incident"
	default:
		s.Describe = "nobody yet"
	}
	if s.Chosen {
		s.SizeText = s.People + " will receive it"
	} else {
		s.SizeText = "Nobody will receive it: choose who hears this incident’s customer messages first"
	}
	for _, k := range amends.Placeholders(a.Columns) {
		s.Placeholders = append(s.Placeholders, "{{"+k+"}}")
	}
	return s
}

var audienceDone = map[string]string{
	"audience": "Audience saved.",
	"list":     "List uploaded: it is this incident’s audience now.",
}

func (w *Web) audience(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showAudience(rw, r, http.StatusOK, &audiencePage{Done: audienceDone[r.URL.Query().Get("done")]})
}

// showAudience renders the audience of the incident named in the path with the forms in p,
// filling the choose form, when it carries no error, with what is chosen now.
func (w *Web) showAudience(rw http.ResponseWriter, r *http.Request, status int, p *audiencePage) {
	ctx := r.Context()
	inc, err := w.store.Incident(ctx, r.PathValue("ref"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	a, err := w.store.Audience(ctx, inc.Ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Title, p.Nav, p.Inc, p.Audience, p.Summary = "Audience of "+inc.Ref, "incidents", inc, a, summarize(a)
	after := r.URL.Query().Get("after")
	rs, next, err := w.store.AudienceRecipients(ctx, inc.Ref, after, recipientPageSize)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p.Recipients = rs
	if next != "" {
		p.Next = "/incidents/" + inc.Ref + "/audience?" + url.Values{"after": {next}}.Encode() + "#recipients"
	}
	if p.Form.Err == nil {
		p.Form = audienceForm{Kind: a.Kind, Accounts: strings.Join(a.Accounts, ", "), Segments: strings.Join(a.Segments, ", ")}
		if a.Kind == amends.AudienceNone {
			p.Form.Kind = amends.AudienceAll
		}
	}
	w.render(rw, r, status, "audience", p)
}

func (w *Web) setAudience(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := audienceForm{Kind: r.PostFormValue("kind"), Accounts: r.PostFormValue("accounts"), Segments: r.PostFormValue("segments")}
	a := amends.Audience{Kind: f.Kind, Accounts: splitList(f.Accounts), Segments: amends.ParseSegments(f.Segments)}
	_, err := w.store.SetAudience(r.Context(), r.PathValue("ref"), a, actorOf(sess))
	if err == nil {
		http.Redirect(rw, r, incidentURL(r)+"/audience?done=audience", http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err, audienceFields...); fe != nil {
		f.Err = fe
		w.showAudience(rw, r, status, &audiencePage{Form: f})
		return
	}
	w.fail(rw, r, err)
}

// uploadAudience makes an uploaded list the incident's audience, or shows its bad rows.
func (w *Web) uploadAudience(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	file, err := uploadedFile(rw, r)
	var rep amends.AudienceReport
	if err == nil {
		rep, err = w.store.UploadAudience(r.Context(), r.PathValue("ref"), file, actorOf(sess))
		if err != nil && r.Context().Err() != nil {
			return // the person has gone; nobody reads an answer
		}
		err = uploadError(err)
	}
	if fe, status := asFormError(err, fileField); fe != nil {
		w.showAudience(rw, r, status, &audiencePage{ListErr: fe})
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	if rep.ProblemCount() > 0 {
		w.showAudience(rw, r, http.StatusBadRequest, &audiencePage{Report: &rep})
		return
	}
	http.Redirect(rw, r, incidentURL(r)+"/audience?done=list", http.StatusSeeOther)
}

package web

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// Customer messages: the list of an incident's messages, and the composer that writes one from
// a template prefilled from the incident, with the ownership check running on the text as it
// is typed and a preview for one recipient, rendered here with that recipient's own fields.
// Saving creates a new version; the review page (message.go) approves and sends it.

// sampleRecipients is how many recipients the composer offers to preview for by name; any
// other email of the audience can be typed.
const sampleRecipients = 20

type messagesPage struct {
	page
	Inc      *amends.Incident
	Summary  audienceSummary
	Messages []*amends.Message
	Kinds    []amends.MessageKind
}

func (w *Web) messages(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
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
	msgs, err := w.store.Messages(ctx, inc.Ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, http.StatusOK, "messages", &messagesPage{page: page{Title: "Customer messages of " + inc.Ref, Nav: "incidents"},
		Inc: inc, Summary: summarize(a), Messages: msgs, Kinds: amends.MessageKinds})
}

// composeForm is the composer's form as typed.
type composeForm struct {
	Kind    string
	Subject string
	Body    string
	To      string // the recipient to preview for; "" for the first of the audience
	Err     *formError
}

var composeFields = []string{"kind", "subject", "body"}

func composeFormOf(r *http.Request) composeForm {
	return composeForm{Kind: r.PostFormValue("kind"), Subject: r.PostFormValue("subject"), Body: r.PostFormValue("body"),
		To: strings.TrimSpace(r.PostFormValue("to"))}
}

// previewView is a message as one recipient would read it, or why it cannot be shown.
type previewView struct {
	Ref        string
	Recipient  *amends.Recipient
	Subject    string
	Body       string
	Problem    string // the render error, or why there is nobody to preview for
	NoAudience bool
}

type composePage struct {
	page
	Inc     *amends.Incident
	Msg     *amends.Message // nil for a new message
	Form    composeForm
	Check   *lintResult
	Preview previewView
	Summary audienceSummary
	Sample  []amends.Recipient
	Kinds   []amends.MessageKind
}

// Action is where the composer's form saves.
func (p *composePage) Action() string {
	if p.Msg != nil {
		return "/messages/" + strconv.FormatInt(p.Msg.ID, 10) + "/versions"
	}
	return "/incidents/" + p.Inc.Ref + "/messages"
}

// KindLabel names the kind of message being written.
func (p *composePage) KindLabel() string { return amends.MessageKind(p.Form.Kind).Label() }

// NextVersion is the version saving makes.
func (p *composePage) NextVersion() int {
	if p.Msg != nil {
		return p.Msg.Version + 1
	}
	return 1
}

func (w *Web) newMessage(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	ctx := r.Context()
	kind := amends.MessageKind(r.URL.Query().Get("template"))
	if kind == "" {
		kind = amends.MessageAcknowledgement
	}
	if err := kind.Validate(); err != nil {
		w.fail(rw, r, amends.Errorf(amends.EInvalid, "template", "must be acknowledgement, update, resolution or followup"))
		return
	}
	ts, err := w.store.Templates(ctx, r.PathValue("ref"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	t := ts[kind]
	w.showCompose(rw, r, http.StatusOK, r.PathValue("ref"), nil, composeForm{Kind: string(kind), Subject: t.Subject, Body: t.Body})
}

func (w *Web) editMessage(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	m, err := w.messageOf(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if m.State == amends.MessageSent {
		w.fail(rw, r, amends.Errorf(amends.EConflict, "state", "message %d was sent; write a new message instead", m.ID))
		return
	}
	w.showCompose(rw, r, http.StatusOK, m.Ref, m, composeForm{Kind: string(m.Kind), Subject: m.Subject, Body: m.Body})
}

// messageOf returns the message the path names.
func (w *Web) messageOf(r *http.Request) (*amends.Message, error) {
	id, err := pathInt(r, "id", "message")
	if err != nil {
		return nil, err
	}
	return w.store.Message(r.Context(), id)
}

// showCompose renders the composer for incident ref, for message m (nil: a new one), with
// the check and the preview of the text in f.
func (w *Web) showCompose(rw http.ResponseWriter, r *http.Request, status int, ref string, m *amends.Message, f composeForm) {
	ctx := r.Context()
	inc, err := w.store.Incident(ctx, ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	a, err := w.store.Audience(ctx, inc.Ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	sample, _, err := w.store.AudienceRecipients(ctx, inc.Ref, "", sampleRecipients)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p := &composePage{Inc: inc, Msg: m, Form: f, Summary: summarize(a), Sample: sample, Kinds: amends.MessageKinds}
	p.Title, p.Nav = "Write a message · "+inc.Ref, "incidents"
	if m != nil {
		p.Title = "Edit message " + strconv.FormatInt(m.ID, 10) + " · " + inc.Ref
	}
	p.Check = w.checkMessage(f.Subject, f.Body)
	if p.Preview, err = w.previewDraft(ctx, inc, f); err != nil {
		w.fail(rw, r, err)
		return
	}
	w.render(rw, r, status, "compose", p)
}

// checkMessage runs the ownership check on a message's text as the store keeps it checked
// (amends.CheckedText): subject, blank line, body.
func (w *Web) checkMessage(subject, body string) *lintResult {
	if strings.TrimSpace(subject) == "" && strings.TrimSpace(body) == "" {
		return w.check("", ownership.Customer)
	}
	text := amends.CheckedText(subject, body)
	if len(text) > maxDraft || !utf8.ValidString(text) {
		// Saving refuses it and says why; the check does not read it.
		return w.check("", ownership.Customer)
	}
	return w.check(text, ownership.Customer)
}

// previewDraft renders the text of f for the recipient it names (the first of the audience
// when it names none). What stops it (no audience, someone not in it, a placeholder that
// cannot be filled) is the preview's Problem; only other errors are returned.
func (w *Web) previewDraft(ctx context.Context, inc *amends.Incident, f composeForm) (previewView, error) {
	pv := previewView{Ref: inc.Ref}
	r, err := w.store.AudienceRecipient(ctx, inc.Ref, f.To)
	if err != nil {
		return pv, previewProblem(&pv, err)
	}
	pv.Recipient = r
	if strings.TrimSpace(f.Subject) == "" && strings.TrimSpace(f.Body) == "" {
		pv.Problem = "Write the message to see it as " + recipientName(r) + " will."
		return pv, nil
	}
	if err := amends.ValidateMessage(f.Subject, f.Body); err != nil {
		return pv, previewProblem(&pv, err)
	}
	pv.Subject, pv.Body, err = amends.RenderMessage(f.Subject, f.Body, *r, inc)
	return pv, previewProblem(&pv, err)
}

// previewProblem records err on the preview when it is one the author can act on, and returns
// it otherwise.
func previewProblem(pv *previewView, err error) error {
	switch amends.ErrorCode(err) {
	case "":
		return nil
	case amends.ENotFound:
		e := amends.ErrorOf(err)
		if e.Field == "email" {
			pv.Problem, pv.NoAudience = e.Message, strings.Contains(e.Message, "no audience")
			return nil
		}
	case amends.EInvalid:
		pv.Problem = amends.ErrorOf(err).Error()
		return nil
	}
	return err
}

func recipientName(r *amends.Recipient) string {
	if r.Name != "" {
		return r.Name + " <" + r.Email + ">"
	}
	return r.Email
}

// composeLive answers the composer as it is typed: to htmx, the check's fragment with the
// preview swapped in beside it; without JavaScript ("Check and preview"), the whole composer.
func (w *Web) composeLive(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	f := composeFormOf(r)
	var m *amends.Message
	if v := r.PostFormValue("message"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err == nil {
			m, err = w.store.Message(r.Context(), id)
		}
		if err != nil {
			w.fail(rw, r, amends.Errorf(amends.ENotFound, "message", "no message %q", v))
			return
		}
	}
	ref := r.PathValue("ref")
	if r.Header.Get("HX-Request") != "true" {
		w.showCompose(rw, r, http.StatusOK, ref, m, f)
		return
	}
	inc, err := w.store.Incident(r.Context(), ref)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	pv, err := w.previewDraft(r.Context(), inc, f)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.renderFragment(rw, r, http.StatusOK, "compose_live", struct {
		Check   *lintResult
		Preview previewView
	}{w.checkMessage(f.Subject, f.Body), pv})
}

// checked returns the ownership check's verdict on a message's text as the store keeps it.
func (w *Web) checked(subject, body string) (bool, int, string) {
	rep := w.checker.Check(amends.CheckedText(subject, body), ownership.Customer)
	b, _ := json.Marshal(rep) // a Report always marshals
	return rep.Owns, rep.Score, string(b)
}

func (w *Web) createMessage(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	f := composeFormOf(r)
	owns, score, report := w.checked(f.Subject, f.Body)
	m, err := w.store.CreateMessage(r.Context(), r.PathValue("ref"), amends.MessageKind(f.Kind), f.Subject, f.Body, owns, score, report, actorOf(sess))
	if err == nil {
		http.Redirect(rw, r, messageURL(m.ID)+"?done=saved", http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err, composeFields...); fe != nil {
		f.Err = fe
		w.showCompose(rw, r, status, r.PathValue("ref"), nil, f)
		return
	}
	w.fail(rw, r, err)
}

// saveVersion saves the composer's text as the message's next version; the same text again
// changes nothing.
func (w *Web) saveVersion(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	cur, err := w.messageOf(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	f := composeFormOf(r)
	f.Kind = string(cur.Kind)
	owns, score, report := w.checked(f.Subject, f.Body)
	m, err := w.store.UpdateMessage(r.Context(), cur.ID, f.Subject, f.Body, owns, score, report, actorOf(sess))
	if err == nil {
		done := "saved"
		if m.Version == cur.Version {
			done = "unchanged"
		}
		http.Redirect(rw, r, messageURL(m.ID)+"?done="+done, http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err, composeFields...); fe != nil {
		f.Err = fe
		w.showCompose(rw, r, status, cur.Ref, cur, f)
		return
	}
	w.fail(rw, r, err)
}

func messageURL(id int64) string { return "/messages/" + strconv.FormatInt(id, 10) }

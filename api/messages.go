package api

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// Customer messages: an incident's audience, its messages, their versions, approvals and
// sending. The ownership check runs here, on the server, whenever a message's text is saved:
// a client never supplies the verdict.

func (a *API) getAudience(w http.ResponseWriter, r *http.Request) {
	aud, err := a.store.Audience(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, aud)
}

type audienceRequest struct {
	Kind     string   `json:"kind"`
	Accounts []string `json:"accounts"`
	Segments []string `json:"segments"`
}

func (a *API) putAudience(w http.ResponseWriter, r *http.Request) {
	var req audienceRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	aud, err := a.store.SetAudience(r.Context(), r.PathValue("ref"), amends.Audience{Kind: req.Kind, Accounts: req.Accounts, Segments: req.Segments}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, aud)
}

// uploadAudience reads the body as a CSV file as it arrives and answers with the upload's
// report: 200 when the list was stored, 422 when it had problems and nothing was.
func (a *API) uploadAudience(w http.ResponseWriter, r *http.Request) {
	if err := csvContentType(r.Header.Get("Content-Type")); err != nil {
		fail(w, r, a.log, err)
		return
	}
	if r.ContentLength > a.maxImport {
		a.tooLarge(w, r)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(importDeadline))
	rc.SetWriteDeadline(time.Now().Add(importDeadline + time.Minute))
	rep, err := a.store.UploadAudience(r.Context(), r.PathValue("ref"), http.MaxBytesReader(w, r.Body, a.maxImport), actor(r))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		a.tooLarge(w, r)
	case err != nil && r.Context().Err() != nil:
		// The caller has gone; nobody reads an answer.
	case errors.Is(err, io.ErrUnexpectedEOF):
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "", "the upload ended before the whole file arrived; nothing was stored"))
	case err != nil:
		fail(w, r, a.log, err)
	case rep.ProblemCount() > 0:
		respond(w, http.StatusUnprocessableEntity, rep)
	default:
		respond(w, http.StatusOK, rep)
	}
}

func (a *API) audienceRecipients(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := parseLimit(v)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		limit = n
	}
	rs, next, err := a.store.AudienceRecipients(r.Context(), r.PathValue("ref"), q.Get("after"), limit)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"recipients": rs, "next": next})
}

// audiencePreview shows one recipient of the audience (the first when no email is given), the
// placeholders a message can use for them, and, with message_id, that message as they will
// read it.
func (a *API) audiencePreview(w http.ResponseWriter, r *http.Request) {
	ctx, q := r.Context(), r.URL.Query()
	inc, err := a.store.Incident(ctx, r.PathValue("ref"))
	var aud *amends.Audience
	if err == nil {
		aud, err = a.store.Audience(ctx, inc.Ref)
	}
	out := map[string]any{}
	if v := q.Get("message_id"); v != "" && err == nil {
		id, perr := strconv.ParseInt(v, 10, 64)
		var m *amends.Message
		if m, err = a.store.Message(ctx, id); perr != nil || amends.ErrorCode(err) == amends.ENotFound || err == nil && m.Ref != inc.Ref {
			err = amends.Errorf(amends.ENotFound, "message_id", "%s has no message %q", inc.Ref, v)
		}
		var p *store.MessagePreview
		if err == nil {
			p, err = a.store.PreviewMessage(ctx, id, q.Get("email"))
		}
		if err == nil {
			out["recipient"], out["subject"], out["body"] = p.Recipient, p.Subject, p.Body
		}
	} else if err == nil {
		var rcpt *amends.Recipient
		if rcpt, err = a.store.AudienceRecipient(ctx, inc.Ref, q.Get("email")); err == nil {
			out["recipient"] = rcpt
		}
	}
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	out["placeholders"] = amends.Placeholders(aud.Columns)
	respond(w, http.StatusOK, out)
}

func (a *API) listMessages(w http.ResponseWriter, r *http.Request) {
	ms, err := a.store.Messages(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"messages": ms})
}

type messageRequest struct {
	Kind    string `json:"kind"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// check runs the ownership check on a message's text, once the text is known to be valid.
func (a *API) check(subject, body string) (bool, int, string, error) {
	if err := amends.ValidateMessage(subject, body); err != nil {
		return false, 0, "", err
	}
	rep := a.checker.Check(amends.CheckedText(subject, body), ownership.Customer)
	b, err := json.Marshal(rep)
	return rep.Owns, rep.Score, string(b), err
}

func (a *API) createMessage(w http.ResponseWriter, r *http.Request) {
	var req messageRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	kind := amends.MessageKind(req.Kind)
	err := kind.Validate()
	var m *amends.Message
	if err == nil {
		var owns bool
		var score int
		var report string
		if owns, score, report, err = a.check(req.Subject, req.Body); err == nil {
			m, err = a.store.CreateMessage(r.Context(), r.PathValue("ref"), kind, req.Subject, req.Body, owns, score, report, actor(r))
		}
	}
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/messages/"+strconv.FormatInt(m.ID, 10))
	respond(w, http.StatusCreated, m)
}

func (a *API) getMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var m *amends.Message
		if m, err = a.store.Message(r.Context(), id); err == nil {
			respond(w, http.StatusOK, m)
			return
		}
	}
	fail(w, r, a.log, err)
}

type messageEditRequest struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

func (a *API) updateMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req messageEditRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	owns, score, report, err := a.check(req.Subject, req.Body)
	var m *amends.Message
	if err == nil {
		m, err = a.store.UpdateMessage(r.Context(), id, req.Subject, req.Body, owns, score, report, actor(r))
	}
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, m)
}

func (a *API) messageVersions(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var vs []amends.MessageVersion
		if vs, err = a.store.MessageVersions(r.Context(), id); err == nil {
			respond(w, http.StatusOK, map[string]any{"versions": vs})
			return
		}
	}
	fail(w, r, a.log, err)
}

type approveRequest struct {
	Version int `json:"version"`
}

func (a *API) approveMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req approveRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	if req.Version < 1 {
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "version", "is required: the version you reviewed"))
		return
	}
	m, err := a.store.ApproveMessage(r.Context(), id, req.Version, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, m)
}

type sendRequest struct {
	Override string `json:"override"`
}

func (a *API) sendMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req sendRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			fail(w, r, a.log, err)
			return
		}
	}
	m, err := a.store.SendMessage(r.Context(), id, req.Override, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, m)
}

func (a *API) previewMessage(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var p *store.MessagePreview
		if p, err = a.store.PreviewMessage(r.Context(), id, r.URL.Query().Get("email")); err == nil {
			respond(w, http.StatusOK, p)
			return
		}
	}
	fail(w, r, a.log, err)
}

func (a *API) messageDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		if limit, err = parseLimit(v); err != nil {
			fail(w, r, a.log, err)
			return
		}
	}
	page, err := a.store.MessageDeliveries(r.Context(), id, q.Get("state"), q.Get("after"), limit)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, page)
}

type templateView struct {
	Kind    amends.MessageKind `json:"kind"`
	Label   string             `json:"label"`
	Subject string             `json:"subject"`
	Body    string             `json:"body"`
}

// templates answers with the default templates of the incident, one per kind, in the order of
// an incident's life.
func (a *API) templates(w http.ResponseWriter, r *http.Request) {
	ts, err := a.store.Templates(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	out := make([]templateView, 0, len(ts))
	for _, k := range amends.MessageKinds {
		out = append(out, templateView{Kind: k, Label: k.Label(), Subject: ts[k].Subject, Body: ts[k].Body})
	}
	respond(w, http.StatusOK, map[string]any{"templates": out})
}

func (a *API) getReplyTo(w http.ResponseWriter, r *http.Request) {
	v, err := a.store.ReplyTo(r.Context())
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]string{"address": v})
}

type replyToRequest struct {
	Address string `json:"address"`
}

func (a *API) putReplyTo(w http.ResponseWriter, r *http.Request) {
	var req replyToRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	if err := a.store.SetReplyTo(r.Context(), req.Address, actor(r)); err != nil {
		fail(w, r, a.log, err)
		return
	}
	a.getReplyTo(w, r)
}

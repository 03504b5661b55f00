// Package api serves amends' JSON API under /api/v1: bearer-token authentication, one table of
// routes that the OpenAPI document is checked against, errors as application/problem+json.
package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"

	"github.com/amends/amends"
	"github.com/amends/amends/lru"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// Config is what the API needs.
type Config struct {
	Store   *store.Store
	Checker *ownership.Checker
	Logger  *slog.Logger
	// MaxImportBody is the largest CSV file the customer import reads; DefaultMaxImportBody when 0.
	MaxImportBody int64
}

// API holds the handlers of /api/v1.
type API struct {
	store   *store.Store
	checker *ownership.Checker
	log     *slog.Logger
	// timelines holds encoded timelines by ETag (ref and chain head): an unchanged timeline
	// is encoded once, however often it is read.
	timelines *lru.Cache[string, []byte]
	maxImport int64
}

// New returns the API.
func New(cfg Config) *API {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	maxImport := cfg.MaxImportBody
	if maxImport <= 0 {
		maxImport = DefaultMaxImportBody
	}
	return &API{store: cfg.Store, checker: cfg.Checker, log: log, timelines: lru.New[string, []byte](128), maxImport: maxImport}
}

// Route is one endpoint: method, path pattern, the weakest role allowed ("" for public), its
// handler, already wrapped with authentication, and the largest request body it reads, which
// the server enforces before the handler runs.
type Route struct {
	Method  string
	Path    string
	MinRole amends.Role
	Handler http.Handler
	MaxBody int64
}

// route is a line of the table in Routes.
type route struct {
	method, path string
	min          amends.Role
	handler      http.Handler
}

// Routes returns every endpoint of /api/v1. The OpenAPI test compares this table with
// openapi.json, so the document cannot drift from the handlers.
func (a *API) Routes() []Route {
	table := []route{
		{"GET", "/api/v1/openapi.json", "", http.HandlerFunc(serveOpenAPI)},
		{"GET", "/api/v1/incidents", amends.Viewer, http.HandlerFunc(a.listIncidents)},
		{"POST", "/api/v1/incidents", amends.Responder, http.HandlerFunc(a.createIncident)},
		{"GET", "/api/v1/incidents/{ref}", amends.Viewer, http.HandlerFunc(a.getIncident)},
		{"PATCH", "/api/v1/incidents/{ref}", amends.Responder, http.HandlerFunc(a.updateIncident)},
		{"POST", "/api/v1/incidents/{ref}/events", amends.Responder, http.HandlerFunc(a.addEvent)},
		{"GET", "/api/v1/incidents/{ref}/timeline", amends.Viewer, http.HandlerFunc(a.timeline)},
		{"POST", "/api/v1/lint", amends.Viewer, http.HandlerFunc(a.lint)},
		{"GET", "/api/v1/audit", amends.Admin, http.HandlerFunc(a.audit)},
		{"GET", "/api/v1/me", amends.Viewer, http.HandlerFunc(a.me)},
		{"GET", "/api/v1/incidents/{ref}/deliveries", amends.Viewer, http.HandlerFunc(a.deliveries)},
		{"GET", "/api/v1/incidents/{ref}/readers", amends.Viewer, http.HandlerFunc(a.readers)},
		{"POST", "/api/v1/deliveries/{id}/redrive", amends.Admin, http.HandlerFunc(a.redrive)},
		{"GET", "/api/v1/groups", amends.Viewer, http.HandlerFunc(a.listGroups)},
		{"POST", "/api/v1/groups", amends.Admin, http.HandlerFunc(a.createGroup)},
		{"GET", "/api/v1/groups/{id}", amends.Viewer, http.HandlerFunc(a.getGroup)},
		{"PATCH", "/api/v1/groups/{id}", amends.Admin, http.HandlerFunc(a.updateGroup)},
		{"DELETE", "/api/v1/groups/{id}", amends.Admin, http.HandlerFunc(a.deleteGroup)},
		{"POST", "/api/v1/groups/{id}/contacts", amends.Admin, http.HandlerFunc(a.addContact)},
		{"DELETE", "/api/v1/contacts/{id}", amends.Admin, http.HandlerFunc(a.deleteContact)},
		{"GET", "/api/v1/settings/targets", amends.Viewer, http.HandlerFunc(a.getTargets)},
		{"PUT", "/api/v1/settings/targets", amends.Admin, http.HandlerFunc(a.putTargets)},
		{"PUT", "/api/v1/settings/escalation", amends.Admin, http.HandlerFunc(a.putEscalation)},
		{"POST", "/api/v1/hooks/alertmanager", amends.Responder, http.HandlerFunc(a.alertmanagerHook)},
		{"POST", "/api/v1/hooks/generic", amends.Responder, http.HandlerFunc(a.genericHook)},
		{"GET", "/api/v1/customers", amends.Viewer, http.HandlerFunc(a.listCustomers)},
		{"POST", "/api/v1/customers", amends.Responder, http.HandlerFunc(a.createCustomer)},
		{"GET", "/api/v1/customers/{id}", amends.Viewer, http.HandlerFunc(a.getCustomer)},
		{"PATCH", "/api/v1/customers/{id}", amends.Responder, http.HandlerFunc(a.updateCustomer)},
		{"DELETE", "/api/v1/customers/{id}", amends.Admin, http.HandlerFunc(a.deleteCustomer)},
		{"POST", "/api/v1/customers/import", amends.Responder, http.HandlerFunc(a.importCustomers)},
		{"GET", "/api/v1/incidents/{ref}/audience", amends.Viewer, http.HandlerFunc(a.getAudience)},
		{"PUT", "/api/v1/incidents/{ref}/audience", amends.Responder, http.HandlerFunc(a.putAudience)},
		{"POST", "/api/v1/incidents/{ref}/audience/list", amends.Responder, http.HandlerFunc(a.uploadAudience)},
		{"GET", "/api/v1/incidents/{ref}/audience/recipients", amends.Viewer, http.HandlerFunc(a.audienceRecipients)},
		{"GET", "/api/v1/incidents/{ref}/audience/preview", amends.Viewer, http.HandlerFunc(a.audiencePreview)},
		{"GET", "/api/v1/incidents/{ref}/templates", amends.Viewer, http.HandlerFunc(a.templates)},
		{"GET", "/api/v1/incidents/{ref}/messages", amends.Viewer, http.HandlerFunc(a.listMessages)},
		{"POST", "/api/v1/incidents/{ref}/messages", amends.Responder, http.HandlerFunc(a.createMessage)},
		{"GET", "/api/v1/messages/{id}", amends.Viewer, http.HandlerFunc(a.getMessage)},
		{"PUT", "/api/v1/messages/{id}", amends.Responder, http.HandlerFunc(a.updateMessage)},
		{"GET", "/api/v1/messages/{id}/versions", amends.Viewer, http.HandlerFunc(a.messageVersions)},
		{"POST", "/api/v1/messages/{id}/approve", amends.Responder, http.HandlerFunc(a.approveMessage)},
		{"POST", "/api/v1/messages/{id}/send", amends.Responder, http.HandlerFunc(a.sendMessage)},
		{"GET", "/api/v1/messages/{id}/preview", amends.Viewer, http.HandlerFunc(a.previewMessage)},
		{"GET", "/api/v1/messages/{id}/deliveries", amends.Viewer, http.HandlerFunc(a.messageDeliveries)},
		{"GET", "/api/v1/settings/reply-to", amends.Viewer, http.HandlerFunc(a.getReplyTo)},
		{"PUT", "/api/v1/settings/reply-to", amends.Admin, http.HandlerFunc(a.putReplyTo)},
		{"GET", "/api/v1/incidents/{ref}/postmortem", amends.Viewer, http.HandlerFunc(a.getPostmortem)},
		{"PUT", "/api/v1/incidents/{ref}/postmortem/sections/{section}", amends.Responder, http.HandlerFunc(a.saveSection)},
		{"GET", "/api/v1/incidents/{ref}/postmortem/versions", amends.Viewer, http.HandlerFunc(a.postmortemVersions)},
		{"POST", "/api/v1/incidents/{ref}/postmortem/share", amends.Responder, http.HandlerFunc(a.sharePostmortem)},
		{"POST", "/api/v1/incidents/{ref}/postmortem/publish", amends.Responder, http.HandlerFunc(a.publishPostmortem)},
		{"GET", "/api/v1/incidents/{ref}/postmortem.md", amends.Viewer, http.HandlerFunc(a.postmortemMarkdown)},
		{"GET", "/api/v1/incidents/{ref}/checklist", amends.Viewer, http.HandlerFunc(a.checklist)},
		{"POST", "/api/v1/incidents/{ref}/checklist/waivers", amends.Responder, http.HandlerFunc(a.waive)},
		{"GET", "/api/v1/incidents/{ref}/actions", amends.Viewer, http.HandlerFunc(a.listActions)},
		{"POST", "/api/v1/incidents/{ref}/actions", amends.Responder, http.HandlerFunc(a.createAction)},
		{"GET", "/api/v1/incidents/{ref}/feedback", amends.Viewer, http.HandlerFunc(a.feedback)},
		{"POST", "/api/v1/feedback/{id}/act", amends.Responder, http.HandlerFunc(a.actOnFeedback)},
		{"GET", "/api/v1/actions", amends.Viewer, http.HandlerFunc(a.owedActions)},
		{"PATCH", "/api/v1/actions/{id}", amends.Responder, http.HandlerFunc(a.updateAction)},
		{"POST", "/api/v1/actions/{id}/done", amends.Responder, http.HandlerFunc(a.actionDone)},
		{"POST", "/api/v1/actions/{id}/drop", amends.Responder, http.HandlerFunc(a.dropAction)},
		{"GET", "/api/v1/incidents/{ref}/attachments", amends.Viewer, http.HandlerFunc(a.listAttachments)},
		{"POST", "/api/v1/incidents/{ref}/attachments", amends.Responder, http.HandlerFunc(a.createAttachment)},
		{"GET", "/api/v1/incidents/{ref}/attachments/{id}", amends.Viewer, http.HandlerFunc(a.getAttachment)},
		{"GET", "/api/v1/insights", amends.Viewer, http.HandlerFunc(a.insights)},
		{"GET", "/api/v1/accounts/{account}/ledger", amends.Viewer, http.HandlerFunc(a.ledger)},
	}
	// Every route reads at most MaxBody, but those that take files.
	large := map[string]int64{"POST /api/v1/customers/import": a.maxImport,
		"POST /api/v1/incidents/{ref}/audience/list": a.maxImport,
		"POST /api/v1/incidents/{ref}/attachments":   maxAttachmentBody}
	routes := make([]Route, len(table))
	for i, rt := range table {
		routes[i] = Route{Method: rt.method, Path: rt.path, MinRole: rt.min, Handler: rt.handler, MaxBody: MaxBody}
		if n, ok := large[rt.method+" "+rt.path]; ok {
			routes[i].MaxBody = n
		}
		if rt.min != "" {
			routes[i].Handler = a.authenticate(rt.min, rt.handler)
		}
	}
	return routes
}

type actorKey struct{}

// actor returns who is calling, as the authentication middleware found.
func actor(r *http.Request) amends.Actor {
	a, _ := r.Context().Value(actorKey{}).(amends.Actor)
	return a
}

// authenticate requires a bearer token whose role is at least min.
func (a *API) authenticate(min amends.Role, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		secret, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			fail(w, r, a.log, amends.Errorf(amends.EUnauthorized, "", "send an API token: Authorization: Bearer TOKEN (make one with `amends token create`)"))
			return
		}
		tok, err := a.store.TokenBySecret(r.Context(), strings.TrimSpace(secret))
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		if !tok.Role.AtLeast(min) {
			fail(w, r, a.log, amends.Errorf(amends.EForbidden, "", "token %q is a %s; this needs %s or more", tok.Name, tok.Role, min))
			return
		}
		ctx := context.WithValue(r.Context(), actorKey{}, amends.Actor{Name: "token:" + tok.Name, Role: tok.Role})
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

type createIncidentRequest struct {
	Title      string   `json:"title"`
	Summary    string   `json:"summary"`
	Severity   int      `json:"severity"`
	NoticedAt  *string  `json:"noticed_at"`
	Owner      string   `json:"owner"`
	Components []string `json:"components"`
}

func (a *API) createIncident(w http.ResponseWriter, r *http.Request) {
	var req createIncidentRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	noticed, err := parseTime("noticed_at", req.NoticedAt)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	inc, err := a.store.CreateIncident(r.Context(), amends.NewIncident{Title: req.Title, Summary: req.Summary,
		Severity: amends.Severity(req.Severity), NoticedAt: noticed, Owner: req.Owner, Components: req.Components}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/incidents/"+inc.Ref)
	respond(w, http.StatusCreated, inc)
}

func (a *API) getIncident(w http.ResponseWriter, r *http.Request) {
	inc, err := a.store.Incident(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, inc)
}

func (a *API) listIncidents(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := amends.IncidentFilter{Status: amends.Status(q.Get("status")), After: q.Get("after"), OpenOnly: q.Get("open") == "true"}
	if v := q.Get("severity"); v != "" {
		sev, err := amends.ParseSeverity(v)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		f.Severity = sev
	}
	if v := q.Get("limit"); v != "" {
		n, err := parseLimit(v)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		f.Limit = n
	}
	page, err := a.store.Incidents(r.Context(), f)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, page)
}

type updateIncidentRequest struct {
	Title      *string   `json:"title"`
	Summary    *string   `json:"summary"`
	Severity   *int      `json:"severity"`
	Status     *string   `json:"status"`
	Owner      *string   `json:"owner"`
	Lead       *string   `json:"lead"`
	Comms      *string   `json:"comms"`
	Components *[]string `json:"components"`
	Team       *string   `json:"team"`
	Cause      *string   `json:"cause"`
	Note       string    `json:"note"`
	At         *string   `json:"at"`
}

func (a *API) updateIncident(w http.ResponseWriter, r *http.Request) {
	var req updateIncidentRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	u, err := req.toUpdate()
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	inc, err := a.store.UpdateIncident(r.Context(), r.PathValue("ref"), u, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, inc)
}

func (req updateIncidentRequest) toUpdate() (amends.IncidentUpdate, error) {
	u := amends.IncidentUpdate{Title: req.Title, Summary: req.Summary, Owner: req.Owner, Lead: req.Lead,
		Comms: req.Comms, Components: req.Components, Team: req.Team, Note: req.Note}
	if req.Cause != nil {
		c := amends.Cause(*req.Cause)
		u.Cause = &c
	}
	if req.Severity != nil {
		s := amends.Severity(*req.Severity)
		u.Severity = &s
	}
	var err error
	if u.Status, err = parseStatus(req.Status); err != nil {
		return u, err
	}
	u.At, err = parseTime("at", req.At)
	return u, err
}

type addEventRequest struct {
	Kind       string  `json:"kind"`
	Body       string  `json:"body"`
	At         *string `json:"at"`
	Visibility string  `json:"visibility"`
	Corrects   *int64  `json:"corrects"`
}

func (a *API) addEvent(w http.ResponseWriter, r *http.Request) {
	var req addEventRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	at, err := parseTime("at", req.At)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	e, err := a.store.AddEvent(r.Context(), r.PathValue("ref"), amends.NewEvent{Kind: amends.EventKind(req.Kind),
		Body: req.Body, At: at, Visibility: amends.Visibility(req.Visibility), Corrects: req.Corrects}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, e)
}

// timeline answers with the events in the order they happened. The hash at the head of the
// chain changes with every appended event, so it is the ETag, and the key under which the
// encoded timeline is kept: an unchanged timeline is read and encoded once.
func (a *API) timeline(w http.ResponseWriter, r *http.Request) {
	public := r.URL.Query().Get("visibility") == "public"
	inc, err := a.store.Incident(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	if match := r.Header.Get("If-None-Match"); match != "" && match == timelineETag(inc.HeadHash, public) {
		w.Header().Set("ETag", match)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	key := inc.Ref + timelineETag(inc.HeadHash, public)
	body, ok := a.timelines.Get(key)
	if !ok {
		events, head, err := a.store.TimelineOf(r.Context(), inc.Ref, public)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		if body, err = json.Marshal(map[string]any{"events": events}); err != nil {
			fail(w, r, a.log, err)
			return
		}
		body = append(body, '\n')
		if head == "" { // an append raced the read: answer it, but vouch for nothing
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Cache-Control", "no-store")
			w.Write(body)
			return
		}
		key = inc.Ref + timelineETag(head, public)
		a.timelines.Put(key, body)
	}
	w.Header().Set("ETag", key[len(inc.Ref):])
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.Write(body)
}

func timelineETag(head string, public bool) string {
	tag := `"` + head[:min(len(head), 32)]
	if public {
		tag += "-public"
	}
	return tag + `"`
}

type lintRequest struct {
	Text string `json:"text"`
	Mode string `json:"mode"`
}

func (a *API) lint(w http.ResponseWriter, r *http.Request) {
	var req lintRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	mode, err := ownership.ParseMode(req.Mode)
	if err != nil {
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "mode", "%s", err.Error()))
		return
	}
	respond(w, http.StatusOK, a.checker.Check(req.Text, mode))
}

func (a *API) audit(w http.ResponseWriter, r *http.Request) {
	n := 100
	if v := r.URL.Query().Get("limit"); v != "" {
		var err error
		if n, err = parseLimit(v); err != nil {
			fail(w, r, a.log, err)
			return
		}
	}
	entries, err := a.store.Audit(r.Context(), n)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"entries": entries})
}

func (a *API) me(w http.ResponseWriter, r *http.Request) {
	who := actor(r)
	respond(w, http.StatusOK, map[string]any{"name": who.Name, "role": who.Role})
}

func parseLimit(v string) (int, error) {
	var n int
	for _, c := range v {
		if c < '0' || c > '9' || n > 10000 {
			return 0, amends.Errorf(amends.EInvalid, "limit", "must be a whole number from 1 to 500")
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > 500 {
		return 0, amends.Errorf(amends.EInvalid, "limit", "must be a whole number from 1 to 500")
	}
	return n, nil
}

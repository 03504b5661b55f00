package api

import (
	"net/http"

	"github.com/amends/amends"
)

// feedback answers what customers said about how an incident was handled.
func (a *API) feedback(w http.ResponseWriter, r *http.Request) {
	fb, err := a.store.Feedback(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, fb)
}

// actOnFeedback turns one answer into an action item of its incident.
func (a *API) actOnFeedback(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req actionRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	due, err := a.parseDue(req.Due)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	item, err := a.store.ActOnFeedback(r.Context(), id, amends.NewActionItem{Title: req.Title, Kind: amends.ActionKind(req.Kind),
		Owner: req.Owner, Due: due, Public: req.Public, TicketURL: req.TicketURL}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, item)
}

package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/amends/amends"
)

type actionRequest struct {
	Title     string `json:"title"`
	Kind      string `json:"kind"`
	Owner     string `json:"owner"`
	Due       string `json:"due"`
	Public    bool   `json:"public"`
	TicketURL string `json:"ticket_url"`
}

type actionUpdateRequest struct {
	Title     *string `json:"title"`
	Owner     *string `json:"owner"`
	Due       *string `json:"due"`
	Public    *bool   `json:"public"`
	TicketURL *string `json:"ticket_url"`
}

type dropRequest struct {
	Reason string `json:"reason"`
}

// parseDue reads a due date (2026-11-20, the end of that day in the server's zone) or an
// RFC 3339 instant.
func (a *API) parseDue(v string) (time.Time, error) {
	return amends.ParseDue(v, a.store.Location())
}

func (a *API) listActions(w http.ResponseWriter, r *http.Request) {
	items, err := a.store.ActionItems(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"actions": items})
}

func (a *API) createAction(w http.ResponseWriter, r *http.Request) {
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
	item, err := a.store.CreateActionItem(r.Context(), r.PathValue("ref"), amends.NewActionItem{Title: req.Title,
		Kind: amends.ActionKind(req.Kind), Owner: req.Owner, Due: due, Public: req.Public, TicketURL: req.TicketURL}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, item)
}

func (a *API) updateAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req actionUpdateRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	u := amends.ActionItemUpdate{Title: req.Title, Owner: req.Owner, Public: req.Public, TicketURL: req.TicketURL}
	if req.Due != nil {
		due, err := a.parseDue(*req.Due)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		u.Due = &due
	}
	item, err := a.store.UpdateActionItem(r.Context(), id, u, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, item)
}

func (a *API) actionDone(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var item *amends.ActionItem
		if item, err = a.store.ActionItemDone(r.Context(), id, actor(r)); err == nil {
			respond(w, http.StatusOK, item)
			return
		}
	}
	fail(w, r, a.log, err)
}

func (a *API) dropAction(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req dropRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	item, err := a.store.DropActionItem(r.Context(), id, req.Reason, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, item)
}

// owedActions lists what one person owes: open items across incidents, soonest due first. A
// token is not a person, so the person is named: ?owner=NAME.
func (a *API) owedActions(w http.ResponseWriter, r *http.Request) {
	owner := strings.TrimSpace(r.URL.Query().Get("owner"))
	if owner == "" {
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "owner", "is required: ?owner=NAME, the user whose open action items to list"))
		return
	}
	items, err := a.store.Owed(r.Context(), owner)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"actions": items})
}

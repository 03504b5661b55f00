package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id < 1 {
		return 0, amends.Errorf(amends.ENotFound, name, "no %s %q", name, r.PathValue(name))
	}
	return id, nil
}

type groupRequest struct {
	Name       string   `json:"name"`
	Severities []int    `json:"severities"`
	Events     []string `json:"events"`
}

func (req groupRequest) severities() []amends.Severity {
	out := make([]amends.Severity, len(req.Severities))
	for i, s := range req.Severities {
		out[i] = amends.Severity(s)
	}
	return out
}

func (a *API) listGroups(w http.ResponseWriter, r *http.Request) {
	groups, err := a.store.Groups(r.Context())
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	if groups == nil {
		groups = []*amends.Group{}
	}
	respond(w, http.StatusOK, map[string]any{"groups": groups})
}

func (a *API) createGroup(w http.ResponseWriter, r *http.Request) {
	var req groupRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	g, err := a.store.CreateGroup(r.Context(), amends.Group{Name: req.Name, Severities: req.severities(), Events: req.Events}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, g)
}

func (a *API) getGroup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var g *amends.Group
		if g, err = a.store.Group(r.Context(), id); err == nil {
			respond(w, http.StatusOK, g)
			return
		}
	}
	fail(w, r, a.log, err)
}

func (a *API) updateGroup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req groupRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	if req.Name != "" {
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "name", "a group's name does not change; make a new group"))
		return
	}
	g, err := a.store.UpdateGroupRule(r.Context(), id, req.severities(), req.Events, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, g)
}

func (a *API) deleteGroup(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		if err = a.store.DeleteGroup(r.Context(), id, actor(r)); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	fail(w, r, a.log, err)
}

type contactRequest struct {
	Name    string `json:"name"`
	Kind    string `json:"kind"`
	Address string `json:"address"`
	Secret  string `json:"secret"`
}

// validContact checks a contact's address for its kind; a webhook without a secret gets a
// new random one, returned once.
func validContact(req contactRequest) (amends.Contact, error) {
	c := amends.Contact{Name: req.Name, Kind: req.Kind, Address: req.Address, Secret: req.Secret}
	if c.Kind == amends.ChannelWebhook && c.Secret == "" {
		c.Secret = store.RandomSecret(24)
	}
	d := channel.Destination{Kind: channel.Kind(c.Kind), Address: c.Address, Name: c.Name, Secret: c.Secret}
	return c, d.Validate()
}

func (a *API) addContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var req contactRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	c, err := validContact(req)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	saved, err := a.store.AddContact(r.Context(), id, c, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	out := map[string]any{"id": saved.ID, "group_id": saved.GroupID, "name": saved.Name, "kind": saved.Kind, "address": saved.Address}
	if saved.Kind == amends.ChannelWebhook {
		out["secret"] = saved.Secret // shown once, so the receiver can verify signatures
	}
	respond(w, http.StatusCreated, out)
}

func (a *API) deleteContact(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		if err = a.store.DeleteContact(r.Context(), id, actor(r)); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	fail(w, r, a.log, err)
}

func (a *API) deliveries(w http.ResponseWriter, r *http.Request) {
	ds, err := a.store.Deliveries(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"deliveries": ds})
}

func (a *API) readers(w http.ResponseWriter, r *http.Request) {
	rs, err := a.store.Readers(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	if rs == nil {
		rs = []store.Reader{}
	}
	respond(w, http.StatusOK, map[string]any{"readers": rs})
}

func (a *API) redrive(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		if err = a.store.Redrive(r.Context(), id, actor(r)); err == nil {
			d, err := a.store.Delivery(r.Context(), id)
			if err == nil {
				respond(w, http.StatusAccepted, d)
				return
			}
		}
	}
	fail(w, r, a.log, err)
}

type targetJSON struct {
	Severity       int    `json:"severity"`
	ColleaguesTold string `json:"colleagues_told"`
	CustomersTold  string `json:"customers_told"`
}

func (a *API) getTargets(w http.ResponseWriter, r *http.Request) {
	t, err := a.store.Targets(r.Context())
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	out := []targetJSON{}
	for sev := amends.Severity(1); sev <= 4; sev++ {
		out = append(out, targetJSON{int(sev), t[sev].ColleaguesTold.String(), t[sev].CustomersTold.String()})
	}
	respond(w, http.StatusOK, map[string]any{"targets": out})
}

func (a *API) putTargets(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Targets []targetJSON `json:"targets"`
	}
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	t := amends.Targets{}
	for _, tj := range req.Targets {
		sev := amends.Severity(tj.Severity)
		if err := sev.Validate(); err != nil {
			fail(w, r, a.log, err)
			return
		}
		var tg amends.Target
		var err error
		if tg.ColleaguesTold, err = parseDuration("colleagues_told", tj.ColleaguesTold); err == nil {
			tg.CustomersTold, err = parseDuration("customers_told", tj.CustomersTold)
		}
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		t[sev] = tg
	}
	if err := a.store.SetTargets(r.Context(), t, actor(r)); err != nil {
		fail(w, r, a.log, err)
		return
	}
	a.getTargets(w, r)
}

func parseDuration(field, v string) (time.Duration, error) {
	if v == "" || v == "0" || v == "none" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, amends.Errorf(amends.EInvalid, field, "must be a duration such as 15m or 2h, or none; got %q", v)
	}
	return d, nil
}

func (a *API) putEscalation(w http.ResponseWriter, r *http.Request) {
	var req contactRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	c, err := validContact(req)
	if err == nil && c.Name == "" {
		err = amends.Errorf(amends.EInvalid, "name", "is required")
	}
	if err == nil {
		err = a.store.SetEscalationContact(r.Context(), c, actor(r))
	}
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"name": c.Name, "kind": c.Kind, "address": c.Address})
}

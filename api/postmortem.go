package api

import (
	"net/http"
	"strconv"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
)

// Postmortems: the document in either edition, section saves with a version check, versions
// and their comparison, sharing, publishing, the Markdown export and checklist waivers. The
// ownership check runs on every save: blameless for the internal edition, customer for the
// apology and for every section of the public edition.

func (a *API) getPostmortem(w http.ResponseWriter, r *http.Request) {
	ed, err := amends.ParseEdition(r.URL.Query().Get("edition"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	pm, err := a.store.Postmortem(r.Context(), r.PathValue("ref"), ed)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, pm)
}

type saveSectionRequest struct {
	Markdown    string `json:"markdown"`
	Public      *bool  `json:"public"`
	BaseVersion int    `json:"base_version"`
}

// SectionChecks are the ownership checks a saved section gets: blameless always (it is in
// the internal edition), customer when customers read it (the apology, or a public section).
type SectionChecks struct {
	Blameless *ownership.Report `json:"blameless,omitempty"`
	Customer  *ownership.Report `json:"customer,omitempty"`
}

// sectionChecks runs the checks a section's text gets.
func sectionChecks(c *ownership.Checker, name amends.SectionName, md string, public bool) SectionChecks {
	var out SectionChecks
	if c == nil || name == amends.SectionTimeline {
		return out
	}
	if name != amends.SectionApology {
		r := c.Check(md, ownership.Blameless)
		out.Blameless = &r
	}
	if name == amends.SectionApology || public {
		r := c.Check(md, ownership.Customer)
		out.Customer = &r
	}
	return out
}

func (a *API) saveSection(w http.ResponseWriter, r *http.Request) {
	var req saveSectionRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	name, err := amends.ParseSection(r.PathValue("section"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	public := name.PublicByDefault()
	if req.Public != nil {
		public = *req.Public
	}
	sec, err := a.store.SaveSection(r.Context(), r.PathValue("ref"), name, req.Markdown, public, req.BaseVersion, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"section": sec, "checks": sectionChecks(a.checker, name, sec.Markdown, sec.Public)})
}

// postmortemVersions lists the saved versions (of one section with ?section=); with section,
// from and to it answers the line diff between two versions instead.
func (a *API) postmortemVersions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	var name amends.SectionName
	if v := q.Get("section"); v != "" {
		var err error
		if name, err = amends.ParseSection(v); err != nil {
			fail(w, r, a.log, err)
			return
		}
	}
	if q.Has("from") || q.Has("to") {
		from, err1 := strconv.Atoi(q.Get("from"))
		to, err2 := strconv.Atoi(q.Get("to"))
		switch {
		case name == "":
			fail(w, r, a.log, amends.Errorf(amends.EInvalid, "section", "is required to compare versions"))
			return
		case err1 != nil || from < 0:
			fail(w, r, a.log, amends.Errorf(amends.EInvalid, "from", "must be a version number"))
			return
		case err2 != nil || to < 0:
			fail(w, r, a.log, amends.Errorf(amends.EInvalid, "to", "must be a version number"))
			return
		}
		diff, err := a.store.ComparePostmortem(r.Context(), r.PathValue("ref"), name, from, to)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		respond(w, http.StatusOK, map[string]any{"section": name, "from": from, "to": to, "diff": diff})
		return
	}
	vs, err := a.store.PostmortemVersions(r.Context(), r.PathValue("ref"), name)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"versions": vs})
}

func (a *API) sharePostmortem(w http.ResponseWriter, r *http.Request) {
	ev, err := a.store.SharePostmortem(r.Context(), r.PathValue("ref"), actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, ev)
}

func (a *API) publishPostmortem(w http.ResponseWriter, r *http.Request) {
	ev, err := a.store.PublishPostmortem(r.Context(), r.PathValue("ref"), actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, ev)
}

// postmortemMarkdown exports the postmortem as one Markdown document.
func (a *API) postmortemMarkdown(w http.ResponseWriter, r *http.Request) {
	ed, err := amends.ParseEdition(r.URL.Query().Get("edition"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	pm, err := a.store.Postmortem(r.Context(), r.PathValue("ref"), ed)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	w.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="`+pm.Ref+"-postmortem-"+string(ed)+`.md"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(pm.Markdown(a.store.Location())))
}

func (a *API) checklist(w http.ResponseWriter, r *http.Request) {
	items, err := a.store.Checklist(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"items": items, "missing": amends.MissingChecks(items)})
}

type waiverRequest struct {
	Item   string `json:"item"`
	Reason string `json:"reason"`
}

func (a *API) waive(w http.ResponseWriter, r *http.Request) {
	var req waiverRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	wv, err := a.store.Waive(r.Context(), r.PathValue("ref"), req.Item, req.Reason, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusCreated, wv)
}

package web

import (
	"bytes"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/store"
)

// Postmortems: the document in either edition with each section editable, previewed and
// checked (blameless for the internal edition, customer for the apology and the public
// edition), versions compared, shared, published, downloaded as Markdown and printed.

// checkView is one ownership check of a section's text.
type checkView struct {
	Mode   string
	Result *lintResult
}

// sectionView is one section of the document page, with its edit form.
type sectionView struct {
	amends.Section
	HTML    template.HTML
	Draft   string // the form's text: the saved text, or what was typed when a save failed
	Public  bool
	Base    int
	Err     *formError
	Preview template.HTML
	Checks  []checkView
	Open    bool // the form is open: a preview or a failed save
}

type postmortemPage struct {
	page
	Inc       *amends.Incident
	PM        *amends.Postmortem
	Edition   string
	Sections  []sectionView
	Published *time.Time
	Done      string
	Events    template.HTML // the generated timeline's entries
	// Attachments of the incident (internal edition only), and why an upload was refused.
	Attachments []*amends.Attachment
	AttachErr   *formError
}

// sectionChecks are the checks a section gets in an edition: blameless on the internal
// edition (but the apology, which is written to customers), customer on the apology and on
// every section of the public edition. The timeline is generated, so it is not checked.
func (w *Web) sectionChecks(name amends.SectionName, text string, ed amends.Edition) []checkView {
	if name == amends.SectionTimeline || strings.TrimSpace(text) == "" {
		return nil
	}
	var out []checkView
	if ed == amends.EditionInternal && name != amends.SectionApology {
		out = append(out, checkView{"blameless", w.check(text, ownership.Blameless)})
	}
	if name == amends.SectionApology || ed == amends.EditionPublic {
		out = append(out, checkView{"customer", w.check(text, ownership.Customer)})
	}
	return out
}

func editionOf(r *http.Request) (amends.Edition, error) {
	return amends.ParseEdition(r.FormValue("edition"))
}

func (w *Web) postmortem(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	w.showPostmortem(rw, r, http.StatusOK, nil)
}

// showPostmortem renders the document page; edited, when set, is the section whose form
// keeps what was typed (a preview, or a save that failed), with its error.
func (w *Web) showPostmortem(rw http.ResponseWriter, r *http.Request, status int, edited *sectionView) {
	w.showPostmortemPage(rw, r, status, edited, nil)
}

// showPostmortemPage is showPostmortem with attachErr, why an upload was refused, when one was.
func (w *Web) showPostmortemPage(rw http.ResponseWriter, r *http.Request, status int, edited *sectionView, attachErr *formError) {
	ed, err := editionOf(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	ctx := r.Context()
	inc, err := w.store.Incident(ctx, r.PathValue("ref"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	pm, err := w.store.Postmortem(ctx, inc.Ref, ed)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p := &postmortemPage{page: page{Title: "Postmortem " + inc.Ref, Nav: "incidents"}, Inc: inc, PM: pm, Edition: string(ed), Done: r.URL.Query().Get("done"), AttachErr: attachErr}
	if ed == amends.EditionInternal {
		if p.Attachments, err = w.store.Attachments(ctx, inc.Ref); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	year := w.year()
	p.Events = eventsHTML(pm.Timeline, func(t time.Time) string { return formatWhen(t, year) })
	if p.Published, err = w.store.PostmortemPublished(ctx, inc.Ref); err != nil {
		w.fail(rw, r, err)
		return
	}
	for _, s := range pm.Sections {
		v := sectionView{Section: s, HTML: w.md.HTML(s.Markdown), Draft: s.Markdown, Public: s.Public, Base: s.Version}
		if edited != nil && edited.Name == s.Name {
			v.Draft, v.Public, v.Base, v.Err, v.Preview, v.Open = edited.Draft, edited.Public, edited.Base, edited.Err, edited.Preview, true
			v.Checks = w.sectionChecks(s.Name, edited.Draft, ed)
		} else {
			v.Checks = w.sectionChecks(s.Name, s.Markdown, ed)
		}
		p.Sections = append(p.Sections, v)
	}
	w.render(rw, r, status, "postmortem", p)
}

// sectionForm reads a section's edit form.
func sectionForm(r *http.Request) (sectionView, error) {
	name, err := amends.ParseSection(r.PathValue("section"))
	if err != nil {
		return sectionView{}, err
	}
	base, err := strconv.Atoi(r.PostFormValue("base_version"))
	if err != nil || base < 0 {
		return sectionView{}, amends.Errorf(amends.EInvalid, "base_version", "the form lost its version; reload the page")
	}
	v := sectionView{Section: amends.Section{Name: name, Title: name.Title()}, Draft: r.PostFormValue("markdown"),
		Public: r.PostFormValue("public") == "on", Base: base}
	return v, nil
}

// saveSection saves a section, or, with action=preview, shows it rendered and checked without
// saving. A save that fails (too long, or someone saved the section meanwhile) shows the page
// again with what was typed kept in the form, so nothing is lost.
func (w *Web) saveSection(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	v, err := sectionForm(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	ed, _ := editionOf(r)
	if r.PostFormValue("action") == "preview" {
		if err := amends.ValidateSectionText(v.Draft); err != nil {
			v.Err, _ = asFormError(err, "markdown")
		} else {
			v.Preview = w.md.HTML(v.Draft)
		}
		if r.Header.Get("HX-Request") == "true" {
			v.Checks = w.sectionChecks(v.Name, v.Draft, ed)
			w.renderFragment(rw, r, http.StatusOK, "pm_preview", &v)
			return
		}
		w.showPostmortem(rw, r, http.StatusOK, &v)
		return
	}
	_, err = w.store.SaveSection(r.Context(), r.PathValue("ref"), v.Name, v.Draft, v.Public, v.Base, actorOf(sess))
	if err == nil {
		http.Redirect(rw, r, postmortemURL(r, ed)+"&done=saved#section-"+string(v.Name), http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err, "markdown"); fe != nil {
		v.Err = fe
		w.showPostmortem(rw, r, status, &v)
		return
	}
	w.fail(rw, r, err)
}

func postmortemURL(r *http.Request, ed amends.Edition) string {
	return "/incidents/" + url.PathEscape(r.PathValue("ref")) + "/postmortem?edition=" + string(ed)
}

// copyMessage copies the latest sent customer message into the apology section, as a new
// version of it: one click instead of copy and paste.
func (w *Web) copyMessage(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	ctx := r.Context()
	pm, err := w.store.Postmortem(ctx, r.PathValue("ref"), amends.EditionInternal)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	if pm.CustomerMessage == "" {
		w.fail(rw, r, amends.Errorf(amends.EInvalid, "", "no customer message has been sent for %s yet: there is nothing to copy", pm.Ref))
		return
	}
	ap := pm.Section(amends.SectionApology)
	text := pm.CustomerMessage
	if ap.Version > 0 && strings.TrimSpace(ap.Markdown) != "" {
		text = strings.TrimRight(ap.Markdown, "\n") + "\n\n" + quote("What we told customers:\n\n"+pm.CustomerMessage)
	}
	if _, err := w.store.SaveSection(ctx, pm.Ref, amends.SectionApology, text, ap.Public, ap.Version, actorOf(sess)); err != nil {
		if fe, status := asFormError(err, "markdown"); fe != nil {
			w.showPostmortem(rw, r, status, &sectionView{Section: ap, Draft: text, Public: ap.Public, Base: ap.Version, Err: fe})
			return
		}
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, postmortemURL(r, amends.EditionInternal)+"&done=copied#section-apology", http.StatusSeeOther)
}

// quote turns text into a Markdown block quote.
func quote(text string) string {
	lines := strings.Split(text, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight("> "+l, " ")
	}
	return strings.Join(lines, "\n")
}

func (w *Web) sharePostmortem(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	if _, err := w.store.SharePostmortem(r.Context(), r.PathValue("ref"), actorOf(sess)); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, postmortemURL(r, amends.EditionInternal)+"&done=shared", http.StatusSeeOther)
}

func (w *Web) publishPostmortem(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	if _, err := w.store.PublishPostmortem(r.Context(), r.PathValue("ref"), actorOf(sess)); err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, postmortemURL(r, amends.EditionPublic)+"&done=published", http.StatusSeeOther)
}

// postmortemMarkdown is the download of the document as Markdown.
func (w *Web) postmortemMarkdown(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	ed, err := editionOf(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	pm, err := w.store.Postmortem(r.Context(), r.PathValue("ref"), ed)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	rw.Header().Set("Content-Type", "text/markdown; charset=utf-8")
	rw.Header().Set("Content-Disposition", `attachment; filename="`+pm.Ref+"-postmortem-"+string(ed)+`.md"`)
	rw.Header().Set("Cache-Control", "no-store")
	rw.Header().Set("X-Content-Type-Options", "nosniff")
	rw.Write([]byte(pm.Markdown(w.store.Location())))
}

// postmortemPrint is the print-ready page of either edition, for signed-in people.
func (w *Web) postmortemPrint(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	ed, err := editionOf(r)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.printPostmortem(rw, r, ed)
}

// publicPostmortem is the published public edition, for anyone; until it is published the
// address names nothing.
func (w *Web) publicPostmortem(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	at, err := w.store.PostmortemPublished(r.Context(), r.PathValue("ref"))
	if err == nil && at == nil {
		err = amends.Errorf(amends.ENotFound, "ref", "no published postmortem %s", r.PathValue("ref"))
	}
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	w.printPostmortem(rw, r, amends.EditionPublic)
}

func (w *Web) printPostmortem(rw http.ResponseWriter, r *http.Request, ed amends.Edition) {
	pm, err := w.store.Postmortem(r.Context(), r.PathValue("ref"), ed)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	d := newPrintData(pm, w.md, w.store.Location())
	d.CSSHref = w.assets.url("print.css")
	if ed == amends.EditionInternal {
		if d.Images, err = w.printImages(r, pm.Ref); err != nil {
			w.fail(rw, r, err)
			return
		}
	}
	buf := w.buffers.Get().(*bytes.Buffer)
	defer w.putBuffer(buf)
	if err := printTemplate.Execute(buf, d); err != nil {
		w.internal(rw, r, err)
		return
	}
	securityHeaders(rw.Header())
	rw.WriteHeader(http.StatusOK)
	buf.WriteTo(rw)
}

type versionsPage struct {
	page
	Inc      *amends.Incident
	Versions []amends.SectionVersion
	Section  string
	From, To int
	Diff     []amends.DiffLine
	Compared bool
	Err      *formError
}

// postmortemVersions lists every saved version; with section, from and to it shows the
// difference between two versions of one section.
func (w *Web) postmortemVersions(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	ctx, q := r.Context(), r.URL.Query()
	inc, err := w.store.Incident(ctx, r.PathValue("ref"))
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	p := &versionsPage{page: page{Title: "Postmortem versions " + inc.Ref, Nav: "incidents"}, Inc: inc, Section: q.Get("section")}
	if p.Versions, err = w.store.PostmortemVersions(ctx, inc.Ref, ""); err != nil {
		w.fail(rw, r, err)
		return
	}
	status := http.StatusOK
	if p.Section != "" && q.Has("from") && q.Has("to") {
		p.From, _ = strconv.Atoi(q.Get("from"))
		p.To, _ = strconv.Atoi(q.Get("to"))
		p.Diff, err = w.store.ComparePostmortem(ctx, inc.Ref, amends.SectionName(p.Section), p.From, p.To)
		switch {
		case err == nil:
			p.Compared = true
		case amends.ErrorCode(err) == amends.ENotFound || amends.ErrorCode(err) == amends.EInvalid:
			p.Err, status = &formError{Message: amends.ErrorOf(err).Error()}, http.StatusBadRequest
		default:
			w.fail(rw, r, err)
			return
		}
	}
	w.render(rw, r, status, "postmortem_versions", p)
}

// waive waives one loop-closing check with a reason, from the incident page.
func (w *Web) waive(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	_, err := w.store.Waive(r.Context(), r.PathValue("ref"), r.PostFormValue("item"), r.PostFormValue("reason"), actorOf(sess))
	if err == nil {
		http.Redirect(rw, r, incidentURL(r)+"#checklist", http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err); fe != nil {
		w.showIncident(rw, r, status, &incidentPage{Problem: fe.Message})
		return
	}
	w.fail(rw, r, err)
}

// closeIncident closes the incident: the store refuses it, naming what is missing, until every
// loop-closing check holds or is waived.
func (w *Web) closeIncident(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	closed := amends.Closed
	_, err := w.store.UpdateIncident(r.Context(), r.PathValue("ref"), amends.IncidentUpdate{Status: &closed, Note: r.PostFormValue("note")}, actorOf(sess))
	if err == nil {
		http.Redirect(rw, r, incidentURL(r), http.StatusSeeOther)
		return
	}
	if fe, status := asFormError(err); fe != nil {
		w.showIncident(rw, r, status, &incidentPage{Problem: amends.ErrorOf(err).Message})
		return
	}
	w.fail(rw, r, err)
}

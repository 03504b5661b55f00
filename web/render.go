package web

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"html/template"
	"io"
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/amends/amends"
)

//go:embed templates/*.html
var templateFS embed.FS

// page is what every page shows around its content: the title, who is signed in, the CSRF
// token of its forms and which navigation entry is current.
type page struct {
	Title string
	User  *amends.User
	CSRF  string
	Nav   string
}

func (p *page) common() *page { return p }

// CanChange reports whether the signed-in user may change incidents (responders and admins).
func (p *page) CanChange() bool { return p.User != nil && p.User.Role.AtLeast(amends.Responder) }

// IsAdmin reports whether the signed-in user is an admin.
func (p *page) IsAdmin() bool { return p.User != nil && p.User.Role.AtLeast(amends.Admin) }

// HXHeaders is the hx-headers value that makes every htmx request carry the CSRF token.
func (p *page) HXHeaders() string { return `{"` + csrfHeader + `": "` + p.CSRF + `"}` }

type pageData interface{ common() *page }

// parseTemplates parses the layout and partials (files starting with "_") once, then each
// page on a clone of them. It executes each once on nil data so that html/template's
// escaping analysis, which otherwise waits for the first request, fails here.
func (w *Web) parseTemplates() (map[string]*template.Template, *template.Template, error) {
	base, err := template.New("").Funcs(w.funcs()).ParseFS(templateFS, "templates/_*.html")
	if err != nil {
		return nil, nil, err
	}
	files, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, nil, err
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		if strings.HasPrefix(path.Base(f), "_") {
			continue
		}
		t, err := base.Clone()
		if err != nil {
			return nil, nil, err
		}
		if t, err = t.ParseFS(templateFS, f); err != nil {
			return nil, nil, err
		}
		if err := checkEscaping(t, "layout"); err != nil {
			return nil, nil, err
		}
		pages[strings.TrimSuffix(path.Base(f), ".html")] = t
	}
	for _, name := range []string{"lint_result", "timeline", "compose_live", "row_problems", "pm_preview"} {
		if err := checkEscaping(base, name); err != nil {
			return nil, nil, err
		}
	}
	return pages, base, nil
}

func checkEscaping(t *template.Template, name string) error {
	err := t.ExecuteTemplate(io.Discard, name, nil)
	var e *template.Error
	if errors.As(err, &e) {
		return err
	}
	return nil
}

// securityHeaders go on every HTML answer: no inline script can run, nothing is framed,
// nothing is cached, since pages hold internal facts.
func securityHeaders(h http.Header) {
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "+
		"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "same-origin")
}

// render executes page name into a buffer and writes it only when that succeeded, so a
// template failure never leaves half a page behind.
func (w *Web) render(rw http.ResponseWriter, r *http.Request, status int, name string, data pageData) {
	p := data.common()
	if s := sessionOf(r); s != nil {
		p.User = s.User
		if p.CSRF == "" {
			p.CSRF = s.CSRF
		}
	}
	t, ok := w.pages[name]
	if !ok {
		w.internal(rw, r, errors.New("no page template "+name))
		return
	}
	buf := w.buffers.Get().(*bytes.Buffer)
	defer w.putBuffer(buf)
	if err := t.ExecuteTemplate(buf, "layout", data); err != nil {
		w.internal(rw, r, err)
		return
	}
	securityHeaders(rw.Header())
	rw.WriteHeader(status)
	buf.WriteTo(rw)
}

// maxPooledBuffer is the largest render buffer kept for reuse: enough for the page of an
// incident with a few thousand events, not so much that one odd page pins its memory.
const maxPooledBuffer = 4 << 20

// putBuffer gives a render buffer back for the next page, so that a large page (a long
// timeline) is not regrown from nothing on every view.
func (w *Web) putBuffer(buf *bytes.Buffer) {
	if buf.Cap() > maxPooledBuffer {
		return
	}
	buf.Reset()
	w.buffers.Put(buf)
}

// renderFragment executes one partial, for htmx to swap into a page.
func (w *Web) renderFragment(rw http.ResponseWriter, r *http.Request, status int, name string, data any) {
	var buf bytes.Buffer
	if err := w.fragments.ExecuteTemplate(&buf, name, data); err != nil {
		w.internal(rw, r, err)
		return
	}
	securityHeaders(rw.Header())
	rw.WriteHeader(status)
	buf.WriteTo(rw)
}

func (w *Web) internal(rw http.ResponseWriter, r *http.Request, err error) {
	w.log.Error("render page", "route", r.Pattern, "err", err)
	securityHeaders(rw.Header())
	rw.Header().Set("Content-Type", "text/plain; charset=utf-8")
	rw.WriteHeader(http.StatusInternalServerError)
	io.WriteString(rw, "internal error\n")
}

type errorPage struct {
	page
	Status  int
	Heading string
	Message string
}

// fail is the one way the HTML surface answers an error. Domain errors the person can act on
// are shown with their field and message; anything else is logged once here and shown as
// "internal error", never with its text.
func (w *Web) fail(rw http.ResponseWriter, r *http.Request, err error) {
	p := &errorPage{Status: http.StatusInternalServerError, Heading: "Internal error",
		Message: "Something went wrong on our side. It has been logged; try again, and tell an admin if it persists."}
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		w.log.Debug("request cancelled by the client", "method", r.Method, "route", r.Pattern)
		return // the browser went away; nobody reads the answer
	}
	e := amends.ErrorOf(err)
	code := amends.ErrorCode(err)
	switch code {
	case amends.EInvalid:
		p.Status, p.Heading, p.Message = http.StatusBadRequest, "That did not work", e.Error()
	case amends.ENotFound:
		p.Status, p.Heading, p.Message = http.StatusNotFound, "Not found", e.Message
	case amends.EConflict:
		p.Status, p.Heading, p.Message = http.StatusConflict, "Conflict", e.Error()
	case amends.EForbidden:
		p.Status, p.Heading, p.Message = http.StatusForbidden, "Not allowed", e.Message
	case amends.EUnauthorized:
		p.Status, p.Heading, p.Message = http.StatusUnauthorized, "Not signed in", e.Message
	case amends.ETooMany:
		p.Status, p.Heading, p.Message = http.StatusTooManyRequests, "Too many requests", e.Message
	case amends.EUnavailable:
		w.log.Warn("web request failed", "route", r.Pattern, "err", err)
		p.Status, p.Heading, p.Message = http.StatusServiceUnavailable, "Unavailable",
			"The database is not answering. Try again in a moment."
	default:
		w.log.Error("web request failed", "method", r.Method, "route", r.Pattern, "err", err)
	}
	p.Title = p.Heading
	w.render(rw, r, p.Status, "error", p)
}

// formError is an invalid or conflicting input, shown beside the field it concerns (or at the
// top of the form when the field is not one of the form's).
type formError struct {
	Field   string
	Message string
}

// On returns the message when it concerns field.
func (e *formError) On(field string) string {
	if e != nil && e.Field == field {
		return e.Message
	}
	return ""
}

// Top returns the message when it concerns no single field of the form.
func (e *formError) Top() string { return e.On("") }

// asFormError returns the error to show on a form and its status when err is a domain error
// the person can fix (invalid or conflict), else nil. fields are the form's own fields.
func asFormError(err error, fields ...string) (*formError, int) {
	e := amends.ErrorOf(err)
	if e == nil {
		return nil, 0
	}
	status := http.StatusBadRequest
	switch e.Code {
	case amends.EInvalid:
	case amends.EConflict:
		status = http.StatusConflict
	default:
		return nil, 0
	}
	fe := &formError{Message: e.Message}
	for _, f := range fields {
		if f == e.Field {
			fe.Field = f
		}
	}
	if fe.Field == "" && e.Field != "" {
		fe.Message = e.Error()
	}
	return fe, status
}

package web

import (
	"encoding/base64"
	"html/template"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// Attachments: screenshots and supporting files of an incident, uploaded on the postmortem
// page and served back with their sniffed type. Nothing uploaded is ever rendered by the
// browser as a page of ours: every answer carries nosniff and a sandboxing CSP, and only
// images are shown inline; everything else downloads.

// maxAttachmentBody is the largest body the upload route reads: one 20 MiB file and its form.
const maxAttachmentBody = 21 << 20

// attachmentCSP forbids everything an uploaded file might try, and sandboxes it when opened.
const attachmentCSP = "default-src 'none'; sandbox"

// uploadAttachment stores the file of the upload form and goes back to the postmortem page.
func (w *Web) uploadAttachment(rw http.ResponseWriter, r *http.Request, sess *store.Session) {
	ref := r.PathValue("ref")
	var err error
	if u := uploadOf(r); u != nil && u.err == nil && (u.file == nil || u.file.FileName() == "") {
		err = amends.Errorf(amends.EInvalid, fileField, "choose a file to attach")
	} else {
		file, ferr := uploadedFile(rw, r)
		err = ferr
		if err == nil {
			_, err = w.store.Attach(r.Context(), ref, file.FileName(), file, actorOf(sess))
			if err != nil && r.Context().Err() != nil {
				return // the person has gone; nobody reads an answer
			}
			err = uploadError(err)
		}
	}
	if fe, status := asFormError(err, fileField); fe != nil {
		w.showPostmortemPage(rw, r, status, nil, fe)
		return
	} else if err != nil {
		w.fail(rw, r, err)
		return
	}
	http.Redirect(rw, r, "/incidents/"+url.PathEscape(ref)+"/postmortem?done=attached#attachments", http.StatusSeeOther)
}

// attachment serves one attachment's file with its sniffed type: images inline, anything else
// as a download under its sanitised name.
func (w *Web) attachment(rw http.ResponseWriter, r *http.Request, _ *store.Session) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		w.fail(rw, r, amends.Errorf(amends.ENotFound, "id", "no attachment %q", r.PathValue("id")))
		return
	}
	f, a, err := w.store.OpenAttachment(r.Context(), r.PathValue("ref"), id)
	if err != nil {
		w.fail(rw, r, err)
		return
	}
	defer f.Close()
	AttachmentHeaders(rw.Header(), a)
	http.ServeContent(rw, r, "", a.CreatedAt, f)
}

// AttachmentHeaders sets the headers every answer carrying an attachment's file needs: the
// sniffed type, nosniff, a sandboxing CSP, and Content-Disposition inline for images and
// attachment (with the percent-encoded sanitised name) for the rest.
func AttachmentHeaders(h http.Header, a *amends.Attachment) {
	typ := a.Type
	if !a.IsImage() && typ != "application/pdf" {
		typ += "; charset=utf-8"
	}
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", attachmentCSP)
	h.Set("Cache-Control", "private, no-cache")
	h.Set("Referrer-Policy", "same-origin")
	if a.IsImage() {
		h.Set("Content-Disposition", "inline")
	} else {
		h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(a.Name))
	}
}

// printImage is an image attachment embedded in the print view as a data: URL, so that the
// printed PDF carries it.
type printImage struct {
	Name string
	Src  template.URL
}

// printImages reads the image attachments of incident ref as data: URLs.
func (w *Web) printImages(r *http.Request, ref string) ([]printImage, error) {
	list, err := w.store.Attachments(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	var out []printImage
	for _, a := range list {
		if !a.IsImage() {
			continue
		}
		f, _, err := w.store.OpenAttachment(r.Context(), ref, a.ID)
		if err != nil {
			return nil, err
		}
		data, err := io.ReadAll(io.LimitReader(f, amends.MaxAttachment))
		f.Close()
		if err != nil {
			return nil, err
		}
		src := "data:" + a.Type + ";base64," + base64.StdEncoding.EncodeToString(data)
		out = append(out, printImage{Name: a.Name, Src: template.URL(src)}) //nolint:gosec // a sniffed image type and base64
	}
	return out, nil
}

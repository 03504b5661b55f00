package api

import (
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/amends/amends"
)

// Attachments: list, upload (multipart with a "file" part, or the raw file as the body with
// ?name=) and download. A download carries the sniffed type, nosniff and a sandboxing CSP;
// only images are inline.

// maxAttachmentBody is the most an attachment upload reads: one 20 MiB file and its form.
const maxAttachmentBody = 21 << 20

func (a *API) listAttachments(w http.ResponseWriter, r *http.Request) {
	list, err := a.store.Attachments(r.Context(), r.PathValue("ref"))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, map[string]any{"attachments": list})
}

func (a *API) createAttachment(w http.ResponseWriter, r *http.Request) {
	body := http.MaxBytesReader(w, r.Body, maxAttachmentBody)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(15 * time.Minute))
	rc.SetWriteDeadline(time.Now().Add(16 * time.Minute))
	var (
		file io.Reader = body
		name           = r.URL.Query().Get("name")
	)
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt == "multipart/form-data" {
		r.Body = body
		mr, err := r.MultipartReader()
		if err != nil {
			fail(w, r, a.log, amends.Errorf(amends.EInvalid, "file", "the multipart body could not be read: %v", err))
			return
		}
		file = nil
		for {
			part, err := mr.NextPart()
			if err != nil {
				fail(w, r, a.log, amends.Errorf(amends.EInvalid, "file", "send the file as a part named \"file\""))
				return
			}
			if part.FormName() == "file" {
				file, name = part, part.FileName()
				break
			}
		}
	}
	att, err := a.store.Attach(r.Context(), r.PathValue("ref"), name, file, actor(r))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "file", "is over 20 MiB; nothing was stored"))
	case err != nil && r.Context().Err() != nil:
		// The caller has gone; nobody reads an answer.
	case errors.Is(err, io.ErrUnexpectedEOF):
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "file", "the upload ended before the whole file arrived; nothing was stored"))
	case err != nil:
		fail(w, r, a.log, err)
	default:
		respond(w, http.StatusCreated, att)
	}
}

func (a *API) getAttachment(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		fail(w, r, a.log, amends.Errorf(amends.ENotFound, "id", "no attachment %q", r.PathValue("id")))
		return
	}
	f, att, err := a.store.OpenAttachment(r.Context(), r.PathValue("ref"), id)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	defer f.Close()
	h := w.Header()
	typ := att.Type
	if !att.IsImage() && typ != "application/pdf" {
		typ += "; charset=utf-8"
	}
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, no-cache")
	if att.IsImage() {
		h.Set("Content-Disposition", "inline")
	} else {
		h.Set("Content-Disposition", "attachment; filename*=UTF-8''"+url.PathEscape(att.Name))
	}
	http.ServeContent(w, r, "", att.CreatedAt, f)
}

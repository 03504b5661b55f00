package web

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"

	"github.com/amends/amends"
)

// Uploads. A customer file can be tens of megabytes, so the pages that take one neither hold
// it in memory nor spool it to disk the way ParseMultipartForm would: the form's small fields
// (the CSRF token, the options) come first in the body, as the form orders them, and are read
// ahead of the file; the file part is then handed to the store as a reader, which reads it
// row by row as it arrives.

// maxUpload is the largest body an upload page reads: about a million customers.
const maxUpload = 64 << 20

// uploadDeadline is how long an upload may take to arrive and be read, beyond the server's
// deadlines, which are set for small requests.
const uploadDeadline = 15 * time.Minute

// uploads are the routes that take a file, with the largest body each reads. The server
// enforces the limit (Route.MaxBody), and streamUpload again, for mounts without the server.
var uploads = map[string]int64{
	"POST /customers/import":              maxUpload,
	"POST /incidents/{ref}/audience/list": maxUpload,
	"POST /incidents/{ref}/attachments":   maxAttachmentBody,
}

// fileField is the name of the file input of every upload form; it must be the form's last
// field, since what follows the file is not read.
const fileField = "file"

// Limits on the fields before the file: a token and a few checkboxes.
const (
	maxUploadFields = 16
	maxUploadField  = 1 << 10
)

type uploadKey struct{}

// upload is a streamed upload form: the fields that came before the file, read, and the file
// part, not yet read.
type upload struct {
	fields url.Values
	file   *multipart.Part // nil when the form has no file part
	err    error           // why the fields could not be read
}

// uploadOf returns the streamed form of r, or nil when r is not a multipart request to an
// upload route.
func uploadOf(r *http.Request) *upload {
	u, _ := r.Context().Value(uploadKey{}).(*upload)
	return u
}

// streamUpload limits the body to max bytes and, for a multipart body, reads the fields up to
// the file before the guard runs, so the guard finds the CSRF token (csrfToken) without
// parsing the file.
func streamUpload(max int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(rw, r.Body, max)
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "multipart/form-data" {
			next.ServeHTTP(rw, r) // not an upload: the handler says what it wants
			return
		}
		mr, err := r.MultipartReader()
		if err != nil {
			next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), uploadKey{}, &upload{fields: url.Values{}, err: err})))
			return
		}
		next.ServeHTTP(rw, r.WithContext(context.WithValue(r.Context(), uploadKey{}, readUpload(mr))))
	})
}

func readUpload(mr *multipart.Reader) *upload {
	u := &upload{fields: url.Values{}}
	for n := 0; ; n++ {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return u
		} else if err != nil {
			u.err = err
			return u
		}
		if part.FormName() == fileField {
			u.file = part
			return u
		}
		if n >= maxUploadFields {
			u.err = fmt.Errorf("more than %d fields before the file", maxUploadFields)
			return u
		}
		v, err := io.ReadAll(io.LimitReader(part, maxUploadField+1))
		if err != nil {
			u.err = err
			return u
		}
		if len(v) > maxUploadField {
			u.err = fmt.Errorf("field %q is over %d bytes", part.FormName(), maxUploadField)
			return u
		}
		u.fields.Add(part.FormName(), string(v))
	}
}

// uploadedFile returns the file of the request's upload form, or an EInvalid error for field
// "file" that says what is missing. It gives the upload more time to arrive.
func uploadedFile(rw http.ResponseWriter, r *http.Request) (*multipart.Part, error) {
	u := uploadOf(r)
	switch {
	case u == nil:
		return nil, amends.Errorf(amends.EInvalid, fileField, "send the file with the upload form (multipart/form-data)")
	case u.err != nil:
		if err := uploadError(u.err); amends.ErrorCode(err) == amends.EInvalid {
			return nil, err
		}
		return nil, amends.Errorf(amends.EInvalid, fileField, "the form could not be read: reload the page and try again")
	case u.file == nil || u.file.FileName() == "":
		return nil, amends.Errorf(amends.EInvalid, fileField, "choose a CSV file")
	}
	rc := http.NewResponseController(rw)
	rc.SetReadDeadline(time.Now().Add(uploadDeadline))
	rc.SetWriteDeadline(time.Now().Add(uploadDeadline + time.Minute))
	return u.file, nil
}

// uploadError turns what can go wrong while an upload arrives into an EInvalid error for field
// "file" that the person can act on; any other error comes back as it is.
func uploadError(err error) error {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return amends.Errorf(amends.EInvalid, fileField, "is over the %d MiB an upload may be; split it into smaller files", tooBig.Limit>>20)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return amends.Errorf(amends.EInvalid, fileField, "the upload ended before the whole file arrived; nothing was read: try again")
	}
	return err
}

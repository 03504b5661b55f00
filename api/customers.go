package api

import (
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// DefaultMaxImportBody is the largest CSV file the customer import reads, unless
// Config.MaxImportBody says otherwise: about a million customers.
const DefaultMaxImportBody = 64 << 20

// importDeadline is how long a customer import may take to upload and run, beyond the
// server's usual deadlines, which are set for small requests.
const importDeadline = 15 * time.Minute

type customerRequest struct {
	Email    string   `json:"email"`
	Name     string   `json:"name"`
	Account  string   `json:"account"`
	Segments []string `json:"segments"`
}

func (a *API) listCustomers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := amends.CustomerFilter{Account: q.Get("account"), Segment: q.Get("segment"), After: q.Get("after")}
	if v := q.Get("limit"); v != "" {
		n, err := parseLimit(v)
		if err != nil {
			fail(w, r, a.log, err)
			return
		}
		f.Limit = n
	}
	page, err := a.store.Customers(r.Context(), f)
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, page)
}

func (a *API) createCustomer(w http.ResponseWriter, r *http.Request) {
	var req customerRequest
	if err := decode(w, r, &req); err != nil {
		fail(w, r, a.log, err)
		return
	}
	c, err := a.store.CreateCustomer(r.Context(), amends.Customer{Email: req.Email, Name: req.Name, Account: req.Account, Segments: req.Segments}, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	w.Header().Set("Location", "/api/v1/customers/"+strconv.FormatInt(c.ID, 10))
	respond(w, http.StatusCreated, c)
}

func (a *API) getCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		var c *amends.Customer
		if c, err = a.store.Customer(r.Context(), id); err == nil {
			respond(w, http.StatusOK, c)
			return
		}
	}
	fail(w, r, a.log, err)
}

func (a *API) updateCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	var u amends.CustomerUpdate
	if err := decode(w, r, &u); err != nil {
		fail(w, r, a.log, err)
		return
	}
	c, err := a.store.UpdateCustomer(r.Context(), id, u, actor(r))
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	respond(w, http.StatusOK, c)
}

func (a *API) deleteCustomer(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "id")
	if err == nil {
		if err = a.store.DeleteCustomer(r.Context(), id, actor(r)); err == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
	}
	fail(w, r, a.log, err)
}

// importCustomers reads the body as a CSV file as it arrives and answers with the import's
// report: 200 when rows were imported, 422 when the file had problems and none were.
func (a *API) importCustomers(w http.ResponseWriter, r *http.Request) {
	opts, err := importOptions(r.URL.Query())
	if err == nil {
		err = csvContentType(r.Header.Get("Content-Type"))
	}
	if err != nil {
		fail(w, r, a.log, err)
		return
	}
	if r.ContentLength > a.maxImport {
		a.tooLarge(w, r)
		return
	}
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(time.Now().Add(importDeadline))
	rc.SetWriteDeadline(time.Now().Add(importDeadline + time.Minute))
	rep, err := a.store.ImportCustomers(r.Context(), http.MaxBytesReader(w, r.Body, a.maxImport), opts, actor(r))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		a.tooLarge(w, r)
	case err != nil && r.Context().Err() != nil:
		// The caller has gone; nobody reads an answer.
	case errors.Is(err, io.ErrUnexpectedEOF):
		fail(w, r, a.log, amends.Errorf(amends.EInvalid, "", "the upload ended before the whole file arrived; nothing was imported"))
	case err != nil:
		fail(w, r, a.log, err)
	case rep.Refused():
		respond(w, http.StatusUnprocessableEntity, rep)
	default:
		respond(w, http.StatusOK, rep)
	}
}

func importOptions(q url.Values) (store.ImportOptions, error) {
	var opts store.ImportOptions
	for name, dst := range map[string]*bool{"skip_bad": &opts.SkipBad, "update": &opts.Update} {
		switch q.Get(name) {
		case "", "false":
		case "true":
			*dst = true
		default:
			return opts, amends.Errorf(amends.EInvalid, name, "must be true or false")
		}
	}
	return opts, nil
}

// csvContentType accepts text/csv (or application/csv) in UTF-8.
func csvContentType(ct string) error {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || (mt != "text/csv" && mt != "application/csv") {
		return amends.Errorf(amends.EInvalid, "", "send the file as the body with Content-Type: text/csv")
	}
	if cs := strings.ToLower(params["charset"]); cs != "" && cs != "utf-8" && cs != "us-ascii" {
		return amends.Errorf(amends.EInvalid, "", "the file is %s; save it as UTF-8 and send it with Content-Type: text/csv", cs)
	}
	return nil
}

// tooLarge answers 413 with the import's own limit (fail names the API's usual one).
func (a *API) tooLarge(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	json.NewEncoder(w).Encode(Problem{Type: "/api/v1/openapi.json#problem-invalid", Title: http.StatusText(http.StatusRequestEntityTooLarge),
		Status: http.StatusRequestEntityTooLarge, Instance: r.URL.Path, Code: amends.EInvalid,
		Detail: "the file is over the import's limit of " + sizeMiB(a.maxImport) + "; split it into smaller files"})
}

func sizeMiB(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

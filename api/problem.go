package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/amends/amends"
)

// Problem is an RFC 9457 problem document, extended with the domain error's code and field.
type Problem struct {
	Type     string `json:"type"`
	Title    string `json:"title"`
	Status   int    `json:"status"`
	Detail   string `json:"detail,omitempty"`
	Instance string `json:"instance,omitempty"`
	Code     string `json:"code"`
	Field    string `json:"field,omitempty"`
}

var statusOf = map[string]int{
	amends.EInvalid:      http.StatusBadRequest,
	amends.ENotFound:     http.StatusNotFound,
	amends.EConflict:     http.StatusConflict,
	amends.EUnauthorized: http.StatusUnauthorized,
	amends.EForbidden:    http.StatusForbidden,
	amends.ETooMany:      http.StatusTooManyRequests,
	amends.EUnavailable:  http.StatusServiceUnavailable,
	amends.EInternal:     http.StatusInternalServerError,
}

// fail answers err as application/problem+json. It is the only way this API reports errors:
// domain errors show their message; anything else is logged once and shown as "internal error".
func fail(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	p := Problem{Instance: r.URL.Path}
	var tooBig *http.MaxBytesError
	switch e := amends.ErrorOf(err); {
	case errors.Is(err, context.Canceled) && r.Context().Err() != nil:
		// The client went away mid-request: nothing is wrong on our side, and nobody reads the answer.
		log.Debug("request cancelled by the client", "method", r.Method, "route", r.Pattern)
		p.Code, p.Status, p.Detail = amends.EUnavailable, 499, "request cancelled"
	case errors.As(err, &tooBig):
		p.Code, p.Status, p.Detail = amends.EInvalid, http.StatusRequestEntityTooLarge, "the request body is over the 1 MiB limit"
	case e != nil && e.Code != amends.EInternal:
		p.Code, p.Field, p.Detail, p.Status = e.Code, e.Field, e.Error(), statusOf[e.Code]
		if e.Code == amends.EUnavailable {
			log.Warn("database unavailable", "method", r.Method, "route", r.Pattern, "err", err)
			p.Detail = "the database is not answering; try again shortly"
			w.Header().Set("Retry-After", "5")
		}
	default:
		log.Error("internal error", "method", r.Method, "route", r.Pattern, "err", err)
		p.Code, p.Status, p.Detail = amends.EInternal, http.StatusInternalServerError, "internal error"
	}
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	p.Type = "/api/v1/openapi.json#problem-" + p.Code
	p.Title = http.StatusText(p.Status)
	if p.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="amends"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// respond writes v as JSON with the given status.
func respond(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

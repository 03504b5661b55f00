package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// decode reads one JSON object from the request into v. It refuses other content types,
// unknown fields, trailing data and bodies over MaxBody, naming the field at fault.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return amends.Errorf(amends.EInvalid, "", "send JSON with Content-Type: application/json")
		}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return amends.Errorf(amends.EInvalid, "", "the body must hold one JSON object and nothing after it")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syntax  *json.SyntaxError
		typeErr *json.UnmarshalTypeError
		tooBig  *http.MaxBytesError
	)
	switch {
	case errors.As(err, &tooBig):
		return err
	case errors.As(err, &syntax):
		return amends.Errorf(amends.EInvalid, "", "malformed JSON at byte %d", syntax.Offset)
	case errors.As(err, &typeErr):
		return amends.Errorf(amends.EInvalid, typeErr.Field, "must be a JSON %s", typeErr.Type.Kind())
	case errors.Is(err, io.EOF):
		return amends.Errorf(amends.EInvalid, "", "the body is empty; send a JSON object")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return amends.Errorf(amends.EInvalid, "", "malformed JSON: the body ends too soon")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.TrimPrefix(err.Error(), "json: unknown field ")
		if name, err := strconv.Unquote(field); err == nil { // the name as sent, not Go-quoted
			field = name
		}
		if field == "" {
			return amends.Errorf(amends.EInvalid, "", `the body has an empty key (""), which is not a field this endpoint accepts`)
		}
		return amends.Errorf(amends.EInvalid, field, "is not a field this endpoint accepts")
	}
	return amends.Errorf(amends.EInvalid, "", "malformed JSON: %s", strings.TrimPrefix(err.Error(), "json: "))
}

// parseTime reads an optional RFC 3339 instant from a request field.
func parseTime(field string, v *string) (*time.Time, error) {
	if v == nil || *v == "" {
		return nil, nil
	}
	t, err := time.Parse(time.RFC3339Nano, *v)
	if err != nil {
		return nil, amends.Errorf(amends.EInvalid, field, "must be an RFC 3339 time such as 2026-11-03T14:39:00Z, got %q", *v)
	}
	return &t, nil
}

func parseStatus(v *string) (*amends.Status, error) {
	if v == nil {
		return nil, nil
	}
	s := amends.Status(*v)
	if !s.Valid() {
		return nil, amends.Errorf(amends.EInvalid, "status", "must be one of investigating, identified, monitoring, resolved, closed; got %q", *v)
	}
	return &s, nil
}

func itoa(n int) string { return fmt.Sprint(n) }

// decodeLenient is decode for payloads whose format belongs to another program (Alertmanager):
// fields it adds in later versions are ignored rather than refused.
func decodeLenient(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, MaxBody))
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return amends.Errorf(amends.EInvalid, "", "the body must hold one JSON object and nothing after it")
	}
	return nil
}

// Package amends holds the domain of amends: incidents, their timeline, statuses, severities,
// users and roles, and the rules that govern them. It does no I/O; time is passed in.
package amends

import (
	"errors"
	"fmt"
)

// Error codes say what kind of failure an error is, so each surface (HTTP, CLI) can answer
// with the right status without inspecting messages.
const (
	EInvalid      = "invalid"      // the input breaks a rule; Field names the culprit
	ENotFound     = "not_found"    // the thing asked for does not exist
	EConflict     = "conflict"     // the change clashes with the current state
	EUnauthorized = "unauthorized" // no valid credentials
	EForbidden    = "forbidden"    // credentials valid, role too weak
	ETooMany      = "too_many"     // rate limited
	EUnavailable  = "unavailable"  // a dependency (the database) is not answering
	EInternal     = "internal"     // a bug or an unexpected failure; never shown in detail
)

// Error is a domain error with a code, the field it concerns (may be empty) and a message
// that is safe to show to the person who caused it.
type Error struct {
	Code    string
	Field   string
	Message string
}

// Error implements error.
func (e *Error) Error() string {
	if e.Field != "" {
		return fmt.Sprintf("%s: %s", e.Field, e.Message)
	}
	return e.Message
}

// Errorf returns an *Error with the given code, field and formatted message.
func Errorf(code, field, format string, args ...any) *Error {
	return &Error{Code: code, Field: field, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EInternal for any other
// non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// ErrorOf returns the first *Error in err's chain, or nil when there is none.
func ErrorOf(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

package channel

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Error is a failed send. The contract is one sentence: Permanent means do not try again (the
// receiver refused this message or this recipient, or the input is invalid), anything else means
// try again later, after RetryAfter when it is positive, otherwise after Backoff.
//
// Every error a Sender returns is an *Error; errors.As reaches the cause through Unwrap (an
// *amends.Error with its field for invalid input, a net.Error for a timeout, …).
type Error struct {
	Permanent  bool          // true: retrying cannot succeed; the delivery is dead now
	RetryAfter time.Duration // > 0 when the receiver said when to try again (Retry-After)
	Status     int           // the HTTP status or SMTP reply code, 0 when there was no answer
	Err        error         // the cause, never nil
}

// Error describes the failure, its kind first: "permanent failure: …" or "temporary failure: …".
func (e *Error) Error() string {
	var b strings.Builder
	if e.Permanent {
		b.WriteString("permanent failure")
	} else {
		b.WriteString("temporary failure")
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// IsPermanent reports whether err says that retrying cannot succeed. Errors that are not an
// *Error (none should reach the worker) count as temporary: when in doubt, try again.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent
}

func permanent(status int, err error) *Error {
	return &Error{Permanent: true, Status: status, Err: err}
}

func temporary(status int, after time.Duration, err error) *Error {
	return &Error{Status: status, RetryAfter: after, Err: err}
}

// invalid wraps a validation error: bad input never becomes valid by waiting.
func invalid(err error) *Error { return permanent(0, err) }

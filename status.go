package amends

// Status is where an incident stands in its lifecycle.
type Status string

// The statuses, in lifecycle order.
const (
	Investigating Status = "investigating"
	Identified    Status = "identified"
	Monitoring    Status = "monitoring"
	Resolved      Status = "resolved"
	Closed        Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{Investigating, Identified, Monitoring, Resolved, Closed}

// Valid reports whether s is one of Statuses.
func (s Status) Valid() bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Open reports whether the incident still needs attention (not resolved or closed).
func (s Status) Open() bool {
	return s == Investigating || s == Identified || s == Monitoring
}

func (s Status) rank() int {
	for i, v := range Statuses {
		if s == v {
			return i
		}
	}
	return -1
}

// CanBecome reports whether an incident in status s may move to next. Open statuses may move
// forward by any number of steps (a fix can be found and verified at once) and back among the
// open ones (monitoring shows the fix did not hold). A resolved incident may reopen as
// investigating. Closed is reached only from resolved, and only through CloseIncident's
// checklist, which the postmortem work adds; nothing leaves closed. Staying put is not a change.
func (s Status) CanBecome(next Status) bool {
	if !s.Valid() || !next.Valid() || s == next {
		return false
	}
	switch {
	case s == Closed:
		return false
	case next == Closed:
		return s == Resolved
	case s == Resolved:
		return next == Investigating
	default:
		return true
	}
}

// ValidateTransition returns an EInvalid error naming field "status" when s cannot become next.
func (s Status) ValidateTransition(next Status) error {
	if !next.Valid() {
		return Errorf(EInvalid, "status", "must be one of investigating, identified, monitoring, resolved, closed; got %q", string(next))
	}
	if s == next {
		return Errorf(EInvalid, "status", "is already %s", s)
	}
	if !s.CanBecome(next) {
		if next == Closed {
			return Errorf(EInvalid, "status", "cannot go from %s to closed: an incident is closed from resolved once its loop-closing checklist holds", s)
		}
		return Errorf(EInvalid, "status", "cannot go from %s to %s", s, next)
	}
	return nil
}

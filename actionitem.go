package amends

import (
	"net/url"
	"strings"
	"time"
)

// ActionKind says what an action item is for.
type ActionKind string

// Action item kinds.
const (
	ActionFix           ActionKind = "fix"           // repairs what went wrong
	ActionPrevention    ActionKind = "prevention"    // keeps it from happening again
	ActionProcess       ActionKind = "process"       // changes how the team works
	ActionCommunication ActionKind = "communication" // something owed to someone, said or sent
)

// ActionKinds lists every kind, in the order forms offer them.
var ActionKinds = []ActionKind{ActionFix, ActionPrevention, ActionProcess, ActionCommunication}

// Valid reports whether k is one of ActionKinds.
func (k ActionKind) Valid() bool {
	for _, v := range ActionKinds {
		if k == v {
			return true
		}
	}
	return false
}

// ActionState is where an action item stands: open until done or dropped, which are final.
type ActionState string

// Action item states.
const (
	ActionOpen    ActionState = "open"
	ActionDone    ActionState = "done"
	ActionDropped ActionState = "dropped"
)

// Limits on action items.
const (
	MaxDropReason = 2000
	MaxTicketURL  = 2000
	// MaxDueAhead is how far ahead a due date may be: a promise further out is not a plan.
	MaxDueAhead = 5 * 366 * 24 * time.Hour
)

// ActionItem is something the team will do about an incident: a fix, a prevention, a process
// change or a communication, with one owner (a user's name) and a due date. A public one is a
// promise: customers see it, its due date and, once done, its completion.
//
// Due is an instant: a due date entered as a day means the end of that day (23:59:59) in the
// server's zone, so an item is overdue only once its whole due day has passed. DueDate is that
// day written YYYY-MM-DD in the server's zone, for people and for forms.
type ActionItem struct {
	ID         int64       `json:"id"`
	IncidentID int64       `json:"-"`
	Ref        string      `json:"ref"`
	Title      string      `json:"title"`
	Kind       ActionKind  `json:"kind"`
	Owner      string      `json:"owner"`
	Due        time.Time   `json:"due"`
	DueDate    string      `json:"due_date"`
	State      ActionState `json:"state"`
	DropReason string      `json:"drop_reason,omitempty"`
	Public     bool        `json:"public"`
	TicketURL  string      `json:"ticket_url,omitempty"`
	CreatedBy  string      `json:"created_by"`
	CreatedAt  time.Time   `json:"created_at"`
	DoneAt     *time.Time  `json:"done_at"`

	// Source says where the item came from: "" added by hand, or postmortem, feedback, message.
	Source ActionSource `json:"source"`
}

// Overdue reports whether the item is open and its due instant has passed.
func (a ActionItem) Overdue(now time.Time) bool { return a.State == ActionOpen && now.After(a.Due) }

// KeptOnTime reports whether the item was done by its due instant.
func (a ActionItem) KeptOnTime() bool {
	return a.State == ActionDone && a.DoneAt != nil && !a.DoneAt.After(a.Due)
}

// NewActionItem is what it takes to add an action item to an incident.
type NewActionItem struct {
	Title     string     `json:"title"`
	Kind      ActionKind `json:"kind"`
	Owner     string     `json:"owner"`
	Due       time.Time  `json:"due"`
	Public    bool       `json:"public"`
	TicketURL string     `json:"ticket_url"`
}

// Normalize trims the text fields.
func (n *NewActionItem) Normalize() {
	n.Title = strings.TrimSpace(n.Title)
	n.Owner = strings.TrimSpace(n.Owner)
	n.TicketURL = strings.TrimSpace(n.TicketURL)
}

// Validate checks a new action item against the rules, given the current time. Whether the
// owner is a user is for the store to check.
func (n NewActionItem) Validate(now time.Time) error {
	if err := ValidateTitle(n.Title); err != nil {
		return err
	}
	if !n.Kind.Valid() {
		return Errorf(EInvalid, "kind", "must be fix, prevention, process or communication; got %q", n.Kind)
	}
	if err := validateOwner(n.Owner); err != nil {
		return err
	}
	if err := ValidateDue(n.Due, now); err != nil {
		return err
	}
	return ValidateTicketURL(n.TicketURL)
}

// ActionItemUpdate changes some of an open item's fields; nil fields stay as they are.
type ActionItemUpdate struct {
	Title     *string    `json:"title"`
	Owner     *string    `json:"owner"`
	Due       *time.Time `json:"due"`
	Public    *bool      `json:"public"`
	TicketURL *string    `json:"ticket_url"`
}

// Normalize trims the text fields it carries.
func (u *ActionItemUpdate) Normalize() {
	for _, p := range []*string{u.Title, u.Owner, u.TicketURL} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
}

// Validate checks the update, given the current time: a new due date, like a first one, may
// not be in the past.
func (u ActionItemUpdate) Validate(now time.Time) error {
	if u.Title == nil && u.Owner == nil && u.Due == nil && u.Public == nil && u.TicketURL == nil {
		return Errorf(EInvalid, "", "nothing to change")
	}
	if u.Title != nil {
		if err := ValidateTitle(*u.Title); err != nil {
			return err
		}
	}
	if u.Owner != nil {
		if err := validateOwner(*u.Owner); err != nil {
			return err
		}
	}
	if u.Due != nil {
		if err := ValidateDue(*u.Due, now); err != nil {
			return err
		}
	}
	if u.TicketURL != nil {
		return ValidateTicketURL(*u.TicketURL)
	}
	return nil
}

func validateOwner(owner string) error {
	if owner == "" {
		return Errorf(EInvalid, "owner", "is required: the person who will do it")
	}
	if ValidateUserName(owner) != nil {
		return Errorf(EInvalid, "owner", "%q is not a user's name", owner)
	}
	return nil
}

// ValidateDue requires a due instant that has not passed and is at most MaxDueAhead away.
func ValidateDue(due, now time.Time) error {
	if due.IsZero() {
		return Errorf(EInvalid, "due", "is required: the date it will be done by")
	}
	if due.Before(now) {
		return Errorf(EInvalid, "due", "is in the past (%s); a promise needs a date still ahead", due.Format("2006-01-02"))
	}
	if due.Sub(now) > MaxDueAhead {
		return Errorf(EInvalid, "due", "is more than five years ahead")
	}
	return nil
}

// ValidateTicketURL allows an empty link or an absolute http or https URL of at most
// MaxTicketURL bytes: the item's ticket elsewhere (Jira, GitHub, Linear…).
func ValidateTicketURL(v string) error {
	if v == "" {
		return nil
	}
	if len(v) > MaxTicketURL {
		return Errorf(EInvalid, "ticket_url", "is %d bytes; at most %d", len(v), MaxTicketURL)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || strings.ContainsAny(v, " \r\n\t") {
		return Errorf(EInvalid, "ticket_url", "must be an http or https link, such as https://example.atlassian.net/browse/OPS-12")
	}
	return nil
}

// ValidateDropReason requires a reason to drop an item: a dropped promise must say why.
func ValidateDropReason(reason string) error {
	if strings.TrimSpace(reason) == "" {
		return Errorf(EInvalid, "reason", "is required: say why this will not be done")
	}
	return validateText("reason", reason, MaxDropReason)
}

// ParseDue reads a due date: a day (2026-11-20), which means the end of that day in loc, or
// an RFC 3339 instant.
func ParseDue(v string, loc *time.Location) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, Errorf(EInvalid, "due", "is required: the date it will be done by")
	}
	if d, err := time.ParseInLocation("2006-01-02", v, loc); err == nil {
		return EndOfDay(d, loc), nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	return time.Time{}, Errorf(EInvalid, "due", "must be a date such as 2026-11-20, got %q", v)
}

// EndOfDay returns the last second of t's day in loc.
func EndOfDay(t time.Time, loc *time.Location) time.Time {
	y, m, d := t.In(loc).Date()
	return time.Date(y, m, d, 23, 59, 59, 0, loc)
}

// Reminder stages of an action item.
const (
	ReminderBefore  = "before"  // to the owner, ahead of the due date
	ReminderDue     = "due"     // to the owner, on the due date
	ReminderOverdue = "overdue" // to the incident's owner, the day after it was due
)

// ActionReminder is one scheduled check of an action item.
type ActionReminder struct {
	Stage string
	At    time.Time
}

// ReminderLead is how long before the due date the owner is first reminded; an item due
// sooner than twice that is reminded half-way instead.
const ReminderLead = 48 * time.Hour

// DueReminderHour is the hour of the due day (in the server's zone) of the "due today" reminder.
const DueReminderHour = 9

// ActionReminders returns when to check an item due at due, created at now: ReminderLead before
// the due date (or half-way to it, for a short one), at DueReminderHour on the due day, and a
// day after the due instant. A check that would fall in the past, or the "before" check when it
// would not come before the "due" one, is left out.
func ActionReminders(now, due time.Time, loc *time.Location) []ActionReminder {
	y, m, d := due.In(loc).Date()
	on := time.Date(y, m, d, DueReminderHour, 0, 0, 0, loc)
	if on.After(due) {
		on = due
	}
	before := due.Add(-ReminderLead)
	if due.Sub(now) < 2*ReminderLead {
		before = now.Add(due.Sub(now) / 2)
	}
	var out []ActionReminder
	if before.After(now) && (before.Before(on) || on.Before(now)) {
		out = append(out, ActionReminder{ReminderBefore, before})
	}
	if !on.Before(now) {
		out = append(out, ActionReminder{ReminderDue, on})
	}
	return append(out, ActionReminder{ReminderOverdue, due.Add(24 * time.Hour)})
}

// PromiseStats counts public action items by how their promise stands.
type PromiseStats struct {
	KeptOnTime  int `json:"kept_on_time"`
	KeptLate    int `json:"kept_late"`
	OpenOverdue int `json:"open_overdue"`
	Open        int `json:"open"`
	Dropped     int `json:"dropped"`
}

// PublicPromise is a public action item as customers see it: what, by when, and when it was
// done. Its owner and internal details stay inside.
type PublicPromise struct {
	Title   string
	DueDate string // YYYY-MM-DD in the server's zone
	DoneAt  *time.Time
}

package amends

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Limits on incident fields, enforced by Validate.
const (
	MaxTitle      = 200
	MaxSummary    = 10000
	MaxName       = 100
	MaxComponents = 50
)

// Incident is a mistake with customer impact and everything amends knows about it.
// Instants other than NoticedAt and CreatedAt are derived from the timeline by the store
// when events are appended, so lists can show clocks without reading every timeline.
type Incident struct {
	ID         int64     `json:"-"`
	Ref        string    `json:"ref"`
	Title      string    `json:"title"`
	Summary    string    `json:"summary"`
	Severity   Severity  `json:"severity"`
	Status     Status    `json:"status"`
	Owner      string    `json:"owner"`
	Lead       string    `json:"lead"`
	Comms      string    `json:"comms"`
	Components []string  `json:"components"`
	Team       string    `json:"team"`
	Cause      Cause     `json:"cause"`
	NoticedAt  time.Time `json:"noticed_at"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	CreatedBy  string    `json:"created_by"`

	ColleaguesToldAt *time.Time `json:"colleagues_told_at"`
	CustomersToldAt  *time.Time `json:"customers_told_at"`
	RootCauseAt      *time.Time `json:"root_cause_at"`
	MitigatedAt      *time.Time `json:"mitigated_at"`
	ResolvedAt       *time.Time `json:"resolved_at"`
	ClosedAt         *time.Time `json:"closed_at"`

	EventCount int    `json:"event_count"`
	HeadHash   string `json:"-"`
}

// FormatRef returns the short reference of incident number n: INC-n.
func FormatRef(n int64) string { return "INC-" + strconv.FormatInt(n, 10) }

// ParseRef returns the number in a reference such as "INC-42" (case-insensitive; a bare
// number is accepted too), or an ENotFound error, since a malformed reference names nothing.
func ParseRef(ref string) (int64, error) {
	s := strings.TrimSpace(ref)
	if len(s) > 4 && strings.EqualFold(s[:4], "INC-") {
		s = s[4:]
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, Errorf(ENotFound, "ref", "no incident %q", ref)
	}
	return n, nil
}

// NewIncident is what it takes to declare an incident.
type NewIncident struct {
	Title      string     `json:"title"`
	Summary    string     `json:"summary"`
	Severity   Severity   `json:"severity"`
	NoticedAt  *time.Time `json:"noticed_at"`
	Owner      string     `json:"owner"`
	Components []string   `json:"components"`
}

// Normalize trims surrounding space from the text fields and drops empty components.
func (n *NewIncident) Normalize() {
	n.Title = strings.TrimSpace(n.Title)
	n.Summary = strings.TrimSpace(n.Summary)
	n.Owner = strings.TrimSpace(n.Owner)
	n.Components = normalizeList(n.Components)
}

// Validate checks a declaration against the rules, given the current time.
func (n NewIncident) Validate(now time.Time) error {
	if err := ValidateTitle(n.Title); err != nil {
		return err
	}
	if err := validateText("summary", n.Summary, MaxSummary); err != nil {
		return err
	}
	if err := n.Severity.Validate(); err != nil {
		return err
	}
	if n.NoticedAt != nil {
		if err := ValidatePast("noticed_at", *n.NoticedAt, now); err != nil {
			return err
		}
	}
	if err := validateText("owner", n.Owner, MaxName); err != nil {
		return err
	}
	return ValidateComponents(n.Components)
}

// ValidateTitle requires a title of 1 to MaxTitle characters on one line.
func ValidateTitle(t string) error {
	if strings.TrimSpace(t) == "" {
		return Errorf(EInvalid, "title", "is required")
	}
	if strings.ContainsAny(t, "\r\n") {
		return Errorf(EInvalid, "title", "must be one line")
	}
	return validateText("title", t, MaxTitle)
}

// ValidateComponents checks the list of affected components.
func ValidateComponents(cs []string) error {
	if len(cs) > MaxComponents {
		return Errorf(EInvalid, "components", "at most %d components", MaxComponents)
	}
	for _, c := range cs {
		if strings.ContainsAny(c, "\r\n,") {
			return Errorf(EInvalid, "components", "component %q must be one line without commas", c)
		}
		if err := validateText("components", c, MaxName); err != nil {
			return err
		}
	}
	return nil
}

// ValidatePast requires t to be no later than now (one minute of clock skew is tolerated)
// and after the year 2000.
func ValidatePast(field string, t, now time.Time) error {
	if t.After(now.Add(time.Minute)) {
		return Errorf(EInvalid, field, "is in the future (%s); record what has happened, when it happened", t.UTC().Format(time.RFC3339))
	}
	if t.Year() < 2000 {
		return Errorf(EInvalid, field, "is before the year 2000")
	}
	return nil
}

func validateText(field, v string, max int) error {
	if !utf8.ValidString(v) {
		return Errorf(EInvalid, field, "is not valid UTF-8")
	}
	if n := utf8.RuneCountInString(v); n > max {
		return Errorf(EInvalid, field, "is %d characters; at most %d", n, max)
	}
	if strings.ContainsRune(v, 0) {
		return Errorf(EInvalid, field, "contains a NUL character")
	}
	return nil
}

func normalizeList(in []string) []string {
	out := make([]string, 0, len(in))
	seen := map[string]bool{}
	for _, s := range in {
		s = strings.TrimSpace(s)
		if s == "" || seen[s] {
			continue
		}
		seen[s] = true
		out = append(out, s)
	}
	return out
}

// IncidentUpdate changes some of an incident's fields; nil fields stay as they are. Each change
// becomes a timeline event, so the history of every field is on the timeline.
type IncidentUpdate struct {
	Title      *string   `json:"title"`
	Summary    *string   `json:"summary"`
	Severity   *Severity `json:"severity"`
	Status     *Status   `json:"status"`
	Owner      *string   `json:"owner"`
	Lead       *string   `json:"lead"`
	Comms      *string   `json:"comms"`
	Components *[]string `json:"components"`
	Team       *string   `json:"team"`
	Cause      *Cause    `json:"cause"`
	// Note explains the change; it becomes the body of the status event.
	Note string `json:"note"`
	// At is when the change happened, when it is being recorded after the fact.
	At *time.Time `json:"at"`
}

// Normalize trims the text fields it carries.
func (u *IncidentUpdate) Normalize() {
	for _, p := range []*string{u.Title, u.Summary, u.Owner, u.Lead, u.Comms, u.Team} {
		if p != nil {
			*p = strings.TrimSpace(*p)
		}
	}
	if u.Components != nil {
		c := normalizeList(*u.Components)
		u.Components = &c
	}
	if u.Cause != nil {
		c := Cause(strings.ToLower(strings.TrimSpace(string(*u.Cause))))
		u.Cause = &c
	}
	u.Note = strings.TrimSpace(u.Note)
}

// Empty reports whether the update changes nothing.
func (u IncidentUpdate) Empty() bool {
	return u.Title == nil && u.Summary == nil && u.Severity == nil && u.Status == nil &&
		u.Owner == nil && u.Lead == nil && u.Comms == nil && u.Components == nil && u.Team == nil && u.Cause == nil
}

// Validate checks the update against the incident as it is now.
func (u IncidentUpdate) Validate(cur *Incident, now time.Time) error {
	if u.Empty() {
		return Errorf(EInvalid, "", "nothing to change")
	}
	if u.Title != nil {
		if err := ValidateTitle(*u.Title); err != nil {
			return err
		}
	}
	if u.Summary != nil {
		if err := validateText("summary", *u.Summary, MaxSummary); err != nil {
			return err
		}
	}
	if u.Severity != nil {
		if err := u.Severity.Validate(); err != nil {
			return err
		}
	}
	if u.Status != nil {
		if err := cur.Status.ValidateTransition(*u.Status); err != nil {
			return err
		}
	}
	for field, p := range map[string]*string{"owner": u.Owner, "lead": u.Lead, "comms": u.Comms} {
		if p != nil {
			if err := validateText(field, *p, MaxName); err != nil {
				return err
			}
			if strings.ContainsAny(*p, "\r\n") {
				return Errorf(EInvalid, field, "must be one line")
			}
		}
	}
	if u.Components != nil {
		if err := ValidateComponents(*u.Components); err != nil {
			return err
		}
	}
	if u.Team != nil {
		if err := ValidateTeam(*u.Team); err != nil {
			return err
		}
	}
	if u.Cause != nil {
		if err := u.Cause.Validate(); err != nil {
			return err
		}
	}
	if err := validateText("note", u.Note, MaxBody); err != nil {
		return err
	}
	if u.At != nil {
		if err := ValidatePast("at", *u.At, now); err != nil {
			return err
		}
		if u.At.Before(cur.NoticedAt) {
			return Errorf(EInvalid, "at", "is before the incident was noticed (%s)", cur.NoticedAt.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

// IncidentFilter selects and pages incidents. Open incidents come first, then the rest, each
// newest first; After is the opaque cursor from the previous page.
type IncidentFilter struct {
	Status   Status
	Severity Severity
	OpenOnly bool
	Limit    int
	After    string
}

package amends

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Notification events: the moments that groups may choose to hear about.
const (
	EventDeclared         = "declared"
	EventStatusChanged    = "status_changed"
	EventResolved         = "resolved"
	EventCustomerMessage  = "customer_message_sent"
	EventPostmortemShared = "postmortem_shared"
)

// NotifyEvents lists every notification event.
var NotifyEvents = []string{EventDeclared, EventStatusChanged, EventResolved, EventCustomerMessage, EventPostmortemShared}

// Channel kinds a contact can be reached through.
const (
	ChannelEmail   = "email"
	ChannelSlack   = "slack"
	ChannelTeams   = "teams"
	ChannelWebhook = "webhook"
)

// Group is a set of colleagues who must hear about incidents (Support, Success, Sales…), with
// the rule of which severities and which events they hear.
type Group struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Severities []Severity `json:"severities"`
	Events     []string   `json:"events"`
	Contacts   []Contact  `json:"contacts"`
	CreatedAt  time.Time  `json:"created_at"`
}

// Hears reports whether the group's rule covers an incident of severity sev and event ev.
func (g Group) Hears(sev Severity, ev string) bool {
	return slices.Contains(g.Severities, sev) && slices.Contains(g.Events, ev)
}

// Normalize trims the name, sorts severities and drops duplicates; empty lists mean "all".
func (g *Group) Normalize() {
	g.Name = strings.TrimSpace(g.Name)
	if len(g.Severities) == 0 {
		g.Severities = []Severity{1, 2, 3, 4}
	}
	slices.Sort(g.Severities)
	g.Severities = slices.Compact(g.Severities)
	if len(g.Events) == 0 {
		g.Events = append([]string(nil), NotifyEvents...)
	}
	g.Events = normalizeList(g.Events)
}

// Validate checks the group's name and rule.
func (g Group) Validate() error {
	if g.Name == "" {
		return Errorf(EInvalid, "name", "is required")
	}
	if err := validateText("name", g.Name, MaxName); err != nil {
		return err
	}
	if strings.ContainsAny(g.Name, "\r\n") {
		return Errorf(EInvalid, "name", "must be one line")
	}
	for _, s := range g.Severities {
		if !s.Valid() {
			return Errorf(EInvalid, "severities", "must be 1 to 4, got %d", int(s))
		}
	}
	for _, e := range g.Events {
		if !slices.Contains(NotifyEvents, e) {
			return Errorf(EInvalid, "events", "unknown event %q; events are %s", e, strings.Join(NotifyEvents, ", "))
		}
	}
	return nil
}

// Contact is one way to reach a member of a group, or the group itself (a chat channel).
// The address is validated by the channel package before it is stored.
type Contact struct {
	ID        int64     `json:"id"`
	GroupID   int64     `json:"group_id"`
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`
	Address   string    `json:"address"`
	Secret    string    `json:"-"`
	CreatedAt time.Time `json:"created_at"`
}

// Delivery states.
const (
	DeliveryPending  = "pending"
	DeliveryDone     = "delivered"
	DeliveryRetrying = "retrying"
	DeliveryDead     = "dead"
)

// Delivery purposes.
const (
	PurposeBrief      = "brief"      // an incident's brief to a colleague
	PurposeReminder   = "reminder"   // "you have not read the latest brief"
	PurposeNudge      = "nudge"      // to the owner, before a time-to-own target is missed
	PurposeEscalation = "escalation" // to the escalation contact, once it was missed
	PurposeSubscriber = "subscriber" // a public update to one status page subscriber
)

// Delivery is one message to one recipient over one channel. Its id is the idempotency key
// receivers see, stable across retries.
type Delivery struct {
	ID          int64      `json:"id"`
	IncidentID  int64      `json:"-"`
	Ref         string     `json:"ref"`
	BriefID     *int64     `json:"brief_id,omitempty"`
	Purpose     string     `json:"purpose"`
	Event       string     `json:"event"`
	Name        string     `json:"name"`
	Kind        string     `json:"kind"`
	Address     string     `json:"address"`
	Secret      string     `json:"-"`
	GroupName   string     `json:"group"`
	Subject     string     `json:"subject"`
	Body        string     `json:"body"`
	Fields      []Field    `json:"fields"`
	State       string     `json:"state"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error"`
	NextTryAt   *time.Time `json:"next_try_at"`
	DeliveredAt *time.Time `json:"delivered_at"`
	AckedAt     *time.Time `json:"acked_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

// Field is a labelled fact in a brief (Severity: SEV2).
type Field struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Target is how soon after "noticed" colleagues and customers must be told; zero means none.
type Target struct {
	ColleaguesTold time.Duration `json:"colleagues_told"`
	CustomersTold  time.Duration `json:"customers_told"`
}

// Targets are the time-to-own targets per severity.
type Targets map[Severity]Target

// DefaultTargets: sev1 5 min / 30 min, sev2 15 min / 2 h, sev3 60 min / 8 h, sev4 none.
func DefaultTargets() Targets {
	return Targets{
		1: {5 * time.Minute, 30 * time.Minute},
		2: {15 * time.Minute, 2 * time.Hour},
		3: {60 * time.Minute, 8 * time.Hour},
		4: {},
	}
}

// UpdateCadence is how often customers should hear while an incident is open, per severity.
func UpdateCadence(s Severity) time.Duration {
	switch s {
	case 1:
		return 30 * time.Minute
	case 2:
		return time.Hour
	default:
		return 4 * time.Hour
	}
}

// NudgeBefore is how long before a target the owner is nudged: a fifth of the target, at
// least one minute.
func NudgeBefore(target time.Duration) time.Duration {
	return max(target/5, time.Minute)
}

// Brief is what every colleague hears about an incident at one moment: the same facts on
// every channel, and a link to the one page that is the source of truth.
type Brief struct {
	Event   string  `json:"event"`
	Subject string  `json:"subject"`
	Body    string  `json:"body"`
	Fields  []Field `json:"fields"`
}

// MakeBrief writes the brief of inc for event ev. wording is the latest approved customer
// wording ("" when none yet); loc is the zone times are shown in.
func MakeBrief(inc *Incident, ev, wording string, now time.Time, loc *time.Location) Brief {
	what := map[string]string{
		EventDeclared:         "declared",
		EventStatusChanged:    "is now " + string(inc.Status),
		EventResolved:         "is resolved",
		EventCustomerMessage:  "— customers were sent a message",
		EventPostmortemShared: "— the postmortem is shared",
	}[ev]
	subject := fmt.Sprintf("[%s] %s %s: %s", inc.Ref, inc.Severity, what, inc.Title)
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s.\n\n", inc.Ref, inc.Title, what)
	known := inc.Summary
	if known == "" {
		known = "No summary yet; the incident page has the timeline."
	}
	fmt.Fprintf(&b, "What we know: %s\n\n", known)
	b.WriteString("What to tell customers: ")
	if wording == "" {
		next := now.Add(UpdateCadence(inc.Severity)).In(loc).Format("15:04 MST")
		fmt.Fprintf(&b, "nothing approved yet — say we are looking into it and will update by %s.\n", next)
	} else {
		b.WriteString(wording + "\n")
	}
	impact := "not yet known"
	if len(inc.Components) > 0 {
		impact = "affects " + strings.Join(inc.Components, ", ")
	}
	fields := []Field{
		{"Severity", inc.Severity.String()},
		{"Status", string(inc.Status)},
		{"Owner", orDash(inc.Owner)},
		{"Impact", impact},
		{"Noticed", inc.NoticedAt.In(loc).Format("Mon 2 Jan 15:04 MST")},
	}
	return Brief{Event: ev, Subject: oneLine(subject), Body: b.String(), Fields: fields}
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// oneLine replaces control characters with spaces so a value can never break out of a header.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

// FormatSeverities writes severities as "1,2" for storage.
func FormatSeverities(ss []Severity) string {
	parts := make([]string, len(ss))
	for i, s := range ss {
		parts[i] = strconv.Itoa(int(s))
	}
	return strings.Join(parts, ",")
}

// ParseSeverities reads what FormatSeverities wrote.
func ParseSeverities(v string) []Severity {
	var out []Severity
	for _, p := range strings.Split(v, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(p)); err == nil {
			out = append(out, Severity(n))
		}
	}
	return out
}

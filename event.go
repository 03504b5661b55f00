package amends

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// MaxBody is the longest event body, in characters.
const MaxBody = 20000

// EventKind says what a timeline event records.
type EventKind string

// Event kinds. Kinds that mark a key instant are derived into the incident's clocks.
const (
	KindNoticed        EventKind = "noticed"         // someone noticed the mistake
	KindNote           EventKind = "note"            // free text
	KindStatus         EventKind = "status"          // body is the new status
	KindSeverity       EventKind = "severity"        // body is the new severity, 1..4
	KindOwner          EventKind = "owner"           // body is the new owner
	KindRoles          EventKind = "roles"           // body is "lead=NAME; comms=NAME"
	KindComponents     EventKind = "components"      // body is the comma-separated list
	KindTitle          EventKind = "title"           // body is the new title
	KindSummary        EventKind = "summary"         // body is the new summary
	KindTeam           EventKind = "team"            // body is the new owning team
	KindCause          EventKind = "cause"           // body is the new root-cause category
	KindColleaguesTold EventKind = "colleagues_told" // every customer-facing colleague was told
	KindRootCause      EventKind = "root_cause"      // the root cause was found
	KindMitigated      EventKind = "mitigated"       // the harm stopped growing
	KindCustomersTold  EventKind = "customers_told"  // the impacted customers were told
	KindPostmortem     EventKind = "postmortem_shared"
	KindCorrection     EventKind = "correction" // body corrects the event it refers to
	KindBriefRead      EventKind = "brief_read" // a colleague confirmed reading the brief
	KindAlert          EventKind = "alert"      // an alert fired again or resolved
	KindEscalation     EventKind = "escalation" // a time-to-own target was missed and escalated
	KindFeedback       EventKind = "feedback"   // a customer answered the survey
)

// EventKinds lists the kinds a person may record directly; field changes (status, severity,
// owner, roles, components, title, summary) are recorded through incident updates.
var EventKinds = []EventKind{KindNote, KindNoticed, KindColleaguesTold, KindRootCause, KindMitigated, KindCustomersTold, KindPostmortem, KindCorrection}

// Label is the human name of a kind, as the timeline shows it.
func (k EventKind) Label() string {
	switch k {
	case KindNoticed:
		return "Noticed"
	case KindNote:
		return "Note"
	case KindStatus:
		return "Status"
	case KindSeverity:
		return "Severity"
	case KindOwner:
		return "Owner"
	case KindRoles:
		return "Roles"
	case KindComponents:
		return "Components"
	case KindTitle:
		return "Title"
	case KindSummary:
		return "Summary"
	case KindTeam:
		return "Team"
	case KindCause:
		return "Root-cause category"
	case KindColleaguesTold:
		return "Colleagues told"
	case KindRootCause:
		return "Root cause found"
	case KindMitigated:
		return "Mitigated"
	case KindCustomersTold:
		return "Customers told"
	case KindPostmortem:
		return "Postmortem shared"
	case KindCorrection:
		return "Correction"
	case KindBriefRead:
		return "Brief read"
	case KindAlert:
		return "Alert"
	case KindEscalation:
		return "Escalation"
	case KindFeedback:
		return "Customer feedback"
	}
	return string(k)
}

func (k EventKind) recordable() bool {
	for _, v := range EventKinds {
		if k == v {
			return true
		}
	}
	return false
}

// Visibility says who may see an event: internal events never leave the company.
type Visibility string

// Visibilities.
const (
	Internal Visibility = "internal"
	Public   Visibility = "public"
)

// Event is one entry of an incident's append-only timeline. At is when it happened (may be
// back-dated); RecordedAt is when amends learned of it. Seq orders events by recording and
// is what the hash chain follows; the timeline is shown ordered by At.
type Event struct {
	ID         int64      `json:"id"`
	IncidentID int64      `json:"-"`
	Seq        int64      `json:"seq"`
	Kind       EventKind  `json:"kind"`
	Body       string     `json:"body"`
	At         time.Time  `json:"at"`
	RecordedAt time.Time  `json:"recorded_at"`
	Actor      string     `json:"actor"`
	Visibility Visibility `json:"visibility"`
	Corrects   *int64     `json:"corrects,omitempty"`
	PrevHash   string     `json:"-"`
	Hash       string     `json:"hash"`
}

// BackDated reports whether the event was recorded noticeably later than it happened.
func (e Event) BackDated() bool { return e.RecordedAt.Sub(e.At) > time.Minute }

// ComputeHash returns the hash that chains e after prev: SHA-256 over prev and every field
// that carries meaning, in a fixed, length-prefixed encoding. Times count in microseconds,
// the precision both databases keep.
func (e Event) ComputeHash(prev string) string {
	h := sha256.New()
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	corrects := ""
	if e.Corrects != nil {
		corrects = strconv.FormatInt(*e.Corrects, 10)
	}
	field("amends-event-v1")
	field(prev)
	field(strconv.FormatInt(e.IncidentID, 10))
	field(strconv.FormatInt(e.Seq, 10))
	field(string(e.Kind))
	field(e.Body)
	field(strconv.FormatInt(e.At.UnixMicro(), 10))
	field(strconv.FormatInt(e.RecordedAt.UnixMicro(), 10))
	field(e.Actor)
	field(string(e.Visibility))
	field(corrects)
	return hex.EncodeToString(h.Sum(nil))
}

// NewEvent is what a person records on a timeline.
type NewEvent struct {
	Kind       EventKind  `json:"kind"`
	Body       string     `json:"body"`
	At         *time.Time `json:"at"`
	Visibility Visibility `json:"visibility"`
	Corrects   *int64     `json:"corrects"`
}

// Normalize fills the defaults: kind note, visibility internal.
func (n *NewEvent) Normalize() {
	n.Body = strings.TrimSpace(n.Body)
	if n.Kind == "" {
		n.Kind = KindNote
	}
	if n.Visibility == "" {
		n.Visibility = Internal
	}
}

// Validate checks the event against the incident it is for, at time now.
func (n NewEvent) Validate(inc *Incident, now time.Time) error {
	if !n.Kind.recordable() {
		names := make([]string, len(EventKinds))
		for i, k := range EventKinds {
			names[i] = string(k)
		}
		return Errorf(EInvalid, "kind", "must be one of %s; status, severity, owner and the other fields change through an incident update", strings.Join(names, ", "))
	}
	if n.Visibility != Internal && n.Visibility != Public {
		return Errorf(EInvalid, "visibility", "must be internal or public")
	}
	if n.Body == "" && (n.Kind == KindNote || n.Kind == KindCorrection) {
		return Errorf(EInvalid, "body", "is required for a %s", n.Kind)
	}
	if err := validateText("body", n.Body, MaxBody); err != nil {
		return err
	}
	if n.Kind == KindCorrection && n.Corrects == nil {
		return Errorf(EInvalid, "corrects", "a correction must name the event it corrects")
	}
	if n.At != nil {
		if err := ValidatePast("at", *n.At, now); err != nil {
			return err
		}
		if n.Kind != KindNoticed && n.At.Before(inc.NoticedAt) {
			return Errorf(EInvalid, "at", "is before the incident was noticed (%s)", inc.NoticedAt.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

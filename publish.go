package amends

import (
	"slices"
	"time"
)

// An incident is published by its first public timeline event: from then on the public status
// page shows it. What it shows is only what these types carry — the reference, the title, the
// impact its severity implies, its public status, its affected components, when it was
// resolved and its public updates (time and body, never who wrote them). Everything else about
// an incident (summary, owner, roles, internal events, actors, deliveries, customers) has no
// field here, so it cannot reach the page by accident.

// PublicIncident is what the public status page shows of a published incident.
type PublicIncident struct {
	Ref        string
	Title      string
	Severity   Severity
	Status     Status // never Closed: closing is an internal step, customers see Resolved
	Components []string
	ResolvedAt *time.Time      // set only while the incident is resolved
	Updates    []PublicUpdate  // in the order they were recorded; N is 1, 2, 3…
	Promises   []PublicPromise // its public action items, open or done, soonest due first
}

// PublicUpdate is one public timeline event as customers see it.
type PublicUpdate struct {
	// N numbers the incident's public updates in the order they were recorded, from 1. It is
	// stable (the timeline is append-only) and says nothing about internal events.
	N          int
	At         time.Time // when it happened, as its author dated it
	RecordedAt time.Time // when it was published
	Status     Status    // the incident's public status when the update was recorded
	Body       string
}

// PublicStatus is the status customers see: closed shows as resolved.
func PublicStatus(s Status) Status {
	if s == Closed {
		return Resolved
	}
	return s
}

// PublicLabel is the status as a customer reads it: "Investigating", "Identified",
// "Monitoring", "Resolved" (closed reads as resolved).
func (s Status) PublicLabel() string {
	switch s {
	case Investigating:
		return "Investigating"
	case Identified:
		return "Identified"
	case Monitoring:
		return "Monitoring"
	case Resolved, Closed:
		return "Resolved"
	}
	return string(s)
}

// Impact says how badly something customers use is affected, in status-page words.
type Impact string

// Impacts, from none to the worst.
const (
	ImpactNone     Impact = "operational"
	ImpactMinor    Impact = "minor"
	ImpactDegraded Impact = "degraded"
	ImpactPartial  Impact = "partial_outage"
	ImpactMajor    Impact = "major_outage"
)

// Impacts lists every impact from none to the worst.
var Impacts = []Impact{ImpactNone, ImpactMinor, ImpactDegraded, ImpactPartial, ImpactMajor}

// Impact is the impact a severity stands for on the status page: SEV1 a major outage, SEV2 a
// partial outage, SEV3 degraded service, SEV4 a minor issue.
func (s Severity) Impact() Impact {
	switch s {
	case 1:
		return ImpactMajor
	case 2:
		return ImpactPartial
	case 3:
		return ImpactDegraded
	case 4:
		return ImpactMinor
	}
	return ImpactNone
}

// Label is the impact in words: "Operational", "Minor issue", "Degraded", "Partial outage",
// "Major outage".
func (i Impact) Label() string {
	switch i {
	case ImpactMinor:
		return "Minor issue"
	case ImpactDegraded:
		return "Degraded"
	case ImpactPartial:
		return "Partial outage"
	case ImpactMajor:
		return "Major outage"
	}
	return "Operational"
}

// Rank orders impacts: 0 for none up to 4 for a major outage.
func (i Impact) Rank() int { return max(slices.Index(Impacts, i), 0) }

// Worse returns the worse of two impacts.
func (i Impact) Worse(j Impact) Impact {
	if j.Rank() > i.Rank() {
		return j
	}
	return i
}

// Open reports whether the incident still needs attention.
func (p PublicIncident) Open() bool { return p.Status.Open() }

// Impact is the impact the incident's severity stands for.
func (p PublicIncident) Impact() Impact { return p.Severity.Impact() }

// Started is when the first public update says it happened: the page tells customers what was
// published, and the internal "noticed" instant is not.
func (p PublicIncident) Started() time.Time {
	var t time.Time
	for _, u := range p.Updates {
		if t.IsZero() || u.At.Before(t) {
			t = u.At
		}
	}
	return t
}

// LastPublished is when the latest public update was published (zero when none).
func (p PublicIncident) LastPublished() time.Time {
	var t time.Time
	for _, u := range p.Updates {
		if u.RecordedAt.After(t) {
			t = u.RecordedAt
		}
	}
	return t
}

// NextUpdateDue is when customers must next hear about the open incident (zero once it is
// resolved).
func (p PublicIncident) NextUpdateDue() time.Time {
	return nextUpdateDue(p.Severity, p.Status, p.LastPublished())
}

// NextUpdateDue is when customers must next hear about inc, whose latest public update was
// published at lastPublic: that time plus the severity's UpdateCadence. It is zero when inc is
// not open or has never been published (its first update is owed by the time-to-own target,
// not by the cadence).
func NextUpdateDue(inc *Incident, lastPublic time.Time) time.Time {
	return nextUpdateDue(inc.Severity, inc.Status, lastPublic)
}

func nextUpdateDue(sev Severity, st Status, lastPublic time.Time) time.Time {
	if !st.Open() || lastPublic.IsZero() {
		return time.Time{}
	}
	return lastPublic.Add(UpdateCadence(sev))
}

// CommsReminderAt is when the communications owner should be reminded that the next public
// update of inc is due: NudgeBefore the cadence ahead of NextUpdateDue (6 minutes ahead for
// SEV1's 30). Zero when no update is due.
func CommsReminderAt(inc *Incident, lastPublic time.Time) time.Time {
	due := NextUpdateDue(inc, lastPublic)
	if due.IsZero() {
		return due
	}
	return due.Add(-NudgeBefore(UpdateCadence(inc.Severity)))
}

// ComponentState is one component on the status page and how it is affected now.
type ComponentState struct {
	Name   string
	Impact Impact
}

// ComponentStates lists every component named by a published incident, by name, each with the
// worst impact among the open incidents that affect it (ImpactNone when none does).
func ComponentStates(incidents []PublicIncident) []ComponentState {
	worst := map[string]Impact{}
	for _, inc := range incidents {
		for _, c := range inc.Components {
			cur, ok := worst[c]
			if !ok {
				cur = ImpactNone
			}
			if inc.Open() {
				cur = cur.Worse(inc.Impact())
			}
			worst[c] = cur
		}
	}
	out := make([]ComponentState, 0, len(worst))
	for name, imp := range worst {
		out = append(out, ComponentState{name, imp})
	}
	slices.SortFunc(out, func(a, b ComponentState) int {
		if a.Name < b.Name {
			return -1
		}
		if a.Name > b.Name {
			return 1
		}
		return 0
	})
	return out
}

// OverallImpact is the worst impact among the open incidents (ImpactNone when there are none).
func OverallImpact(incidents []PublicIncident) Impact {
	out := ImpactNone
	for _, inc := range incidents {
		if inc.Open() {
			out = out.Worse(inc.Impact())
		}
	}
	return out
}

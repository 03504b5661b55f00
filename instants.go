package amends

import (
	"sort"
	"time"
)

// Instants are the key moments of an incident, derived from its timeline.
type Instants struct {
	Noticed        time.Time
	ColleaguesTold *time.Time
	RootCause      *time.Time
	Mitigated      *time.Time
	CustomersTold  *time.Time
	Resolved       *time.Time
	Closed         *time.Time
}

// Effective applies corrections: an event that a later correction refers to takes the
// correction's time and body (the original stays on the timeline, marked corrected).
// It returns the events with their effective at/body, and for each corrected event id the
// id of the correction that supersedes it.
func Effective(events []Event) ([]Event, map[int64]int64) {
	byID := make(map[int64]int, len(events))
	out := make([]Event, len(events))
	copy(out, events)
	for i, e := range out {
		byID[e.ID] = i
	}
	supersededBy := map[int64]int64{}
	var corrections []Event
	for _, e := range events {
		if e.Kind == KindCorrection && e.Corrects != nil {
			corrections = append(corrections, e)
		}
	}
	// Apply corrections in the order they were recorded, so the latest one wins.
	sort.Slice(corrections, func(i, j int) bool { return corrections[i].Seq < corrections[j].Seq })
	for _, e := range corrections {
		i, ok := byID[*e.Corrects]
		if !ok {
			continue
		}
		// A correction of a correction corrects what the first one corrected.
		for out[i].Kind == KindCorrection && out[i].Corrects != nil {
			j, ok := byID[*out[i].Corrects]
			if !ok {
				break
			}
			i = j
		}
		out[i].At = e.At
		if e.Body != "" {
			out[i].Body = e.Body
		}
		supersededBy[out[i].ID] = e.ID
	}
	return out, supersededBy
}

// DeriveInstants computes the key instants from an incident's events (any order). The first
// occurrence of noticed, colleagues told, root cause, mitigated and customers told counts;
// resolved and closed count only while the incident's last status change leaves it so.
func DeriveInstants(noticed time.Time, events []Event) Instants {
	eff, _ := Effective(events)
	in := Instants{Noticed: noticed}
	first := func(p **time.Time, t time.Time) {
		if *p == nil || t.Before(**p) {
			t := t
			*p = &t
		}
	}
	var lastStatus *Event
	for i, e := range eff {
		switch e.Kind {
		case KindNoticed:
			if e.At.Before(in.Noticed) || i == 0 {
				in.Noticed = e.At
			}
		case KindColleaguesTold:
			first(&in.ColleaguesTold, e.At)
		case KindRootCause:
			first(&in.RootCause, e.At)
		case KindMitigated:
			first(&in.Mitigated, e.At)
		case KindCustomersTold:
			first(&in.CustomersTold, e.At)
		case KindStatus:
			if lastStatus == nil || !e.At.Before(lastStatus.At) {
				lastStatus = &eff[i]
			}
		}
	}
	if lastStatus != nil {
		switch Status(lastStatus.Body) {
		case Resolved:
			t := lastStatus.At
			in.Resolved = &t
		case Closed:
			t := lastStatus.At
			in.Closed = &t
			for _, e := range eff { // the resolution that preceded the close
				if e.Kind == KindStatus && Status(e.Body) == Resolved && !e.At.After(t) {
					r := e.At
					in.Resolved = &r
				}
			}
		}
	}
	return in
}

// Since returns how long after noticed the instant p happened, or false when it has not.
func (in Instants) Since(p *time.Time) (time.Duration, bool) {
	if p == nil {
		return 0, false
	}
	return p.Sub(in.Noticed), true
}

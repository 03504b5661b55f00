package web

import (
	"time"

	"github.com/amends/amends"
)

// Time-to-own states, as the pages name them and as CSS classes (target-met, …).
const (
	ownMet      = "met"      // reached by the target
	ownMissed   = "missed"   // reached late, or not reached and past the target
	ownCounting = "counting" // not reached, the target still ahead
	ownNone     = "none"     // no target for this severity
)

// ownView is one time-to-own target of an incident ("colleagues told" or "customers told")
// against the instant it measures. While the instant is not reached and a target is set,
// static/app.js keeps Text current from Due (data-until): "due in …", then "missed by …".
type ownView struct {
	Target time.Duration // 0: no target
	Due    *time.Time    // noticed + target; nil without a target
	At     *time.Time    // when the instant was reached; nil while not
	State  string        // ownMet, ownMissed, ownCounting or ownNone
	Text   string        // "met", "missed by 5 min", "due in 3 min", "no target"
}

// Running reports whether the page's script should keep the state current: the instant is
// not reached yet and there is a target to count towards.
func (v ownView) Running() bool { return v.At == nil && v.Due != nil }

// own measures the instant at (nil while not reached) of an incident noticed at noticed
// against target, at the app's now.
func (w *Web) own(noticed time.Time, at *time.Time, target time.Duration) ownView {
	v := ownView{Target: target, At: at, State: ownNone, Text: "no target"}
	if target <= 0 {
		return v
	}
	due := noticed.Add(target)
	v.Due = &due
	now := w.now()
	switch {
	case at != nil && !at.After(due):
		v.State, v.Text = ownMet, "met"
	case at != nil:
		v.State, v.Text = ownMissed, "missed by "+formatDuration(at.Sub(due))
	case now.Before(due):
		v.State, v.Text = ownCounting, "due in "+formatDuration(due.Sub(now))
	default:
		v.State, v.Text = ownMissed, "missed by "+formatDuration(now.Sub(due))
	}
	return v
}

// ownBoth returns the "colleagues told" and "customers told" views of inc under targets.
func (w *Web) ownBoth(inc *amends.Incident, targets amends.Targets) (colleagues, customers ownView) {
	t := targets[inc.Severity]
	return w.own(inc.NoticedAt, inc.ColleaguesToldAt, t.ColleaguesTold), w.own(inc.NoticedAt, inc.CustomersToldAt, t.CustomersTold)
}

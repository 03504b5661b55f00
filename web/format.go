package web

import (
	"fmt"
	"html/template"
	"net/url"
	"strings"
	"time"

	"github.com/amends/amends"
)

// The layouts of times on pages and in forms, in the server's time zone.
const (
	layoutWhen     = "Mon 2 Jan 15:04 MST"
	layoutWhenYear = "Mon 2 Jan 2006 15:04 MST"
	layoutInput    = "2006-01-02T15:04" // <input type="datetime-local">
)

func (w *Web) funcs() template.FuncMap {
	return template.FuncMap{
		"asset":    func(name string) string { return w.assets.url(name) },
		"when":     w.when,
		"clock":    w.clock,
		"iso":      isoTime,
		"now":      func() string { return w.now().UTC().Format(time.RFC3339) },
		"zone":     func() string { return w.now().In(time.Local).Format("MST") },
		"dur":      formatDuration,
		"size":     amends.FormatSize,
		"ago":      func(t time.Time) string { return formatDuration(w.now().Sub(t)) },
		"between":  func(a time.Time, b *time.Time) string { return formatDuration(b.Sub(a)) },
		"short":    func(t time.Time) string { return w.clock(t, w.now()) },
		"sevWord":  severityWord,
		"channel":  channelLabel,
		"purpose":  purposeLabel,
		"event":    eventLabel,
		"events":   func() []string { return amends.NotifyEvents },
		"kinds":    channelKinds,
		"lower":    strings.ToLower,
		"pathEsc":  url.PathEscape, // one path segment, so "/" "?" "#" in a name stay in it
		"elLabel":  elementLabel,
		"statuses": func() []amends.Status { return amends.Statuses },
		"num":      formatCount,
		"sections": func() []amends.SectionName { return amends.Sections },
		"prev":     func(v int) int { return v - 1 },
		"severities": func() []amends.Severity {
			return []amends.Severity{1, 2, 3, 4}
		},
	}
}

// when formats an instant as "Tue 3 Nov 14:39 UTC", with the year when it is not this one.
func (w *Web) when(t time.Time) string { return formatWhen(t, w.year()) }

// clock formats t as "15:10" when it falls on the same day as ref, else in full.
func (w *Web) clock(t, ref time.Time) string { return formatClock(t, ref, w.year()) }

// year is this year in the server's time zone: the one dates are written without.
func (w *Web) year() int { return w.now().In(time.Local).Year() }

// formatWhen is when with this year given, for callers that format many instants at once or
// must know which year their text depends on.
func formatWhen(t time.Time, thisYear int) string {
	t = t.In(time.Local)
	if t.Year() != thisYear {
		return t.Format(layoutWhenYear)
	}
	return t.Format(layoutWhen)
}

// formatClock is clock with this year given.
func formatClock(t, ref time.Time, thisYear int) string {
	t, ref = t.In(time.Local), ref.In(time.Local)
	if t.YearDay() == ref.YearDay() && t.Year() == ref.Year() {
		return t.Format("15:04")
	}
	return formatWhen(t, thisYear)
}

// formatDuration writes a duration the way people say it: "under 1 min", "4 min",
// "4 h 6 min", "2 d 3 h". static/app.js formats the running clocks the same way.
func formatDuration(d time.Duration) string {
	m := int(d / time.Minute)
	switch {
	case m < 1:
		return "under 1 min"
	case m < 60:
		return fmt.Sprintf("%d min", m)
	case m < 24*60:
		if m%60 == 0 {
			return fmt.Sprintf("%d h", m/60)
		}
		return fmt.Sprintf("%d h %d min", m/60, m%60)
	default:
		if h := m % (24 * 60) / 60; h != 0 {
			return fmt.Sprintf("%d d %d h", m/(24*60), h)
		}
		return fmt.Sprintf("%d d", m/(24*60))
	}
}

// severityWord names a severity: 1 critical … 4 low.
func severityWord(s amends.Severity) string {
	switch s {
	case 1:
		return "critical"
	case 2:
		return "major"
	case 3:
		return "minor"
	case 4:
		return "low"
	}
	return "unknown"
}

// channelLabels name the channel kinds in forms and tables.
var channelLabels = map[string]string{
	amends.ChannelEmail:   "email",
	amends.ChannelSlack:   "Slack-compatible webhook",
	amends.ChannelTeams:   "Microsoft Teams webhook",
	amends.ChannelWebhook: "signed JSON webhook",
}

func channelLabel(kind string) string {
	if l, ok := channelLabels[kind]; ok {
		return l
	}
	return kind
}

// eventLabels name the notification events a group's rule chooses from.
var eventLabels = map[string]string{
	amends.EventDeclared:         "Declared",
	amends.EventStatusChanged:    "Status changed",
	amends.EventCustomerMessage:  "Customer message sent",
	amends.EventResolved:         "Resolved",
	amends.EventPostmortemShared: "Postmortem shared",
}

func eventLabel(ev string) string {
	if l, ok := eventLabels[ev]; ok {
		return l
	}
	return strings.ReplaceAll(ev, "_", " ")
}

// parseLocal reads a datetime-local value in the server's time zone; "" is no time.
func parseLocal(field, v string) (*time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return nil, nil
	}
	for _, layout := range []string{layoutInput, "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, v, time.Local); err == nil {
			return &t, nil
		}
	}
	return nil, amends.Errorf(amends.EInvalid, field, "must be a date and time like 2026-11-03T14:39")
}

// elementLabels say what each element of the ownership check asks of a message.
var elementLabels = map[string]string{
	"acknowledgement":        "Says plainly what went wrong",
	"responsibility":         "Takes responsibility: “we” made the mistake",
	"no_excuses":             "Makes no excuses",
	"no_minimizing":          "Does not minimize the harm",
	"apology_unconditional":  "Apologizes without conditions",
	"empathy_impact":         "Names the impact on the reader",
	"plan_fix":               "Says what was done to fix it",
	"plan_prevent":           "Says what will stop it happening again",
	"contact_feedback":       "Says how to reach us or answer",
	"no_individual_blame":    "Blames no individual",
	"no_human_error":         "Does not stop at “human error”",
	"no_hindsight":           "No hindsight (“should have known”)",
	"no_character_judgement": "No judgement of anyone’s character",
	"systems_focus":          "Describes the systems and conditions",
}

func elementLabel(name string) string {
	if l, ok := elementLabels[name]; ok {
		return l
	}
	return strings.ReplaceAll(name, "_", " ")
}

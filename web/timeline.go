package web

import (
	"bytes"
	"html/template"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

// timelineCacheSize is how many rendered timelines are kept. An entry is one incident's
// timeline at one chain head, for viewers or for people who may change it; a 1,000-event
// timeline is about half a megabyte of HTML.
const timelineCacheSize = 64

// timelineKey names one rendering of a timeline. The chain head names the events exactly (see
// docs/decisions/0009-caching-by-chain-head.md); the rest is what else the HTML depends on:
// whether entries carry "Correct" links, and the year dates are written without.
type timelineKey struct {
	ref       string
	head      string
	canChange bool
	year      int
}

// timelineView is what the "timeline" template renders: the same for everyone who sees the
// incident with the same rights, so it holds nothing of a session (no CSRF token, no form).
type timelineView struct {
	CanChange bool
	Entries   []timelineEntry
}

// timelineEntry is one event as the timeline shows it, every text worked out beforehand, so
// the template only reads flat string fields. A corrected event (CorrectedBy set) is shown
// struck out with the corrected time and text (Eff*) beside it.
type timelineEntry struct {
	ID            string
	Class         string // "event kind-note corrected backdated"
	Kind          string // "root_cause", for data-kind
	KindLabel     string // "Root cause found"
	AtISO, AtText string
	Recorded      string // "15:10" for a back-dated event: when it was recorded; else ""
	Public        bool
	Actor         string
	Body          string
	CorrectsID    string // for a correction: the event it corrects
	CorrectsLabel string // and what that was, e.g. "Colleagues told at 14:43"
	CorrectedBy   string // the correction that supersedes this event, "" when none
	EffAtISO      string
	EffAtText     string
	EffBody       string
	CorrectURL    string // the address of the correction form for this event (CanChange only)
	Name          string // "Root cause found, Tue 3 Nov 14:55 UTC": names the link (CanChange only)
}

// timelineChunk is how many entries are rendered into one piece of the timeline's HTML. The
// page template writes each piece through fmt, whose buffer is reused only up to 64 KB: pieces
// of a few dozen entries stay under that, one piece of a whole long timeline would be copied
// into a new buffer on every view.
const timelineChunk = 48

// timelineHTML returns the timeline list of incident ref (its <li> elements, in pieces), from
// the cache when this head's timeline was rendered before. head is the chain head that events
// are exactly the timeline of, "" when nothing vouches for them: then the list is rendered and
// not kept.
func (w *Web) timelineHTML(ref, head string, events []amends.Event, canChange bool, year int) ([]template.HTML, error) {
	key := timelineKey{ref: ref, head: head, canChange: canChange, year: year}
	if head != "" {
		if h, ok := w.timelines.Get(key); ok {
			return h, nil
		}
	}
	entries := timelineEntries(ref, events, canChange, year)
	out := make([]template.HTML, 0, (len(entries)+timelineChunk-1)/timelineChunk)
	var buf bytes.Buffer
	for len(entries) > 0 {
		n := min(len(entries), timelineChunk)
		buf.Reset()
		if err := w.fragments.ExecuteTemplate(&buf, "timeline", timelineView{CanChange: canChange, Entries: entries[:n]}); err != nil {
			return nil, err
		}
		out = append(out, template.HTML(buf.String()))
		entries = entries[n:]
	}
	if head != "" {
		w.timelines.Put(key, out)
	}
	return out, nil
}

// timelineEntries applies corrections to events and works out what each entry shows.
func timelineEntries(ref string, events []amends.Event, canChange bool, year int) []timelineEntry {
	eff, superseded := amends.Effective(events)
	byID := make(map[int64]int, len(events))
	for i, e := range events {
		byID[e.ID] = i
	}
	out := make([]timelineEntry, len(events))
	var class strings.Builder
	for i, e := range events {
		id := strconv.FormatInt(e.ID, 10)
		v := timelineEntry{ID: id, Kind: string(e.Kind), KindLabel: e.Kind.Label(), AtISO: isoTime(e.At),
			AtText: formatWhen(e.At, year), Public: e.Visibility == amends.Public, Actor: e.Actor, Body: e.Body}
		class.Reset()
		class.WriteString("event kind-")
		class.WriteString(v.Kind)
		if c, ok := superseded[e.ID]; ok {
			class.WriteString(" corrected")
			v.CorrectedBy = strconv.FormatInt(c, 10)
			v.EffAtISO, v.EffAtText, v.EffBody = isoTime(eff[i].At), formatWhen(eff[i].At, year), eff[i].Body
		}
		if e.BackDated() {
			class.WriteString(" backdated")
			v.Recorded = formatClock(e.RecordedAt, e.At, year)
		}
		v.Class = class.String()
		if e.Corrects != nil {
			v.CorrectsID = strconv.FormatInt(*e.Corrects, 10)
			if j, ok := byID[*e.Corrects]; ok {
				old := events[j]
				v.CorrectsLabel = old.Kind.Label() + " at " + formatClock(old.At, e.At, year)
			}
		}
		if canChange {
			v.CorrectURL = "/incidents/" + ref + "?correct=" + id + "#correct"
			v.Name = v.KindLabel + ", " + v.AtText
		}
		out[i] = v
	}
	return out
}

// isoTime writes an instant for a datetime attribute.
func isoTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// correctTarget is the event the correction form corrects, as the form names it.
type correctTarget struct {
	ID        int64
	KindLabel string
	AtISO     string
	AtText    string
	Excerpt   string // the start of its text
}

// excerptRunes is how much of the corrected event's text the correction form quotes.
const excerptRunes = 160

func newCorrectTarget(e amends.Event, year int) *correctTarget {
	t := &correctTarget{ID: e.ID, KindLabel: e.Kind.Label(), AtISO: isoTime(e.At), AtText: formatWhen(e.At, year)}
	t.Excerpt = amends.Shorten(strings.Join(strings.Fields(e.Body), " "), excerptRunes)
	return t
}

// eventByID returns the event of events with id.
func eventByID(events []amends.Event, id int64) (amends.Event, bool) {
	for _, e := range events {
		if e.ID == id {
			return e, true
		}
	}
	return amends.Event{}, false
}

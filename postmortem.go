package amends

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// MaxSection is the largest text of one postmortem section, in bytes.
const MaxSection = 100 * 1024

// SectionName names one section of a postmortem.
type SectionName string

// The sections of a postmortem, in the order the document shows them (see Sections).
const (
	SectionDescription SectionName = "description"
	SectionStatus      SectionName = "status"
	SectionRootCause   SectionName = "root_cause"
	SectionImpact      SectionName = "impact"
	SectionTimeline    SectionName = "timeline"
	SectionSolution    SectionName = "solution"
	SectionLearned     SectionName = "learned"
	SectionPrevention  SectionName = "prevention"
	SectionSupport     SectionName = "support"
	SectionApology     SectionName = "apology"
)

// Sections lists every section in document order.
var Sections = []SectionName{SectionDescription, SectionStatus, SectionRootCause, SectionImpact, SectionTimeline,
	SectionSolution, SectionLearned, SectionPrevention, SectionSupport, SectionApology}

// Valid reports whether s is one of Sections.
func (s SectionName) Valid() bool { return slices.Contains(Sections, s) }

// Title is the heading of the section.
func (s SectionName) Title() string {
	switch s {
	case SectionDescription:
		return "Description"
	case SectionStatus:
		return "Status"
	case SectionRootCause:
		return "Root cause"
	case SectionImpact:
		return "Impact"
	case SectionTimeline:
		return "Timeline"
	case SectionSolution:
		return "Solution"
	case SectionLearned:
		return "What we learned"
	case SectionPrevention:
		return "What we will do to prevent it"
	case SectionSupport:
		return "How to contact support"
	case SectionApology:
		return "Apology"
	}
	return string(s)
}

// PublicByDefault says whether a section that nobody has saved yet belongs in the public
// edition: the root cause and what we learned are internal until someone marks them public.
func (s SectionName) PublicByDefault() bool {
	return s != SectionRootCause && s != SectionLearned
}

// ParseSection returns the section named s, or an EInvalid error naming field "section".
func ParseSection(s string) (SectionName, error) {
	if n := SectionName(s); n.Valid() {
		return n, nil
	}
	names := make([]string, len(Sections))
	for i, n := range Sections {
		names[i] = string(n)
	}
	return "", Errorf(EInvalid, "section", "must be one of %s; got %q", strings.Join(names, ", "), s)
}

// ValidateSectionText checks a section's Markdown: valid UTF-8, no NUL, at most MaxSection bytes.
func ValidateSectionText(md string) error {
	if len(md) > MaxSection {
		return Errorf(EInvalid, "markdown", "is %d bytes; a section holds at most %d (100 KB)", len(md), MaxSection)
	}
	if !utf8.ValidString(md) {
		return Errorf(EInvalid, "markdown", "is not valid UTF-8")
	}
	if strings.ContainsRune(md, 0) {
		return Errorf(EInvalid, "markdown", "contains a NUL character")
	}
	return nil
}

// Edition is which readers a postmortem is for.
type Edition string

// Editions: internal has everything, public only what is marked public.
const (
	EditionInternal Edition = "internal"
	EditionPublic   Edition = "public"
)

// ParseEdition returns the edition named s ("" is internal), or EInvalid.
func ParseEdition(s string) (Edition, error) {
	switch Edition(s) {
	case "", EditionInternal:
		return EditionInternal, nil
	case EditionPublic:
		return EditionPublic, nil
	}
	return "", Errorf(EInvalid, "edition", "must be internal or public; got %q", s)
}

// Section is one section of a postmortem. Version 0 means nobody has saved it: its text is
// what amends prefilled from the incident. For the timeline section, Markdown holds notes
// written under the generated timeline.
type Section struct {
	Name      SectionName `json:"name"`
	Title     string      `json:"title"`
	Markdown  string      `json:"markdown"`
	Public    bool        `json:"public"`
	Version   int         `json:"version"`
	UpdatedAt *time.Time  `json:"updated_at"`
	UpdatedBy string      `json:"updated_by"`
}

// SectionVersion is one saved version of one section.
type SectionVersion struct {
	Section  SectionName `json:"section"`
	Version  int         `json:"version"`
	Markdown string      `json:"markdown"`
	Public   bool        `json:"public"`
	By       string      `json:"by"`
	At       time.Time   `json:"at"`
}

// TimelineLine is one line of a postmortem's generated timeline.
type TimelineLine struct {
	At    time.Time `json:"at"`
	Kind  EventKind `json:"kind"`
	Label string    `json:"label"`
	Body  string    `json:"body"`
}

// Span is one of the durations that matter: how long after noticed something happened.
type Span struct {
	Name  string        `json:"name"`
	Label string        `json:"label"`
	Done  bool          `json:"done"`
	After time.Duration `json:"after_ns"`
	Text  string        `json:"text"`
}

// Spans returns the durations that matter, each counted from noticed: colleagues told, root
// cause, mitigated, customers told and loop closed.
func Spans(in Instants) []Span {
	rows := []struct {
		name, label string
		at          *time.Time
	}{
		{"colleagues_told", "Noticed → colleagues told", in.ColleaguesTold},
		{"root_cause", "Noticed → root cause", in.RootCause},
		{"mitigated", "Noticed → mitigated", in.Mitigated},
		{"customers_told", "Noticed → customers told", in.CustomersTold},
		{"loop_closed", "Noticed → loop closed", in.Closed},
	}
	out := make([]Span, len(rows))
	for i, r := range rows {
		d, ok := in.Since(r.at)
		out[i] = Span{Name: r.name, Label: r.label, Done: ok, After: d, Text: "not yet"}
		if ok {
			out[i].Text = FormatSpan(d)
		}
	}
	return out
}

// FormatSpan writes a duration the way people say it: "4 min", "4 h", "4 h 6 min", "2 d 3 h".
func FormatSpan(d time.Duration) string {
	if d < 0 {
		return "-" + FormatSpan(-d)
	}
	if d < time.Minute {
		return strconv.Itoa(int(d/time.Second)) + " s"
	}
	m := int(d / time.Minute)
	days, h, min := m/(24*60), m/60%24, m%60
	var parts []string
	if days > 0 {
		parts = append(parts, strconv.Itoa(days)+" d")
	}
	if h > 0 {
		parts = append(parts, strconv.Itoa(h)+" h")
	}
	if min > 0 && days == 0 {
		parts = append(parts, strconv.Itoa(min)+" min")
	}
	if len(parts) == 0 {
		return "0 min"
	}
	return strings.Join(parts, " ")
}

// TimelineLines returns the lines of a postmortem's timeline from the incident's events, with
// corrections applied and the corrections themselves, read receipts and escalations left out.
// With publicOnly, internal events are left out too.
func TimelineLines(events []Event, publicOnly bool) []TimelineLine {
	if publicOnly {
		// Only public corrections apply to the public edition: an internal correction of a
		// public event must not put its words in public.
		events = slices.DeleteFunc(slices.Clone(events), func(e Event) bool { return e.Visibility != Public })
	}
	eff, _ := Effective(events)
	out := make([]TimelineLine, 0, len(eff))
	for _, e := range eff {
		switch e.Kind {
		case KindCorrection, KindBriefRead, KindEscalation:
			continue
		}
		if publicOnly && e.Visibility != Public {
			continue
		}
		out = append(out, TimelineLine{At: e.At, Kind: e.Kind, Label: e.Kind.Label(), Body: e.Body})
	}
	slices.SortStableFunc(out, func(a, b TimelineLine) int { return a.At.Compare(b.At) })
	return out
}

// TimelineMarkdown writes the generated timeline: the durations that matter, then one line per
// event with its local time. Bodies are escaped so that no event turns into Markdown structure.
func TimelineMarkdown(lines []TimelineLine, spans []Span, loc *time.Location) string {
	var b strings.Builder
	b.Grow(200 + len(lines)*160)
	b.WriteString("| Duration | |\n|---|---|\n")
	for _, s := range spans {
		b.WriteString("| " + s.Label + " | " + s.Text + " |\n")
	}
	b.WriteString("\n")
	var stamp []byte
	for _, l := range lines {
		body := l.Body
		if strings.ContainsAny(body, "\n\r\t") || strings.Contains(body, "  ") {
			body = strings.Join(strings.Fields(strings.ReplaceAll(body, "\n\n", " — ")), " ")
		}
		stamp = l.At.In(loc).AppendFormat(stamp[:0], "2006-01-02 15:04")
		b.WriteString("- **")
		b.Write(stamp)
		b.WriteString("** ")
		b.WriteString(l.Label)
		b.WriteString(": ")
		writeEscaped(&b, body)
		b.WriteByte('\n')
	}
	if len(lines) == 0 {
		b.WriteString("_No events yet._\n")
	}
	return b.String()
}

// markdownSpecial holds the ASCII characters that could start Markdown or HTML structure.
var markdownSpecial = func() (t [256]bool) {
	for _, c := range []byte("\\`*_[]<>#|!~") {
		t[c] = true
	}
	return t
}()

// EscapeMarkdown backslash-escapes the characters that could start Markdown or HTML structure.
func EscapeMarkdown(s string) string {
	var b strings.Builder
	writeEscaped(&b, s)
	return b.String()
}

func writeEscaped(b *strings.Builder, s string) {
	start := 0
	for i := 0; i < len(s); i++ {
		if markdownSpecial[s[i]] {
			b.WriteString(s[start:i])
			b.WriteByte('\\')
			start = i
		}
	}
	b.WriteString(s[start:])
}

// Postmortem is the write-up of an incident in one edition: its sections in order, the
// generated timeline and durations, and the loop-closing checklist.
type Postmortem struct {
	Ref       string         `json:"ref"`
	Title     string         `json:"title"`
	Edition   Edition        `json:"edition"`
	Status    Status         `json:"status"`
	Sections  []Section      `json:"sections"`
	Timeline  []TimelineLine `json:"timeline"`
	Spans     []Span         `json:"durations"`
	Checklist []CheckItem    `json:"checklist,omitempty"`
	// Preventions are the incident's action items of kind prevention, soonest due first (the
	// public edition only the public ones): the prevention section lists them above its notes.
	Preventions []ActionItem `json:"preventions"`
	// CustomerMessage is the body of the latest sent customer message ("" when none), for
	// "copy the customer message into the postmortem".
	CustomerMessage string `json:"customer_message,omitempty"`
}

// Section returns the section named n (the zero Section when the edition leaves it out).
func (p *Postmortem) Section(n SectionName) Section {
	for _, s := range p.Sections {
		if s.Name == n {
			return s
		}
	}
	return Section{}
}

// Markdown writes the postmortem as one Markdown document, deterministic for a given input:
// the title, then each section as a second-level heading in order, the timeline generated.
func (p *Postmortem) Markdown(loc *time.Location) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# Postmortem %s: %s\n\n", p.Ref, EscapeMarkdown(p.Title))
	fmt.Fprintf(&b, "_%s edition_\n", strings.ToUpper(string(p.Edition[:1]))+string(p.Edition[1:]))
	for _, s := range p.Sections {
		fmt.Fprintf(&b, "\n## %s\n\n", s.Name.Title())
		if s.Name == SectionTimeline {
			b.WriteString(TimelineMarkdown(p.Timeline, p.Spans, loc))
			if t := strings.TrimSpace(s.Markdown); t != "" {
				b.WriteString("\n" + t + "\n")
			}
			continue
		}
		if s.Name == SectionPrevention {
			b.WriteString(PreventionMarkdown(p.Preventions))
			if t := strings.TrimSpace(s.Markdown); t != "" {
				b.WriteString("\n" + t + "\n")
			}
			continue
		}
		if t := strings.TrimSpace(s.Markdown); t != "" {
			b.WriteString(t + "\n")
		} else {
			b.WriteString("_Not written yet._\n")
		}
	}
	return b.String()
}

// PreventionMarkdown writes the generated list of prevention action items: one line each
// with its title, owner (left out when empty, as in the public edition), due date and state.
// Titles and owners are escaped.
func PreventionMarkdown(items []ActionItem) string {
	if len(items) == 0 {
		return "_No prevention action items yet._\n"
	}
	var b strings.Builder
	for _, a := range items {
		box := "[ ]"
		if a.State == ActionDone {
			box = "[x]"
		}
		owner := ","
		if a.Owner != "" {
			owner = " — owner " + EscapeMarkdown(a.Owner) + ","
		}
		fmt.Fprintf(&b, "- %s %s%s due %s (%s)\n", box, EscapeMarkdown(a.Title), owner, a.DueDate, a.State)
	}
	return b.String()
}

// PreventionsOwned is the rule of the checklist item "every prevention has an owner and a due
// date": there is at least one prevention action item that is open or done. A valid action
// item always has an owner and a due date, so what remains to check is that a prevention
// exists; dropped ones do not count, since they will not be done.
func PreventionsOwned(items []ActionItem) bool {
	for _, a := range items {
		if a.Kind == ActionPrevention && a.State != ActionDropped {
			return true
		}
	}
	return false
}

// Waiver records that a loop-closing check was waived, why, by whom and when.
type Waiver struct {
	Item   string    `json:"item"`
	Reason string    `json:"reason"`
	By     string    `json:"by"`
	At     time.Time `json:"at"`
}

// MaxWaiverReason is the longest reason for a waiver, in characters.
const MaxWaiverReason = 2000

// PostmortemFacts is what the loop-closing checklist needs to know about a postmortem.
type PostmortemFacts struct {
	// CarriesCustomerCopy: the postmortem holds a copy of what customers were told.
	CarriesCustomerCopy bool
	// PreventionsOwned: every prevention has an owner and a due date (see PreventionsOwned).
	PreventionsOwned bool
}

// ChecklistItems names every item of the full loop-closing checklist, in order.
var ChecklistItems = []string{"root_cause", "customers_told", "postmortem_shared", "preventions_owned", "customer_copy"}

// ClosingChecklist is the whole loop-closing checklist of DESIGN.md: LoopChecklist's checks,
// every prevention owned and dated, and the postmortem carrying a copy of what customers were
// told; each item that does not hold but has a waiver counts as waived.
func ClosingChecklist(inc *Incident, events []Event, pm PostmortemFacts, waivers []Waiver) []CheckItem {
	items := append(LoopChecklist(inc, events),
		CheckItem{Name: "preventions_owned", Done: pm.PreventionsOwned, What: "every prevention has an owner and a due date"},
		CheckItem{Name: "customer_copy", Done: pm.CarriesCustomerCopy, What: "the postmortem carries a copy of what customers were told"},
	)
	for i := range items {
		for _, w := range waivers {
			if w.Item == items[i].Name {
				w := w
				items[i].Waiver = &w
			}
		}
	}
	return items
}

// ValidateWaiver checks a waiver of item: the item must be on the checklist and the reason given.
func ValidateWaiver(item, reason string) error {
	if !slices.Contains(ChecklistItems, item) {
		return Errorf(EInvalid, "item", "must be one of %s; got %q", strings.Join(ChecklistItems, ", "), item)
	}
	if strings.TrimSpace(reason) == "" {
		return Errorf(EInvalid, "reason", "is required: a check is waived only with a recorded reason")
	}
	return validateText("reason", reason, MaxWaiverReason)
}

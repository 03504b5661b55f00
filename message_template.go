package amends

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Template is a subject and body to start a message from.
type Template struct {
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

// DefaultTemplates returns a template for each kind of message, prefilled from the incident:
// its title, summary, times (in loc), owner and components. owner signs the message and is
// whom replies reach. columns are the extra columns of the incident's uploaded list, if any:
// the templates then tell each customer what happened to them ({{orders_affected}}), not to
// "some users". Every template owns the mistake by the ownership check's customer rules, with
// or without the parts in [square brackets], which are for the author to fill in.
func DefaultTemplates(inc *Incident, owner string, now time.Time, loc *time.Location, columns ...string) map[MessageKind]Template {
	if loc == nil {
		loc = time.UTC
	}
	if owner == "" {
		owner = inc.Owner
	}
	owner = literal(owner)
	signer := "The team"
	if owner != "" {
		signer = owner
	}
	reply := func(why string) string {
		s := "Reply to this email " + why
		if owner != "" {
			s += "; it reaches " + owner + ", who is responsible for putting this right"
		}
		return s + "."
	}
	when := func(t time.Time) string {
		t = t.In(loc)
		y1, m1, d1 := t.Date()
		y2, m2, d2 := now.In(loc).Date()
		if y1 == y2 && m1 == m2 && d1 == d2 {
			return t.Format("15:04 MST") + " today"
		}
		return t.Format("15:04 MST") + " on " + t.Format("Monday 2 January")
	}
	next := now.Add(UpdateCadence(inc.Severity)).In(loc).Format("15:04 MST")
	title := literal(strings.TrimRight(strings.TrimSpace(inc.Title), ".!"))
	known := ""
	if s := literal(strings.TrimSpace(inc.Summary)); s != "" {
		known = s + "\n\n"
	}
	var impact strings.Builder
	if len(columns) > 0 {
		impact.WriteString("What our mistake meant for you:\n")
		for _, c := range columns {
			impact.WriteString("- " + columnLabel(c) + ": {{" + c + "}}\n")
		}
	} else {
		impact.WriteString("What our mistake meant for you: [in plain words, what it did to this customer: what they could not do, what it cost them].")
		if len(inc.Components) > 0 {
			impact.WriteString(" It affected " + literal(strings.Join(inc.Components, ", ")) + ".")
		}
		impact.WriteString("\n")
	}
	impact.WriteString("\n")
	hello := "Hello {{name|there}},\n\n"
	sign := "\n\n" + signer + "\n"
	resolved := "[when it was fixed]"
	if inc.ResolvedAt != nil {
		resolved = when(*inc.ResolvedAt)
	}

	return map[MessageKind]Template{
		MessageAcknowledgement: {
			Subject: fitSubject("We made a mistake: ", title),
			Body: hello + "We made a mistake that affected you: " + lowerFirst(title) + ".\n\n" + known +
				"We are sorry. You trusted us to get this right, and we got it wrong.\n\n" +
				impact.String() +
				"We noticed it at " + when(inc.NoticedAt) + ", and we are working on it now. " +
				"We will write to you again by " + next + ", even if nothing has changed by then.\n\n" +
				reply("with any question, or to tell us what our mistake cost you") + sign,
		},
		MessageUpdate: {
			Subject: fitSubject("Update on our mistake: ", title),
			Body: hello + "This is an update on the mistake we made: " + lowerFirst(title) + ". " +
				"We are sorry: we got this wrong, and you trusted us to get it right.\n\n" +
				"Where we are now: [what has changed since our last message; when nothing has, say \"No change yet: we are still working on it.\"]\n\n" +
				impact.String() +
				"We will send you the next update by " + next + ", even if nothing has changed by then.\n\n" +
				reply("with any question") + sign,
		},
		MessageResolution: {
			Subject: fitSubject("Fixed: ", title),
			Body: hello + "We have fixed the mistake we made: " + lowerFirst(title) + ". It was fixed at " + resolved + ".\n\n" + known +
				impact.String() +
				"What we did to put it right: we [refunded, corrected, restored: what we did for you, and when].\n\n" +
				"We are sorry. We got this wrong, and it cost you time and trust.\n\n" +
				"We will write to you again once we know why it happened and what we are changing so it does not happen again.\n\n" +
				reply("if anything still looks wrong to you") + sign,
		},
		MessageFollowup: {
			Subject: fitSubject("What we are changing after our mistake: ", title),
			Body: hello + "We promised to tell you why we made this mistake, " + lowerFirst(title) + ", and what we are changing.\n\n" +
				"What happened: [the cause in plain words: what we did, and why it went wrong]\n\n" +
				impact.String() +
				"What we did to put it right: we [the fix, and what we did for you].\n\n" +
				"What we are changing so it does not happen again:\n" +
				promisePlaceholder + "\n" +
				"We are sorry. We got this wrong, and you trusted us to get it right. We will tell you when each of these changes is done.\n\n" +
				reply("with what you think of how we handled this") + sign,
		},
	}
}

// literal keeps incident text from reading as placeholders: "{{" becomes "{ {".
func literal(s string) string {
	return strings.NewReplacer("{{", "{ {", "}}", "} }").Replace(s)
}

// fitSubject joins a subject's lead and the incident's title, shortening the title with an
// ellipsis so the subject stays within MaxMessageSubject characters.
func fitSubject(lead, title string) string {
	room := MaxMessageSubject - utf8.RuneCountInString(lead)
	return lead + Shorten(title, room)
}

// lowerFirst lower-cases the first letter of s unless the first word looks like a name or an
// acronym (a second capital letter in it).
func lowerFirst(s string) string {
	word, _, _ := strings.Cut(s, " ")
	if utf8.RuneCountInString(word) > 1 && strings.ToLower(word[1:]) != word[1:] {
		return s
	}
	r, n := utf8.DecodeRuneInString(s)
	return strings.ToLower(string(r)) + s[n:]
}

// columnLabel turns a column name into a label: "orders_affected" → "Orders affected".
func columnLabel(c string) string {
	s := strings.ReplaceAll(c, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// promisePlaceholder is the follow-up template's line for the changes promised, replaced by
// WithPromises with the incident's public promises when there are any.
const promisePlaceholder = "- [the change], done by [date], owned by [name]\n"

// WithPromises fills the follow-up template's list of changes with the incident's public
// promises (action items marked public): each with its due date, and "done" once it is. Names
// of owners stay internal. Without promises the template keeps its prompt line.
func WithPromises(t Template, promises []*ActionItem, loc *time.Location) Template {
	if len(promises) == 0 || !strings.Contains(t.Body, promisePlaceholder) {
		return t
	}
	var b strings.Builder
	for _, p := range promises {
		if p.State == ActionDone && p.DoneAt != nil {
			fmt.Fprintf(&b, "- %s: done on %s\n", oneLine(p.Title), p.DoneAt.In(loc).Format("2 January 2006"))
			continue
		}
		fmt.Fprintf(&b, "- %s, done by %s\n", oneLine(p.Title), p.Due.In(loc).Format("2 January 2006"))
	}
	t.Body = strings.Replace(t.Body, promisePlaceholder, b.String(), 1)
	return t
}

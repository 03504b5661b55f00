package amends

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// PurposeDigest is the weekly letter to a person of what they owe.
const PurposeDigest = "digest"

// DigestHorizon is how far ahead a weekly digest looks: items due within it, and every overdue
// one, are listed.
const DigestHorizon = 7 * 24 * time.Hour

// digestHour is the hour on Monday, in the server's zone, when the week's digest is due.
const digestHour = 8

// DigestWeek returns the week a digest sent at now belongs to, as an ISO week ("2026-W48"),
// and the instant that week's digest became due: the latest Monday 08:00 in loc at or before
// now. A digest is sent once per person per week, so a server that was down on Monday sends
// the week's digest when it comes back, and never a second one.
func DigestWeek(now time.Time, loc *time.Location) (week string, due time.Time) {
	local := now.In(loc)
	back := (int(local.Weekday()) + 6) % 7 // days since Monday
	due = time.Date(local.Year(), local.Month(), local.Day()-back, digestHour, 0, 0, 0, loc)
	if due.After(now) {
		due = due.AddDate(0, 0, -7)
	}
	y, w := due.ISOWeek()
	return fmt.Sprintf("%04d-W%02d", y, w), due
}

// NextDigestAt returns the first Monday 08:00 in loc strictly after now: when the next
// week's digests are due.
func NextDigestAt(now time.Time, loc *time.Location) time.Time {
	_, due := DigestWeek(now, loc)
	return due.AddDate(0, 0, 7)
}

// DigestItems keeps the open items of one owner that belong in a digest written at now: the
// overdue ones and those due within DigestHorizon, soonest first.
func DigestItems(items []*ActionItem, now time.Time) []*ActionItem {
	var out []*ActionItem
	for _, a := range items {
		if a.State == ActionOpen && !a.Due.After(now.Add(DigestHorizon)) {
			out = append(out, a)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Due.Before(out[j].Due) })
	return out
}

// MakeDigest writes the weekly digest of owner's items (already chosen by DigestItems, soonest
// first): what is overdue, then what is due this week, each with its incident, due day, whether
// customers were promised it, and its ticket. The channel adds the link to the person's list.
func MakeDigest(owner string, items []*ActionItem, now time.Time, loc *time.Location) (subject, body string) {
	var overdue, soon []*ActionItem
	for _, a := range items {
		if a.Overdue(now) {
			overdue = append(overdue, a)
		} else {
			soon = append(soon, a)
		}
	}
	switch {
	case len(overdue) > 0 && len(soon) > 0:
		subject = fmt.Sprintf("This week: %s overdue, %s due", plural(len(overdue), "item"), plural(len(soon), "item"))
	case len(overdue) > 0:
		subject = fmt.Sprintf("This week: %s overdue", plural(len(overdue), "item"))
	default:
		subject = fmt.Sprintf("This week: %s due", plural(len(soon), "item"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\nthis is what you owe, soonest first.\n", owner)
	section := func(title string, list []*ActionItem) {
		if len(list) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", title)
		for _, a := range list {
			promise := ""
			if a.Public {
				promise = " — promised to customers"
			}
			fmt.Fprintf(&b, "- %s %s (%s, due %s%s)\n", a.Ref, a.Title, a.Kind, a.Due.In(loc).Format("Mon 2 Jan"), promise)
			if a.TicketURL != "" {
				fmt.Fprintf(&b, "  Ticket: %s\n", a.TicketURL)
			}
		}
	}
	section("Overdue:", overdue)
	section("Due in the next seven days:", soon)
	b.WriteString("\nMark each done when it is, or drop it with a reason.\n")
	return subject, b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

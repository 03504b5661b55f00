package amends_test

import (
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
)

func TestFormatSpan(t *testing.T) {
	for d, want := range map[time.Duration]string{
		30 * time.Second: "30 s", 4 * time.Minute: "4 min", 16 * time.Minute: "16 min", 4 * time.Hour: "4 h",
		4*time.Hour + 6*time.Minute: "4 h 6 min", 0: "0 s", 27*time.Hour + 5*time.Minute: "1 d 3 h", -4 * time.Minute: "-4 min",
	} {
		if got := amends.FormatSpan(d); got != want {
			t.Errorf("FormatSpan(%v) = %q, want %q", d, got, want)
		}
	}
}

func TestSpansOfTheAfternoon(t *testing.T) {
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	ev := func(k amends.EventKind, body string, t time.Time) amends.Event {
		return amends.Event{Kind: k, Body: body, At: t, Visibility: amends.Internal}
	}
	events := []amends.Event{ev(amends.KindNoticed, "", at(14, 39)), ev(amends.KindColleaguesTold, "", at(14, 43)),
		ev(amends.KindRootCause, "", at(14, 55)), ev(amends.KindMitigated, "", at(14, 55)), ev(amends.KindCustomersTold, "", at(18, 39)),
		ev(amends.KindStatus, "resolved", at(18, 39)), ev(amends.KindStatus, "closed", at(18, 45))}
	var got []string
	for _, s := range amends.Spans(amends.DeriveInstants(at(14, 39), events)) {
		got = append(got, s.Name+"="+s.Text)
	}
	if want := "colleagues_told=4 min,root_cause=16 min,mitigated=16 min,customers_told=4 h,loop_closed=4 h 6 min"; strings.Join(got, ",") != want {
		t.Errorf("spans %s, want %s", strings.Join(got, ","), want)
	}
	open := amends.Spans(amends.DeriveInstants(at(14, 39), events[:2]))
	if open[4].Done || open[4].Text != "not yet" {
		t.Errorf("an open incident's loop: %+v", open[4])
	}
}

func TestTimelineLinesPublicAndEscaped(t *testing.T) {
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	events := []amends.Event{
		{ID: 1, Kind: amends.KindNote, Body: "internal <b>detail</b>", At: now, Visibility: amends.Internal},
		{ID: 2, Kind: amends.KindNote, Body: "public [link](javascript:x) *word*", At: now.Add(time.Minute), Visibility: amends.Public},
		{ID: 3, Kind: amends.KindBriefRead, Body: "ana", At: now, Visibility: amends.Internal},
	}
	if got := amends.TimelineLines(events, false); len(got) != 2 {
		t.Errorf("internal lines %+v", got)
	}
	pub := amends.TimelineLines(events, true)
	if len(pub) != 1 || pub[0].Body != events[1].Body {
		t.Fatalf("public lines %+v", pub)
	}
	md := amends.TimelineMarkdown(pub, nil, time.UTC)
	if !strings.Contains(md, `\[link\](javascript:x) \*word\*`) {
		t.Errorf("event body not escaped: %s", md)
	}
}

func TestClosingChecklistWaivers(t *testing.T) {
	root := time.Now()
	inc := &amends.Incident{RootCauseAt: &root, CustomersToldAt: &root}
	events := []amends.Event{{Kind: amends.KindPostmortem}}
	items := amends.ClosingChecklist(inc, events, amends.PostmortemFacts{}, nil)
	if got := amends.MissingChecks(items); got != "every prevention has an owner and a due date; the postmortem carries a copy of what customers were told" {
		t.Errorf("missing %q", got)
	}
	items = amends.ClosingChecklist(inc, events, amends.PostmortemFacts{PreventionsOwned: true},
		[]amends.Waiver{{Item: "customer_copy", Reason: "told by phone", By: "ana"}})
	if got := amends.MissingChecks(items); got != "" {
		t.Errorf("after a waiver, missing %q", got)
	}
	if err := amends.ValidateWaiver("customer_copy", " "); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("waiver without reason: %v", err)
	}
	if err := amends.ValidateWaiver("nonsense", "x"); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("waiver of no item: %v", err)
	}
}

func TestSectionsAndLimits(t *testing.T) {
	if len(amends.Sections) != 10 || amends.Sections[0] != amends.SectionDescription || amends.Sections[9] != amends.SectionApology {
		t.Errorf("sections %v", amends.Sections)
	}
	if err := amends.ValidateSectionText(strings.Repeat("a", amends.MaxSection)); err != nil {
		t.Errorf("100 KB: %v", err)
	}
	if err := amends.ValidateSectionText(strings.Repeat("a", amends.MaxSection+1)); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("100 KB + 1: %v", err)
	}
	if _, err := amends.ParseEdition("secret"); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("edition: %v", err)
	}
}

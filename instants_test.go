package amends_test

import (
	"testing"
	"time"

	"github.com/amends/amends"
)

// TestDeriveInstantsSampleAfternoon checks the clocks of the afternoon in DESIGN.md.
func TestDeriveInstantsSampleAfternoon(t *testing.T) {
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	var seq int64
	ev := func(kind amends.EventKind, body string, t time.Time) amends.Event {
		seq++
		return amends.Event{ID: seq, Seq: seq, Kind: kind, Body: body, At: t}
	}
	events := []amends.Event{
		ev(amends.KindNoticed, "", at(14, 39)),
		ev(amends.KindColleaguesTold, "", at(14, 43)),
		ev(amends.KindRootCause, "", at(14, 55)),
		ev(amends.KindMitigated, "", at(14, 55)),
		ev(amends.KindStatus, "resolved", at(18, 39)),
		ev(amends.KindCustomersTold, "", at(18, 39)),
		ev(amends.KindStatus, "closed", at(18, 45)),
	}
	in := amends.DeriveInstants(at(14, 39), events)
	for name, c := range map[string]struct {
		p    *time.Time
		want time.Duration
	}{
		"colleagues told": {in.ColleaguesTold, 4 * time.Minute},
		"root cause":      {in.RootCause, 16 * time.Minute},
		"mitigated":       {in.Mitigated, 16 * time.Minute},
		"customers told":  {in.CustomersTold, 4 * time.Hour},
		"resolved":        {in.Resolved, 4 * time.Hour},
		"loop closed":     {in.Closed, 4*time.Hour + 6*time.Minute},
	} {
		got, ok := in.Since(c.p)
		if !ok || got != c.want {
			t.Errorf("%s: %v after noticed (set %v), want %v", name, got, ok, c.want)
		}
	}
}

func TestDeriveInstantsReopenAndCorrect(t *testing.T) {
	day := time.Date(2026, 11, 3, 14, 0, 0, 0, time.UTC)
	events := []amends.Event{
		{ID: 1, Seq: 1, Kind: amends.KindNoticed, At: day},
		{ID: 2, Seq: 2, Kind: amends.KindStatus, Body: "resolved", At: day.Add(time.Hour)},
		{ID: 3, Seq: 3, Kind: amends.KindStatus, Body: "investigating", At: day.Add(2 * time.Hour)},
		{ID: 4, Seq: 4, Kind: amends.KindColleaguesTold, At: day.Add(30 * time.Minute)},
	}
	in := amends.DeriveInstants(day, events)
	if in.Resolved != nil {
		t.Errorf("a reopened incident is not resolved: %v", in.Resolved)
	}
	ten := day.Add(10 * time.Minute)
	four := int64(4)
	events = append(events, amends.Event{ID: 5, Seq: 5, Kind: amends.KindCorrection, Corrects: &four, At: ten, Body: "it was 14:10"})
	in = amends.DeriveInstants(day, events)
	if in.ColleaguesTold == nil || !in.ColleaguesTold.Equal(ten) {
		t.Errorf("correction not applied: %v", in.ColleaguesTold)
	}
	five := int64(5)
	eleven := day.Add(11 * time.Minute)
	events = append(events, amends.Event{ID: 6, Seq: 6, Kind: amends.KindCorrection, Corrects: &five, At: eleven})
	eff, by := amends.Effective(events)
	if by[4] != 6 || !eff[3].At.Equal(eleven) || eff[3].Body != "it was 14:10" {
		t.Errorf("a correction of a correction corrects the original: by=%v at=%v body=%q", by, eff[3].At, eff[3].Body)
	}
}

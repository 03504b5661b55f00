package amends

import (
	"strings"
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	m := time.Minute
	for _, tc := range []struct {
		name   string
		values []time.Duration
		p      int
		want   time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", []time.Duration{7 * m}, 50, 7 * m},
		{"one p90", []time.Duration{7 * m}, 90, 7 * m},
		{"two median is the lower", []time.Duration{m, 3 * m}, 50, m},
		{"two p90 is the upper", []time.Duration{m, 3 * m}, 90, 3 * m},
		{"four median", []time.Duration{4 * m, 6 * m, 8 * m, 10 * m}, 50, 6 * m},
		{"five median", []time.Duration{1, 2, 3, 4, 5}, 50, 3},
		{"ten p90", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, 90, 9},
		{"eleven p90", []time.Duration{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}, 90, 10},
		{"p100 is the max", []time.Duration{1, 2, 3}, 100, 3},
		{"p0 is nothing", []time.Duration{1, 2, 3}, 0, 0},
	} {
		if got := Percentile(tc.values, tc.p); got != tc.want {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestUpdateLate(t *testing.T) {
	last := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		sev  Severity
		at   time.Duration
		want bool
	}{
		{1, 30 * time.Minute, false}, // exactly on time keeps it
		{1, 30*time.Minute + time.Second, true},
		{2, 59 * time.Minute, false},
		{2, 61 * time.Minute, true},
		{3, 4 * time.Hour, false},
		{4, 4*time.Hour + time.Minute, true},
		{1, -time.Hour, false}, // recorded out of order, before the last: not late
	} {
		if got := UpdateLate(tc.sev, last, last.Add(tc.at)); got != tc.want {
			t.Errorf("SEV%d after %v: late %v, want %v", tc.sev, tc.at, got, tc.want)
		}
	}
}

func TestCauseAndTeamValidation(t *testing.T) {
	for _, c := range append([]Cause{""}, Causes...) {
		if err := c.Validate(); err != nil {
			t.Errorf("%q: %v", c, err)
		}
	}
	for _, c := range []Cause{"Deploy", "gremlins", " config"} {
		if err := c.Validate(); ErrorCode(err) != EInvalid || ErrorOf(err).Field != "cause" {
			t.Errorf("%q: %v", c, err)
		}
	}
	for _, tc := range []struct {
		team string
		ok   bool
	}{{"", true}, {"Billing", true}, {strings.Repeat("x", MaxName), true}, {strings.Repeat("x", MaxName+1), false}, {"a\nb", false}, {"\xff", false}} {
		if err := ValidateTeam(tc.team); (err == nil) != tc.ok {
			t.Errorf("team %q: %v", tc.team, err)
		}
	}
}

func TestParseInsightFilter(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	for _, tc := range []struct {
		name  string
		q     map[string]string
		want  InsightFilter
		field string // the field of the error, when one is expected
	}{
		{"empty", map[string]string{}, InsightFilter{}, ""},
		{"days in the zone, to included", map[string]string{"from": "2026-11-01", "to": "2026-11-30"},
			InsightFilter{From: time.Date(2026, 11, 1, 0, 0, 0, 0, loc), To: time.Date(2026, 12, 1, 0, 0, 0, 0, loc)}, ""},
		{"one day", map[string]string{"from": "2026-11-03", "to": "2026-11-03"},
			InsightFilter{From: time.Date(2026, 11, 3, 0, 0, 0, 0, loc), To: time.Date(2026, 11, 4, 0, 0, 0, 0, loc)}, ""},
		{"severity and names", map[string]string{"severity": "sev2", "component": " Billing ", "team": "payments"},
			InsightFilter{Severity: 2, Component: "Billing", Team: "payments"}, ""},
		{"bad from", map[string]string{"from": "yesterday"}, InsightFilter{}, "from"},
		{"bad to", map[string]string{"to": "2026-13-01"}, InsightFilter{}, "to"},
		{"to before from", map[string]string{"from": "2026-11-05", "to": "2026-11-01"}, InsightFilter{}, "to"},
		{"severity 5", map[string]string{"severity": "5"}, InsightFilter{}, "severity"},
		{"severity word", map[string]string{"severity": "high"}, InsightFilter{}, "severity"},
		{"long team", map[string]string{"team": strings.Repeat("t", MaxName+1)}, InsightFilter{}, "team"},
		{"component with a newline", map[string]string{"component": "a\nb"}, InsightFilter{}, "component"},
	} {
		got, err := ParseInsightFilter(func(k string) string { return tc.q[k] }, loc)
		if tc.field != "" {
			if ErrorCode(err) != EInvalid || ErrorOf(err).Field != tc.field {
				t.Errorf("%s: error %v, want one on %s", tc.name, err, tc.field)
			}
			continue
		}
		if err != nil || !got.From.Equal(tc.want.From) || !got.To.Equal(tc.want.To) || got.Severity != tc.want.Severity ||
			got.Component != tc.want.Component || got.Team != tc.want.Team {
			t.Errorf("%s: got %+v %v, want %+v", tc.name, got, err, tc.want)
		}
	}
}

func TestComputeInsightsEmpty(t *testing.T) {
	now := time.Date(2026, 11, 3, 18, 0, 0, 0, time.UTC)
	in := ComputeInsights(nil, Aggregates{}, InsightFilter{}, DefaultTargets(), now, time.UTC)
	if in.Incidents != 0 || in.ColleaguesTold.Count != 0 || in.ColleaguesTold.MedianSeconds != nil ||
		in.ColleaguesTold.WithinRatio != nil || in.Updates.KeptRatio != nil || in.Promises.KeptRatio != nil ||
		in.RatingAverage != nil || len(in.Months) != 0 || len(in.Causes) != 0 || len(in.Components) != 0 {
		t.Errorf("no incidents gave %+v", in)
	}
	if in.ReferenceSeconds != 1800 {
		t.Errorf("reference %v, want 1800 s", in.ReferenceSeconds)
	}
}

func TestComputeInsights(t *testing.T) {
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	now := at(23, 0)
	facts := []IncidentFacts{
		// The sample afternoon: SEV2, colleagues 4 min, customers 4 h, resolved 4 h, closed 4 h 6.
		{Ref: "INC-1", Severity: 2, Cause: CauseConfig, Components: []string{"Billing", "Email"}, Noticed: at(14, 39),
			ColleaguesTold: at(14, 43), CustomersTold: at(18, 39), Resolved: at(18, 39), Closed: at(18, 45),
			UpdatesDue: 2, UpdatesLate: 1, Promises: PromiseStats{KeptOnTime: 1}, Preventions: 1, RatingSum: 9, Ratings: 2},
		// Open, SEV1, told colleagues late, customers not yet: 22:00 + 30 min has passed: a miss.
		{Ref: "INC-2", Severity: 1, Open: true, Cause: CauseConfig, Components: []string{"Email", "Email"}, Noticed: at(22, 0),
			ColleaguesTold: at(22, 10), Promises: PromiseStats{OpenOverdue: 1, Open: 3, Dropped: 1}},
		// Last month, SEV4 (no targets), resolved, no cause.
		{Ref: "INC-3", Severity: 4, Noticed: day.AddDate(0, -1, 0), ColleaguesTold: day.AddDate(0, -1, 0).Add(2 * time.Hour),
			Resolved: day.AddDate(0, -1, 0).Add(5 * time.Hour), Promises: PromiseStats{KeptLate: 1}, RatingSum: 2, Ratings: 1},
		// A third config incident, before the first had its prevention: not a repeat of it.
		{Ref: "INC-4", Severity: 3, Cause: CauseConfig, Noticed: at(9, 0), Resolved: at(9, 30)},
	}
	in := ComputeInsights(facts, Aggregates{}, InsightFilter{}, DefaultTargets(), now, time.UTC)
	if in.Incidents != 4 || in.Open != 1 {
		t.Errorf("incidents %d open %d", in.Incidents, in.Open)
	}
	ct := in.ColleaguesTold // 4 min, 10 min, 2 h; INC-4 untold but its 60 min passed: a miss
	if ct.Count != 3 || ct.Median != 10*time.Minute || ct.P90 != 2*time.Hour || *ct.MedianSeconds != 600 ||
		ct.Targets != 3 || ct.Within != 1 || *ct.WithinRatio != 1.0/3 || ct.Pending != 1 {
		t.Errorf("colleagues told %+v", ct)
	}
	// 4 h on SEV2's 2 h: a miss; INC-2 untold past 30 min and INC-4 past 8 h: misses; INC-3 has no target.
	cu := in.CustomersTold
	if cu.Count != 1 || cu.Median != 4*time.Hour || cu.Targets != 3 || cu.Within != 0 || cu.Pending != 3 {
		t.Errorf("customers told %+v", cu)
	}
	if r := in.Resolved; r.Count != 3 || r.Median != 4*time.Hour || r.P90 != 5*time.Hour || r.Pending != 1 || r.Targets != 0 || r.WithinRatio != nil {
		t.Errorf("resolved %+v", r)
	}
	if c := in.LoopClosed; c.Count != 1 || c.Median != 4*time.Hour+6*time.Minute || c.Pending != 3 {
		t.Errorf("loop closed %+v", c)
	}
	if u := in.Updates; u.Due != 2 || u.Late != 1 || *u.KeptRatio != 0.5 {
		t.Errorf("updates %+v", u)
	}
	// Kept on time 1 of: 1 on time, 1 late, 1 overdue, 1 dropped; the 3 open not yet due do not count.
	if p := in.Promises; p.KeptOnTime != 1 || p.KeptLate != 1 || p.OpenOverdue != 1 || p.Open != 3 || p.Dropped != 1 || *p.KeptRatio != 0.25 {
		t.Errorf("promises %+v", p)
	}
	if in.Ratings != 3 || *in.RatingAverage != 11.0/3 {
		t.Errorf("ratings %d %v", in.Ratings, *in.RatingAverage)
	}
	if len(in.Months) != 2 || in.Months[0].Month != "2026-10" || in.Months[0].Incidents != 1 || *in.Months[0].RatingAverage != 2 ||
		in.Months[1].Month != "2026-11" || in.Months[1].Incidents != 3 || *in.Months[1].RatingAverage != 4.5 ||
		in.Months[1].ColleaguesTold.Median != 4*time.Minute {
		t.Errorf("months %+v", in.Months)
	}
	if len(in.Causes) != 1 || in.Causes[0].Cause != CauseConfig || in.Causes[0].Incidents != 3 ||
		len(in.Causes[0].Repeats) != 1 || in.Causes[0].Repeats[0] != (Repeat{Ref: "INC-2", After: "INC-1"}) ||
		in.RepeatsTotal != 1 || in.CausesUnset != 1 {
		t.Errorf("causes %+v", in.Causes)
	}
	// Email counted once for INC-2 although listed twice; ties by name.
	if len(in.Components) != 2 || in.Components[0] != (ComponentCount{"Email", 2}) || in.Components[1] != (ComponentCount{"Billing", 1}) {
		t.Errorf("components %+v", in.Components)
	}

	// Aggregates counted by the store add to what the facts carry.
	withAgg := ComputeInsights(facts, Aggregates{Promises: PromiseStats{KeptOnTime: 3, Open: 1}, Components: map[string]int{"Billing": 4, "Search": 1}},
		InsightFilter{}, DefaultTargets(), now, time.UTC)
	if p := withAgg.Promises; p.KeptOnTime != 4 || p.Open != 4 || *p.KeptRatio != 4.0/7 {
		t.Errorf("promises with aggregates %+v", p)
	}
	if c := withAgg.Components; len(c) != 3 || c[0] != (ComponentCount{"Billing", 5}) || c[1] != (ComponentCount{"Email", 2}) || c[2] != (ComponentCount{"Search", 1}) {
		t.Errorf("components with aggregates %+v", c)
	}

	// Months follow the zone given: 23:30 UTC on October 31st is November in CET.
	late := []IncidentFacts{{Ref: "INC-9", Severity: 3, Open: true, Noticed: time.Date(2026, 10, 31, 23, 30, 0, 0, time.UTC)}}
	if got := ComputeInsights(late, Aggregates{}, InsightFilter{}, DefaultTargets(), now, time.FixedZone("CET", 3600)); got.Months[0].Month != "2026-11" {
		t.Errorf("month in CET %s", got.Months[0].Month)
	}
}

func TestLedgerTally(t *testing.T) {
	now := time.Date(2026, 11, 3, 12, 0, 0, 0, time.UTC)
	done := now.Add(-time.Hour)
	items := []ActionItem{
		{State: ActionDone, Due: now, DoneAt: &done},
		{State: ActionDone, Due: now.Add(-2 * time.Hour), DoneAt: &done},
		{State: ActionOpen, Due: now.Add(-time.Second)},
		{State: ActionOpen, Due: now.Add(time.Hour)},
		{State: ActionDropped, Due: now.Add(time.Hour)},
	}
	want := []string{StandingKeptOnTime, StandingKeptLate, StandingOverdue, StandingOpen, StandingDropped}
	var promises []LedgerPromise
	for i, a := range items {
		if got := a.Standing(now); got != want[i] {
			t.Errorf("item %d: %s, want %s", i, got, want[i])
		}
		promises = append(promises, LedgerPromise{Standing: a.Standing(now)})
	}
	r4, r1 := 4, 1
	l := Ledger{Entries: []LedgerEntry{
		{Messages: make([]LedgerMessage, 2), Promises: promises, Feedback: []LedgerFeedback{{Rating: &r4}, {}, {Rating: &r1}}},
		{Messages: make([]LedgerMessage, 1)},
	}}
	l.Tally()
	if l.Messages != 3 || l.Promises != (PromiseStats{KeptOnTime: 1, KeptLate: 1, OpenOverdue: 1, Open: 1, Dropped: 1}) ||
		*l.KeptRatio != 0.25 || l.Ratings != 2 || *l.RatingAverage != 2.5 {
		t.Errorf("tally %+v", l)
	}
	empty := Ledger{}
	empty.Tally()
	if empty.KeptRatio != nil || empty.RatingAverage != nil {
		t.Errorf("empty ledger %+v", empty)
	}
}

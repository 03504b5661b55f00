package amends

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Cause is an incident's root-cause category, chosen from Causes so that insights can tell
// whether a kind of mistake came back ("it won't happen again" — did it?). "" means not set.
type Cause string

// Root-cause categories.
const (
	CauseDeploy     Cause = "deploy"     // a release or change shipped the mistake
	CauseConfig     Cause = "config"     // a setting, segment, flag or rule was wrong
	CauseCapacity   Cause = "capacity"   // load, limits or resources ran out
	CauseDependency Cause = "dependency" // something we rely on failed, and we did not absorb it
	CauseData       Cause = "data"       // wrong, missing or mixed-up data
	CauseSecurity   Cause = "security"   // access, exposure or abuse
	CauseProcess    Cause = "process"    // a step of how we work was missing or skipped
	CauseOther      Cause = "other"      // none of the above
)

// Causes lists every category, in the order forms offer them.
var Causes = []Cause{CauseDeploy, CauseConfig, CauseCapacity, CauseDependency, CauseData, CauseSecurity, CauseProcess, CauseOther}

// Validate accepts "" (not set) and each of Causes.
func (c Cause) Validate() error {
	if c == "" || slices.Contains(Causes, c) {
		return nil
	}
	names := make([]string, len(Causes))
	for i, v := range Causes {
		names[i] = string(v)
	}
	return Errorf(EInvalid, "cause", "unknown root-cause category %q; one of %s, or empty", string(c), strings.Join(names, ", "))
}

// ValidateTeam accepts a team name of at most MaxName characters on one line ("" for none).
func ValidateTeam(t string) error {
	if strings.ContainsAny(t, "\r\n") {
		return Errorf(EInvalid, "team", "must be one line")
	}
	return validateText("team", t, MaxName)
}

// UpdateLate reports whether a public update at at broke the promise made by the previous one,
// published at lastPublic: it came after lastPublic plus the severity's UpdateCadence.
func UpdateLate(sev Severity, lastPublic, at time.Time) bool {
	return at.After(lastPublic.Add(UpdateCadence(sev)))
}

// PublicFirstUpdateReference is the published average delay between detection and the first
// public update, from studies of public status pages: about half an hour. Insights draw it
// beside the time to tell customers, so a team sees how far below (or above) it they are.
const PublicFirstUpdateReference = 30 * time.Minute

// InsightFilter selects the incidents insights are computed over: noticed in [From, To) (a
// zero bound is open), of one severity (0 for all), affecting one component and owned by one
// team ("" for any).
type InsightFilter struct {
	From      time.Time `json:"from"`
	To        time.Time `json:"to"`
	Severity  Severity  `json:"severity"`
	Component string    `json:"component"`
	Team      string    `json:"team"`
}

// Validate checks the filter: a period that ends after it starts, a known severity, and one-line
// component and team names.
func (f InsightFilter) Validate() error {
	if !f.From.IsZero() && !f.To.IsZero() && !f.To.After(f.From) {
		return Errorf(EInvalid, "to", "must be after from")
	}
	if f.Severity != 0 {
		if err := f.Severity.Validate(); err != nil {
			return err
		}
	}
	if strings.ContainsAny(f.Component, "\r\n") {
		return Errorf(EInvalid, "component", "must be one line")
	}
	if err := validateText("component", f.Component, MaxName); err != nil {
		return err
	}
	return ValidateTeam(f.Team)
}

// ParseInsightFilter reads a filter from form or query values (get returns "" for a missing
// one): from and to are days (YYYY-MM-DD) in loc, both included, so to=2026-11-30 ends at the
// start of December 1st; severity is 1 to 4; component and team are names. A bad value is an
// EInvalid error naming its field.
func ParseInsightFilter(get func(string) string, loc *time.Location) (InsightFilter, error) {
	var f InsightFilter
	day := func(field string) (time.Time, error) {
		v := strings.TrimSpace(get(field))
		if v == "" {
			return time.Time{}, nil
		}
		t, err := time.ParseInLocation("2006-01-02", v, loc)
		if err != nil {
			return t, Errorf(EInvalid, field, "must be a date written YYYY-MM-DD")
		}
		return t, nil
	}
	var err error
	if f.From, err = day("from"); err != nil {
		return f, err
	}
	if f.To, err = day("to"); err != nil {
		return f, err
	}
	if !f.To.IsZero() {
		f.To = f.To.AddDate(0, 0, 1)
	}
	if v := strings.TrimSpace(get("severity")); v != "" {
		n, err := strconv.Atoi(strings.TrimPrefix(strings.ToLower(v), "sev"))
		if err != nil || n < 1 || n > 4 {
			return f, Errorf(EInvalid, "severity", "must be 1 to 4")
		}
		f.Severity = Severity(n)
	}
	f.Component = strings.TrimSpace(get("component"))
	f.Team = strings.TrimSpace(get("team"))
	return f, f.Validate()
}

// IncidentFacts is what insights need to know of one incident. The instants after Noticed are
// zero until they happen (values, not pointers: a store fills 100,000 of these). Promises counts
// its public action items; Preventions its prevention action items, public or not (each one
// says "it won't happen again"); RatingSum and Ratings its answered feedback surveys.
type IncidentFacts struct {
	Ref            string
	Severity       Severity
	Open           bool
	Cause          Cause
	Components     []string
	Noticed        time.Time
	ColleaguesTold time.Time
	CustomersTold  time.Time
	Resolved       time.Time
	Closed         time.Time
	UpdatesDue     int
	UpdatesLate    int
	Promises       PromiseStats
	Preventions    int
	RatingSum      int
	Ratings        int
}

// DurationStats summarises how long after "noticed" one instant came, over the incidents where
// it came. Median and P90 are nearest-rank percentiles (see Percentile). Targets counts the
// incidents judged against a target — those where it came and their severity has a target,
// and those where it has not come yet although the target has passed (a miss) — and Within
// those where it came within the target.
type DurationStats struct {
	Count         int           `json:"count"`
	Pending       int           `json:"pending"`
	Median        time.Duration `json:"-"`
	P90           time.Duration `json:"-"`
	MedianSeconds *float64      `json:"median_seconds"`
	P90Seconds    *float64      `json:"p90_seconds"`
	Targets       int           `json:"targets"`
	Within        int           `json:"within_target"`
	WithinRatio   *float64      `json:"within_target_ratio"`
}

// UpdateStats counts the "next update by" promises of public updates: Due is how many came due
// (each public update after the first, and the resolution), Late how many came after the time
// promised.
type UpdateStats struct {
	Due       int      `json:"due"`
	Late      int      `json:"late"`
	KeptRatio *float64 `json:"kept_ratio"`
}

// PromiseInsight is the public action items of the incidents and how they stand. KeptRatio is
// kept on time over all those that are settled or due: kept on time, kept late, dropped and
// open past due; open items not yet due are left out.
type PromiseInsight struct {
	PromiseStats
	KeptRatio *float64 `json:"kept_on_time_ratio"`
}

// MonthInsight is one calendar month (in the server's zone) of noticed incidents.
type MonthInsight struct {
	Month          string        `json:"month"` // YYYY-MM
	Incidents      int           `json:"incidents"`
	ColleaguesTold DurationStats `json:"colleagues_told"`
	CustomersTold  DurationStats `json:"customers_told"`
	Ratings        int           `json:"ratings"`
	RatingAverage  *float64      `json:"rating_average"`
}

// Repeat is an incident whose root-cause category had already been promised away: an earlier
// incident of that category had a prevention action item.
type Repeat struct {
	Ref   string `json:"ref"`
	After string `json:"after"` // the latest earlier incident of that category with a prevention
}

// CauseInsight is one root-cause category: its incidents and those that were repeats.
type CauseInsight struct {
	Cause     Cause    `json:"cause"`
	Incidents int      `json:"incidents"`
	Repeats   []Repeat `json:"repeats"`
}

// ComponentCount is how many of the incidents affected a component.
type ComponentCount struct {
	Component string `json:"component"`
	Incidents int    `json:"incidents"`
}

// Insights are the figures of trust over a set of incidents.
type Insights struct {
	Filter           InsightFilter    `json:"filter"`
	Incidents        int              `json:"incidents"`
	Open             int              `json:"open"`
	ColleaguesTold   DurationStats    `json:"colleagues_told"`
	CustomersTold    DurationStats    `json:"customers_told"`
	Resolved         DurationStats    `json:"resolved"`
	LoopClosed       DurationStats    `json:"loop_closed"`
	ReferenceSeconds float64          `json:"public_first_update_reference_seconds"`
	Updates          UpdateStats      `json:"updates"`
	Promises         PromiseInsight   `json:"promises"`
	Ratings          int              `json:"ratings"`
	RatingAverage    *float64         `json:"rating_average"`
	Months           []MonthInsight   `json:"months"`
	Causes           []CauseInsight   `json:"causes"`
	Components       []ComponentCount `json:"components"`
	CausesUnset      int              `json:"causes_unset"`
	RepeatsTotal     int              `json:"repeats"`
	ComputedAt       time.Time        `json:"computed_at"`
	// Targets are the time-to-own targets the figures were judged against.
	Targets Targets `json:"-"`
}

// Percentile returns the nearest-rank p-th percentile (0 < p ≤ 100) of sorted: the smallest
// value such that at least p percent of the values are at or below it, sorted[⌈p·n/100⌉−1].
// It is always one of the values (no interpolation), so the median of 4, 6, 8, 10 is 6 and of
// one value is that value. It returns 0 for no values.
func Percentile(sorted []time.Duration, p int) time.Duration {
	n := len(sorted)
	if n == 0 || p <= 0 {
		return 0
	}
	rank := (p*n + 99) / 100
	return sorted[min(rank, n)-1]
}

func ratio(num, den int) *float64 {
	if den == 0 {
		return nil
	}
	r := float64(num) / float64(den)
	return &r
}

func seconds(d time.Duration) *float64 {
	s := math.Round(d.Seconds()*1000) / 1000
	return &s
}

// durations gathers one instant's delays and judges them against a target per severity.
type durations struct {
	values  []time.Duration
	stats   DurationStats
	targets bool
}

func (d *durations) add(noticed, at time.Time, target time.Duration, now time.Time) {
	if at.IsZero() {
		d.stats.Pending++
		if d.targets && target > 0 && now.Sub(noticed) > target {
			d.stats.Targets++ // still not done, and already late: a miss
		}
		return
	}
	v := max(at.Sub(noticed), 0)
	d.values = append(d.values, v)
	if d.targets && target > 0 {
		d.stats.Targets++
		if v <= target {
			d.stats.Within++
		}
	}
}

func (d *durations) done() DurationStats {
	s := d.stats
	slices.Sort(d.values)
	s.Count = len(d.values)
	if s.Count > 0 {
		s.Median, s.P90 = Percentile(d.values, 50), Percentile(d.values, 90)
		s.MedianSeconds, s.P90Seconds = seconds(s.Median), seconds(s.P90)
	}
	s.WithinRatio = ratio(s.Within, s.Targets)
	return s
}

// Aggregates are figures over the same incidents that a store counts in one query instead of
// per incident: they add to what the facts carry.
type Aggregates struct {
	Promises   PromiseStats
	Components map[string]int
}

// ComputeInsights computes the insights of facts, which are the incidents f selects, plus agg,
// against the time-to-own targets, at now; months are calendar months in loc. Resolve times
// count only resolved incidents and loop times only closed ones; incidents without a cause
// count in CausesUnset.
func ComputeInsights(facts []IncidentFacts, agg Aggregates, f InsightFilter, targets Targets, now time.Time, loc *time.Location) Insights {
	in := Insights{Filter: f, Incidents: len(facts), ReferenceSeconds: PublicFirstUpdateReference.Seconds(),
		ComputedAt: now, Targets: targets, Months: []MonthInsight{}, Causes: []CauseInsight{},
		Components: []ComponentCount{}}
	sorted := slices.Clone(facts)
	slices.SortStableFunc(sorted, func(a, b IncidentFacts) int { return a.Noticed.Compare(b.Noticed) })

	n := len(facts)
	colleagues := durations{targets: true, values: make([]time.Duration, 0, n)}
	customers := durations{targets: true, values: make([]time.Duration, 0, n)}
	resolved, closed := durations{values: make([]time.Duration, 0, n)}, durations{values: make([]time.Duration, 0, n)}
	type month struct {
		colleagues, customers durations
		m                     MonthInsight
		ratingSum             int
	}
	var months []*month
	byMonth := map[int]*month{}
	components := map[string]int{}
	for c, n := range agg.Components {
		components[c] += n
	}
	causes := map[Cause]*CauseInsight{}
	lastPrevented := map[Cause]string{}
	ratingSum := 0
	for _, x := range sorted {
		t := targets[x.Severity]
		if x.Open {
			in.Open++
		}
		colleagues.add(x.Noticed, x.ColleaguesTold, t.ColleaguesTold, now)
		customers.add(x.Noticed, x.CustomersTold, t.CustomersTold, now)
		if !x.Resolved.IsZero() {
			resolved.add(x.Noticed, x.Resolved, 0, now)
		}
		if !x.Closed.IsZero() {
			closed.add(x.Noticed, x.Closed, 0, now)
		}
		in.Updates.Due += x.UpdatesDue
		in.Updates.Late += x.UpdatesLate
		p := &in.Promises.PromiseStats
		p.KeptOnTime += x.Promises.KeptOnTime
		p.KeptLate += x.Promises.KeptLate
		p.OpenOverdue += x.Promises.OpenOverdue
		p.Open += x.Promises.Open
		p.Dropped += x.Promises.Dropped
		in.Ratings += x.Ratings
		ratingSum += x.RatingSum

		y, mo, _ := x.Noticed.In(loc).Date()
		key := y*12 + int(mo) - 1
		m := byMonth[key]
		if m == nil {
			m = &month{colleagues: durations{targets: true}, customers: durations{targets: true},
				m: MonthInsight{Month: fmt.Sprintf("%04d-%02d", y, int(mo))}}
			byMonth[key] = m
			months = append(months, m)
		}
		m.m.Incidents++
		m.colleagues.add(x.Noticed, x.ColleaguesTold, t.ColleaguesTold, now)
		m.customers.add(x.Noticed, x.CustomersTold, t.CustomersTold, now)
		m.m.Ratings += x.Ratings
		m.ratingSum += x.RatingSum

		for i, c := range x.Components {
			if !slices.Contains(x.Components[:i], c) {
				components[c]++
			}
		}
		if x.Cause == "" {
			in.CausesUnset++
		} else {
			ci := causes[x.Cause]
			if ci == nil {
				ci = &CauseInsight{Cause: x.Cause, Repeats: []Repeat{}}
				causes[x.Cause] = ci
			}
			ci.Incidents++
			if after, ok := lastPrevented[x.Cause]; ok {
				ci.Repeats = append(ci.Repeats, Repeat{Ref: x.Ref, After: after})
				in.RepeatsTotal++
			}
			if x.Preventions > 0 {
				lastPrevented[x.Cause] = x.Ref
			}
		}
	}
	in.ColleaguesTold, in.CustomersTold = colleagues.done(), customers.done()
	in.Resolved, in.LoopClosed = resolved.done(), closed.done()
	in.Resolved.Pending = in.Incidents - in.Resolved.Count
	in.LoopClosed.Pending = in.Incidents - in.LoopClosed.Count
	in.Updates.KeptRatio = ratio(in.Updates.Due-in.Updates.Late, in.Updates.Due)
	a := &in.Promises.PromiseStats
	a.KeptOnTime += agg.Promises.KeptOnTime
	a.KeptLate += agg.Promises.KeptLate
	a.OpenOverdue += agg.Promises.OpenOverdue
	a.Open += agg.Promises.Open
	a.Dropped += agg.Promises.Dropped
	p := in.Promises.PromiseStats
	in.Promises.KeptRatio = ratio(p.KeptOnTime, p.KeptOnTime+p.KeptLate+p.OpenOverdue+p.Dropped)
	if in.Ratings > 0 {
		in.RatingAverage = ratio(ratingSum, in.Ratings)
	}
	for _, m := range months {
		m.m.ColleaguesTold, m.m.CustomersTold = m.colleagues.done(), m.customers.done()
		if m.m.Ratings > 0 {
			m.m.RatingAverage = ratio(m.ratingSum, m.m.Ratings)
		}
		in.Months = append(in.Months, m.m)
	}
	for _, c := range Causes {
		if ci := causes[c]; ci != nil {
			in.Causes = append(in.Causes, *ci)
		}
	}
	for name, n := range components {
		in.Components = append(in.Components, ComponentCount{Component: name, Incidents: n})
	}
	slices.SortFunc(in.Components, func(a, b ComponentCount) int {
		if a.Incidents != b.Incidents {
			return b.Incidents - a.Incidents
		}
		return strings.Compare(a.Component, b.Component)
	})
	return in
}

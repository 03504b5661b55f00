package amends

import (
	"testing"
	"time"
)

func TestSeverityImpact(t *testing.T) {
	for _, tc := range []struct {
		sev   Severity
		want  Impact
		label string
	}{
		{1, ImpactMajor, "Major outage"},
		{2, ImpactPartial, "Partial outage"},
		{3, ImpactDegraded, "Degraded"},
		{4, ImpactMinor, "Minor issue"},
		{0, ImpactNone, "Operational"},
	} {
		if got := tc.sev.Impact(); got != tc.want || got.Label() != tc.label {
			t.Errorf("%v.Impact() = %q %q, want %q %q", tc.sev, got, got.Label(), tc.want, tc.label)
		}
	}
	for i, a := range Impacts {
		for j, b := range Impacts {
			want := a
			if j > i {
				want = b
			}
			if got := a.Worse(b); got != want {
				t.Errorf("%s.Worse(%s) = %s, want %s", a, b, got, want)
			}
		}
	}
}

func TestPublicStatus(t *testing.T) {
	for s, want := range map[Status]Status{Investigating: Investigating, Identified: Identified,
		Monitoring: Monitoring, Resolved: Resolved, Closed: Resolved} {
		if got := PublicStatus(s); got != want {
			t.Errorf("PublicStatus(%s) = %s, want %s", s, got, want)
		}
	}
	if got := Closed.PublicLabel(); got != "Resolved" {
		t.Errorf("Closed.PublicLabel() = %q", got)
	}
	if got := Monitoring.PublicLabel(); got != "Monitoring" {
		t.Errorf("Monitoring.PublicLabel() = %q", got)
	}
}

func TestNextUpdateDue(t *testing.T) {
	last := time.Date(2026, 11, 3, 14, 43, 0, 0, time.UTC)
	for _, tc := range []struct {
		sev      Severity
		status   Status
		last     time.Time
		due, rem string // "" for zero
	}{
		{1, Investigating, last, "15:13", "15:07"},
		{2, Identified, last, "15:43", "15:31"},
		{3, Monitoring, last, "18:43", "17:55"},
		{4, Investigating, last, "18:43", "17:55"},
		{1, Resolved, last, "", ""},
		{1, Closed, last, "", ""},
		{1, Investigating, time.Time{}, "", ""},
	} {
		inc := &Incident{Severity: tc.sev, Status: tc.status}
		format := func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.Format("15:04")
		}
		if got := format(NextUpdateDue(inc, tc.last)); got != tc.due {
			t.Errorf("SEV%d %s: due %q, want %q", tc.sev, tc.status, got, tc.due)
		}
		if got := format(CommsReminderAt(inc, tc.last)); got != tc.rem {
			t.Errorf("SEV%d %s: reminder %q, want %q", tc.sev, tc.status, got, tc.rem)
		}
		p := PublicIncident{Severity: tc.sev, Status: tc.status}
		if !tc.last.IsZero() {
			p.Updates = []PublicUpdate{{N: 1, At: tc.last.Add(-time.Hour), RecordedAt: tc.last.Add(-time.Hour)},
				{N: 2, At: tc.last.Add(-2 * time.Hour), RecordedAt: tc.last}}
		}
		if got := format(p.NextUpdateDue()); got != tc.due {
			t.Errorf("public SEV%d %s: due %q, want %q", tc.sev, tc.status, got, tc.due)
		}
		if !tc.last.IsZero() && !p.Started().Equal(tc.last.Add(-2*time.Hour)) {
			t.Errorf("started %v", p.Started())
		}
	}
}

func TestComponentStates(t *testing.T) {
	incs := []PublicIncident{
		{Ref: "INC-1", Severity: 3, Status: Identified, Components: []string{"email", "billing"}},
		{Ref: "INC-2", Severity: 1, Status: Investigating, Components: []string{"billing"}},
		{Ref: "INC-3", Severity: 1, Status: Resolved, Components: []string{"api", "email"}},
		{Ref: "INC-4", Severity: 2, Status: Monitoring},
	}
	got := ComponentStates(incs)
	want := []ComponentState{{"api", ImpactNone}, {"billing", ImpactMajor}, {"email", ImpactDegraded}}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("component %d = %v, want %v", i, got[i], want[i])
		}
	}
	if got := OverallImpact(incs); got != ImpactMajor {
		t.Errorf("overall %s", got)
	}
	if got := OverallImpact(incs[2:3]); got != ImpactNone {
		t.Errorf("overall of resolved only %s", got)
	}
	if got := ComponentStates(nil); len(got) != 0 {
		t.Errorf("no incidents: %v", got)
	}
}

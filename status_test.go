package amends_test

import (
	"testing"
	"time"

	"github.com/amends/amends"
)

func TestStatusCanBecome(t *testing.T) {
	// Every pair, written out: the lifecycle is the product's promise, so each edge is explicit.
	allowed := map[[2]amends.Status]bool{
		{amends.Investigating, amends.Identified}: true,
		{amends.Investigating, amends.Monitoring}: true,
		{amends.Investigating, amends.Resolved}:   true,
		{amends.Identified, amends.Investigating}: true,
		{amends.Identified, amends.Monitoring}:    true,
		{amends.Identified, amends.Resolved}:      true,
		{amends.Monitoring, amends.Investigating}: true,
		{amends.Monitoring, amends.Identified}:    true,
		{amends.Monitoring, amends.Resolved}:      true,
		{amends.Resolved, amends.Investigating}:   true,
		{amends.Resolved, amends.Closed}:          true,
	}
	all := append(append([]amends.Status{}, amends.Statuses...), "", "done")
	for _, from := range all {
		for _, to := range all {
			got := from.CanBecome(to)
			if want := allowed[[2]amends.Status{from, to}]; got != want {
				t.Errorf("%q.CanBecome(%q) = %v, want %v", from, to, got, want)
			}
			err := from.ValidateTransition(to)
			if (err == nil) != got && from.Valid() {
				t.Errorf("ValidateTransition(%q→%q) = %v, disagrees with CanBecome", from, to, err)
			}
			if err != nil {
				if e := amends.ErrorOf(err); e == nil || e.Field != "status" || e.Code != amends.EInvalid {
					t.Errorf("ValidateTransition(%q→%q) error %v must be invalid status", from, to, err)
				}
			}
		}
	}
}

func TestStatusOpen(t *testing.T) {
	for s, want := range map[amends.Status]bool{amends.Investigating: true, amends.Identified: true,
		amends.Monitoring: true, amends.Resolved: false, amends.Closed: false} {
		if s.Open() != want {
			t.Errorf("%s.Open() = %v", s, !want)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for in, want := range map[string]amends.Severity{"1": 1, "4": 4, "sev2": 2, "SEV3": 3} {
		got, err := amends.ParseSeverity(in)
		if err != nil || got != want {
			t.Errorf("ParseSeverity(%q) = %v, %v", in, got, err)
		}
	}
	for _, in := range []string{"0", "5", "", "high", "sev", "-1", "1.5"} {
		if _, err := amends.ParseSeverity(in); amends.ErrorCode(err) != amends.EInvalid {
			t.Errorf("ParseSeverity(%q) = %v, want invalid", in, err)
		}
	}
}

func TestParseRef(t *testing.T) {
	for in, want := range map[string]int64{"INC-1": 1, "inc-42": 42, "7": 7, " INC-3 ": 3} {
		if got, err := amends.ParseRef(in); err != nil || got != want {
			t.Errorf("ParseRef(%q) = %d, %v", in, got, err)
		}
	}
	for _, in := range []string{"", "INC-", "INC-0", "INC--1", "INC-x", "ABC-1", "INC-99999999999999999999"} {
		if _, err := amends.ParseRef(in); amends.ErrorCode(err) != amends.ENotFound {
			t.Errorf("ParseRef(%q) = %v, want not found", in, err)
		}
	}
	if got := amends.FormatRef(42); got != "INC-42" {
		t.Errorf("FormatRef(42) = %q", got)
	}
}

func TestRoles(t *testing.T) {
	cases := []struct {
		r, min amends.Role
		want   bool
	}{
		{amends.Admin, amends.Viewer, true}, {amends.Admin, amends.Responder, true}, {amends.Admin, amends.Admin, true},
		{amends.Responder, amends.Viewer, true}, {amends.Responder, amends.Responder, true}, {amends.Responder, amends.Admin, false},
		{amends.Viewer, amends.Viewer, true}, {amends.Viewer, amends.Responder, false}, {amends.Viewer, amends.Admin, false},
		{"", amends.Viewer, false}, {"root", amends.Viewer, false},
	}
	for _, c := range cases {
		if got := c.r.AtLeast(c.min); got != c.want {
			t.Errorf("%q.AtLeast(%q) = %v", c.r, c.min, got)
		}
	}
	if _, err := amends.ParseRole("owner"); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("ParseRole(owner) = %v", err)
	}
}

func TestLoopChecklist(t *testing.T) {
	now := time.Now()
	inc := &amends.Incident{}
	items := amends.LoopChecklist(inc, nil)
	if got := amends.MissingChecks(items); got != "the root cause is recorded; the impacted customers were told; the postmortem was shared" {
		t.Errorf("nothing done: %q", got)
	}
	inc.RootCauseAt, inc.CustomersToldAt = &now, &now
	items = amends.LoopChecklist(inc, []amends.Event{{Kind: amends.KindPostmortem}})
	if got := amends.MissingChecks(items); got != "" {
		t.Errorf("all done: %q", got)
	}
}

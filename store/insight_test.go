package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/bench/seed/insightseed"
	"github.com/amends/amends/store"
)

func addEvent(t *testing.T, s *store.Store, ref string, kind amends.EventKind, hhmm string, vis amends.Visibility) {
	t.Helper()
	if _, err := s.AddEvent(context.Background(), ref, amends.NewEvent{Kind: kind, Body: string(kind) + " at " + hhmm, At: at(hhmm), Visibility: vis}, responder); err != nil {
		t.Fatalf("%s %s: %v", kind, hhmm, err)
	}
}

func insights(t *testing.T, s *store.Store, f amends.InsightFilter) amends.Insights {
	t.Helper()
	in, err := s.Insights(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return in
}

func TestUpdatePromisesAreCountedAsTheyArePublished(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		clock.Set(*at("17:00"))
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Checkout down", Severity: 1, NoticedAt: at("14:00")}, responder)
		if err != nil {
			t.Fatal(err)
		}
		// SEV1 promises the next update within 30 minutes of the last.
		addEvent(t, s, inc.Ref, amends.KindNote, "14:10", amends.Public)   // the first: owed by the target, not by a promise
		addEvent(t, s, inc.Ref, amends.KindNote, "14:35", amends.Public)   // due 14:40: kept
		addEvent(t, s, inc.Ref, amends.KindNote, "15:20", amends.Public)   // due 15:05: late
		addEvent(t, s, inc.Ref, amends.KindNote, "15:30", amends.Internal) // internal: no promise involved
		resolved := amends.Resolved
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &resolved, At: at("15:45")}, responder); err != nil {
			t.Fatal(err) // due 15:50: the resolution keeps it
		}
		addEvent(t, s, inc.Ref, amends.KindNote, "16:00", amends.Public) // after resolution: nothing owed
		got := insights(t, s, amends.InsightFilter{}).Updates
		if got.Due != 3 || got.Late != 1 || got.KeptRatio == nil || *got.KeptRatio != 2.0/3 {
			t.Errorf("updates %+v (ratio %v), want 3 due, 1 late", got, got.KeptRatio)
		}
	})
}

func TestInsightsFiguresAndFilters(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		clock.Set(*at("18:00"))
		inc := setupPeople(t, s) // INC-1, SEV3, noticed 18:00, nothing else: pending everywhere
		octFirst := time.Date(2026, 10, 1, 9, 0, 0, 0, time.UTC)
		a, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Double invoices", Severity: 2, NoticedAt: at("10:00"), Components: []string{"Billing", "Email"}}, responder)
		b, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong reminder", Severity: 3, NoticedAt: at("11:00"), Components: []string{"Email"}}, responder)
		c, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Old one", Severity: 2, NoticedAt: &octFirst}, responder)
		team, cause, support := "billing", amends.CauseConfig, "support"
		for ref, u := range map[string]amends.IncidentUpdate{a.Ref: {Team: &team, Cause: &cause}, b.Ref: {Team: &support, Cause: &cause}} {
			if _, err := s.UpdateIncident(ctx, ref, u, responder); err != nil {
				t.Fatal(err)
			}
		}
		addEvent(t, s, a.Ref, amends.KindColleaguesTold, "10:10", amends.Internal)
		addEvent(t, s, a.Ref, amends.KindCustomersTold, "12:30", amends.Public)
		resolved := amends.Resolved
		if _, err := s.UpdateIncident(ctx, a.Ref, amends.IncidentUpdate{Status: &resolved, At: at("13:00")}, responder); err != nil {
			t.Fatal(err)
		}
		addEvent(t, s, b.Ref, amends.KindColleaguesTold, "11:30", amends.Internal)
		prevention, err := s.CreateActionItem(ctx, a.Ref, amends.NewActionItem{Title: "Test the segment", Kind: amends.ActionPrevention,
			Owner: "Ines", Due: clock.Now().Add(48 * time.Hour), Public: true}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.ActionItemDone(ctx, prevention.ID, responder); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateActionItem(ctx, b.Ref, amends.NewActionItem{Title: "Refund", Kind: amends.ActionFix, Owner: "Omar",
			Due: clock.Now().Add(time.Hour), Public: true}, responder); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateActionItem(ctx, c.Ref, amends.NewActionItem{Title: "Internal clean-up", Kind: amends.ActionProcess, Owner: "Omar",
			Due: clock.Now().Add(time.Hour), Public: false}, responder); err != nil {
			t.Fatal(err)
		}
		clock.Advance(2 * time.Hour) // 20:00: B's public promise is overdue

		got, err := s.Incident(ctx, a.Ref)
		if err != nil || got.Team != "billing" || got.Cause != amends.CauseConfig {
			t.Fatalf("incident %+v %v", got, err)
		}
		all := insights(t, s, amends.InsightFilter{})
		if all.Incidents != 4 || all.Open != 3 {
			t.Errorf("incidents %d open %d, want 4 and 3", all.Incidents, all.Open)
		}
		ct := all.ColleaguesTold
		// A 10 min (SEV2 target 15: within), B 30 min (SEV3 target 60: within); C never, past its
		// target: a miss; INC-1 never, 2 h after, past its 60 min: a miss.
		if ct.Count != 2 || ct.Median != 10*time.Minute || ct.P90 != 30*time.Minute || ct.Targets != 4 || ct.Within != 2 || ct.Pending != 2 {
			t.Errorf("colleagues told %+v", ct)
		}
		// A 2 h 30 against 2 h: a miss; C and B (9 h untold against 8 h) misses; INC-1 still inside 8 h.
		cu := all.CustomersTold
		if cu.Count != 1 || cu.Median != 150*time.Minute || cu.Targets != 3 || cu.Within != 0 || cu.Pending != 3 {
			t.Errorf("customers told %+v", cu)
		}
		if all.Resolved.Count != 1 || all.Resolved.Median != 3*time.Hour || all.Resolved.Pending != 3 || all.LoopClosed.Count != 0 {
			t.Errorf("resolved %+v loop %+v", all.Resolved, all.LoopClosed)
		}
		p := all.Promises
		if p.KeptOnTime != 1 || p.OpenOverdue != 1 || p.Open != 0 || p.KeptRatio == nil || *p.KeptRatio != 0.5 {
			t.Errorf("promises %+v", p)
		}
		if len(all.Causes) != 1 || all.Causes[0].Incidents != 2 || len(all.Causes[0].Repeats) != 1 ||
			all.Causes[0].Repeats[0] != (amends.Repeat{Ref: b.Ref, After: a.Ref}) || all.CausesUnset != 2 {
			t.Errorf("causes %+v unset %d", all.Causes, all.CausesUnset)
		}
		wantComp := []amends.ComponentCount{{Component: "Email", Incidents: 2}, {Component: "Billing", Incidents: 1}}
		if len(all.Components) != 2 || all.Components[0] != wantComp[0] || all.Components[1] != wantComp[1] {
			t.Errorf("components %+v", all.Components)
		}
		if len(all.Months) != 2 || all.Months[0].Month != "2026-10" || all.Months[1].Incidents != 3 {
			t.Errorf("months %+v", all.Months)
		}

		for _, tc := range []struct {
			name string
			f    amends.InsightFilter
			want int
		}{
			{"component", amends.InsightFilter{Component: "Email"}, 2},
			{"component none", amends.InsightFilter{Component: "Nope"}, 0},
			{"team", amends.InsightFilter{Team: "billing"}, 1},
			{"severity", amends.InsightFilter{Severity: 3}, 2},
			{"period", amends.InsightFilter{From: *at("00:00"), To: at("00:00").AddDate(0, 0, 1)}, 3},
			{"october", amends.InsightFilter{To: *at("00:00")}, 1},
			{"all at once", amends.InsightFilter{From: *at("00:00"), Severity: 3, Component: "Email", Team: "support"}, 1},
		} {
			if got := insights(t, s, tc.f); got.Incidents != tc.want {
				t.Errorf("%s: %d incidents, want %d", tc.name, got.Incidents, tc.want)
			}
		}
		if got := insights(t, s, amends.InsightFilter{Team: "support"}).Promises; got.OpenOverdue != 1 || got.KeptOnTime != 0 {
			t.Errorf("promises of team support %+v", got)
		}

		// Changing the components moves the incident between component filters.
		none := []string{"Billing"}
		if _, err := s.UpdateIncident(ctx, b.Ref, amends.IncidentUpdate{Components: &none}, responder); err != nil {
			t.Fatal(err)
		}
		if got := insights(t, s, amends.InsightFilter{Component: "Billing"}); got.Incidents != 2 {
			t.Errorf("after the change, %d incidents affect Billing, want 2", got.Incidents)
		}
		_ = inc
	})
}

func TestInsightsBadInputChangesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Typo", Severity: 4}, responder)
		if _, err := s.Insights(ctx, amends.InsightFilter{From: clock.Now(), To: clock.Now().Add(-time.Hour)}); code(err) != amends.EInvalid {
			t.Errorf("to before from: %v", err)
		}
		if _, err := s.Insights(ctx, amends.InsightFilter{Severity: 7}); code(err) != amends.EInvalid {
			t.Errorf("severity 7: %v", err)
		}
		bad := amends.Cause("gremlins")
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Cause: &bad}, responder); code(err) != amends.EInvalid || amends.ErrorOf(err).Field != "cause" {
			t.Errorf("unknown cause: %v", err)
		}
		long := strings.Repeat("t", amends.MaxName+1)
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Team: &long}, responder); code(err) != amends.EInvalid || amends.ErrorOf(err).Field != "team" {
			t.Errorf("long team: %v", err)
		}
		got, _ := s.Incident(ctx, inc.Ref)
		if got.Team != "" || got.Cause != "" || got.EventCount != inc.EventCount {
			t.Errorf("bad input changed the incident: %+v", got)
		}
		if _, err := s.Ledger(ctx, "Nobody"); code(err) != amends.ENotFound {
			t.Errorf("ledger of an unknown account: %v", err)
		}
		if _, err := s.Ledger(ctx, "  "); code(err) != amends.EInvalid {
			t.Errorf("ledger of no account: %v", err)
		}
	})
}

func TestLedgerOfAnAccount(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc := setupPeople(t, s)
		sentToCustomers(t, s, inc) // c000, c002 in Acme; c001, c003 in Globex
		if _, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Check every invoice run", Kind: amends.ActionPrevention,
			Owner: "Ines", Due: clock.Now().Add(24 * time.Hour), Public: true}, responder); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Internal only", Kind: amends.ActionFix,
			Owner: "Ines", Due: clock.Now().Add(24 * time.Hour)}, responder); err != nil {
			t.Fatal(err)
		}
		other, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Not about Acme", Severity: 4}, responder)
		_ = other
		resolve(t, s, inc.Ref)
		clock.Advance(24 * time.Hour)
		if err := s.ClockDue(ctx, inc.ID, "survey"); err != nil {
			t.Fatal(err)
		}
		tokens := surveyTokens(t, s, inc.Ref)
		if _, err := s.AnswerSurvey(ctx, tokens["c000@example.com"], amends.Answer{Rating: 4, Comment: "Fair."}); err != nil {
			t.Fatal(err)
		}
		clock.Advance(48 * time.Hour) // the promise is now overdue

		l, err := s.Ledger(ctx, "Acme")
		if err != nil {
			t.Fatal(err)
		}
		if l.Customers != 2 || len(l.Entries) != 1 || l.Entries[0].Ref != inc.Ref || l.Messages != 2 {
			t.Fatalf("ledger %+v", l)
		}
		e := l.Entries[0]
		if len(e.Promises) != 1 || e.Promises[0].Title != "Check every invoice run" || e.Promises[0].Standing != amends.StandingOverdue {
			t.Errorf("promises %+v", e.Promises)
		}
		if len(e.Feedback) != 2 || l.Ratings != 1 || l.RatingAverage == nil || *l.RatingAverage != 4 || l.Promises.OpenOverdue != 1 {
			t.Errorf("feedback %+v ratings %d", e.Feedback, l.Ratings)
		}
		for _, m := range e.Messages {
			if !strings.HasSuffix(m.To, "@example.com") || (m.To != "c000@example.com" && m.To != "c002@example.com") {
				t.Errorf("message to %s in Acme's ledger", m.To)
			}
		}
		accounts, err := s.Accounts(ctx)
		if err != nil || strings.Join(accounts, ",") != "Acme,Globex" {
			t.Errorf("accounts %v %v", accounts, err)
		}
		in := insights(t, s, amends.InsightFilter{})
		if in.Ratings != 1 || in.RatingAverage == nil || *in.RatingAverage != 4 {
			t.Errorf("insights ratings %d %v", in.Ratings, in.RatingAverage)
		}
	})
}

// TestInsightQueriesUseIndexes checks on SQLite that a filtered insight reads the period,
// component and action-item indexes, not whole tables.
func TestInsightQueriesUseIndexes(t *testing.T) {
	s, err := store.Open(context.Background(), amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	plans, err := s.InsightsQueryPlans(context.Background(), amends.InsightFilter{From: from, To: from.AddDate(0, 3, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if p := plans["incidents"]; !strings.Contains(p, "USING INDEX incidents_noticed") {
		t.Errorf("incidents plan does not read incidents_noticed:\n%s", p)
	}
	if p := plans["actions"]; !strings.Contains(p, "USING COVERING INDEX action_items_insight") {
		t.Errorf("actions plan does not read action_items_insight alone:\n%s", p)
	}
	for name, p := range plans { // no query reads a whole table
		for line := range strings.SplitSeq(p, "\n") {
			if strings.HasPrefix(strings.TrimSpace(line), "SCAN ") && !strings.Contains(line, "INDEX") {
				t.Errorf("%s plan reads a table whole:\n%s", name, p)
			}
		}
	}
	plans, err = s.InsightsQueryPlans(context.Background(), amends.InsightFilter{Component: "Billing"})
	if err != nil {
		t.Fatal(err)
	}
	if p := plans["incidents"]; !strings.Contains(p, "incident_components") || !strings.Contains(p, "INDEX") {
		t.Errorf("component filter does not read incident_components by index:\n%s", p)
	}
}

// TestInsightsMigrationBackfills builds a database at the schema before 0011 with incidents
// and timelines in it, then lets the store migrate it: the components table and the "next
// update by" counters are filled from what was there.
func TestInsightsMigrationBackfills(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			url := amendstest.DatabaseURL(t, engine)
			dialect, driver, dsn := store.SQLite, "sqlite", strings.TrimPrefix(url, "sqlite:")
			if engine == "postgres" {
				dialect, driver, dsn = store.Postgres, "pgx", url
			}
			db, err := sql.Open(driver, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			all, err := store.Migrations(dialect)
			if err != nil {
				t.Fatal(err)
			}
			exec := func(q string, args ...any) {
				t.Helper()
				if _, err := db.ExecContext(ctx, q, args...); err != nil {
					t.Fatalf("%.60s: %v", q, err)
				}
			}
			exec("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)")
			for _, m := range all {
				if m.Version >= 11 {
					break
				}
				exec(m.SQL)
				exec("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, 0)", m.Version, m.Name)
			}
			us := func(hhmm string) int64 { return at(hhmm).UnixMicro() }
			override := "" // PostgreSQL takes the ids given only when told to
			if engine == "postgres" {
				override = "OVERRIDING SYSTEM VALUE "
			}
			// INC-1, SEV1 (30 min cadence), resolved at 15:45: public updates at 14:10 (first),
			// 14:35 (kept), 15:20 (late), one public after resolution; the resolution keeps it.
			exec(`INSERT INTO incidents (id, number, title, severity, status, open_rank, components, noticed_at, created_at,
				updated_at, created_by, resolved_at) `+override+`VALUES (1, 1, 'One', 1, 'resolved', 1, '["Billing","Email"]', $1, $1, $1, 'ana', $2)`,
				us("14:00"), us("15:45"))
			// INC-2, SEV3, open, no components, one public update: nothing due.
			exec(`INSERT INTO incidents (id, number, title, severity, status, open_rank, noticed_at, created_at,
				updated_at, created_by) `+override+`VALUES (2, 2, 'Two', 3, 'investigating', 0, $1, $1, $1, 'ana')`, us("14:00"))
			for i, e := range []struct {
				incident int
				hhmm     string
				vis      string
			}{{1, "14:10", "public"}, {1, "14:35", "public"}, {1, "15:00", "internal"}, {1, "15:20", "public"}, {1, "16:00", "public"}, {2, "14:30", "public"}} {
				exec(`INSERT INTO events (incident_id, seq, kind, body, at, recorded_at, actor, visibility, prev_hash, hash)
					VALUES ($1, $2, 'note', 'x', $3, $3, 'ana', $4, '', $5)`, e.incident, i+1, us(e.hhmm), e.vis, fmt.Sprint(i))
			}
			if engine == "postgres" {
				exec("SELECT setval(pg_get_serial_sequence('incidents', 'id'), 2)")
			}
			db.Close()

			s, err := store.Open(ctx, url, "", store.Options{Files: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			in, err := s.Insights(ctx, amends.InsightFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if in.Updates.Due != 3 || in.Updates.Late != 1 {
				t.Errorf("backfilled updates %+v, want 3 due, 1 late", in.Updates)
			}
			if got, err := s.Insights(ctx, amends.InsightFilter{Component: "Email"}); err != nil || got.Incidents != 1 {
				t.Errorf("backfilled components: %d incidents affect Email (%v), want 1", got.Incidents, err)
			}
			if len(in.Components) != 2 {
				t.Errorf("components %+v", in.Components)
			}
		})
	}
}

// BenchmarkInsights times the insights over 100,000 incidents with 20 timeline events each
// (2 million) and 500,000 action items, seeded by bench/seed/insightseed, on both databases:
// over every incident and over the last three months. Its peer, reported as peer-ns/op and
// measured in the same run, is a bare count(*) of the incidents, action items and surveys the
// insights read. AMENDS_BENCH_INSIGHT_INCIDENTS seeds fewer (or more) for a quicker run.
func BenchmarkInsights(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("AMENDS_BENCH_INSIGHT_INCIDENTS")); err == nil && v > 0 {
		n = v
	}
	ctx := context.Background()
	for _, engine := range amendstest.Databases {
		b.Run(engine, func(b *testing.B) {
			st, err := store.Open(ctx, amendstest.DatabaseURL(b, engine), "", store.Options{Files: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer st.Close()
			now := time.Now()
			if err := insightseed.Seed(ctx, st, insightseed.Options{Incidents: n, EventsPerIncident: 20, ActionItems: 5 * n}, now, io.Discard); err != nil {
				b.Fatal(err)
			}
			for _, c := range []struct {
				name string
				f    amends.InsightFilter
			}{
				{"all", amends.InsightFilter{}},
				{"last-3-months", amends.InsightFilter{From: now.AddDate(0, -3, 0), To: now.Add(24 * time.Hour)}},
			} {
				b.Run(c.name, func(b *testing.B) {
					const peerRuns = 10
					t0 := time.Now()
					for range peerRuns {
						var x, y, z int64
						if err := st.DB().QueryRowContext(ctx, `SELECT (SELECT count(*) FROM incidents),
							(SELECT count(*) FROM action_items), (SELECT count(*) FROM surveys)`).Scan(&x, &y, &z); err != nil {
							b.Fatal(err)
						}
					}
					peer := time.Since(t0) / peerRuns
					for b.Loop() {
						if _, err := st.Insights(ctx, c.f); err != nil {
							b.Fatal(err)
						}
					}
					b.ReportMetric(float64(peer.Nanoseconds()), "peer-ns/op")
				})
			}
		})
	}
}

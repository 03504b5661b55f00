// Package insightseed fills a database for the insights benchmark (#7): incidents spread over
// two years, each with its timeline and action items, and a survey for one incident in three,
// written straight into the tables in multi-row statements (the insight queries read rows, not
// how they were written). bench/seed and the store's BenchmarkInsights use it.
package insightseed

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// Options says how much to seed.
type Options struct {
	Incidents         int
	EventsPerIncident int
	ActionItems       int
}

// rnd is a small deterministic generator, so every run seeds the same rows.
type rnd uint64

func (r *rnd) next(n int) int {
	*r = *r*6364136223846793005 + 1442695040888963407
	return int(uint64(*r>>33) % uint64(n))
}

// bulk inserts rows (each a parenthesised VALUES tuple) perStatement at a time.
func bulk(ctx context.Context, st *store.Store, head string, n int, row func(i int) string) error {
	const perStatement = 500
	for first := 0; first < n; first += perStatement {
		var q strings.Builder
		q.WriteString(head)
		for i := first; i < min(first+perStatement, n); i++ {
			if i > first {
				q.WriteString(",")
			}
			q.WriteString(row(i))
		}
		if _, err := st.DB().ExecContext(ctx, q.String()); err != nil {
			return fmt.Errorf("%s…: %w", head[:min(len(head), 40)], err)
		}
	}
	return nil
}

// Seed writes the rows o asks for, as if now were the present, reports its progress to log,
// and ends as a database at rest would be: analyzed, vacuumed (PostgreSQL) or checkpointed
// (SQLite).
func Seed(ctx context.Context, st *store.Store, o Options, now time.Time, log io.Writer) error {
	s := struct{ incidents, eventsPer, actionItems int }{o.Incidents, o.EventsPerIncident, o.ActionItems}
	start := time.Now()
	now = now.UTC()
	span := 2 * 365 * 24 * time.Hour
	us := func(t time.Time) int64 { return t.UnixMicro() }
	null := func(t *time.Time) string {
		if t == nil {
			return "NULL"
		}
		return fmt.Sprint(us(*t))
	}
	type fact struct {
		noticed                       time.Time
		colleagues, customers, rs, cl *time.Time
	}
	facts := make([]fact, s.incidents)
	r := rnd(7)
	teams := []string{"payments", "billing", "messaging", "accounts", "platform", "data", "support", "growth"}
	var incComponents [][]string
	err := bulk(ctx, st, `INSERT INTO incidents (number, title, summary, severity, status, open_rank, owner, components,
		noticed_at, created_at, updated_at, created_by, colleagues_told_at, customers_told_at, resolved_at, closed_at,
		team, cause, updates_due, updates_late) VALUES `, s.incidents, func(i int) string {
		noticed := now.Add(-span + time.Duration(i)*(span/time.Duration(s.incidents)))
		f := fact{noticed: noticed}
		at := func(lo, hi time.Duration) *time.Time {
			t := noticed.Add(lo + time.Duration(r.next(int((hi-lo)/time.Second)))*time.Second)
			return &t
		}
		if r.next(100) < 98 {
			f.colleagues = at(2*time.Minute, time.Hour)
		}
		if r.next(100) < 90 {
			f.customers = at(10*time.Minute, 10*time.Hour)
		}
		status, rank := "closed", 1
		switch v := r.next(100); {
		case v < 2 || noticed.After(now.Add(-48*time.Hour)):
			status, rank = "investigating", 0
		case v < 30:
			status = "resolved"
			f.rs = at(time.Hour, 48*time.Hour)
		default:
			f.rs = at(time.Hour, 48*time.Hour)
			t := f.rs.Add(time.Duration(1+r.next(72)) * time.Hour)
			f.cl = &t
		}
		facts[i] = f
		comps := []string{fmt.Sprintf("Component %d", r.next(20))}
		if c := fmt.Sprintf("Component %d", r.next(20)); r.next(2) == 0 && c != comps[0] {
			comps = append(comps, c)
		}
		incComponents = append(incComponents, comps)
		cause := ""
		if r.next(10) > 0 {
			cause = string(amends.Causes[r.next(len(amends.Causes))])
		}
		due := r.next(6)
		late := 0
		if due > 0 {
			late = r.next(due + 1)
		}
		created := us(noticed)
		return fmt.Sprintf("(%d, 'Seeded incident %d', '', %d, '%s', %d, 'bench', '[\"%s\"]', %d, %d, %d, 'bench', %s, %s, %s, %s, '%s', '%s', %d, %d)",
			3000000+i, i, r.next(4)+1, status, rank, strings.Join(comps, `","`), created, created, created,
			null(f.colleagues), null(f.customers), null(f.rs), null(f.cl), teams[r.next(len(teams))], cause, due, late)
	})
	if err != nil {
		return err
	}
	rows, err := st.DB().QueryContext(ctx, "SELECT id FROM incidents WHERE number >= 3000000 ORDER BY number")
	if err != nil {
		return err
	}
	ids := make([]int64, 0, s.incidents)
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
	}
	rows.Close()
	if len(ids) != s.incidents {
		return fmt.Errorf("seeded %d incidents, found %d", s.incidents, len(ids))
	}
	var pairs [][2]int
	for i, cs := range incComponents {
		for j := range cs {
			pairs = append(pairs, [2]int{i, j})
		}
	}
	if err := bulk(ctx, st, "INSERT INTO incident_components (incident_id, component) VALUES ", len(pairs), func(k int) string {
		p := pairs[k]
		return fmt.Sprintf("(%d, '%s')", ids[p[0]], incComponents[p[0]][p[1]])
	}); err != nil {
		return err
	}
	fmt.Fprintf(log, "seeded %d incidents in %s\n", s.incidents, time.Since(start).Round(time.Millisecond))

	t0 := time.Now()
	kinds := []string{"note", "note", "note", "colleagues_told", "root_cause", "mitigated", "customers_told", "status"}
	if err := bulk(ctx, st, `INSERT INTO events (incident_id, seq, kind, body, at, recorded_at, actor, visibility, prev_hash, hash) VALUES `,
		s.incidents*s.eventsPer, func(k int) string {
			i, seq := k/s.eventsPer, k%s.eventsPer+1
			at := us(facts[i].noticed) + int64(seq)*60_000_000
			vis := "internal"
			if seq%4 == 0 {
				vis = "public"
			}
			return fmt.Sprintf("(%d, %d, '%s', 'Seeded update %d of incident %d.', %d, %d, 'bench', '%s', 'p%d-%d', 'h%d-%d')",
				ids[i], seq, kinds[seq%len(kinds)], seq, i, at, at, vis, i, seq-1, i, seq)
		}); err != nil {
		return err
	}
	fmt.Fprintf(log, "seeded %d events in %s\n", s.incidents*s.eventsPer, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	actionKinds := []string{"fix", "prevention", "process", "communication"}
	if err := bulk(ctx, st, `INSERT INTO action_items (incident_id, title, kind, owner, due_at, state, drop_reason, public,
		created_by, created_at, updated_at, done_at) VALUES `, s.actionItems, func(k int) string {
		i := k % s.incidents
		due := facts[i].noticed.Add(time.Duration(3+r.next(30)) * 24 * time.Hour)
		state, done, reason := "open", "NULL", ""
		switch v := r.next(100); {
		case v < 65 && due.Before(now):
			state, done = "done", fmt.Sprint(us(due.Add(time.Duration(r.next(10)-7)*24*time.Hour)))
		case v < 70:
			state, reason = "dropped", "Superseded by a better fix."
		}
		return fmt.Sprintf("(%d, 'Seeded action %d', '%s', 'bench', %d, '%s', '%s', %d, 'bench', %d, %d, %s)",
			ids[i], k, actionKinds[r.next(len(actionKinds))], us(due), state, reason, r.next(10)/4%2, us(facts[i].noticed), us(facts[i].noticed), done)
	}); err != nil {
		return err
	}
	fmt.Fprintf(log, "seeded %d action items in %s\n", s.actionItems, time.Since(t0).Round(time.Millisecond))

	t0 = time.Now()
	surveys := s.incidents / 3
	if err := bulk(ctx, st, `INSERT INTO surveys (incident_id, email, name, account, token_hash, created_at, expires_at,
		answered_at, rating, comment) VALUES `, surveys, func(k int) string {
		i := k * 3
		asked := us(facts[i].noticed) + 86_400_000_000
		answered, rating := "NULL", "NULL"
		if r.next(2) == 0 {
			answered, rating = fmt.Sprint(asked+3_600_000_000), fmt.Sprint(1+r.next(5))
		}
		return fmt.Sprintf("(%d, 'c%d@example.com', '', 'acct-%d', 'seed-%d', %d, %d, %s, %s, '')",
			ids[i], k, k%500, k, asked, asked+14*86_400_000_000, answered, rating)
	}); err != nil {
		return err
	}
	fmt.Fprintf(log, "seeded %d surveys in %s\n", surveys, time.Since(t0).Round(time.Millisecond))

	analyze := "ANALYZE"
	if st.Dialect() == store.Postgres {
		// What autovacuum does to a table at rest: hint bits and the visibility map are set,
		// so the first reads do not pay for writing them.
		analyze = "VACUUM ANALYZE"
	}
	if _, err := st.DB().ExecContext(ctx, analyze); err != nil {
		return err
	}
	if st.Dialect() == store.SQLite {
		// Fold the write-ahead log into the database, as a database at rest is: reads then do
		// not look each page up in a log of a million bulk-inserted rows.
		_, err = st.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	}
	return err
}

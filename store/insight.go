package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/amends/amends"
)

// writeComponents makes incident id's rows in incident_components the list cs, so component
// filters read an index instead of every incident's JSON list.
func (s *Store) writeComponents(ctx context.Context, tx *Tx, id int64, cs []string) error {
	if _, err := tx.ExecContext(ctx, "DELETE FROM incident_components WHERE incident_id = $1", id); err != nil {
		return fmt.Errorf("components of incident %d: %w", id, err)
	}
	if len(cs) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO incident_components (incident_id, component) VALUES ")
	args := make([]any, 0, 2*len(cs))
	for i, c := range cs {
		if i > 0 {
			q.WriteString(", ")
		}
		fmt.Fprintf(&q, "($%d, $%d)", 2*i+1, 2*i+2)
		args = append(args, id, c)
	}
	if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("components of incident %d: %w", id, err)
	}
	return nil
}

// countUpdate counts a public update (or the resolution) of inc at at against the "next update
// by" promise of the incident's latest public event: one more due, and one more late when it
// came after that promise. Without an earlier public event there is no promise to keep (the
// first update is owed by the time-to-own target instead).
func (s *Store) countUpdate(ctx context.Context, tx *Tx, inc *amends.Incident, at time.Time) error {
	var prev int64
	err := tx.QueryRowContext(ctx, `SELECT at FROM events WHERE incident_id = $1 AND visibility = 'public'
		ORDER BY at DESC, seq DESC LIMIT 1`, inc.ID).Scan(&prev)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	} else if err != nil {
		return fmt.Errorf("last public update: %w", err)
	}
	late := 0
	if amends.UpdateLate(inc.Severity, fromMicros(prev), at) {
		late = 1
	}
	if _, err := tx.ExecContext(ctx, "UPDATE incidents SET updates_due = updates_due + 1, updates_late = updates_late + $1 WHERE id = $2",
		late, inc.ID); err != nil {
		return fmt.Errorf("count update: %w", err)
	}
	return nil
}

// insightWhere is the condition on incidents i that filter f selects ("" for every incident),
// with its arguments numbered from $1.
func insightWhere(f amends.InsightFilter) (string, []any) {
	var conds []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		conds = append(conds, strings.ReplaceAll(cond, "$?", "$"+strconv.Itoa(len(args))))
	}
	if !f.From.IsZero() {
		add("i.noticed_at >= $?", micros(f.From))
	}
	if !f.To.IsZero() {
		add("i.noticed_at < $?", micros(f.To))
	}
	if f.Severity != 0 {
		add("i.severity = $?", int(f.Severity))
	}
	if f.Team != "" {
		add("i.team = $?", f.Team)
	}
	if f.Component != "" {
		add("i.id IN (SELECT incident_id FROM incident_components WHERE component = $?)", f.Component)
	}
	return strings.Join(conds, " AND "), args
}

// insightQuery is one of the queries that gather insights, with its arguments.
type insightQuery struct {
	name, sql string
	args      []any
}

// insightQueries are the queries that gather the insights of the incidents f selects: the
// incidents' own columns; their public action items counted by standing at now; the incidents
// that have a prevention; their answered surveys summed per incident; and their components
// counted. The later ones join incidents only when there is a filter, so the unfiltered
// insights read each table once, by index, and none reads a timeline.
func insightQueries(f amends.InsightFilter, now time.Time) []insightQuery {
	where, args := insightWhere(f)
	join := func(alias string) string {
		if where == "" {
			return ""
		}
		return " JOIN incidents i ON i.id = " + alias + ".incident_id AND " + where
	}
	nowArg := "$" + strconv.Itoa(len(args)+1)
	incidents := `SELECT i.id, i.number, i.severity, i.open_rank, i.cause, i.noticed_at, i.colleagues_told_at,
		i.customers_told_at, i.resolved_at, i.closed_at, i.updates_due, i.updates_late FROM incidents i`
	if where != "" {
		incidents += " WHERE " + where
	}
	return []insightQuery{
		{"incidents", incidents, args},
		{"actions", `SELECT
			COALESCE(SUM(CASE WHEN a.state = 'done' AND a.done_at <= a.due_at THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.state = 'done' AND a.done_at > a.due_at THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.state = 'open' AND a.due_at < ` + nowArg + ` THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.state = 'open' AND a.due_at >= ` + nowArg + ` THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN a.state = 'dropped' THEN 1 ELSE 0 END), 0)
			FROM action_items a` + join("a") + ` WHERE a.public = 1`, append(slices.Clone(args), micros(now))},
		{"preventions", `SELECT DISTINCT a.incident_id FROM action_items a` + join("a") + ` WHERE a.kind = 'prevention'`, args},
		{"feedback", `SELECT s.incident_id, SUM(s.rating), COUNT(s.rating) FROM surveys s` + join("s") +
			` WHERE s.answered_at IS NOT NULL GROUP BY s.incident_id`, args},
		{"components", `SELECT c.component, COUNT(*) FROM incident_components c` + join("c") + ` GROUP BY c.component`, args},
	}
}

// Insights computes the figures of trust over the incidents f selects, at the store's clock.
func (s *Store) Insights(ctx context.Context, f amends.InsightFilter) (amends.Insights, error) {
	if err := f.Validate(); err != nil {
		return amends.Insights{}, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	targets, err := s.Targets(ctx)
	if err != nil {
		return amends.Insights{}, err
	}
	facts, agg, err := s.insightFacts(ctx, f, now)
	if err != nil {
		return amends.Insights{}, err
	}
	return amends.ComputeInsights(facts, agg, f, targets, now, s.loc), nil
}

// insightFacts runs the insight queries side by side (each on its own connection: they only
// read) and puts their answers together.
func (s *Store) insightFacts(ctx context.Context, f amends.InsightFilter, now time.Time) ([]amends.IncidentFacts, amends.Aggregates, error) {
	queries := insightQueries(f, now)
	var (
		facts       []amends.IncidentFacts
		index       map[int64]int
		agg         = amends.Aggregates{Components: map[string]int{}}
		preventions []int64
		ratings     = map[int64][2]int{}
	)
	readers := map[string]func(*sql.Rows) error{
		"incidents": func(rows *sql.Rows) error {
			index = make(map[int64]int, 1024)
			facts = make([]amends.IncidentFacts, 0, 1024)
			at := func(v sql.NullInt64) time.Time {
				if !v.Valid {
					return time.Time{}
				}
				return fromMicros(v.Int64)
			}
			for rows.Next() {
				var (
					x                                amends.IncidentFacts
					id, number, noticed              int64
					rank                             int
					cause                            string
					colleagues, customers, rs, close sql.NullInt64
				)
				if err := rows.Scan(&id, &number, &x.Severity, &rank, &cause, &noticed,
					&colleagues, &customers, &rs, &close, &x.UpdatesDue, &x.UpdatesLate); err != nil {
					return err
				}
				x.Ref, x.Open, x.Cause, x.Noticed = amends.FormatRef(number), rank == 0, amends.Cause(cause), fromMicros(noticed)
				x.ColleaguesTold, x.CustomersTold, x.Resolved, x.Closed = at(colleagues), at(customers), at(rs), at(close)
				index[id] = len(facts)
				facts = append(facts, x)
			}
			return nil
		},
		"actions": func(rows *sql.Rows) error {
			p := &agg.Promises
			for rows.Next() {
				if err := rows.Scan(&p.KeptOnTime, &p.KeptLate, &p.OpenOverdue, &p.Open, &p.Dropped); err != nil {
					return err
				}
			}
			return nil
		},
		"preventions": func(rows *sql.Rows) error {
			for rows.Next() {
				var id int64
				if err := rows.Scan(&id); err != nil {
					return err
				}
				preventions = append(preventions, id)
			}
			return nil
		},
		"feedback": func(rows *sql.Rows) error {
			for rows.Next() {
				var id int64
				var sum sql.NullInt64
				var n int
				if err := rows.Scan(&id, &sum, &n); err != nil {
					return err
				}
				ratings[id] = [2]int{int(sum.Int64), n}
			}
			return nil
		},
		"components": func(rows *sql.Rows) error {
			for rows.Next() {
				var c string
				var n int
				if err := rows.Scan(&c, &n); err != nil {
					return err
				}
				agg.Components[c] = n
			}
			return nil
		},
	}
	errs := make([]error, len(queries))
	var wg sync.WaitGroup
	for i, q := range queries {
		wg.Go(func() {
			rows, err := s.db.QueryContext(ctx, q.sql, q.args...)
			if err != nil {
				errs[i] = fmt.Errorf("insight query %s: %w", q.name, translate(err))
				return
			}
			defer rows.Close()
			if err := readers[q.name](rows); err != nil {
				errs[i] = fmt.Errorf("insight query %s: %w", q.name, err)
				return
			}
			if err := rows.Err(); err != nil {
				errs[i] = fmt.Errorf("insight query %s: %w", q.name, translate(err))
			}
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, agg, err
	}
	for _, id := range preventions {
		if i, ok := index[id]; ok {
			facts[i].Preventions = 1
		}
	}
	for id, r := range ratings {
		if i, ok := index[id]; ok {
			facts[i].RatingSum, facts[i].Ratings = r[0], r[1]
		}
	}
	return facts, agg, nil
}

// InsightsQueryPlans returns the database's plan of each insight query for filter f, by name
// (incidents, actions, preventions, feedback, components), so tests and benchmarks can show
// which indexes they read.
func (s *Store) InsightsQueryPlans(ctx context.Context, f amends.InsightFilter) (map[string]string, error) {
	out := map[string]string{}
	for _, q := range insightQueries(f, s.now()) {
		plan, err := s.queryPlan(ctx, q.sql, q.args...)
		if err != nil {
			return nil, fmt.Errorf("plan of %s: %w", q.name, err)
		}
		out[q.name] = plan
	}
	return out, nil
}

// Accounts lists the distinct customer accounts, in order, for navigation to their ledgers.
func (s *Store) Accounts(ctx context.Context) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT DISTINCT account FROM customers WHERE account <> '' ORDER BY account")
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, translate(rows.Err())
}

// maxLedgerIncidents bounds how many incidents one ledger lists (the newest).
const maxLedgerIncidents = 500

// Ledger returns the trust ledger of a customer account: the incidents whose customer messages
// went to the account's customers or whose surveys asked them, newest first, each with the
// messages they received, the public promises made about it and how each stands now, and
// their feedback. An account with no customers and no surveys is ENotFound.
func (s *Store) Ledger(ctx context.Context, account string) (*amends.Ledger, error) {
	account = strings.TrimSpace(account)
	if account == "" {
		return nil, amends.Errorf(amends.EInvalid, "account", "is required")
	}
	now := s.now()
	l := &amends.Ledger{Account: account, Entries: []amends.LedgerEntry{}}
	if err := s.db.QueryRowContext(ctx, "SELECT count(*) FROM customers WHERE account = $1", account).Scan(&l.Customers); err != nil {
		return nil, translate(err)
	}
	messages := map[int64][]amends.LedgerMessage{}
	rows, err := s.db.QueryContext(ctx, `SELECT d.incident_id, d.message_id, m.kind, d.subject, d.address, d.state,
		d.created_at, d.delivered_at FROM deliveries d JOIN messages m ON m.id = d.message_id
		WHERE d.message_id IS NOT NULL AND d.address IN (SELECT email FROM customers WHERE account = $1)
		ORDER BY d.id`, account)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var m amends.LedgerMessage
		var incident, created int64
		var delivered sql.NullInt64
		if err := rows.Scan(&incident, &m.MessageID, &m.Kind, &m.Subject, &m.To, &m.State, &created, &delivered); err != nil {
			return nil, err
		}
		m.SentAt, m.DeliveredAt = fromMicros(created), fromNullMicros(delivered)
		messages[incident] = append(messages[incident], m)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	rows.Close()
	feedback := map[int64][]amends.LedgerFeedback{}
	rows, err = s.db.QueryContext(ctx, `SELECT incident_id, email, name, created_at, answered_at, rating, comment
		FROM surveys WHERE account = $1 ORDER BY id`, account)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		var f amends.LedgerFeedback
		var incident, created int64
		var answered, rating sql.NullInt64
		if err := rows.Scan(&incident, &f.Email, &f.Name, &created, &answered, &rating, &f.Comment); err != nil {
			return nil, err
		}
		f.AskedAt, f.AnsweredAt = fromMicros(created), fromNullMicros(answered)
		if rating.Valid {
			r := int(rating.Int64)
			f.Rating = &r
		}
		feedback[incident] = append(feedback[incident], f)
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	rows.Close()
	if l.Customers == 0 && len(messages) == 0 && len(feedback) == 0 {
		return nil, amends.Errorf(amends.ENotFound, "account", "no customer or survey of account %q", account)
	}
	var ids []int64
	for id := range messages {
		ids = append(ids, id)
	}
	for id := range feedback {
		if _, ok := messages[id]; !ok {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		l.Tally()
		return l, nil
	}
	slices.Sort(ids)
	if len(ids) > maxLedgerIncidents {
		ids = ids[len(ids)-maxLedgerIncidents:]
	}
	in := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		in[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	list := strings.Join(in, ", ")
	entries := map[int64]*amends.LedgerEntry{}
	rows, err = s.db.QueryContext(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE id IN ("+list+")", args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, err
		}
		entries[inc.ID] = &amends.LedgerEntry{Ref: inc.Ref, Title: inc.Title, Severity: inc.Severity, Status: inc.Status,
			NoticedAt: inc.NoticedAt, CustomersToldAt: inc.CustomersToldAt, ResolvedAt: inc.ResolvedAt,
			Messages: orEmpty(messages[inc.ID]), Feedback: orEmpty(feedback[inc.ID]), Promises: []amends.LedgerPromise{}}
	}
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	rows.Close()
	items, err := s.actionItems(ctx, s.db, "a.public = 1 AND a.incident_id IN ("+list+") ORDER BY a.due_at, a.id", args...)
	if err != nil {
		return nil, err
	}
	for _, a := range items {
		if e := entries[a.IncidentID]; e != nil {
			e.Promises = append(e.Promises, amends.LedgerPromise{ID: a.ID, Title: a.Title, DueDate: a.DueDate, Due: a.Due,
				State: a.State, DoneAt: a.DoneAt, Standing: a.Standing(now)})
		}
	}
	for _, e := range entries {
		l.Entries = append(l.Entries, *e)
	}
	slices.SortFunc(l.Entries, func(a, b amends.LedgerEntry) int { return b.NoticedAt.Compare(a.NoticedAt) })
	l.Tally()
	return l, nil
}

func orEmpty[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

const incidentColumns = `id, number, title, summary, severity, status, owner, lead, comms, components,
	noticed_at, created_at, updated_at, created_by, colleagues_told_at, customers_told_at,
	root_cause_at, mitigated_at, resolved_at, closed_at, event_count, head_hash, team, cause`

type scanner interface{ Scan(dest ...any) error }

func scanIncident(row scanner) (*amends.Incident, error) {
	var (
		inc                                  amends.Incident
		number, noticed, created, updated    int64
		components, status, cause            string
		colleagues, customers, root, mit, rs sql.NullInt64
		closed                               sql.NullInt64
	)
	err := row.Scan(&inc.ID, &number, &inc.Title, &inc.Summary, &inc.Severity, &status, &inc.Owner,
		&inc.Lead, &inc.Comms, &components, &noticed, &created, &updated, &inc.CreatedBy,
		&colleagues, &customers, &root, &mit, &rs, &closed, &inc.EventCount, &inc.HeadHash, &inc.Team, &cause)
	if err != nil {
		return nil, err
	}
	inc.Ref = amends.FormatRef(number)
	inc.Status, inc.Cause = amends.Status(status), amends.Cause(cause)
	if err := json.Unmarshal([]byte(components), &inc.Components); err != nil {
		return nil, fmt.Errorf("incident %s components: %w", inc.Ref, err)
	}
	if inc.Components == nil {
		inc.Components = []string{}
	}
	inc.NoticedAt, inc.CreatedAt, inc.UpdatedAt = fromMicros(noticed), fromMicros(created), fromMicros(updated)
	inc.ColleaguesToldAt, inc.CustomersToldAt = fromNullMicros(colleagues), fromNullMicros(customers)
	inc.RootCauseAt, inc.MitigatedAt = fromNullMicros(root), fromNullMicros(mit)
	inc.ResolvedAt, inc.ClosedAt = fromNullMicros(rs), fromNullMicros(closed)
	return &inc, nil
}

func openRank(s amends.Status) int {
	if s.Open() {
		return 0
	}
	return 1
}

func componentsJSON(cs []string) string {
	if cs == nil {
		cs = []string{}
	}
	b, _ := json.Marshal(cs)
	return string(b)
}

// CreateIncident declares an incident: it takes the next reference, stores the incident as
// investigating, records "noticed" on its timeline at NoticedAt (now when not given), and
// sends the brief to every group that hears this severity; all in one transaction.
func (s *Store) CreateIncident(ctx context.Context, n amends.NewIncident, actor amends.Actor) (*amends.Incident, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	n.Normalize()
	if err := n.Validate(now); err != nil {
		return nil, err
	}
	var inc *amends.Incident
	err := s.inTx(ctx, func(tx *Tx) error {
		var err error
		inc, err = s.createIncident(ctx, tx, n, actor, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.Incident(ctx, inc.Ref)
}

// createIncident does CreateIncident's work in tx; n is normalized and valid.
func (s *Store) createIncident(ctx context.Context, tx *Tx, n amends.NewIncident, actor amends.Actor, now time.Time) (*amends.Incident, error) {
	noticed := now
	if n.NoticedAt != nil {
		noticed = n.NoticedAt.UTC().Truncate(time.Microsecond)
	}
	var number int64
	if err := tx.QueryRowContext(ctx,
		"UPDATE counters SET value = value + 1 WHERE name = 'incident' RETURNING value").Scan(&number); err != nil {
		return nil, fmt.Errorf("next incident number: %w", err)
	}
	owner := n.Owner
	if owner == "" {
		owner = actor.Name
	}
	row := tx.QueryRowContext(ctx, `INSERT INTO incidents (number, title, summary, severity, status, open_rank,
		owner, components, noticed_at, created_at, updated_at, created_by)
		VALUES ($1, $2, $3, $4, $5, 0, $6, $7, $8, $9, $9, $10) RETURNING `+incidentColumns,
		number, n.Title, n.Summary, int(n.Severity), string(amends.Investigating), owner,
		componentsJSON(n.Components), micros(noticed), micros(now), actor.Name)
	inc, err := scanIncident(row)
	if err != nil {
		return nil, fmt.Errorf("insert incident: %w", err)
	}
	if err := s.writeComponents(ctx, tx, inc.ID, inc.Components); err != nil {
		return nil, err
	}
	body := n.Title
	if n.Summary != "" {
		body += "\n\n" + n.Summary
	}
	if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNoticed, Body: body,
		At: noticed, Actor: actor.Name, Visibility: amends.Internal}, now); err != nil {
		return nil, err
	}
	if err := s.notify(ctx, tx, inc, amends.EventDeclared, now); err != nil {
		return nil, err
	}
	return inc, s.audit(ctx, tx, now, actor, "incident.declare", inc.Ref, fmt.Sprintf("severity %d: %s", n.Severity, n.Title))
}

// Incident returns the incident with reference ref, or ENotFound.
func (s *Store) Incident(ctx context.Context, ref string) (*amends.Incident, error) {
	return s.incident(ctx, s.db, ref, false)
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// incident reads one incident; lock holds its row until the transaction ends, so concurrent
// appends to one timeline take their turns (SQLite's immediate transactions already do).
func (s *Store) incident(ctx context.Context, q querier, ref string, lock bool) (*amends.Incident, error) {
	n, err := amends.ParseRef(ref)
	if err != nil {
		return nil, err
	}
	query := "SELECT " + incidentColumns + " FROM incidents WHERE number = $1"
	if lock && s.dialect == Postgres {
		query += " FOR UPDATE"
	}
	inc, err := scanIncident(q.QueryRowContext(ctx, query, n))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.ENotFound, "ref", "no incident %s", amends.FormatRef(n))
	}
	return inc, translate(err)
}

// IncidentPage is one page of incidents and the cursor of the next ("" on the last page).
type IncidentPage struct {
	Incidents []*amends.Incident `json:"incidents"`
	Next      string             `json:"next"`
}

// Incidents lists incidents, open ones first, then newest first, a page at a time. Each page is
// at most two index range scans — open incidents from the cursor down, then closed ones — on
// (open_rank, number) or (status, number) or (severity, open_rank, number), so a deep page costs
// what the first one does, however many incidents there are.
func (s *Store) Incidents(ctx context.Context, f amends.IncidentFilter) (IncidentPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	var base []string
	var baseArgs []any
	if f.Status != "" {
		if !f.Status.Valid() {
			return IncidentPage{}, amends.Errorf(amends.EInvalid, "status", "unknown status %q", string(f.Status))
		}
		base = append(base, "status = $%d")
		baseArgs = append(baseArgs, string(f.Status))
	}
	if f.Severity != 0 {
		if err := f.Severity.Validate(); err != nil {
			return IncidentPage{}, err
		}
		base = append(base, "severity = $%d")
		baseArgs = append(baseArgs, int(f.Severity))
	}
	rank, after := 0, int64(-1)
	if f.After != "" {
		var err error
		if rank, after, err = parseCursor(f.After); err != nil {
			return IncidentPage{}, err
		}
	}
	page := IncidentPage{Incidents: []*amends.Incident{}}
	for ; rank <= 1 && len(page.Incidents) <= limit; rank, after = rank+1, -1 {
		if rank == 1 && f.OpenOnly {
			break
		}
		if f.Status != "" && openRank(f.Status) != rank {
			continue
		}
		conds := append([]string{}, base...)
		args := append([]any{}, baseArgs...)
		conds = append(conds, "open_rank = $%d")
		args = append(args, rank)
		if after >= 0 {
			conds = append(conds, "number < $%d")
			args = append(args, after)
		}
		for i := range conds {
			conds[i] = fmt.Sprintf(conds[i], i+1)
		}
		args = append(args, limit+1-len(page.Incidents))
		q := "SELECT " + incidentColumns + " FROM incidents WHERE " + strings.Join(conds, " AND ") +
			" ORDER BY number DESC LIMIT $" + strconv.Itoa(len(args))
		if err := s.appendIncidents(ctx, &page, q, args); err != nil {
			return IncidentPage{}, err
		}
	}
	if len(page.Incidents) > limit {
		last := page.Incidents[limit-1]
		n, _ := amends.ParseRef(last.Ref)
		page.Next = fmt.Sprintf("%d.%d", openRank(last.Status), n)
		page.Incidents = page.Incidents[:limit]
	}
	return page, nil
}

// IncidentsQueryPlan returns the database's plan for the first page of the incident list, so
// benchmarks can show that it reads an index, not the table.
func (s *Store) IncidentsQueryPlan(ctx context.Context) (string, error) {
	return s.queryPlan(ctx, "SELECT "+incidentColumns+" FROM incidents WHERE open_rank = 1 AND number < 50000 ORDER BY number DESC LIMIT 51")
}

func (s *Store) appendIncidents(ctx context.Context, page *IncidentPage, q string, args []any) error {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return err
		}
		page.Incidents = append(page.Incidents, inc)
	}
	return translate(rows.Err())
}

func parseCursor(c string) (int, int64, error) {
	a, b, ok := strings.Cut(c, ".")
	rank, err1 := strconv.Atoi(a)
	num, err2 := strconv.ParseInt(b, 10, 64)
	if !ok || err1 != nil || err2 != nil || rank < 0 || rank > 1 {
		return 0, 0, amends.Errorf(amends.EInvalid, "after", "is not a cursor this server gave out")
	}
	return rank, num, nil
}

// UpdateIncident changes an incident's fields. Every changed field is recorded on the timeline
// as its own event, and the audit log says who did it; all in one transaction.
func (s *Store) UpdateIncident(ctx context.Context, ref string, u amends.IncidentUpdate, actor amends.Actor) (*amends.Incident, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	u.Normalize()
	var inc *amends.Incident
	err := s.inTx(ctx, func(tx *Tx) error {
		var err error
		if inc, err = s.incident(ctx, tx, ref, true); err != nil {
			return err
		}
		if err := u.Validate(inc, now); err != nil {
			return err
		}
		if u.Status != nil && *u.Status == amends.Closed {
			events, err := s.events(ctx, tx, inc.ID, false)
			if err != nil {
				return err
			}
			items, err := s.closingChecklist(ctx, tx, inc, events)
			if err != nil {
				return err
			}
			if missing := amends.MissingChecks(items); missing != "" {
				return amends.Errorf(amends.EInvalid, "status", "the loop is not closed yet: %s", missing)
			}
		}
		at := now
		if u.At != nil {
			at = u.At.UTC().Truncate(time.Microsecond)
		}
		var events []amends.Event
		var changed []string
		add := func(kind amends.EventKind, body string) {
			events = append(events, amends.Event{Kind: kind, Body: body, At: at, Actor: actor.Name, Visibility: amends.Internal})
			changed = append(changed, string(kind))
		}
		if u.Title != nil && *u.Title != inc.Title {
			inc.Title = *u.Title
			add(amends.KindTitle, inc.Title)
		}
		if u.Summary != nil && *u.Summary != inc.Summary {
			inc.Summary = *u.Summary
			add(amends.KindSummary, inc.Summary)
		}
		if u.Severity != nil && *u.Severity != inc.Severity {
			inc.Severity = *u.Severity
			add(amends.KindSeverity, strconv.Itoa(int(inc.Severity)))
		}
		if u.Owner != nil && *u.Owner != inc.Owner {
			inc.Owner = *u.Owner
			add(amends.KindOwner, inc.Owner)
		}
		if (u.Lead != nil && *u.Lead != inc.Lead) || (u.Comms != nil && *u.Comms != inc.Comms) {
			if u.Lead != nil {
				inc.Lead = *u.Lead
			}
			if u.Comms != nil {
				inc.Comms = *u.Comms
			}
			add(amends.KindRoles, fmt.Sprintf("lead=%s; comms=%s", inc.Lead, inc.Comms))
		}
		componentsChanged := false
		if u.Components != nil && strings.Join(*u.Components, ",") != strings.Join(inc.Components, ",") {
			inc.Components, componentsChanged = *u.Components, true
			add(amends.KindComponents, strings.Join(inc.Components, ", "))
		}
		if u.Team != nil && *u.Team != inc.Team {
			inc.Team = *u.Team
			add(amends.KindTeam, inc.Team)
		}
		if u.Cause != nil && *u.Cause != inc.Cause {
			inc.Cause = *u.Cause
			add(amends.KindCause, string(inc.Cause))
		}
		wasOpen := inc.Status.Open()
		if u.Status != nil {
			inc.Status = *u.Status
			events = append(events, amends.Event{Kind: amends.KindStatus, Body: string(inc.Status), At: at,
				Actor: actor.Name, Visibility: amends.Internal})
			changed = append(changed, "status")
			if u.Note != "" {
				events = append(events, amends.Event{Kind: amends.KindNote, Body: u.Note, At: at, Actor: actor.Name, Visibility: amends.Internal})
			}
		}
		if len(events) == 0 {
			return amends.Errorf(amends.EInvalid, "", "nothing changed: the values given are the current ones")
		}
		if _, err := tx.ExecContext(ctx, `UPDATE incidents SET title = $1, summary = $2, severity = $3, status = $4,
			open_rank = $5, owner = $6, lead = $7, comms = $8, components = $9, updated_at = $10, team = $11, cause = $12
			WHERE id = $13`,
			inc.Title, inc.Summary, int(inc.Severity), string(inc.Status), openRank(inc.Status), inc.Owner,
			inc.Lead, inc.Comms, componentsJSON(inc.Components), micros(now), inc.Team, string(inc.Cause), inc.ID); err != nil {
			return fmt.Errorf("update incident: %w", err)
		}
		if componentsChanged {
			if err := s.writeComponents(ctx, tx, inc.ID, inc.Components); err != nil {
				return err
			}
		}
		if wasOpen && !inc.Status.Open() {
			// Resolving is the update that keeps (or breaks) the last "next update by" promise.
			if err := s.countUpdate(ctx, tx, inc, at); err != nil {
				return err
			}
		}
		for _, e := range events {
			if _, err := s.appendEvent(ctx, tx, inc, e, now); err != nil {
				return err
			}
		}
		if err := s.bumpPublish(ctx, tx, inc); err != nil {
			return err
		}
		if u.Status != nil {
			ev := amends.EventStatusChanged
			if *u.Status == amends.Resolved {
				ev = amends.EventResolved
				if err := s.scheduleSurveys(ctx, tx, inc, at); err != nil {
					return err
				}
			}
			if err := s.notify(ctx, tx, inc, ev, now); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, now, actor, "incident.update", inc.Ref, strings.Join(changed, ", "))
	})
	if err != nil {
		return nil, err
	}
	return s.Incident(ctx, ref)
}

package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amends/amends"
)

// System is the actor of what amends does by itself.
var System = amends.Actor{Name: "amends", Role: amends.Admin}

// Job kinds the store enqueues.
const (
	JobDeliver = "deliver" // send one delivery
	JobFanout  = "fanout"  // send every pending delivery of one brief at once
	JobClock   = "clock"   // check a time-to-own target: Note is "colleagues_told:nudge" and the like
	JobUnread  = "unread"  // remind colleagues who have not read the latest brief
	// JobCustomers sends every pending delivery of one customer message at once.
	JobCustomers = "customers"
)

// UnreadReminderAfter is how long after a sev1–2 brief those who have not read it are reminded.
const UnreadReminderAfter = 10 * time.Minute

// SetEnqueuer hands the store the job queue at start-up. Without one (tests of other parts,
// one-shot commands such as `amends demo`) deliveries are recorded but nothing is enqueued.
func (s *Store) SetEnqueuer(e Enqueuer) { s.enqueuer = e }

func (s *Store) enqueue(ctx context.Context, tx *Tx, jobs []Job) error {
	if len(jobs) == 0 || s.enqueuer == nil {
		return nil
	}
	return s.enqueuer.Enqueue(ctx, tx, jobs)
}

// notify writes the brief of event ev for inc and a delivery for every contact of every group
// whose rule hears it, and enqueues them, all in tx. At declaration it also schedules the
// time-to-own checks and, for sev1–2, the reminder of those who have not read the brief.
func (s *Store) notify(ctx context.Context, tx *Tx, inc *amends.Incident, ev string, now time.Time) error {
	groups, err := s.groups(ctx, tx, "")
	if err != nil {
		return err
	}
	var jobs []Job
	if ev == amends.EventDeclared {
		if jobs, err = s.clockJobs(ctx, tx, inc, now); err != nil {
			return err
		}
	}
	wording, err := s.latestApprovedWording(ctx, tx, inc.ID)
	if err != nil {
		return err
	}
	brief := amends.MakeBrief(inc, ev, wording, now, s.loc)
	var recipients []recipient
	for _, g := range groups {
		if g.Hears(inc.Severity, ev) {
			for _, c := range g.Contacts {
				recipients = append(recipients, recipient{c, g.Name})
			}
		}
	}
	var briefID int64
	if len(recipients) > 0 {
		fields, _ := json.Marshal(brief.Fields)
		if err := tx.QueryRowContext(ctx, `INSERT INTO briefs (incident_id, event, subject, body, fields, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, inc.ID, ev, brief.Subject, brief.Body, string(fields), micros(now)).Scan(&briefID); err != nil {
			return fmt.Errorf("insert brief: %w", err)
		}
		if err := s.insertBriefDeliveries(ctx, tx, inc.ID, briefID, recipients, brief, now); err != nil {
			return err
		}
		// One job sends the whole brief: a fan-out to a thousand colleagues costs a few
		// transactions, not a thousand. Failures continue as one job per delivery.
		jobs = append(jobs, Job{Kind: JobFanout, BriefID: briefID, IncidentID: inc.ID})
	}
	if briefID != 0 && ev == amends.EventDeclared && inc.Severity <= 2 {
		jobs = append(jobs, Job{Kind: JobUnread, IncidentID: inc.ID, At: micros(now.Add(UnreadReminderAfter))})
	}
	return s.enqueue(ctx, tx, jobs)
}

// clockJobs schedules, for each time-to-own target of inc's severity, a nudge to the owner
// shortly before it and an escalation at it.
func (s *Store) clockJobs(ctx context.Context, tx *Tx, inc *amends.Incident, now time.Time) ([]Job, error) {
	targets, err := s.targets(ctx, tx)
	if err != nil {
		return nil, err
	}
	t := targets[inc.Severity]
	var jobs []Job
	for _, c := range []struct {
		instant string
		target  time.Duration
	}{{"colleagues_told", t.ColleaguesTold}, {"customers_told", t.CustomersTold}} {
		if c.target <= 0 {
			continue
		}
		due := inc.NoticedAt.Add(c.target)
		jobs = append(jobs,
			Job{Kind: JobClock, IncidentID: inc.ID, At: micros(due.Add(-amends.NudgeBefore(c.target))), Note: c.instant + ":nudge"},
			Job{Kind: JobClock, IncidentID: inc.ID, At: micros(due), Note: c.instant + ":escalate"})
	}
	return jobs, nil
}

type recipient struct {
	c     amends.Contact
	group string
}

// insertBriefDeliveries writes one pending delivery per recipient, many rows per statement:
// a brief to a thousand colleagues is ten round trips, not a thousand.
func (s *Store) insertBriefDeliveries(ctx context.Context, tx *Tx, incidentID, briefID int64, rs []recipient, b amends.Brief, now time.Time) error {
	const perStatement = 100
	for start := 0; start < len(rs); start += perStatement {
		chunk := rs[start:min(start+perStatement, len(rs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO deliveries (incident_id, brief_id, contact_id, purpose, name, kind, address,
			secret, group_name, subject, body, state, created_at, updated_at) VALUES `)
		args := []any{incidentID, briefID, amends.PurposeBrief, b.Subject, b.Body, micros(now)}
		for i, r := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			n := len(args)
			fmt.Fprintf(&q, "($1, $2, $%d, $3, $%d, $%d, $%d, $%d, $%d, $4, $5, 'pending', $6, $6)", n+1, n+2, n+3, n+4, n+5, n+6)
			args = append(args, r.c.ID, r.c.Name, r.c.Kind, r.c.Address, r.c.Secret, r.group)
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("insert deliveries: %w", err)
		}
	}
	return nil
}

func (s *Store) insertDelivery(ctx context.Context, tx *Tx, incidentID int64, briefID *int64, purpose string, c amends.Contact, group, subject, body string, now time.Time) (int64, error) {
	var contactID sql.NullInt64
	if c.ID != 0 {
		contactID = sql.NullInt64{Int64: c.ID, Valid: true}
	}
	var brief sql.NullInt64
	if briefID != nil {
		brief = sql.NullInt64{Int64: *briefID, Valid: true}
	}
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO deliveries (incident_id, brief_id, contact_id, purpose, name, kind, address,
		secret, group_name, subject, body, state, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'pending', $12, $12) RETURNING id`,
		nullID(incidentID), brief, contactID, purpose, c.Name, c.Kind, c.Address, c.Secret, group, subject, body, micros(now)).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("insert delivery: %w", err)
	}
	return id, nil
}

const deliveryColumns = `d.id, d.incident_id, i.number, d.brief_id, d.purpose, COALESCE(b.event, ''), d.name, d.kind,
	d.address, d.secret, d.group_name, d.subject, d.body, COALESCE(b.fields, '[]'), d.state, d.attempts, d.last_error,
	d.next_try_at, d.delivered_at, d.acked_at, d.created_at`

// A delivery of no incident (a weekly digest) has no reference.
const deliveryFrom = ` FROM deliveries d LEFT JOIN incidents i ON i.id = d.incident_id LEFT JOIN briefs b ON b.id = d.brief_id `

func scanDelivery(row scanner) (*amends.Delivery, error) {
	var (
		d                                          amends.Delivery
		created                                    int64
		incident, number, brief, next, done, acked sql.NullInt64
		fields                                     string
	)
	err := row.Scan(&d.ID, &incident, &number, &brief, &d.Purpose, &d.Event, &d.Name, &d.Kind, &d.Address, &d.Secret,
		&d.GroupName, &d.Subject, &d.Body, &fields, &d.State, &d.Attempts, &d.LastError, &next, &done, &acked, &created)
	if err != nil {
		return nil, err
	}
	if number.Valid {
		d.IncidentID, d.Ref = incident.Int64, amends.FormatRef(number.Int64)
	}
	if brief.Valid {
		d.BriefID = &brief.Int64
	}
	d.NextTryAt, d.DeliveredAt, d.AckedAt = fromNullMicros(next), fromNullMicros(done), fromNullMicros(acked)
	d.CreatedAt = fromMicros(created)
	if err := json.Unmarshal([]byte(fields), &d.Fields); err != nil {
		return nil, err
	}
	return &d, nil
}

// Delivery returns one delivery with what it must say.
func (s *Store) Delivery(ctx context.Context, id int64) (*amends.Delivery, error) {
	d, err := scanDelivery(s.db.QueryRowContext(ctx, "SELECT "+deliveryColumns+deliveryFrom+"WHERE d.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.ENotFound, "delivery", "no delivery %d", id)
	}
	return d, translate(err)
}

// Deliveries returns the deliveries of incident ref, newest first.
func (s *Store) Deliveries(ctx context.Context, ref string) ([]*amends.Delivery, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+deliveryColumns+deliveryFrom+"WHERE d.incident_id = $1 ORDER BY d.id DESC", inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []*amends.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err())
}

// DeliveryDelivered records a successful send. The first delivered brief of an incident
// records "colleagues told" on its timeline. Recording a delivery twice changes nothing.
func (s *Store) DeliveryDelivered(ctx context.Context, id int64) error {
	return s.DeliveriesDelivered(ctx, []int64{id})
}

// DeliveriesDelivered records successful sends of deliveries of one incident in one
// transaction, and "colleagues told" on the timeline when the first brief got through.
func (s *Store) DeliveriesDelivered(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *Tx) error {
		var first struct {
			name, group, kind string
			incidentID        int64
		}
		// One statement for the whole batch: a fan-out records a hundred sends at a time.
		var q strings.Builder
		args := []any{micros(now)}
		q.WriteString(`UPDATE deliveries SET state = 'delivered', attempts = attempts + 1, last_error = '',
			next_try_at = NULL, delivered_at = $1, updated_at = $1 WHERE state <> 'delivered' AND id IN (`)
		for i, id := range ids {
			if i > 0 {
				q.WriteString(", ")
			}
			args = append(args, id)
			fmt.Fprintf(&q, "$%d", len(args))
		}
		q.WriteString(") RETURNING purpose, name, group_name, kind, incident_id")
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var purpose, name, group, kind string
			var incidentID sql.NullInt64 // none for a digest
			if err := rows.Scan(&purpose, &name, &group, &kind, &incidentID); err != nil {
				rows.Close()
				return err
			}
			if purpose == amends.PurposeBrief && first.incidentID == 0 {
				first.name, first.group, first.kind, first.incidentID = name, group, kind, incidentID.Int64
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if first.incidentID == 0 {
			return nil
		}
		var number int64
		var told sql.NullInt64
		if err := tx.QueryRowContext(ctx, "SELECT number, colleagues_told_at FROM incidents WHERE id = $1", first.incidentID).Scan(&number, &told); err != nil {
			return err
		}
		if told.Valid {
			return nil
		}
		inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
		if err != nil {
			return err
		}
		if inc.ColleaguesToldAt != nil { // another delivery got there while we waited for the lock
			return nil
		}
		_, err = s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindColleaguesTold, At: now, Actor: System.Name,
			Visibility: amends.Internal, Body: fmt.Sprintf("The brief reached %s (%s) by %s first; every group that hears this severity was sent the same brief.", first.name, first.group, first.kind)}, now)
		return err
	})
}

// PendingDeliveries returns the deliveries of a brief that have not been tried yet.
func (s *Store) PendingDeliveries(ctx context.Context, briefID int64) ([]*amends.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+deliveryColumns+deliveryFrom+"WHERE d.brief_id = $1 AND d.state = 'pending' ORDER BY d.id", briefID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*amends.Delivery
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err())
}

// DeliveryRetryLater records a failed try of a delivery sent as part of a fan-out and
// enqueues its own job for the next try, in one transaction.
func (s *Store) DeliveryRetryLater(ctx context.Context, id int64, reason string, next time.Time) error {
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		var incidentID int64
		err := tx.QueryRowContext(ctx, `UPDATE deliveries SET state = 'retrying', attempts = attempts + 1, last_error = $1,
			next_try_at = $2, updated_at = $3 WHERE id = $4 AND state = 'pending' RETURNING COALESCE(incident_id, 0)`,
			clip(reason), micros(next), micros(now), id).Scan(&incidentID)
		if errors.Is(err, sql.ErrNoRows) {
			return nil // already handled by another try
		} else if err != nil {
			return err
		}
		return s.enqueue(ctx, tx, []Job{{Kind: JobDeliver, DeliveryID: id, IncidentID: incidentID, At: micros(next)}})
	})
}

func clip(reason string) string {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	return strings.ToValidUTF8(reason, "?")
}

// DeliveryFailed records a failed try: retrying with the next try at next, or dead.
func (s *Store) DeliveryFailed(ctx context.Context, id int64, reason string, next *time.Time, dead bool) error {
	now := s.now()
	state := amends.DeliveryRetrying
	if dead {
		state, next = amends.DeliveryDead, nil
	}
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET state = $1, attempts = attempts + 1, last_error = $2,
		next_try_at = $3, updated_at = $4 WHERE id = $5 AND state <> 'delivered'`, state, clip(reason), nullMicros(next), micros(now), id)
	return translate(err)
}

// Redrive sends a dead (or retrying) delivery again from its first try, with the same
// idempotency key.
func (s *Store) Redrive(ctx context.Context, id int64, actor amends.Actor) error {
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		var state string
		var incidentID int64
		err := tx.QueryRowContext(ctx, "SELECT state, COALESCE(incident_id, 0) FROM deliveries WHERE id = $1", id).Scan(&state, &incidentID)
		if errors.Is(err, sql.ErrNoRows) {
			return amends.Errorf(amends.ENotFound, "delivery", "no delivery %d", id)
		} else if err != nil {
			return err
		}
		if state != amends.DeliveryDead {
			return amends.Errorf(amends.EConflict, "state", "delivery %d is %s; only dead deliveries are re-driven", id, state)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE deliveries SET state = 'pending', attempts = 0, next_try_at = NULL, updated_at = $1 WHERE id = $2", micros(now), id); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, actor, "delivery.redrive", fmt.Sprint(id), ""); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, []Job{{Kind: JobDeliver, DeliveryID: id, IncidentID: incidentID}})
	})
}

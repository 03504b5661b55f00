package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

const actionColumns = `a.id, a.incident_id, i.number, a.title, a.kind, a.owner, a.due_at, a.state, a.drop_reason,
	a.public, a.ticket_url, a.created_by, a.created_at, a.done_at, a.source`

const actionFrom = ` FROM action_items a JOIN incidents i ON i.id = a.incident_id`

func (s *Store) scanActionItem(row scanner) (*amends.ActionItem, error) {
	var (
		a               amends.ActionItem
		number, due, at int64
		public          int
		kind, state     string
		source          string
		done            sql.NullInt64
	)
	if err := row.Scan(&a.ID, &a.IncidentID, &number, &a.Title, &kind, &a.Owner, &due, &state, &a.DropReason,
		&public, &a.TicketURL, &a.CreatedBy, &at, &done, &source); err != nil {
		return nil, err
	}
	a.Source = amends.ActionSource(source)
	a.Ref, a.Kind, a.State, a.Public = amends.FormatRef(number), amends.ActionKind(kind), amends.ActionState(state), public != 0
	a.Due, a.CreatedAt, a.DoneAt = fromMicros(due), fromMicros(at), fromNullMicros(done)
	a.DueDate = a.Due.In(s.loc).Format("2006-01-02")
	return &a, nil
}

func (s *Store) actionItems(ctx context.Context, q querier, where string, args ...any) ([]*amends.ActionItem, error) {
	rows, err := q.QueryContext(ctx, "SELECT "+actionColumns+actionFrom+" WHERE "+where, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []*amends.ActionItem{}
	for rows.Next() {
		a, err := s.scanActionItem(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, translate(rows.Err())
}

func (s *Store) actionItem(ctx context.Context, q querier, id int64) (*amends.ActionItem, error) {
	a, err := s.scanActionItem(q.QueryRowContext(ctx, "SELECT "+actionColumns+actionFrom+" WHERE a.id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.ENotFound, "id", "no action item %d", id)
	}
	return a, translate(err)
}

// ActionItem returns one action item, or ENotFound.
func (s *Store) ActionItem(ctx context.Context, id int64) (*amends.ActionItem, error) {
	return s.actionItem(ctx, s.db, id)
}

// ActionItems returns the action items of incident ref, soonest due first.
func (s *Store) ActionItems(ctx context.Context, ref string) ([]*amends.ActionItem, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.actionItems(ctx, s.db, "a.incident_id = $1 ORDER BY a.due_at, a.id", inc.ID)
}

// Owed returns the open action items owner owes, across incidents, soonest due first.
func (s *Store) Owed(ctx context.Context, owner string) ([]*amends.ActionItem, error) {
	return s.actionItems(ctx, s.db, "a.owner = $1 AND a.state = 'open' ORDER BY a.due_at, a.id", owner)
}

// PublicPromises returns the public action items of an incident that are open or done, soonest
// due first: what the status page and the follow-up message show. Dropped ones are left out.
func (s *Store) PublicPromises(ctx context.Context, incidentID int64) ([]*amends.ActionItem, error) {
	return s.actionItems(ctx, s.db, "a.incident_id = $1 AND a.public = 1 AND a.state <> 'dropped' ORDER BY a.due_at, a.id", incidentID)
}

// PromiseStats counts every public action item by how its promise stands now.
func (s *Store) PromiseStats(ctx context.Context) (amends.PromiseStats, error) {
	var st amends.PromiseStats
	items, err := s.actionItems(ctx, s.db, "a.public = 1")
	if err != nil {
		return st, err
	}
	now := s.now()
	for _, a := range items {
		switch {
		case a.State == amends.ActionDropped:
			st.Dropped++
		case a.KeptOnTime():
			st.KeptOnTime++
		case a.State == amends.ActionDone:
			st.KeptLate++
		case a.Overdue(now):
			st.OpenOverdue++
		default:
			st.Open++
		}
	}
	return st, nil
}

func (s *Store) requireUser(ctx context.Context, q querier, name string) error {
	var one int
	err := q.QueryRowContext(ctx, "SELECT 1 FROM users WHERE name = $1", name).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return amends.Errorf(amends.EInvalid, "owner", "%q is not a user of amends; the owner must be able to sign in", name)
	}
	return err
}

// CreateActionItem adds an action item to incident ref: the owner must be a user and the due
// date ahead. It records the promise on the timeline (internal) and schedules the reminders
// to the owner and the escalation to the incident's owner, all in one transaction.
func (s *Store) CreateActionItem(ctx context.Context, ref string, n amends.NewActionItem, actor amends.Actor) (*amends.ActionItem, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	n.Normalize()
	if err := n.Validate(now); err != nil {
		return nil, err
	}
	var id int64
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		id, err = s.createActionItem(ctx, tx, inc, n, amends.SourceManual, actor, now)
		return err
	})
	if err != nil {
		return nil, err
	}
	return s.ActionItem(ctx, id)
}

// createActionItem writes a validated new item of inc from source, with its timeline entry,
// reminders and audit, in tx, and returns its id.
func (s *Store) createActionItem(ctx context.Context, tx *Tx, inc *amends.Incident, n amends.NewActionItem, source amends.ActionSource,
	actor amends.Actor, now time.Time) (int64, error) {
	var id int64
	err := func() error {
		if err := s.requireUser(ctx, tx, n.Owner); err != nil {
			return err
		}
		due := n.Due.UTC().Truncate(time.Microsecond)
		public := 0
		if n.Public {
			public = 1
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO action_items (incident_id, title, kind, owner, due_at, state, public,
			ticket_url, created_by, created_at, updated_at, source) VALUES ($1, $2, $3, $4, $5, 'open', $6, $7, $8, $9, $9, $10) RETURNING id`,
			inc.ID, n.Title, string(n.Kind), n.Owner, micros(due), public, n.TicketURL, actor.Name, micros(now), string(source)).Scan(&id); err != nil {
			return fmt.Errorf("insert action item: %w", err)
		}
		what := "Action item (" + string(n.Kind) + ")"
		if n.Public {
			what = "Public promise (" + string(n.Kind) + ")"
		}
		body := fmt.Sprintf("%s: %s — owner %s, due %s.", what, n.Title, n.Owner, due.In(s.loc).Format("2006-01-02"))
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name,
			Visibility: amends.Internal, Body: body}, now); err != nil {
			return err
		}
		if err := s.scheduleActionReminders(ctx, tx, inc.ID, id, due, now); err != nil {
			return err
		}
		if n.Public {
			if err := s.bumpPublish(ctx, tx, inc); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, now, actor, "action.create", inc.Ref, fmt.Sprintf("#%d %s", id, n.Title))
	}()
	return id, err
}

// scheduleActionReminders enqueues the clock checks of item id, due at due. Each note carries
// the due instant, so the checks of a due date that was since changed do nothing.
func (s *Store) scheduleActionReminders(ctx context.Context, tx *Tx, incidentID, id int64, due, now time.Time) error {
	var jobs []Job
	for _, r := range amends.ActionReminders(now, due, s.loc) {
		jobs = append(jobs, Job{Kind: JobClock, IncidentID: incidentID, At: micros(r.At),
			Note: actionNote(id, r.Stage, due)})
	}
	return s.enqueue(ctx, tx, jobs)
}

// actionNote is the note of an action item's clock job: "action:ID:STAGE:DUE".
func actionNote(id int64, stage string, due time.Time) string {
	return "action:" + strconv.FormatInt(id, 10) + ":" + stage + ":" + strconv.FormatInt(micros(due), 10)
}

// UpdateActionItem changes an open item's title, owner, due date, visibility or ticket link,
// recording the change on the timeline; a new due date gets reminders of its own.
func (s *Store) UpdateActionItem(ctx context.Context, id int64, u amends.ActionItemUpdate, actor amends.Actor) (*amends.ActionItem, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	u.Normalize()
	if err := u.Validate(now); err != nil {
		return nil, err
	}
	err := s.inTx(ctx, func(tx *Tx) error {
		cur, err := s.actionItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.State != amends.ActionOpen {
			return amends.Errorf(amends.EConflict, "state", "action item %d is %s; only an open item changes", id, cur.State)
		}
		inc, err := s.incident(ctx, tx, cur.Ref, true)
		if err != nil {
			return err
		}
		next := *cur
		var changes []string
		if u.Title != nil && *u.Title != cur.Title {
			next.Title = *u.Title
			changes = append(changes, "title “"+next.Title+"”")
		}
		if u.Owner != nil && *u.Owner != cur.Owner {
			if err := s.requireUser(ctx, tx, *u.Owner); err != nil {
				return err
			}
			next.Owner = *u.Owner
			changes = append(changes, "owner "+next.Owner)
		}
		dueChanged := false
		if u.Due != nil && !u.Due.UTC().Truncate(time.Microsecond).Equal(cur.Due) {
			next.Due, dueChanged = u.Due.UTC().Truncate(time.Microsecond), true
			changes = append(changes, "due "+next.Due.In(s.loc).Format("2006-01-02"))
		}
		if u.Public != nil && *u.Public != cur.Public {
			next.Public = *u.Public
			changes = append(changes, map[bool]string{true: "now public", false: "now internal"}[next.Public])
		}
		if u.TicketURL != nil && *u.TicketURL != cur.TicketURL {
			next.TicketURL = *u.TicketURL
			changes = append(changes, "ticket "+or(next.TicketURL, "removed"))
		}
		if len(changes) == 0 {
			return nil
		}
		public := 0
		if next.Public {
			public = 1
		}
		if _, err := tx.ExecContext(ctx, `UPDATE action_items SET title = $1, owner = $2, due_at = $3, public = $4,
			ticket_url = $5, updated_at = $6 WHERE id = $7`, next.Title, next.Owner, micros(next.Due), public, next.TicketURL, micros(now), id); err != nil {
			return err
		}
		body := fmt.Sprintf("Action item changed: %s — %s.", cur.Title, strings.Join(changes, ", "))
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name,
			Visibility: amends.Internal, Body: body}, now); err != nil {
			return err
		}
		if dueChanged {
			if err := s.scheduleActionReminders(ctx, tx, inc.ID, id, next.Due, now); err != nil {
				return err
			}
		}
		if cur.Public || next.Public {
			if err := s.bumpPublish(ctx, tx, inc); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, now, actor, "action.update", inc.Ref, fmt.Sprintf("#%d %s", id, strings.Join(changes, ", ")))
	})
	if err != nil {
		return nil, err
	}
	return s.ActionItem(ctx, id)
}

func or(v, alt string) string {
	if v == "" {
		return alt
	}
	return v
}

// ActionItemDone marks an open item done now and records it on the timeline. Marking a done
// item done again changes nothing.
func (s *Store) ActionItemDone(ctx context.Context, id int64, actor amends.Actor) (*amends.ActionItem, error) {
	return s.finishActionItem(ctx, id, amends.ActionDone, "", actor)
}

// DropActionItem drops an open item, which needs a reason; the reason goes on the item and on
// the timeline.
func (s *Store) DropActionItem(ctx context.Context, id int64, reason string, actor amends.Actor) (*amends.ActionItem, error) {
	reason = strings.TrimSpace(reason)
	if err := amends.ValidateDropReason(reason); err != nil {
		return nil, err
	}
	return s.finishActionItem(ctx, id, amends.ActionDropped, reason, actor)
}

func (s *Store) finishActionItem(ctx context.Context, id int64, state amends.ActionState, reason string, actor amends.Actor) (*amends.ActionItem, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, func(tx *Tx) error {
		cur, err := s.actionItem(ctx, tx, id)
		if err != nil {
			return err
		}
		if cur.State == state {
			return nil
		}
		if cur.State != amends.ActionOpen {
			return amends.Errorf(amends.EConflict, "state", "action item %d is already %s", id, cur.State)
		}
		inc, err := s.incident(ctx, tx, cur.Ref, true)
		if err != nil {
			return err
		}
		var done sql.NullInt64
		body := fmt.Sprintf("Action item dropped: %s — %s", cur.Title, reason)
		if state == amends.ActionDone {
			done = sql.NullInt64{Int64: micros(now), Valid: true}
			body = fmt.Sprintf("Action item done: %s (owner %s, due %s).", cur.Title, cur.Owner, cur.DueDate)
			if now.After(cur.Due) {
				body = fmt.Sprintf("Action item done late: %s (owner %s, due %s).", cur.Title, cur.Owner, cur.DueDate)
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE action_items SET state = $1, drop_reason = $2, done_at = $3, updated_at = $4
			WHERE id = $5`, string(state), reason, done, micros(now), id); err != nil {
			return err
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name,
			Visibility: amends.Internal, Body: body}, now); err != nil {
			return err
		}
		if cur.Public {
			if err := s.bumpPublish(ctx, tx, inc); err != nil {
				return err
			}
		}
		return s.audit(ctx, tx, now, actor, "action."+string(state), inc.Ref, fmt.Sprintf("#%d %s", id, cur.Title))
	})
	if err != nil {
		return nil, err
	}
	return s.ActionItem(ctx, id)
}

// actionDue runs a scheduled check of an action item; rest is "ID:STAGE:DUE". Before and on
// the due date it nudges the item's owner; a day after, it escalates to the incident's owner and
// records the escalation on the timeline. A done or dropped item, or one whose due date was
// changed since the check was scheduled, is left alone.
func (s *Store) actionDue(ctx context.Context, incidentID int64, rest string) error {
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return fmt.Errorf("action clock job with note %q", rest)
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	due, err2 := strconv.ParseInt(parts[2], 10, 64)
	stage := parts[1]
	if err1 != nil || err2 != nil || (stage != amends.ReminderBefore && stage != amends.ReminderDue && stage != amends.ReminderOverdue) {
		return fmt.Errorf("action clock job with note %q", rest)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *Tx) error {
		a, err := s.actionItem(ctx, tx, id)
		if amends.ErrorCode(err) == amends.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		if a.State != amends.ActionOpen || micros(a.Due) != due || a.IncidentID != incidentID {
			return nil
		}
		inc, err := s.incident(ctx, tx, a.Ref, true)
		if err != nil {
			return err
		}
		dueText := a.Due.In(s.loc).Format("Monday 2 January 2006")
		what := "action item"
		if a.Public {
			what = "public promise"
		}
		purpose, who := amends.PurposeNudge, a.Owner
		var subject, body string
		switch stage {
		case amends.ReminderBefore:
			subject = fmt.Sprintf("[%s] Due %s: %s", inc.Ref, dueText, a.Title)
			body = fmt.Sprintf("You own this %s of %s (%s), due %s: %s\n", what, inc.Ref, inc.Title, dueText, a.Title)
		case amends.ReminderDue:
			subject = fmt.Sprintf("[%s] Due today: %s", inc.Ref, a.Title)
			body = fmt.Sprintf("You own this %s of %s (%s), due today: %s\nMark it done when it is, or drop it with a reason.\n", what, inc.Ref, inc.Title, a.Title)
		default:
			purpose, who = amends.PurposeEscalation, inc.Owner
			subject = fmt.Sprintf("[%s] Overdue: %s (owner %s)", inc.Ref, a.Title, a.Owner)
			body = fmt.Sprintf("This %s of %s (%s) was due %s and is not done: %s\nIts owner is %s.\n", what, inc.Ref, inc.Title, dueText, a.Title, a.Owner)
			if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindEscalation, At: now, Actor: System.Name,
				Visibility: amends.Internal, Body: fmt.Sprintf("Action item overdue: %s (owner %s, due %s); escalated to %s.",
					a.Title, a.Owner, a.DueDate, or(inc.Owner, "nobody"))}, now); err != nil {
				return err
			}
		}
		if a.TicketURL != "" {
			body += "Ticket: " + a.TicketURL + "\n"
		}
		return s.tellPerson(ctx, tx, inc.ID, who, purpose, subject, body, now)
	})
}

// publicPromises fills in the public action items, open or done, of the published incidents
// in byID: what the status page shows of each promise.
func (s *Store) publicPromises(ctx context.Context, ids []int64, byID map[int64]*amends.PublicIncident) error {
	if len(ids) == 0 {
		return nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT incident_id, title, due_at, done_at FROM action_items
		WHERE incident_id IN (`+strings.Join(marks, ", ")+`) AND public = 1 AND state <> 'dropped'
		ORDER BY incident_id, due_at, id`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id, due int64
			p       amends.PublicPromise
			done    sql.NullInt64
		)
		if err := rows.Scan(&id, &p.Title, &due, &done); err != nil {
			return err
		}
		p.DueDate, p.DoneAt = fromMicros(due).In(s.loc).Format("2006-01-02"), fromNullMicros(done)
		byID[id].Promises = append(byID[id].Promises, p)
	}
	return rows.Err()
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/amends/amends"
)

const eventColumns = "id, incident_id, seq, kind, body, at, recorded_at, actor, visibility, corrects, prev_hash, hash"

func scanEvent(row scanner) (amends.Event, error) {
	var (
		e            amends.Event
		kind, vis    string
		at, recorded int64
		corrects     sql.NullInt64
	)
	if err := row.Scan(&e.ID, &e.IncidentID, &e.Seq, &kind, &e.Body, &at, &recorded, &e.Actor, &vis,
		&corrects, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Kind, e.Visibility = amends.EventKind(kind), amends.Visibility(vis)
	e.At, e.RecordedAt = fromMicros(at), fromMicros(recorded)
	if corrects.Valid {
		v := corrects.Int64
		e.Corrects = &v
	}
	return e, nil
}

// AddEvent appends an event to the timeline of incident ref. A correction must refer to an
// event of the same incident; when it gives no time it keeps the corrected event's time.
func (s *Store) AddEvent(ctx context.Context, ref string, n amends.NewEvent, actor amends.Actor) (amends.Event, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	n.Normalize()
	var out amends.Event
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		if err := n.Validate(inc, now); err != nil {
			return err
		}
		at := now
		if n.At != nil {
			at = n.At.UTC().Truncate(time.Microsecond)
		}
		if n.Corrects != nil {
			old, err := scanEvent(tx.QueryRowContext(ctx, "SELECT "+eventColumns+" FROM events WHERE id = $1 AND incident_id = $2", *n.Corrects, inc.ID))
			if errors.Is(err, sql.ErrNoRows) {
				return amends.Errorf(amends.EInvalid, "corrects", "event %d is not on the timeline of %s", *n.Corrects, inc.Ref)
			} else if err != nil {
				return err
			}
			if n.Kind != amends.KindCorrection {
				return amends.Errorf(amends.EInvalid, "kind", "an event that corrects another must have kind correction")
			}
			if n.At == nil {
				at = old.At
			}
		}
		out, err = s.appendEvent(ctx, tx, inc, amends.Event{Kind: n.Kind, Body: n.Body, At: at, Actor: actor.Name,
			Visibility: n.Visibility, Corrects: n.Corrects}, now)
		if err != nil {
			return err
		}
		switch n.Kind {
		case amends.KindCustomersTold:
			return s.notify(ctx, tx, inc, amends.EventCustomerMessage, now)
		case amends.KindPostmortem:
			return s.notify(ctx, tx, inc, amends.EventPostmortemShared, now)
		}
		return nil
	})
	return out, err
}

// appendEvent chains e after the incident's last event and stores it, then keeps the
// incident's derived instants, event count and head hash current. inc must have been read
// with its row locked in tx; appendEvent updates it in place.
func (s *Store) appendEvent(ctx context.Context, tx *Tx, inc *amends.Incident, e amends.Event, now time.Time) (amends.Event, error) {
	e.IncidentID = inc.ID
	e.Seq = int64(inc.EventCount) + 1
	e.RecordedAt = now
	e.At = e.At.UTC().Truncate(time.Microsecond)
	e.PrevHash = inc.HeadHash
	e.Hash = e.ComputeHash(e.PrevHash)
	if e.Visibility == amends.Public && inc.Status.Open() {
		// A public update of an open incident keeps or breaks the previous one's "next update by".
		if err := s.countUpdate(ctx, tx, inc, e.At); err != nil {
			return e, err
		}
	}
	var corrects sql.NullInt64
	if e.Corrects != nil {
		corrects = sql.NullInt64{Int64: *e.Corrects, Valid: true}
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO events (incident_id, seq, kind, body, at, recorded_at, actor,
		visibility, corrects, prev_hash, hash) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
		e.IncidentID, e.Seq, string(e.Kind), e.Body, micros(e.At), micros(e.RecordedAt), e.Actor,
		string(e.Visibility), corrects, e.PrevHash, e.Hash).Scan(&e.ID)
	if err != nil {
		return e, fmt.Errorf("insert event: %w", err)
	}
	inc.EventCount++
	inc.HeadHash = e.Hash
	column := ""
	switch e.Kind {
	case amends.KindColleaguesTold:
		column = "colleagues_told_at"
	case amends.KindCustomersTold:
		column = "customers_told_at"
	case amends.KindRootCause:
		column = "root_cause_at"
	case amends.KindMitigated:
		column = "mitigated_at"
	}
	switch {
	case column != "":
		// The first time it happened counts; a later, earlier-dated record moves it back.
		_, err = tx.ExecContext(ctx, `UPDATE incidents SET event_count = $1, head_hash = $2, updated_at = $3,
			`+column+` = CASE WHEN `+column+` IS NULL OR `+column+` > $4 THEN $4 ELSE `+column+` END WHERE id = $5`,
			inc.EventCount, inc.HeadHash, micros(now), micros(e.At), inc.ID)
	case e.Kind == amends.KindStatus || e.Kind == amends.KindNoticed || e.Kind == amends.KindCorrection:
		err = s.rederive(ctx, tx, inc, now)
	default:
		_, err = tx.ExecContext(ctx, "UPDATE incidents SET event_count = $1, head_hash = $2, updated_at = $3 WHERE id = $4",
			inc.EventCount, inc.HeadHash, micros(now), inc.ID)
	}
	if err == nil && e.Visibility == amends.Public {
		err = s.bumpPublish(ctx, tx, inc)
		if err == nil {
			err = s.notifySubscribers(ctx, tx, inc, e, now)
		}
		if err == nil {
			err = s.scheduleUpdateReminder(ctx, tx, inc, e)
		}
	}
	if err != nil {
		return e, fmt.Errorf("update incident after event: %w", err)
	}
	return e, nil
}

// rederive recomputes every derived instant from the whole timeline; it runs for the rare
// events (status changes, corrections) whose effect is not a simple minimum.
func (s *Store) rederive(ctx context.Context, tx *Tx, inc *amends.Incident, now time.Time) error {
	events, err := s.events(ctx, tx, inc.ID, false)
	if err != nil {
		return err
	}
	in := amends.DeriveInstants(inc.NoticedAt, events)
	inc.NoticedAt = in.Noticed
	_, err = tx.ExecContext(ctx, `UPDATE incidents SET event_count = $1, head_hash = $2, updated_at = $3,
		noticed_at = $4, colleagues_told_at = $5, customers_told_at = $6, root_cause_at = $7, mitigated_at = $8,
		resolved_at = $9, closed_at = $10 WHERE id = $11`,
		inc.EventCount, inc.HeadHash, micros(now), micros(in.Noticed), nullMicros(in.ColleaguesTold),
		nullMicros(in.CustomersTold), nullMicros(in.RootCause), nullMicros(in.Mitigated), nullMicros(in.Resolved),
		nullMicros(in.Closed), inc.ID)
	return err
}

func (s *Store) events(ctx context.Context, q querier, incidentID int64, publicOnly bool) ([]amends.Event, error) {
	query := "SELECT " + eventColumns + " FROM events WHERE incident_id = $1"
	if publicOnly {
		query += " AND visibility = 'public'"
	}
	rows, err := q.QueryContext(ctx, query+" ORDER BY at, seq", incidentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	events := []amends.Event{}
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		events = append(events, e)
	}
	return events, rows.Err()
}

// Timeline returns the events of incident ref in the order they happened (ties in the order
// they were recorded). With publicOnly, internal events are left out. Reads of an unchanged
// timeline come from memory: the cache is keyed by the chain's head hash, which every append
// changes, so it never serves a stale timeline.
func (s *Store) Timeline(ctx context.Context, ref string, publicOnly bool) ([]amends.Event, error) {
	events, _, err := s.TimelineOf(ctx, ref, publicOnly)
	return events, err
}

// TimelineOf is Timeline that also returns the chain head the events are exactly the timeline
// of ("" when an append raced the read, so no head can vouch for it), for callers that cache
// what they derive from a timeline by its head.
func (s *Store) TimelineOf(ctx context.Context, ref string, publicOnly bool) ([]amends.Event, string, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	key := timelineKey{inc.ID, publicOnly}
	if c, ok := s.timelines.Get(key); ok && c.head == inc.HeadHash {
		return append([]amends.Event(nil), c.events...), c.head, nil
	}
	events, err := s.events(ctx, s.db, inc.ID, publicOnly)
	if err != nil {
		return nil, "", translate(err)
	}
	// Cache only a read that lies between two sightings of the same head: no append committed
	// in between, so the events are exactly that head's timeline.
	var head string
	if err := s.db.QueryRowContext(ctx, "SELECT head_hash FROM incidents WHERE id = $1", inc.ID).Scan(&head); err != nil || head != inc.HeadHash {
		return events, "", nil
	}
	s.timelines.Put(key, cachedTimeline{head, append([]amends.Event(nil), events...)})
	return events, head, nil
}

type timelineKey struct {
	incident int64
	public   bool
}

type cachedTimeline struct {
	head   string
	events []amends.Event
}

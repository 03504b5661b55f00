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

// Limits on what the status page lists.
const (
	// PublicOpenLimit caps the open incidents read for the status page.
	PublicOpenLimit = 200
	// PublicHistoryLimit is how many resolved incidents the status page keeps as history.
	PublicHistoryLimit = 20
)

// PublicState is everything the public status page may show. It is read from columns that are
// public by decision (reference, title, severity, status, components, resolved time) and from
// public events (time and body); the store never reads summaries, people, actors or internal
// event bodies into it, so nothing else can reach the page.
type PublicState struct {
	// Version is the publish counter; the state shows at least every change it counts.
	Version int64
	// PublishedAt is when the latest change to the page committed (zero when none ever did).
	PublishedAt time.Time
	// Open are the published incidents still open, newest first.
	Open []amends.PublicIncident
	// History are the latest PublicHistoryLimit published incidents that are resolved or closed,
	// newest first.
	History []amends.PublicIncident
}

// PublishVersion returns the publish counter: it moves in the transaction of every change to
// what the status page shows. It is one primary-key read, meant to be polled.
func (s *Store) PublishVersion(ctx context.Context) (int64, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, "SELECT value FROM counters WHERE name = 'publish'").Scan(&v)
	return v, translate(err)
}

// PublishedState reads everything public in four queries. It does not run in a transaction
// (SQLite's transactions here take the write lock): the counter is read first, so a change
// that commits during the read moves the counter past Version and the next poll reads again;
// read the other way round, a change could be counted without being shown.
func (s *Store) PublishedState(ctx context.Context) (PublicState, error) {
	var st PublicState
	rows, err := s.db.QueryContext(ctx, "SELECT name, value FROM counters WHERE name IN ('publish', 'publish_at')")
	if err != nil {
		return st, translate(err)
	}
	for rows.Next() {
		var name string
		var v int64
		if err := rows.Scan(&name, &v); err != nil {
			rows.Close()
			return st, translate(err)
		}
		if name == "publish" {
			st.Version = v
		} else if v > 0 {
			st.PublishedAt = fromMicros(v)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return st, translate(err)
	}
	byID := map[int64]*amends.PublicIncident{}
	var order []int64
	for rank, limit := range []int{PublicOpenLimit, PublicHistoryLimit} {
		incs, ids, err := s.publishedIncidents(ctx, rank, limit)
		if err != nil {
			return st, translate(err)
		}
		for i := range incs {
			byID[ids[i]] = &incs[i]
		}
		order = append(order, ids...)
		if rank == 0 {
			st.Open = incs
		} else {
			st.History = incs
		}
	}
	if err := s.publicUpdates(ctx, order, byID); err != nil {
		return st, translate(err)
	}
	if err := s.publicPromises(ctx, order, byID); err != nil {
		return st, translate(err)
	}
	return st, nil
}

// publishedIncidents reads the published incidents of one open_rank (0 open, 1 not), newest
// first, and their row ids.
func (s *Store) publishedIncidents(ctx context.Context, rank, limit int) ([]amends.PublicIncident, []int64, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT i.id, i.number, i.title, i.severity, i.status, i.components, i.resolved_at
		FROM incidents i WHERE i.open_rank = $1
		AND EXISTS (SELECT 1 FROM events e WHERE e.incident_id = i.id AND e.visibility = 'public')
		ORDER BY i.number DESC LIMIT $2`, rank, limit)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	incs := []amends.PublicIncident{}
	var ids []int64
	for rows.Next() {
		var (
			id, number         int64
			inc                amends.PublicIncident
			status, components string
			resolved           sql.NullInt64
		)
		if err := rows.Scan(&id, &number, &inc.Title, &inc.Severity, &status, &components, &resolved); err != nil {
			return nil, nil, err
		}
		inc.Ref = amends.FormatRef(number)
		inc.Status = amends.PublicStatus(amends.Status(status))
		if err := json.Unmarshal([]byte(components), &inc.Components); err != nil {
			return nil, nil, fmt.Errorf("incident %s components: %w", inc.Ref, err)
		}
		if inc.Components == nil {
			inc.Components = []string{}
		}
		if !inc.Status.Open() {
			inc.ResolvedAt = fromNullMicros(resolved)
		}
		incs = append(incs, inc)
		ids = append(ids, id)
	}
	return incs, ids, rows.Err()
}

// publicUpdates fills in the public events of the incidents in byID. Status events are read
// too, for their body only (the new status, public by decision), so each update carries the
// status the incident had when it was recorded.
func (s *Store) publicUpdates(ctx context.Context, ids []int64, byID map[int64]*amends.PublicIncident) error {
	if len(ids) == 0 {
		return nil
	}
	marks := make([]string, len(ids))
	args := make([]any, len(ids))
	for i, id := range ids {
		marks[i] = "$" + strconv.Itoa(i+1)
		args[i] = id
	}
	rows, err := s.db.QueryContext(ctx, `SELECT incident_id, kind, body, at, recorded_at, visibility FROM events
		WHERE incident_id IN (`+strings.Join(marks, ", ")+`) AND (visibility = 'public' OR kind = 'status')
		ORDER BY incident_id, seq`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	status := map[int64]amends.Status{}
	for rows.Next() {
		var (
			id, at, recorded       int64
			kind, body, visibility string
		)
		if err := rows.Scan(&id, &kind, &body, &at, &recorded, &visibility); err != nil {
			return err
		}
		inc := byID[id]
		cur, ok := status[id]
		if !ok {
			cur = amends.Investigating
		}
		if amends.EventKind(kind) == amends.KindStatus {
			if st := amends.Status(body); st.Valid() {
				status[id] = amends.PublicStatus(st)
				cur = status[id]
			}
		}
		if amends.Visibility(visibility) != amends.Public {
			continue
		}
		inc.Updates = append(inc.Updates, amends.PublicUpdate{N: len(inc.Updates) + 1, At: fromMicros(at),
			RecordedAt: fromMicros(recorded), Status: cur, Body: body})
	}
	return rows.Err()
}

// bumpPublish moves the publish counter, and records when, if inc is published (has a public
// event). It runs in the transaction of every change that may alter the status page: a public
// event appended, an update of the incident's fields. A needless bump costs one rebuild that
// yields the same bytes and the same ETag.
func (s *Store) bumpPublish(ctx context.Context, tx *Tx, inc *amends.Incident) error {
	var one int
	err := tx.QueryRowContext(ctx, "SELECT 1 FROM events WHERE incident_id = $1 AND visibility = 'public' LIMIT 1", inc.ID).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("is %s published: %w", inc.Ref, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE counters SET value = CASE WHEN name = 'publish' THEN value + 1
		WHEN value > $1 THEN value ELSE $1 END WHERE name IN ('publish', 'publish_at')`, micros(s.now())); err != nil {
		return fmt.Errorf("bump publish counter: %w", err)
	}
	return nil
}

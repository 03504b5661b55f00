package store

import (
	"context"
	"time"

	"github.com/amends/amends"
)

// audit records who did what in tx, so the record exists exactly when the change does.
func (s *Store) audit(ctx context.Context, tx *Tx, now time.Time, actor amends.Actor, action, target, detail string) error {
	_, err := tx.ExecContext(ctx, "INSERT INTO audit (at, actor, action, target, detail) VALUES ($1, $2, $3, $4, $5)",
		micros(now), actor.Name, action, target, detail)
	return err
}

// Audit returns the newest audit entries first, at most limit of them.
func (s *Store) Audit(ctx context.Context, limit int) ([]amends.AuditEntry, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := s.db.QueryContext(ctx, "SELECT id, at, actor, action, target, detail FROM audit ORDER BY id DESC LIMIT $1", limit)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []amends.AuditEntry{}
	for rows.Next() {
		var a amends.AuditEntry
		var at int64
		if err := rows.Scan(&a.ID, &at, &a.Actor, &a.Action, &a.Target, &a.Detail); err != nil {
			return nil, err
		}
		a.At = fromMicros(at)
		out = append(out, a)
	}
	return out, translate(rows.Err())
}

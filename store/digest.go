package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/amends/amends"
)

// SendDigests writes this week's digest for every person who owes something overdue or due
// within amends.DigestHorizon: one delivery per contact bearing their name, enqueued in the
// same transaction as the row that marks the week's digest written. It returns how many
// people were sent one. Running it again in the same week sends nothing new, so the job may
// run at every start as well as on Monday morning.
func (s *Store) SendDigests(ctx context.Context) (int, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	week, _ := amends.DigestWeek(now, s.loc)
	sent := 0
	err := s.inTx(ctx, func(tx *Tx) error {
		sent = 0
		items, err := s.actionItems(ctx, tx, "a.state = 'open' AND a.due_at <= $1 ORDER BY a.owner, a.due_at, a.id",
			micros(now.Add(amends.DigestHorizon)))
		if err != nil {
			return err
		}
		byOwner := map[string][]*amends.ActionItem{}
		var owners []string
		for _, a := range items {
			if _, ok := byOwner[a.Owner]; !ok {
				owners = append(owners, a.Owner)
			}
			byOwner[a.Owner] = append(byOwner[a.Owner], a)
		}
		for _, owner := range owners {
			list := amends.DigestItems(byOwner[owner], now)
			if len(list) == 0 {
				continue
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO digests (owner, week, items, created_at) VALUES ($1, $2, $3, $4)
				ON CONFLICT (owner, week) DO NOTHING`, owner, week, len(list), micros(now))
			if err != nil {
				return fmt.Errorf("record digest: %w", err)
			}
			if n, err := res.RowsAffected(); err != nil {
				return err
			} else if n == 0 {
				continue // this week's digest of owner was written already
			}
			subject, body := amends.MakeDigest(owner, list, now, s.loc)
			if err := s.tellPerson(ctx, tx, 0, owner, amends.PurposeDigest, subject, body, now); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	return sent, err
}

// nullID is a reference that may be absent: zero is none.
func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

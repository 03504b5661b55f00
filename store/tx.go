package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Tx is one store transaction. Its queries go through database/sql on both engines; it also
// exposes the engine's native transaction handle so that jobs can be enqueued in it (River's
// SQLite driver takes a *sql.Tx, its PostgreSQL driver a pgx.Tx), committing or rolling back
// together with the change that caused them.
type Tx struct {
	querier
	sqlTx *sql.Tx // SQLite
	pgxTx pgx.Tx  // PostgreSQL: begun on conn through pgx, so database/sql and pgx share it
	conn  *sql.Conn
}

// SQLTx returns the *sql.Tx of a SQLite transaction, nil on PostgreSQL.
func (tx *Tx) SQLTx() *sql.Tx { return tx.sqlTx }

// PgxTx returns the pgx.Tx of a PostgreSQL transaction, nil on SQLite.
func (tx *Tx) PgxTx() pgx.Tx { return tx.pgxTx }

// Enqueuer inserts jobs in a transaction; the delivery package provides it at start-up so the
// store can cause side effects without importing outward.
type Enqueuer interface {
	// Enqueue schedules jobs in tx. Each job is a value the enqueuer knows how to insert.
	Enqueue(ctx context.Context, tx *Tx, jobs []Job) error
}

// Job is a side effect to run after a change commits, inserted in the change's transaction.
type Job struct {
	Kind       string // "deliver", "fanout", "clock", "unread", "customers", "subscription", "subscribers"
	DeliveryID int64
	BriefID    int64
	MessageID  int64 // the customer message whose deliveries a "customers" job sends
	IncidentID int64
	// SubscriberID is the status-page subscriber a "subscription" job asks to confirm; EventID
	// the public event whose deliveries to subscribers a "subscribers" job sends.
	SubscriberID int64
	EventID      int64
	At           int64 // when to run, microseconds since the epoch; 0 for now
	Note         string
}

func (s *Store) begin(ctx context.Context) (*Tx, error) {
	if s.dialect != Postgres {
		t, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return nil, err
		}
		return &Tx{querier: t, sqlTx: t}, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	var ptx pgx.Tx
	err = conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("postgres connection is %T, not pgx", dc)
		}
		var err error
		ptx, err = c.Conn().Begin(ctx)
		return err
	})
	if err != nil {
		conn.Close()
		return nil, err
	}
	return &Tx{querier: conn, pgxTx: ptx, conn: conn}, nil
}

func (tx *Tx) commit(ctx context.Context) error {
	if tx.sqlTx != nil {
		return tx.sqlTx.Commit()
	}
	defer tx.conn.Close()
	return tx.pgxTx.Commit(ctx)
}

func (tx *Tx) rollback(ctx context.Context) {
	if tx.sqlTx != nil {
		tx.sqlTx.Rollback()
		return
	}
	// A rollback on a broken connection fails; the connection is then discarded by Close.
	tx.pgxTx.Rollback(context.WithoutCancel(ctx))
	tx.conn.Close()
}

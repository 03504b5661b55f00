package delivery

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"

	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// Config is what the queue needs.
type Config struct {
	Store   *store.Store
	DBURL   string // the PostgreSQL URL, for River's own pool; unused on SQLite
	Senders channel.Senders
	BaseURL string // links in messages point here
	Logger  *slog.Logger
	// Workers is how many jobs run at once; fan-outs to many receivers want many (default 100).
	Workers int
	// RescueAfter is how long a job may look running before it is retried, e.g. after its
	// process was killed (default 1 minute).
	RescueAfter time.Duration
	// JobTimeout bounds one try of one job (default 30 s, and always under RescueAfter).
	JobTimeout time.Duration
	// NextDelay decides, after a failed try, how long to wait and whether to retry at all;
	// channel.NextDelay when nil (exponential backoff with jitter, Retry-After honoured).
	NextDelay func(err error, attempt int) (time.Duration, bool)
	// PollInterval is how often an idle worker looks for work (default 50 ms on SQLite, which has
	// no LISTEN/NOTIFY; 1 s on PostgreSQL, which is woken by notifications).
	PollInterval time.Duration
	// Digests sends each person a weekly digest of what they owe, on Monday mornings and at
	// start-up for a week not yet sent. Off in tests that count what was sent.
	Digests bool
}

// Queue is the durable job queue. It implements store.Enqueuer.
type Queue struct {
	cfg    Config
	client interface {
		Start(context.Context) error
		Stop(context.Context) error
	}
	insert func(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) error
	pool   *pgxpool.Pool

	secretMu sync.Mutex
	secret   string
}

// New builds the queue on the store's database and applies River's own migrations. It does
// not work jobs until Start.
func New(ctx context.Context, cfg Config) (*Queue, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.NextDelay == nil {
		cfg.NextDelay = func(err error, attempt int) (time.Duration, bool) { return channel.NextDelay(err, attempt, nil) }
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 100
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = time.Minute
	}
	if cfg.JobTimeout <= 0 || cfg.JobTimeout >= cfg.RescueAfter {
		// A job must time out before it can look stuck, or a slow one would run twice.
		cfg.JobTimeout = min(30*time.Second, cfg.RescueAfter/2)
	}
	q := &Queue{cfg: cfg}
	workers := river.NewWorkers()
	river.AddWorker(workers, &deliverWorker{q: q})
	river.AddWorker(workers, &fanoutWorker{q: q})
	river.AddWorker(workers, &clockWorker{q: q})
	river.AddWorker(workers, &unreadWorker{q: q})
	river.AddWorker(workers, &customersWorker{q: q})
	river.AddWorker(workers, &subscriptionWorker{q: q})
	river.AddWorker(workers, &subscribersWorker{q: q})
	river.AddWorker(workers, &digestWorker{q: q})
	river.AddWorker(workers, &surveysWorker{q: q})
	riverCfg := &river.Config{
		Queues:               map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: cfg.Workers}},
		Workers:              workers,
		JobTimeout:           cfg.JobTimeout,
		RescueStuckJobsAfter: cfg.RescueAfter,
		Logger:               cfg.Logger.With("component", "queue"),
		FetchCooldown:        10 * time.Millisecond,
	}
	if cfg.Digests {
		riverCfg.PeriodicJobs = []*river.PeriodicJob{digestJob(cfg.Store.Location())}
	}
	switch cfg.Store.Dialect() {
	case store.SQLite:
		riverCfg.FetchPollInterval = orDefault(cfg.PollInterval, 50*time.Millisecond)
		drv := riversqlite.New(cfg.Store.DB())
		if err := migrate[*sql.Tx](ctx, drv); err != nil {
			return nil, err
		}
		if err := resumeCrashed(ctx, cfg); err != nil {
			return nil, err
		}
		c, err := river.NewClient(drv, riverCfg)
		if err != nil {
			return nil, fmt.Errorf("job queue: %w", err)
		}
		q.client = c
		q.insert = func(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) error {
			_, err := c.InsertManyTx(ctx, tx.SQLTx(), params)
			return err
		}
	case store.Postgres:
		riverCfg.FetchPollInterval = orDefault(cfg.PollInterval, time.Second)
		pool, err := pgxpool.New(ctx, cfg.DBURL)
		if err != nil {
			return nil, fmt.Errorf("job queue pool: %w", err)
		}
		q.pool = pool
		drv := riverpgxv5.New(pool)
		if err := migrate[pgx.Tx](ctx, drv); err != nil {
			pool.Close()
			return nil, err
		}
		c, err := river.NewClient(drv, riverCfg)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("job queue: %w", err)
		}
		q.client = c
		q.insert = func(ctx context.Context, tx *store.Tx, params []river.InsertManyParams) error {
			_, err := c.InsertManyTx(ctx, tx.PgxTx(), params)
			return err
		}
	default:
		return nil, errors.New("job queue: unknown database")
	}
	return q, nil
}

// resumeCrashed makes the jobs that look running available again at once. It is for SQLite
// only, where one server process owns the database file (docs/OPERATIONS.md): a job running
// when that process starts was running in one that died, and would otherwise wait for River's
// rescuer, which looks every 30 seconds, once RescueAfter has passed and once this process has
// won the leader lease the dead one held for 15 more: a minute and a half after a crash with
// the defaults. The rescuer would run the job again too; this only does it sooner (and the
// sending jobs send only what is not yet recorded as sent).
func resumeCrashed(ctx context.Context, cfg Config) error {
	res, err := cfg.Store.DB().ExecContext(ctx, "UPDATE river_job SET state = 'available' WHERE state = 'running'")
	if err != nil {
		return fmt.Errorf("job queue: resume the jobs of a crashed process: %w", err)
	}
	if n, _ := res.RowsAffected(); n > 0 {
		cfg.Logger.Warn("resuming jobs that were running when the server stopped", "jobs", n)
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// migrate applies River's own schema (its jobs, leader and queue tables) beside ours.
func migrate[TTx any](ctx context.Context, drv riverdriver.Driver[TTx]) error {
	m, err := rivermigrate.New[TTx](drv, nil)
	if err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("job queue migrations: %w", err)
	}
	return nil
}

// Enqueue inserts jobs in the store's transaction: they exist exactly when the change that
// caused them commits.
func (q *Queue) Enqueue(ctx context.Context, tx *store.Tx, jobs []store.Job) error {
	params := insertParams(jobs)
	if len(params) == 0 {
		return nil
	}
	if err := q.insert(ctx, tx, params); err != nil {
		return fmt.Errorf("enqueue %d jobs: %w", len(params), err)
	}
	return nil
}

// Start works jobs in the background until Stop.
func (q *Queue) Start(ctx context.Context) error { return q.client.Start(ctx) }

// Stop lets running jobs finish (up to ctx's deadline) and stops working.
func (q *Queue) Stop(ctx context.Context) error {
	err := q.client.Stop(ctx)
	if q.pool != nil {
		q.pool.Close()
	}
	return err
}

var _ store.Enqueuer = (*Queue)(nil)

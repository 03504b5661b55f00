// Package store keeps amends' state in one SQL database: embedded SQLite by default, or
// PostgreSQL. Every exported method is one transaction (or one read); private helpers take
// the transaction they run in. SQL is written once, with $n placeholders both engines accept.
package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/amends/amends"
	"github.com/amends/amends/lru"
)

// Dialect names the database engine behind a Store.
type Dialect string

// Dialects.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// Store is amends' database. It is safe for concurrent use.
type Store struct {
	db      *sql.DB
	dialect Dialect
	path    string // the SQLite file, empty for PostgreSQL
	now     func() time.Time
	loc     *time.Location

	files string // where attachments live; "" when none are kept
	quota int64  // per-incident attachment quota in bytes

	enqueuer  Enqueuer
	timelines *lru.Cache[timelineKey, cachedTimeline]
}

// Options configure Open.
type Options struct {
	// Now is the clock; time.Now when nil. Tests pass a clock they move.
	Now func() time.Time
	// Location is the zone times are written in for people (briefs); time.Local when nil.
	Location *time.Location
	// Files is the directory attachments live in; DATADIR/attachments when empty and a data
	// directory is given. PostgreSQL deployments keep attachments on disk too.
	Files string
	// AttachmentQuota is how many bytes the attachments of one incident may hold together;
	// amends.AttachmentQuota when zero. Tests set a small one.
	AttachmentQuota int64
}

// Open connects to the database named by url and applies pending migrations. url is
// "postgres://…" (or "postgresql://…") for PostgreSQL, "sqlite:PATH" for SQLite; an empty url
// means SQLite at DATADIR/amends.db, creating the data directory when missing.
func Open(ctx context.Context, url, dataDir string, opt Options) (*Store, error) {
	s, err := open(url, dataDir, opt)
	if err != nil {
		return nil, err
	}
	if err := s.Migrate(ctx); err != nil {
		s.db.Close()
		if e := amends.ErrorOf(err); e != nil && e.Code == amends.EUnavailable && s.path != "" {
			// Say which file, and what to check: a read-only directory or a full disk.
			return nil, fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "SQLite database %s: %s; check that its directory is writable by this user and the disk has room",
				s.path, e.Message), err)
		}
		return nil, err
	}
	return s, nil
}

// OpenNoMigrate connects like Open but leaves the schema alone (for `amends migrate --status`).
func OpenNoMigrate(url, dataDir string, opt Options) (*Store, error) { return open(url, dataDir, opt) }

func open(url, dataDir string, opt Options) (*Store, error) {
	s := &Store{now: opt.Now, loc: opt.Location, timelines: lru.New[timelineKey, cachedTimeline](256)}
	if s.now == nil {
		s.now = time.Now
	}
	if s.loc == nil {
		s.loc = time.Local
	}
	s.files, s.quota = opt.Files, opt.AttachmentQuota
	if s.files == "" && dataDir != "" {
		s.files = filepath.Join(dataDir, "attachments")
	}
	if s.quota <= 0 {
		s.quota = amends.AttachmentQuota
	}
	switch {
	case strings.HasPrefix(url, "postgres://"), strings.HasPrefix(url, "postgresql://"):
		db, err := sql.Open("pgx", url)
		if err != nil {
			return nil, fmt.Errorf("open postgres: %w", err)
		}
		db.SetMaxOpenConns(20)
		db.SetMaxIdleConns(20)
		db.SetConnMaxIdleTime(5 * time.Minute)
		s.db, s.dialect = db, Postgres
	case url == "" || strings.HasPrefix(url, "sqlite:"):
		path := strings.TrimPrefix(url, "sqlite:")
		if path == "" {
			if dataDir == "" {
				dataDir = "amends-data"
			}
			path = filepath.Join(dataDir, "amends.db")
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create data directory: %w", err)
		}
		db, err := sql.Open("sqlite", sqliteDSN(path))
		if err != nil {
			return nil, fmt.Errorf("open sqlite: %w", err)
		}
		// One writer at a time is SQLite's nature; a few connections let reads run beside it.
		db.SetMaxOpenConns(4)
		db.SetMaxIdleConns(4)
		s.db, s.dialect, s.path = db, SQLite, path
	default:
		return nil, amends.Errorf(amends.EInvalid, "db", "must be postgres://… or sqlite:PATH, got %q", redactURL(url))
	}
	return s, nil
}

func sqliteDSN(path string) string {
	// Immediate transactions take the write lock up front, so two read-then-write
	// transactions wait for each other instead of failing with SQLITE_BUSY.
	return "file:" + path + "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)&_txlock=immediate"
}

// redactURL hides a password in a connection URL so it can be shown in errors and logs.
func redactURL(u string) string {
	at := strings.LastIndex(u, "@")
	scheme := strings.Index(u, "://")
	if at < 0 || scheme < 0 || at < scheme {
		return u
	}
	creds := u[scheme+3 : at]
	if i := strings.Index(creds, ":"); i >= 0 {
		return u[:scheme+3] + creds[:i] + ":xxxxx" + u[at:]
	}
	return u
}

// Dialect returns the engine in use.
func (s *Store) Dialect() Dialect { return s.dialect }

// File is the SQLite database's file, or "" on PostgreSQL.
func (s *Store) File() string { return s.path }

// DB returns the underlying handle, for tests and benchmarks that measure raw SQL beside the store.
func (s *Store) DB() *sql.DB { return s.db }

// Now returns the store's clock reading.
func (s *Store) Now() time.Time { return s.now() }

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Ping reports whether the database answers, for /readyz.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	if err := s.db.QueryRowContext(ctx, "SELECT 1").Scan(&one); err != nil {
		return translate(err)
	}
	return nil
}

// inTx runs fn in one transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx *Tx) error) (err error) {
	tx, err := s.begin(ctx)
	if err != nil {
		return translate(err)
	}
	done := false
	defer func() {
		if !done {
			tx.rollback(ctx)
		}
	}()
	if err := fn(tx); err != nil {
		return translate(err)
	}
	done = true
	return translate(tx.commit(ctx))
}

// translate turns driver errors into domain errors in one place: constraint violations become
// EConflict, a database that cannot be reached becomes EUnavailable. Other errors pass through.
func translate(err error) error {
	if err == nil || amends.ErrorOf(err) != nil {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "23505":
			return fmt.Errorf("%w: %v", amends.Errorf(amends.EConflict, "", "already exists"), err)
		case strings.HasPrefix(pg.Code, "08"), pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03":
			return fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "database unavailable"), err)
		}
		return err
	}
	var lite *sqlite.Error
	if errors.As(err, &lite) {
		code := lite.Code()
		if code == sqlite3.SQLITE_CONSTRAINT_UNIQUE || code == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY {
			return fmt.Errorf("%w: %v", amends.Errorf(amends.EConflict, "", "already exists"), err)
		}
		switch code & 0xff { // the primary result code
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "database busy"), err)
		case sqlite3.SQLITE_FULL, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN:
			return fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "database cannot be written: %s", sqlite.ErrorCodeString[code&0xff]), err)
		}
		return err
	}
	// A connection that breaks under a query (PostgreSQL restarted, the network cut) comes back
	// from pgx as a bare end of stream, or as "conn closed" on its next use. The chain is kept
	// so that a handler reading a request body inside a transaction still tells, by errors.Is,
	// an upload that ended early.
	if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) || errors.Is(err, pgconn.ErrConnClosed) {
		return fmt.Errorf("%w: %w", amends.Errorf(amends.EUnavailable, "", "database unavailable"), err)
	}
	var netErr net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.As(err, &netErr) || errors.Is(err, sql.ErrConnDone) {
		return fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "database unavailable"), err)
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "database unavailable"), err)
	}
	var conn *pgconn.ConnectError
	if errors.As(err, &conn) {
		return fmt.Errorf("%w: %v", amends.Errorf(amends.EUnavailable, "", "database unavailable"), err)
	}
	return err
}

func micros(t time.Time) int64 { return t.UTC().UnixMicro() }

func fromMicros(v int64) time.Time { return time.UnixMicro(v).UTC() }

func fromNullMicros(v sql.NullInt64) *time.Time {
	if !v.Valid {
		return nil
	}
	t := fromMicros(v.Int64)
	return &t
}

func nullMicros(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: micros(*t), Valid: true}
}

// queryPlan returns EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL) of q, one line a step.
func (s *Store) queryPlan(ctx context.Context, q string, args ...any) (string, error) {
	explain := "EXPLAIN " + q
	if s.dialect == SQLite {
		explain = "EXPLAIN QUERY PLAN " + q
	}
	rows, err := s.db.QueryContext(ctx, explain, args...)
	if err != nil {
		return "", translate(err)
	}
	defer rows.Close()
	cols, _ := rows.Columns()
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return "", err
		}
		out = append(out, fmt.Sprint(vals[len(vals)-1]))
	}
	return strings.Join(out, "\n"), rows.Err()
}

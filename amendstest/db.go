package amendstest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// Databases are the engines every store test runs on.
var Databases = []string{"sqlite", "postgres"}

// DatabaseURL returns a --db URL for a new, empty database of the given engine that lives as
// long as the test: a file in the test's temporary directory for SQLite; a schema of its own
// for PostgreSQL, at the server named by AMENDS_TEST_POSTGRES (required in CI).
func DatabaseURL(t testing.TB, engine string) string {
	t.Helper()
	switch engine {
	case "sqlite":
		return "sqlite:" + filepath.Join(t.TempDir(), "amends.db")
	case "postgres":
		base := os.Getenv("AMENDS_TEST_POSTGRES")
		Require(t, base != "", "PostgreSQL (AMENDS_TEST_POSTGRES)")
		return postgresSchema(t, base)
	}
	t.Fatalf("unknown database engine %q", engine)
	return ""
}

func postgresSchema(t testing.TB, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatalf("open %s: %v", base, err)
	}
	defer db.Close()
	b := make([]byte, 6)
	rand.Read(b)
	schema := "test_" + hex.EncodeToString(b)
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		Require(t, false, "PostgreSQL at AMENDS_TEST_POSTGRES ("+err.Error()+")")
	}
	t.Cleanup(func() {
		db, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer db.Close()
		db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE")
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("AMENDS_TEST_POSTGRES: %v", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

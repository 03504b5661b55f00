// Command pgschema creates an empty schema for a benchmark run on the PostgreSQL server named
// by AMENDS_TEST_POSTGRES and prints a URL that selects it.
package main

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

func main() {
	base := os.Getenv("AMENDS_TEST_POSTGRES")
	if base == "" {
		os.Exit(1)
	}
	db, err := sql.Open("pgx", base)
	if err != nil {
		os.Exit(1)
	}
	defer db.Close()
	// Schemas of earlier runs go first, so repeated runs do not pile up data.
	rows, err := db.Query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench\\_%'")
	if err == nil {
		var old []string
		for rows.Next() {
			var n string
			rows.Scan(&n)
			old = append(old, n)
		}
		rows.Close()
		for _, n := range old {
			db.Exec("DROP SCHEMA " + n + " CASCADE")
		}
	}
	schema := fmt.Sprintf("bench_%d", time.Now().UnixNano())
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	u, _ := url.Parse(base)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	fmt.Println(u.String())
}

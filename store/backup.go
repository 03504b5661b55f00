package store

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/amends/amends"
)

// Backup writes a consistent copy of a live SQLite database to path (VACUUM INTO reads one
// snapshot while writers go on). Restoring is starting amends with that file. PostgreSQL is
// backed up with pg_dump instead.
func (s *Store) Backup(ctx context.Context, path string) error {
	if s.dialect != SQLite {
		return amends.Errorf(amends.EInvalid, "db", "backup copies SQLite databases; for PostgreSQL use pg_dump")
	}
	if _, err := os.Stat(path); err == nil {
		return amends.Errorf(amends.EConflict, "file", "%s exists; choose a new file name", path)
	}
	if strings.ContainsRune(path, 0) {
		return amends.Errorf(amends.EInvalid, "file", "is not a valid path")
	}
	if _, err := s.db.ExecContext(ctx, "VACUUM INTO $1", path); err != nil {
		return fmt.Errorf("backup to %s: %w", path, translate(err))
	}
	return nil
}

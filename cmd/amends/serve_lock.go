//go:build unix

package main

import (
	"errors"
	"fmt"
	"os"
	"syscall"
)

// lockDatabaseFile makes sure only one `amends serve` uses a SQLite database file: the job
// queue resumes the jobs a crashed server left running at start, which is right only when no
// other server is running them. The lock is an flock on FILE.serve.lock, released by the
// kernel when the process ends however it ends, so a crash never leaves a stale lock. Commands
// that do not run jobs (token create, backup, verify) do not take it.
func lockDatabaseFile(file string) (release func(), err error) {
	f, err := os.OpenFile(file+".serve.lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another amends serve is using %s: one server per SQLite database (use PostgreSQL for several replicas)", file)
		}
		return nil, fmt.Errorf("lock %s: %w", file, err)
	}
	return func() { f.Close() }, nil
}

//go:build unix

package main

import (
	"context"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestOneServerPerSQLiteFile starts a second server on the database file of a running one: it
// is refused with a message saying why, and the file can be served again once the first stops.
func TestOneServerPerSQLiteFile(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	start := func() (*Main, error) {
		m := &Main{Config: config{Addr: "127.0.0.1:0", Data: t.TempDir(), DB: db, Workers: 2, RescueAfter: time.Minute},
			Notice: io.Discard, Logger: quietLogger()}
		err := m.Run(context.Background())
		if err != nil {
			m.Close()
		}
		return m, err
	}
	first, err := start()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := start(); err == nil || !strings.Contains(err.Error(), "another amends serve is using") {
		t.Fatalf("a second server on the same SQLite file: %v", err)
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := start()
	if err != nil {
		t.Fatalf("the file stays locked after its server stopped: %v", err)
	}
	again.Close()
}

// Package amendstest holds what the tests of amends share: a fresh database per test on
// SQLite and PostgreSQL, a clock the test moves, and a headless browser.
package amendstest

import (
	"os"
	"sync"
	"testing"
	"time"
)

// InCI reports whether the tests run in CI, where a missing dependency fails instead of skipping.
func InCI() bool { return os.Getenv("CI") == "true" }

// Require skips the test on a developer's machine, or fails it in CI, when a dependency is missing.
func Require(t testing.TB, ok bool, what string) {
	t.Helper()
	if ok {
		return
	}
	if InCI() {
		t.Fatalf("%s is required when CI=true", what)
	}
	t.Skipf("%s is not available; skipping (CI requires it)", what)
}

// Clock is a clock that moves only when the test says so. It is safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock reading t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's reading.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

//go:build !unix

package main

// lockDatabaseFile does nothing where flock is not available; one server per SQLite database
// is then only the documented rule.
func lockDatabaseFile(string) (func(), error) { return func() {}, nil }

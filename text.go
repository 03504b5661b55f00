package amends

import (
	"strings"
	"unicode/utf8"
)

// Shorten returns s when it has at most n characters (runes); otherwise its first n-1
// characters, without trailing space, and "…": never more than n characters, never a broken
// UTF-8 sequence. Titles in subjects, excerpts, chat messages and alert text are cut with it.
func Shorten(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	return strings.TrimRight(string([]rune(s)[:n-1]), " \t\n") + "…"
}

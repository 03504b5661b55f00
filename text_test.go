package amends_test

import (
	"testing"
	"unicode/utf8"

	"github.com/amends/amends"
)

func TestShorten(t *testing.T) {
	tests := []struct {
		in   string
		n    int
		want string
	}{
		{"Invoices doubled", 20, "Invoices doubled"},
		{"Invoices doubled", 16, "Invoices doubled"},
		{"Invoices doubled", 15, "Invoices doubl…"},
		{"Invoices doubled", 10, "Invoices…"}, // the space before the cut goes
		{"éééé", 3, "éé…"},
		{"abc", 1, "…"},
		{"abc", 0, ""},
	}
	for _, tt := range tests {
		got := amends.Shorten(tt.in, tt.n)
		if got != tt.want || !utf8.ValidString(got) || utf8.RuneCountInString(got) > max(tt.n, 0) {
			t.Errorf("Shorten(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

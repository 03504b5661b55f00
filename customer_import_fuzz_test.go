package amends_test

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/amends/amends"
)

// FuzzCustomerReader reads any bytes as a customer file and checks what an import relies on:
// every accepted row is a valid customer with a lower-case bare email address; every row is
// either accepted or refused, never both; every line number reported lies inside the file,
// and rows come in file order after the header. It is seeded with the files of
// TestCustomerReader and a few more.
func FuzzCustomerReader(f *testing.F) {
	for _, s := range []string{
		"email,name,account,segments\nann@example.com,Ann,Acme,enterprise;eu\r\nbo@example.com,,,\n",
		"\xef\xbb\xbf Email ,NAME\nann@example.com,Ann\n",
		"email\nann@example.com",
		"email\n\nann@example.com\n\n\nbo@example.com\n",
		"email,name\nann@example.com,\"Lee, Ann\"\n",
		"email\nann@example.com\nnot-an-email\nANN@example.com\n",
		"email,name,account\nann@example.com,Ann\n",
		"email,name\nann@example.com,Lee, Ann\n",
		"email,name\nann@example.com,Ren\xe9e\nbo@example.com,Bo\n",
		"email,name\nann@example.com,Ann \"the boss\"\nbo@example.com,Bo\n",
		"email,name\nann@example.com,\"Ann\"x\nbo@example.com,Bo\n",
		"email,name\nann@example.com,Ann\nbo@example.com,\"Bo\ncy@example.com,Cy\n",
		"email,name\nann@example.com,\"Ann\r\nBcc: evil@example.net\"\nbo@example.com,Bo\n",
		"email,name\nann@example.com,<script>alert(1)</script>\n",
		"email,name\n\"Ann <ann@example.com>\",Ann\n\"ann@example.com \",x\n",
		"email,name\nann@example.com,\u202eAnn\n",
		"", "email", "mail,name\nann@example.com,Ann\n", "email,name\rann@example.com,Ann\r",
		"ann@example.com,Ann\n", "email,name,Name\n", "\xff\xfee\x00m\x00", "e\x00m\x00a\x00i\x00l\x00\n\x00",
		"\xe9mail\n", "\"email\nann@example.com\n", "email,\"name\n",
		"email,segments\nann@example.com,\"VIP; vip ;,eu\"\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, file string) {
		lines := strings.Count(file, "\n") + 1
		r, err := amends.NewCustomerReader(strings.NewReader(file))
		if err != nil {
			checkStop(t, err, lines)
			return
		}
		seen := map[int]bool{}
		prev := 1
		for n := 0; ; n++ {
			if n > len(file) {
				t.Fatalf("more than %d rows from %d bytes", n, len(file))
			}
			row, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			if err != nil {
				checkStop(t, err, lines)
				return
			}
			if row.Line <= prev || row.Line > lines {
				t.Fatalf("row on line %d after line %d, in a file of %d lines", row.Line, prev, lines)
			}
			if seen[row.Line] {
				t.Fatalf("line %d reported twice", row.Line)
			}
			seen[row.Line], prev = true, row.Line
			if row.Problem != nil {
				if row.Customer.Email != "" {
					t.Errorf("line %d is both refused (%s) and accepted (%s)", row.Line, row.Problem.Message, row.Customer.Email)
				}
				if row.Problem.Line != row.Line || row.Problem.Message == "" {
					t.Errorf("line %d: problem %+v", row.Line, row.Problem)
				}
				continue
			}
			c := row.Customer
			if err := c.Validate(); err != nil {
				t.Errorf("line %d accepted an invalid customer %+v: %v", row.Line, c, err)
			}
			if err := amends.ValidateEmail("email", c.Email); err != nil || c.Email != strings.ToLower(c.Email) {
				t.Errorf("line %d accepted email %q: %v", row.Line, c.Email, err)
			}
		}
	})
}

// checkStop checks an error that stopped reading: a problem of the file, on one of its lines.
func checkStop(t *testing.T, err error, lines int) {
	t.Helper()
	var p *amends.RowProblem
	if !errors.As(err, &p) {
		t.Fatalf("reading a string failed with %T %v, want a *RowProblem", err, err)
	}
	if p.Line < 1 || p.Line > lines || p.Message == "" {
		t.Fatalf("stop on line %d of %d: %q", p.Line, lines, p.Message)
	}
}

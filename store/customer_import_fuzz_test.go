package store_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// FuzzImportCustomers imports any file, with or without skipping bad rows and updating known
// customers, into a store that keeps what earlier inputs imported. The report must add up
// (every row imported, updated, unchanged or skipped), list problems in file order on lines
// inside the file, and agree with the database: the customers added are exactly the ones
// reported imported, each one valid and found in the file; a file refused whole adds and
// changes nothing.
func FuzzImportCustomers(f *testing.F) {
	for _, s := range []string{
		"email,name,account,segments\nann@example.com,Ann,Acme,enterprise;eu\r\nbo@example.com,,,\n",
		"\xef\xbb\xbf Email ,NAME,Plan\nANN@example.com,Ann,pro\n",
		"email\nann@example.com\nnot-an-email\nann@example.com\n",
		"email,name\nann@example.com,\"Ann\r\nBcc: evil@example.net\"\nbo@example.com,Bo\n",
		"email,name\nann@example.com,Ann\nbo@example.com,\"Bo\ncy@example.com,Cy\n",
		"email,name\nann@example.com,Ren\xe9e\n",
		"email,name\n\"Ann <ann@example.com>\",Ann\n",
		"", "email", "mail\nann@example.com\n", "\xff\xfee\x00",
	} {
		f.Add(s, false, false)
		f.Add(s, true, false)
		f.Add(s, true, true)
	}
	s := fuzzStore(f)
	ctx := context.Background()
	last := int64(0) // the newest customer checked so far
	f.Fuzz(func(t *testing.T, file string, skipBad, update bool) {
		lines := strings.Count(file, "\n") + 1
		before := countCustomers(t, s, amends.CustomerFilter{})
		rep, err := s.ImportCustomers(ctx, strings.NewReader(file), store.ImportOptions{SkipBad: skipBad, Update: update}, responder)
		if err != nil {
			t.Fatalf("import failed: %v", err)
		}
		if rep.Rows != rep.Imported+rep.Updated+rep.Unchanged+rep.Skipped {
			t.Fatalf("report does not add up: %+v", rep)
		}
		if rep.ProblemCount() > rep.Rows+1 {
			t.Fatalf("%d problems in %d rows", rep.ProblemCount(), rep.Rows)
		}
		prev := 0
		for _, p := range rep.Problems {
			if p.Line < 1 || p.Line > lines || p.Line < prev || p.Message == "" {
				t.Fatalf("problem %+v after line %d, in a file of %d lines", p, prev, lines)
			}
			prev = p.Line
		}
		if rep.ProblemCount() > 0 && !skipBad && rep.Imported+rep.Updated+rep.Unchanged > 0 {
			t.Fatalf("a file with bad rows was taken without skipping them: %+v", rep)
		}
		after := countCustomers(t, s, amends.CustomerFilter{})
		if after != before+rep.Imported {
			t.Fatalf("%d customers before, %d after, report says %d imported", before, after, rep.Imported)
		}
		low := strings.ToLower(file)
		for {
			page, err := s.Customers(ctx, amends.CustomerFilter{After: strconv.FormatInt(last, 10), Limit: 500})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Customers {
				if err := c.Validate(); err != nil {
					t.Fatalf("imported an invalid customer %+v: %v", c, err)
				}
				if !strings.Contains(low, c.Email) {
					t.Fatalf("imported %q, which is not in the file", c.Email)
				}
				last = c.ID
			}
			if page.Next == "" {
				break
			}
		}
	})
}

package amends_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/amends/amends"
)

func TestCustomerNormalizeAndValidate(t *testing.T) {
	cases := []struct {
		name  string
		in    amends.Customer
		field string // "" for valid
	}{
		{"plain", amends.Customer{Email: "ann@example.com", Name: "Ann Lee", Account: "Acme"}, ""},
		{"email only", amends.Customer{Email: "ann@example.com"}, ""},
		{"upper-case and spaces", amends.Customer{Email: "  Ann@Example.COM "}, ""},
		{"non-ASCII name", amends.Customer{Email: "zoe@example.com", Name: "Zoë Ødegård-Ñúñez"}, ""},
		{"markup is text", amends.Customer{Email: "x@example.com", Name: "<script>alert(1)</script>", Account: "<b>Acme</b> & Sons"}, ""},
		{"segments", amends.Customer{Email: "a@example.com", Segments: []string{"Enterprise", "eu-west", "tier_1", "enterprise", " "}}, ""},
		{"200-character name", amends.Customer{Email: "a@example.com", Name: strings.Repeat("é", 200)}, ""},
		{"no email", amends.Customer{Name: "Ann"}, "email"},
		{"not an email", amends.Customer{Email: "ann at example.com"}, "email"},
		{"no domain", amends.Customer{Email: "ann@"}, "email"},
		{"display name", amends.Customer{Email: "Ann <ann@example.com>"}, "email"},
		{"two addresses", amends.Customer{Email: "a@example.com,b@example.com"}, "email"},
		{"comment", amends.Customer{Email: "a@example.com(Ann)"}, "email"},
		{"header injection in email", amends.Customer{Email: "a@example.com\r\nBcc: evil@example.net"}, "email"},
		{"email too long", amends.Customer{Email: strings.Repeat("a", 250) + "@example.com"}, "email"},
		{"email not UTF-8", amends.Customer{Email: "\xffa@example.com"}, "email"},
		{"name with CR LF", amends.Customer{Email: "a@example.com", Name: "Ann\r\nBcc: evil@example.net"}, "name"},
		{"name with LF", amends.Customer{Email: "a@example.com", Name: "Ann\nLee"}, "name"},
		{"name with line separator", amends.Customer{Email: "a@example.com", Name: "Ann\u2028Lee"}, "name"},
		{"name with tab", amends.Customer{Email: "a@example.com", Name: "Ann\tLee"}, "name"},
		{"name with NUL", amends.Customer{Email: "a@example.com", Name: "Ann\x00"}, "name"},
		{"name with direction override", amends.Customer{Email: "a@example.com", Name: "Ann\u202egnp.exe"}, "name"},
		{"name not UTF-8", amends.Customer{Email: "a@example.com", Name: "Ann\xc3"}, "name"},
		{"name 201 characters", amends.Customer{Email: "a@example.com", Name: strings.Repeat("x", 201)}, "name"},
		{"account two lines", amends.Customer{Email: "a@example.com", Account: "Acme\nEvil"}, "account"},
		{"account too long", amends.Customer{Email: "a@example.com", Account: strings.Repeat("x", 201)}, "account"},
		{"segment with space", amends.Customer{Email: "a@example.com", Segments: []string{"big customers"}}, "segments"},
		{"segment with markup", amends.Customer{Email: "a@example.com", Segments: []string{"<b>"}}, "segments"},
		{"segment too long", amends.Customer{Email: "a@example.com", Segments: []string{strings.Repeat("s", 51)}}, "segments"},
		{"21 segments", amends.Customer{Email: "a@example.com", Segments: strings.Split("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u", ",")}, "segments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cust := c.in
			cust.Normalize()
			err := cust.Validate()
			if c.field == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			e := amends.ErrorOf(err)
			if e == nil || e.Code != amends.EInvalid || e.Field != c.field {
				t.Fatalf("got %v, want invalid %s", err, c.field)
			}
		})
	}
	c := amends.Customer{Email: "  Ann@Example.COM ", Name: " Ann ", Segments: []string{"Enterprise", "eu-west", "enterprise", ""}}
	c.Normalize()
	if c.Email != "ann@example.com" || c.Name != "Ann" || strings.Join(c.Segments, ";") != "enterprise;eu-west" {
		t.Errorf("normalized: %+v", c)
	}
}

func TestParseSegments(t *testing.T) {
	for in, want := range map[string]string{
		"":                       "",
		"enterprise":             "enterprise",
		"Enterprise; EU-West ;;": "enterprise;eu-west",
		"a,b;a":                  "a;b",
	} {
		if got := strings.Join(amends.ParseSegments(in), ";"); got != want {
			t.Errorf("ParseSegments(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCustomerUpdate(t *testing.T) {
	name, segs := " Bo ", []string{"VIP"}
	cur := amends.Customer{ID: 3, Email: "bo@example.com", Name: "B", Account: "Acme", Segments: []string{"x"}}
	got := amends.CustomerUpdate{Name: &name, Segments: &segs}.Apply(cur)
	if got.Name != "Bo" || got.Account != "Acme" || strings.Join(got.Segments, ",") != "vip" || got.ID != 3 {
		t.Errorf("Apply: %+v", got)
	}
	if !(amends.CustomerUpdate{}).Empty() || (amends.CustomerUpdate{Name: &name}).Empty() {
		t.Error("Empty")
	}
}

// readAll reads a customer file and returns one line per row: "LINE ok EMAIL" or
// "LINE field: message", then "stop: PROBLEM" when reading stopped.
func readAll(t *testing.T, file string) []string {
	t.Helper()
	r, err := amends.NewCustomerReader(strings.NewReader(file))
	var out []string
	if err != nil {
		return []string{"stop: " + err.Error()}
	}
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return append(out, "stop: "+err.Error())
		}
		if row.Problem != nil {
			out = append(out, fmt.Sprintf("%d %s: %s", row.Line, row.Problem.Field, row.Problem.Message))
		} else {
			out = append(out, fmt.Sprintf("%d ok %s", row.Line, row.Customer.Email))
		}
	}
}

func TestCustomerReader(t *testing.T) {
	long := strings.Repeat("x", 100<<10)
	cases := []struct {
		name, file string
		want       []string // each a prefix of the corresponding row
	}{
		{"good", "email,name,account,segments\nann@example.com,Ann,Acme,enterprise;eu\r\nbo@example.com,,,\n", []string{"2 ok ann@example.com", "3 ok bo@example.com"}},
		{"BOM and header case", "\xef\xbb\xbf Email ,NAME\nann@example.com,Ann\n", []string{"2 ok ann@example.com"}},
		{"no trailing newline", "email\nann@example.com", []string{"2 ok ann@example.com"}},
		{"blank lines are skipped", "email\n\nann@example.com\n\n\nbo@example.com\n", []string{"3 ok ann@example.com", "6 ok bo@example.com"}},
		{"quoted field with a comma", "email,name\nann@example.com,\"Lee, Ann\"\n", []string{"2 ok ann@example.com"}},
		{"bad email", "email\nann@example.com\nnot-an-email\n", []string{"2 ok", "3 email: \"not-an-email\" is not an email address"}},
		{"missing column", "email,name,account\nann@example.com,Ann\n", []string{"2 account: missing: the row has 2 fields; the header has 3"}},
		{"extra field", "email,name\nann@example.com,Lee, Ann\n", []string{"2 : the row has 3 fields; the header has 2"}},
		{"not UTF-8", "email,name\nann@example.com,Ren\xe9e\nbo@example.com,Bo\n", []string{"2 name: not UTF-8: save the file as UTF-8", "3 ok"}},
		{"bare quote", "email,name\nann@example.com,Ann \"the boss\"\nbo@example.com,Bo\n", []string{`2 : a " in a field that is not quoted`, "3 ok"}},
		{"bad quote", "email,name\nann@example.com,\"Ann\"x\nbo@example.com,Bo\n", []string{"2 : malformed quotes", "3 ok"}},
		{"unterminated quote", "email,name\nann@example.com,Ann\nbo@example.com,\"Bo\ncy@example.com,Cy\n", []string{"2 ok", "3 : a quoted field opened on this line is not closed properly (reading reached line 4)"}},
		{"header injection", "email,name\nann@example.com,\"Ann\r\nBcc: evil@example.net\"\nbo@example.com,Bo\n", []string{"2 name: must be one line", "4 ok"}},
		{"markup stays text", "email,name\nann@example.com,<script>alert(1)</script>\n", []string{"2 ok"}},
		{"100 KiB line", "email,name\nann@example.com,Ann\nbo@example.com," + long + "\ncy@example.com,Cy\n", []string{"2 ok", "3 : the line is 100 KiB; a line may be at most 64 KiB", "4 ok"}},
		{"100 KiB line inside a quoted row", "email,name\nann@example.com,\"Ann\n" + long + "\n\"\ncy@example.com,Cy\n", []string{"2 : line 3 is over 64 KiB", "5 ok"}},
		{"100 KiB last line", "email,name\nann@example.com,Ann\n" + long, []string{"2 ok", "3 : the line is 100 KiB"}},
		{"open quote runs over 256 KiB", "email,name\nann@example.com,Ann\nbo@example.com,\"Bo\n" + strings.Repeat("cy@example.com,Cy\n", 20000), []string{"2 ok", "stop: line 3: the row starting here runs on past line"}},
		{"empty file", "", []string{"stop: line 1: the file is empty"}},
		{"no email column", "mail,name\nann@example.com,Ann\n", []string{"stop: line 1: email: the first row must name the columns; it has no email column (it has: \"mail\", \"name\")"}},
		{"CR line endings", "email,name\rann@example.com,Ann\r", []string{"stop: line 1: the lines end with a bare carriage return"}},
		{"no header", "ann@example.com,Ann\n", []string{"stop: line 1: email: the first row looks like data"}},
		{"duplicate header", "email,name,Name\n", []string{`stop: line 1: name: the header names column "name" twice (columns 2 and 3)`}},
		{"UTF-16 with BOM", "\xff\xfee\x00m\x00", []string{"stop: line 1: the file is UTF-16"}},
		{"UTF-16 without BOM", "e\x00m\x00a\x00i\x00l\x00\n\x00", []string{"stop: line 1: the header holds NUL bytes"}},
		{"Latin-1 header", "\xe9mail\n", []string{"stop: line 1: not UTF-8"}},
		{"long header", long + "\nemail\nann@example.com\n", []string{"stop: line 1: the first row must name the columns, but this line is over 64 KiB"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := readAll(t, c.file)
			if len(got) != len(c.want) {
				t.Fatalf("got %d rows, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], c.want[i]) {
					t.Errorf("row %d:\n got %q\nwant %q…", i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestCustomerReaderIgnoredColumns(t *testing.T) {
	r, err := amends.NewCustomerReader(strings.NewReader("Plan,email,,Region,name\npro,a@example.com,x,eu,A\n"))
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(r.Ignored(), ","); got != "plan,region" {
		t.Errorf("ignored %q", got)
	}
	row, err := r.Next()
	if err != nil || row.Problem != nil || row.Customer.Name != "A" {
		t.Fatalf("row %+v, %v", row, err)
	}
	if !r.CSV.Has("plan") || r.CSV.Has("account") {
		t.Error("Has")
	}
}

func TestImportReportCapsProblems(t *testing.T) {
	var r amends.ImportReport
	for i := range amends.MaxReportedProblems + 5 {
		r.Add(amends.RowProblem{Line: i + 2, Message: "bad"})
	}
	if len(r.Problems) != amends.MaxReportedProblems || r.MoreProblems != 5 || r.ProblemCount() != amends.MaxReportedProblems+5 || !r.Refused() {
		t.Errorf("%d listed, %d more", len(r.Problems), r.MoreProblems)
	}
	r.Imported = 1
	if r.Refused() {
		t.Error("a report with an import is not refused")
	}
}

// TestCustomerReaderStreams reads a file far larger than the reader may hold, produced on the
// fly, and checks every row arrives.
func TestCustomerReaderStreams(t *testing.T) {
	pr, pw := io.Pipe()
	const n = 50000
	go func() {
		fmt.Fprintln(pw, "email,name,account,segments")
		for i := range n {
			fmt.Fprintf(pw, "c%d@example.com,Customer %d,Account %d,a;b\n", i, i, i%100)
		}
		pw.Close()
	}()
	r, err := amends.NewCustomerReader(pr)
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	for {
		row, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil || row.Problem != nil {
			t.Fatalf("row %d: %v %v", rows, err, row.Problem)
		}
		if row.Line != rows+2 {
			t.Fatalf("line %d, want %d", row.Line, rows+2)
		}
		rows++
	}
	if rows != n {
		t.Errorf("%d rows, want %d", rows, n)
	}
}

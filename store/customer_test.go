package store_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

func importString(t *testing.T, s *store.Store, file string, opts store.ImportOptions) amends.ImportReport {
	t.Helper()
	rep, err := s.ImportCustomers(context.Background(), strings.NewReader(file), opts, responder)
	if err != nil {
		t.Fatalf("import: %v", err)
	}
	return rep
}

func problemLines(rep amends.ImportReport) []string {
	var out []string
	for _, p := range rep.Problems {
		out = append(out, fmt.Sprintf("%d %s: %s", p.Line, p.Field, p.Message))
	}
	return out
}

func countCustomers(t *testing.T, s *store.Store, f amends.CustomerFilter) int {
	t.Helper()
	n, err := s.CountCustomers(context.Background(), f)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestImportCustomers(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		file := "\xef\xbb\xbfEmail,Name,Account,Segments,Plan\r\n" +
			"ann@example.com,Ann Lee,Acme,enterprise;eu-west,pro\r\n" +
			"Bo@Example.COM,\"Lee, Bo\",Acme,tier_1,free\r\n" +
			"cy@example.com,<script>alert(1)</script>,Globex,,pro\r\n" +
			"dee@example.com,Dee,,tier-1,\r\n"
		rep := importString(t, s, file, store.ImportOptions{})
		if rep.Rows != 4 || rep.Imported != 4 || rep.Skipped != 0 || len(rep.Problems) != 0 || strings.Join(rep.IgnoredColumns, ",") != "plan" {
			t.Fatalf("report %+v", rep)
		}
		page, err := s.Customers(ctx, amends.CustomerFilter{})
		if err != nil || len(page.Customers) != 4 || page.Next != "" {
			t.Fatalf("list: %v %+v", err, page)
		}
		bo := page.Customers[1]
		if bo.Email != "bo@example.com" || bo.Name != "Lee, Bo" || bo.Account != "Acme" || strings.Join(bo.Segments, ",") != "tier_1" || !bo.CreatedAt.Equal(clock.Now()) {
			t.Errorf("bo: %+v", bo)
		}
		// Markup is stored as the text it is; the pages escape it when they show it.
		if cy := page.Customers[2]; cy.Name != "<script>alert(1)</script>" || len(cy.Segments) != 0 {
			t.Errorf("cy: %+v", cy)
		}
		for f, want := range map[amends.CustomerFilter]int{
			{Account: "Acme"}: 2, {Account: "acme"}: 0, {Segment: "enterprise"}: 1, {Segment: "EU-West"}: 1,
			{Segment: "tier_1"}: 1, {Segment: "tier-1"}: 1, {Segment: "eu"}: 0, {Account: "Acme", Segment: "tier_1"}: 1,
		} {
			if got := countCustomers(t, s, f); got != want {
				t.Errorf("count %+v = %d, want %d", f, got, want)
			}
			if page, err := s.Customers(ctx, f); err != nil || len(page.Customers) != want {
				t.Errorf("list %+v: %d, %v", f, len(page.Customers), err)
			}
		}
		if _, err := s.Customers(ctx, amends.CustomerFilter{Segment: "a%"}); code(err) != amends.EInvalid {
			t.Errorf("segment with a wildcard: %v", err)
		}
		// Keyset pages.
		var seen []string
		f := amends.CustomerFilter{Limit: 3}
		for {
			page, err := s.Customers(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range page.Customers {
				seen = append(seen, c.Email)
			}
			if page.Next == "" {
				break
			}
			f.After = page.Next
		}
		if got := strings.Join(seen, " "); got != "ann@example.com bo@example.com cy@example.com dee@example.com" {
			t.Errorf("pages: %s", got)
		}
		if _, err := s.Customers(ctx, amends.CustomerFilter{After: "x"}); code(err) != amends.EInvalid {
			t.Errorf("bad cursor: %v", err)
		}
		audit, _ := s.Audit(ctx, 1)
		if len(audit) != 1 || audit[0].Action != "customer.import" || audit[0].Detail != "4 rows: imported 4, updated 0, unchanged 0, skipped 0" {
			t.Errorf("audit %+v", audit)
		}
	})
}

// TestImportReportsEveryBadRowAndWritesNothing imports a file with one bad row of each kind:
// every one is reported with its line, and nothing is written until SkipBad is asked for.
func TestImportReportsEveryBadRowAndWritesNothing(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		if _, err := s.CreateCustomer(ctx, amends.Customer{Email: "known@example.com", Name: "Known"}, responder); err != nil {
			t.Fatal(err)
		}
		file := "email,name,account,segments\n" + // 1
			"ann@example.com,Ann,Acme,\n" + // 2 good
			"not-an-email,Nobody,Acme,\n" + // 3 bad email
			"bo@example.com,Bo,Acme\n" + // 4 missing column
			"ANN@example.com,Ann again,Acme,\n" + // 5 duplicate of line 2
			"Known@Example.com,Known,Acme,\n" + // 6 already a customer
			"cy@example.com,Ren\xe9e,Acme,\n" + // 7 Latin-1
			"dee@example.com," + strings.Repeat("x", 100<<10) + ",Acme,\n" + // 8 a 100 KiB line
			"eve@example.com,\"Eve\r\nBcc: evil@example.net\",Acme,\n" + // 9–10 header injection
			"fay@example.com,<script>alert(1)</script>,Acme,vip\n" + // 11 good: markup is text
			"gus@example.com,Gus \"the boss\",Acme,\n" + // 12 bare quote
			"hal@example.com,Hal,Acme,big customers\n" + // 13 bad segment
			"ivy@example.com,\"Ivy,Acme,\n" + // 14 a quote never closed: runs to the end
			"jon@example.com,Jon,Acme,\n"
		want := []string{
			`3 email: "not-an-email" is not an email address`,
			"4 segments: missing: the row has 3 fields; the header has 4",
			"5 email: duplicate: ann@example.com is also on line 2",
			"6 email: duplicate: known@example.com is already a customer",
			"7 name: not UTF-8: save the file as UTF-8",
			"8 : the line is 100 KiB; a line may be at most 64 KiB",
			"9 name: must be one line",
			`12 : a " in a field that is not quoted`,
			`13 segments: tag "big customers" may hold only`,
			"14 : a quoted field opened on this line is not closed properly",
		}
		check := func(rep amends.ImportReport) {
			t.Helper()
			got := problemLines(rep)
			if len(got) != len(want) {
				t.Fatalf("%d problems, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
			}
			for i := range got {
				if !strings.HasPrefix(got[i], want[i]) {
					t.Errorf("problem %d:\n got %q\nwant %q…", i, got[i], want[i])
				}
			}
		}
		rep := importString(t, s, file, store.ImportOptions{})
		check(rep)
		if rep.Rows != 12 || rep.Imported != 0 || rep.Skipped != 12 || !rep.Refused() {
			t.Errorf("report %+v", rep)
		}
		if n := countCustomers(t, s, amends.CustomerFilter{}); n != 1 {
			t.Fatalf("a refused file wrote %d customers", n-1)
		}
		rep = importString(t, s, file, store.ImportOptions{SkipBad: true})
		check(rep)
		if rep.Imported != 2 || rep.Skipped != 10 || rep.Refused() {
			t.Errorf("skip bad: %+v", rep)
		}
		page, _ := s.Customers(ctx, amends.CustomerFilter{})
		var emails []string
		for _, c := range page.Customers {
			emails = append(emails, c.Email)
		}
		if got := strings.Join(emails, " "); got != "known@example.com ann@example.com fay@example.com" {
			t.Errorf("after skipping bad rows: %s", got)
		}
	})
}

func TestImportFilesThatCannotBeRead(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		for _, c := range []struct{ name, file, want string }{
			{"empty", "", "1 : the file is empty"},
			{"no email column", "name,account\nAnn,Acme\n", "1 email: the first row must name the columns; it has no email column (it has: \"name\", \"account\")"},
			{"no header", "ann@example.com,Ann\n", "1 email: the first row looks like data"},
			{"UTF-16", "\xff\xfee\x00m\x00a\x00i\x00l\x00", "1 : the file is UTF-16"},
			{"quote left open", "email,name\nann@example.com,\"Ann\n" + strings.Repeat("bo@example.com,Bo\n", 20000), "2 : the row starting here runs on past line"},
		} {
			for _, skip := range []bool{false, true} {
				rep := importString(t, s, c.file, store.ImportOptions{SkipBad: skip})
				got := problemLines(rep)
				if len(got) != 1 || !strings.HasPrefix(got[0], c.want) || rep.Imported != 0 || !rep.Refused() {
					t.Errorf("%s (skip bad %v): %+v", c.name, skip, got)
				}
			}
		}
		if n := countCustomers(t, s, amends.CustomerFilter{}); n != 0 {
			t.Errorf("unreadable files wrote %d customers", n)
		}
	})
}

func TestImportUpdatesKnownCustomers(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		importString(t, s, "email,name,account,segments\nann@example.com,Ann,Acme,a\nbo@example.com,Bo,Acme,b\n", store.ImportOptions{})
		clock.Advance(time.Hour)
		// The file has no segments column: an update leaves segments as they are.
		file := "email,name,account\nann@example.com,Ann Lee,Acme\nbo@example.com,Bo,Acme\ncy@example.com,Cy,Globex\n"
		rep := importString(t, s, file, store.ImportOptions{})
		if !rep.Refused() || len(rep.Problems) != 2 || rep.Problems[0].Line != 2 || rep.Problems[1].Line != 3 {
			t.Fatalf("without update: %+v", rep)
		}
		rep = importString(t, s, file, store.ImportOptions{Update: true})
		if rep.Imported != 1 || rep.Updated != 1 || rep.Unchanged != 1 || rep.Skipped != 0 || len(rep.Problems) != 0 {
			t.Fatalf("update: %+v", rep)
		}
		page, _ := s.Customers(ctx, amends.CustomerFilter{})
		ann, bo := page.Customers[0], page.Customers[1]
		if ann.Name != "Ann Lee" || strings.Join(ann.Segments, ",") != "a" || !ann.UpdatedAt.Equal(clock.Now()) || ann.CreatedAt.Equal(clock.Now()) {
			t.Errorf("ann: %+v", ann)
		}
		if !bo.UpdatedAt.Equal(clock.Now().Add(-time.Hour)) {
			t.Errorf("an unchanged customer was written: %+v", bo)
		}
		if n := countCustomers(t, s, amends.CustomerFilter{}); n != 3 {
			t.Errorf("%d customers", n)
		}
	})
}

func TestCustomerCRUD(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		c, err := s.CreateCustomer(ctx, amends.Customer{Email: " Ann@Example.com ", Name: "Ann", Account: "Acme", Segments: []string{"VIP"}}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if c.Email != "ann@example.com" || c.ID == 0 || strings.Join(c.Segments, ",") != "vip" {
			t.Errorf("created %+v", c)
		}
		if _, err := s.CreateCustomer(ctx, amends.Customer{Email: "ANN@example.com"}, responder); code(err) != amends.EConflict {
			t.Errorf("duplicate: %v", err)
		}
		if _, err := s.CreateCustomer(ctx, amends.Customer{Email: "bo@example.com", Name: "Bo\r\nBcc: x@example.net"}, responder); amends.ErrorOf(err) == nil || amends.ErrorOf(err).Field != "name" {
			t.Errorf("injection: %v", err)
		}
		bo, err := s.CreateCustomer(ctx, amends.Customer{Email: "bo@example.com"}, responder)
		if err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		name, email := "Ann Lee", "bo@example.com"
		got, err := s.UpdateCustomer(ctx, c.ID, amends.CustomerUpdate{Name: &name}, responder)
		if err != nil || got.Name != "Ann Lee" || got.Account != "Acme" || !got.UpdatedAt.Equal(clock.Now()) {
			t.Errorf("update: %+v %v", got, err)
		}
		if _, err := s.UpdateCustomer(ctx, c.ID, amends.CustomerUpdate{Email: &email}, responder); code(err) != amends.EConflict {
			t.Errorf("email of another: %v", err)
		}
		if _, err := s.UpdateCustomer(ctx, c.ID, amends.CustomerUpdate{}, responder); code(err) != amends.EInvalid {
			t.Errorf("empty update: %v", err)
		}
		if _, err := s.UpdateCustomer(ctx, 999, amends.CustomerUpdate{Name: &name}, responder); code(err) != amends.ENotFound {
			t.Errorf("update unknown: %v", err)
		}
		if err := s.DeleteCustomer(ctx, bo.ID, responder); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Customer(ctx, bo.ID); code(err) != amends.ENotFound {
			t.Errorf("deleted: %v", err)
		}
		if err := s.DeleteCustomer(ctx, bo.ID, responder); code(err) != amends.ENotFound {
			t.Errorf("delete twice: %v", err)
		}
		audit, _ := s.Audit(ctx, 10)
		var actions []string
		for _, a := range audit {
			actions = append(actions, a.Action+" "+a.Target)
			if strings.Contains(a.Target+a.Detail, "@") {
				t.Errorf("the audit log keeps an address: %+v", a)
			}
		}
		want := fmt.Sprintf("customer.delete customer %d,customer.update customer %d,customer.create customer %d,customer.create customer %d", bo.ID, c.ID, bo.ID, c.ID)
		if got := strings.Join(actions, ","); got != want {
			t.Errorf("audit:\n got %s\nwant %s", got, want)
		}
	})
}

// TestImport100000RowsStreams imports 100,000 rows produced on the fly through a pipe and
// checks that all arrive while the heap stays far below what holding them would take.
func TestImport100000RowsStreams(t *testing.T) {
	if testing.Short() {
		t.Skip("100,000 rows")
	}
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		const n = 100000
		pr, pw := io.Pipe()
		go func() {
			bw := &bytes.Buffer{}
			bw.WriteString("email,name,account,segments\n")
			for i := range n {
				fmt.Fprintf(bw, "customer%06d@example.com,Customer number %d,Account %d,seg-%d;all\n", i, i, i%1000, i%7)
				if bw.Len() > 32<<10 {
					pw.Write(bw.Bytes())
					bw.Reset()
				}
			}
			pw.Write(bw.Bytes())
			pw.Close()
		}()
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		peak := sampleHeap()
		start := time.Now()
		rep, err := s.ImportCustomers(context.Background(), pr, store.ImportOptions{}, responder)
		elapsed := time.Since(start)
		top := peak()
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != n || rep.Imported != n || len(rep.Problems) != 0 {
			t.Fatalf("report %+v", rep)
		}
		if got := countCustomers(t, s, amends.CustomerFilter{}); got != n {
			t.Fatalf("%d customers, want %d", got, n)
		}
		if got := countCustomers(t, s, amends.CustomerFilter{Account: "Account 7", Segment: "seg-0"}); got != 15 {
			t.Errorf("account 7 in seg-0: %d", got)
		}
		grew := int64(top) - int64(before.HeapAlloc)
		t.Logf("%d rows in %v (%.0f rows/s); heap %.1f MiB before, peak %.1f MiB (+%.1f MiB)", n, elapsed.Round(time.Millisecond),
			n/elapsed.Seconds(), mib(before.HeapAlloc), mib(top), float64(grew)/(1<<20))
		if grew > 64<<20 {
			t.Errorf("the heap grew by %.1f MiB: the import does not stream", float64(grew)/(1<<20))
		}
	})
}

func mib(b uint64) float64 { return float64(b) / (1 << 20) }

// sampleHeap samples the live heap every few milliseconds until the returned function is
// called, which returns the highest reading.
func sampleHeap() func() uint64 {
	var mu sync.Mutex
	var top uint64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		var m runtime.MemStats
		for {
			runtime.ReadMemStats(&m)
			mu.Lock()
			top = max(top, m.HeapAlloc)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(5 * time.Millisecond):
			}
		}
	}()
	return func() uint64 {
		close(stop)
		<-done
		mu.Lock()
		defer mu.Unlock()
		return top
	}
}

// BenchmarkImport100k imports 100,000 customers into a fresh SQLite database per run, beside
// the peer: the same rows written with bare multi-row INSERTs (500 rows each) in one
// transaction, without reading, checking or spooling a file.
//
//	go test ./store -run XXX -bench Import100k -benchtime 3x
func BenchmarkImport100k(b *testing.B) {
	const n = 100000
	var file bytes.Buffer
	file.WriteString("email,name,account,segments\n")
	for i := range n {
		fmt.Fprintf(&file, "customer%06d@example.com,Customer number %d,Account %d,seg-%d;all\n", i, i, i%1000, i%7)
	}
	open := func(b *testing.B) *store.Store {
		s, err := store.Open(context.Background(), amendstest.DatabaseURL(b, "sqlite"), "", store.Options{})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		return s
	}
	b.Run("amends", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			b.StartTimer()
			start := time.Now()
			rep, err := s.ImportCustomers(context.Background(), bytes.NewReader(file.Bytes()), store.ImportOptions{}, responder)
			total += time.Since(start)
			if err != nil || rep.Imported != n {
				b.Fatalf("%v %+v", err, rep.Problems)
			}
		}
		b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
	})
	b.Run("raw-insert", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			b.StopTimer()
			s := open(b)
			b.StartTimer()
			start := time.Now()
			if err := rawInsert(s, n); err != nil {
				b.Fatal(err)
			}
			total += time.Since(start)
		}
		b.ReportMetric(float64(n*b.N)/total.Seconds(), "rows/s")
	})
}

// rawInsert is the peer: bare multi-row INSERTs of 500 rows in one transaction, with
// SQLite's anonymous placeholders.
func rawInsert(s *store.Store, n int) error {
	tx, err := s.DB().Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := time.Now().UnixMicro()
	for lo := 0; lo < n; lo += 500 {
		var q strings.Builder
		q.WriteString("INSERT INTO customers (email, name, account, segments, created_at, updated_at) VALUES ")
		var args []any
		for i := lo; i < min(lo+500, n); i++ {
			if i > lo {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, fmt.Sprintf("customer%06d@example.com", i), fmt.Sprintf("Customer number %d", i),
				fmt.Sprintf("Account %d", i%1000), fmt.Sprintf("seg-%d,all", i%7), now, now)
		}
		if _, err := tx.Exec(q.String(), args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}

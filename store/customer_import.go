package store

import (
	"bufio"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

// ImportOptions say what an import does with bad rows and with customers it already has.
type ImportOptions struct {
	// SkipBad imports the good rows of a file that has bad ones. Without it, a file with any
	// bad row imports nothing.
	SkipBad bool
	// Update changes the customers whose email is already known, in the columns the file has.
	// Without it, such a row is a bad row: a duplicate.
	Update bool
}

// importChunk is how many rows one INSERT writes (times 4 parameters, far below both
// engines' limits on parameters).
const importChunk = 500

// ImportCustomers reads a CSV file of customers (see amends.CustomerReader) as a stream and
// imports it in one transaction: all of it, or, when any row is bad and opts.SkipBad is not
// set, none of it. It reads the file once, validating every row and checking it against the
// other rows (a hash set of the emails seen) and against the database, and writes the rows
// to keep to a temporary file, never holding more than a chunk of them in memory; then it
// writes them in multi-row INSERTs of importChunk rows, and records one audit entry.
//
// The report lists every bad row with its line and reason. The error is for what is not the
// file's fault: the reader's (a body over its limit, a cancelled request), the database's.
func (s *Store) ImportCustomers(ctx context.Context, r io.Reader, opts ImportOptions, actor amends.Actor) (amends.ImportReport, error) {
	rep := amends.ImportReport{Problems: []amends.RowProblem{}, IgnoredColumns: []string{}}
	cr, err := amends.NewCustomerReader(r)
	if err != nil {
		return rep, addFatal(&rep, err)
	}
	rep.IgnoredColumns = cr.Ignored()
	sp, err := newSpool()
	if err != nil {
		return rep, err
	}
	defer sp.remove()
	v := &importCheck{s: s, rep: &rep, opts: opts, spool: sp, seen: map[string]int{}}
	if !opts.Update {
		if err := s.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM customers)").Scan(&v.anyKnown); err != nil {
			return rep, translate(err)
		}
	}
	for {
		row, err := cr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ferr := v.flush(ctx); ferr != nil {
				return rep, ferr
			}
			rep.Skipped = rep.Rows
			return rep, addFatal(&rep, err)
		}
		if err := v.add(ctx, row); err != nil {
			return rep, err
		}
	}
	if err := v.flush(ctx); err != nil {
		return rep, err
	}
	if rep.ProblemCount() > 0 && !opts.SkipBad || v.kept == 0 {
		rep.Skipped = rep.Rows
		return rep, nil
	}
	if err := sp.done(); err != nil {
		return rep, err
	}
	present := []string{}
	for _, col := range []string{"name", "account", "segments"} {
		if cr.CSV.Has(col) {
			present = append(present, col)
		}
	}
	if err := s.writeImport(ctx, sp, present, opts, &rep, actor); err != nil {
		return rep, err
	}
	rep.Skipped = rep.Rows - rep.Imported - rep.Updated - rep.Unchanged
	return rep, nil
}

// addFatal records a problem that stopped reading, or returns an error that is not one.
func addFatal(rep *amends.ImportReport, err error) error {
	var p *amends.RowProblem
	if errors.As(err, &p) {
		rep.Add(*p)
		return nil
	}
	return err
}

// importCheck is the reading half of an import: it checks rows a chunk at a time and
// spools the good ones.
type importCheck struct {
	s        *Store
	rep      *amends.ImportReport
	opts     ImportOptions
	spool    *spool
	seen     map[string]int // email → the line it was first seen on
	anyKnown bool           // whether the database has any customer to clash with
	chunk    []amends.CustomerRow
	kept     int
}

func (v *importCheck) add(ctx context.Context, row amends.CustomerRow) error {
	v.rep.Rows++
	if row.Problem == nil {
		if first, dup := v.seen[row.Customer.Email]; dup {
			row.Problem = &amends.RowProblem{Line: row.Line, Field: "email",
				Message: fmt.Sprintf("duplicate: %s is also on line %d", row.Customer.Email, first)}
		} else {
			v.seen[row.Customer.Email] = row.Line
		}
	}
	v.chunk = append(v.chunk, row)
	if len(v.chunk) == importChunk {
		return v.flush(ctx)
	}
	return nil
}

// flush checks the chunk's emails against the database (unless the import updates them),
// reports its problems in line order, and spools its good rows while they may be written.
func (v *importCheck) flush(ctx context.Context) error {
	if len(v.chunk) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if v.anyKnown {
		known, err := v.s.knownEmails(ctx, v.s.db, v.chunk)
		if err != nil {
			return err
		}
		for i, row := range v.chunk {
			if row.Problem == nil && known[row.Customer.Email] != nil {
				v.chunk[i].Problem = &amends.RowProblem{Line: row.Line, Field: "email",
					Message: fmt.Sprintf("duplicate: %s is already a customer; import with update to change them", row.Customer.Email)}
			}
		}
	}
	for _, row := range v.chunk {
		if row.Problem != nil {
			v.rep.Add(*row.Problem)
			continue
		}
		v.kept++
		if v.opts.SkipBad || v.rep.ProblemCount() == 0 {
			if err := v.spool.write(row.Customer); err != nil {
				return err
			}
		}
	}
	v.chunk = v.chunk[:0]
	return nil
}

// knownEmails returns the customers among rows' emails that the database has, by email.
func (s *Store) knownEmails(ctx context.Context, q querier, rows []amends.CustomerRow) (map[string]*amends.Customer, error) {
	args := make([]any, 0, len(rows))
	var in strings.Builder
	for _, row := range rows {
		if row.Problem != nil {
			continue
		}
		args = append(args, row.Customer.Email)
		if len(args) > 1 {
			in.WriteString(", ")
		}
		in.WriteString("$" + strconv.Itoa(len(args)))
	}
	known := map[string]*amends.Customer{}
	if len(args) == 0 {
		return known, nil
	}
	res, err := q.QueryContext(ctx, "SELECT "+customerColumns+" FROM customers WHERE email IN ("+in.String()+")", args...)
	if err != nil {
		return nil, translate(err)
	}
	defer res.Close()
	for res.Next() {
		c, err := scanCustomer(res)
		if err != nil {
			return nil, err
		}
		known[c.Email] = c
	}
	return known, translate(res.Err())
}

// writeImport writes the spooled rows in one transaction. Under opts.Update, a known
// customer is changed in the columns the file has (present) and counted as updated, or as
// unchanged when the file says what the database does.
func (s *Store) writeImport(ctx context.Context, sp *spool, present []string, opts ImportOptions, rep *amends.ImportReport, actor amends.Actor) error {
	now := s.now()
	upsert := ""
	if opts.Update {
		var set []string
		for _, col := range append(present, "updated_at") {
			set = append(set, col+" = excluded."+col)
		}
		upsert = " ON CONFLICT (email) DO UPDATE SET " + strings.Join(set, ", ")
	}
	err := s.inTx(ctx, func(tx *Tx) error {
		imported, updated, unchanged := 0, 0, 0
		rows := make([]amends.CustomerRow, 0, importChunk)
		write := func() error {
			if len(rows) == 0 {
				return nil
			}
			if err := ctx.Err(); err != nil {
				return err
			}
			batch := rows
			if opts.Update {
				known, err := s.knownEmails(ctx, tx, rows)
				if err != nil {
					return err
				}
				batch = batch[:0:0]
				for _, row := range rows {
					switch k := known[row.Customer.Email]; {
					case k == nil:
						imported++
						batch = append(batch, row)
					case sameIn(present, *k, row.Customer):
						unchanged++
					default:
						updated++
						batch = append(batch, row)
					}
				}
			} else {
				imported += len(rows)
			}
			if err := s.insertCustomers(ctx, tx, batch, now, upsert); err != nil {
				return err
			}
			rows = rows[:0]
			return nil
		}
		for {
			c, err := sp.read()
			if errors.Is(err, io.EOF) {
				break
			} else if err != nil {
				return err
			}
			rows = append(rows, amends.CustomerRow{Customer: c})
			if len(rows) == importChunk {
				if err := write(); err != nil {
					return err
				}
			}
		}
		if err := write(); err != nil {
			return err
		}
		rep.Imported, rep.Updated, rep.Unchanged = imported, updated, unchanged
		return s.audit(ctx, tx, now, actor, "customer.import", "customers", fmt.Sprintf("%d rows: imported %d, updated %d, unchanged %d, skipped %d",
			rep.Rows, imported, updated, unchanged, rep.Rows-imported-updated-unchanged))
	})
	if amends.ErrorCode(err) == amends.EConflict {
		rep.Imported, rep.Updated, rep.Unchanged = 0, 0, 0
		return fmt.Errorf("%w: %v", amends.Errorf(amends.EConflict, "email",
			"a customer in the file was added by someone else during the import; nothing was imported: import the file again"), err)
	}
	return err
}

func sameIn(cols []string, a, b amends.Customer) bool {
	for _, col := range cols {
		switch {
		case col == "name" && a.Name != b.Name,
			col == "account" && a.Account != b.Account,
			col == "segments" && joinSegments(a.Segments) != joinSegments(b.Segments):
			return false
		}
	}
	return true
}

// insertCustomers writes rows in one multi-row INSERT; upsert is its ON CONFLICT clause.
// SQLite gets anonymous ? placeholders: it looks each $N up by name in a list, which makes
// parsing a statement of thousands of them quadratic (most of the time of an import).
func (s *Store) insertCustomers(ctx context.Context, tx *Tx, rows []amends.CustomerRow, now time.Time, upsert string) error {
	if len(rows) == 0 {
		return nil
	}
	var q strings.Builder
	q.WriteString("INSERT INTO customers (email, name, account, segments, created_at, updated_at) VALUES ")
	args := make([]any, 0, 6*len(rows))
	at := micros(now)
	for i, row := range rows {
		if i > 0 {
			q.WriteString(", ")
		}
		c := row.Customer
		if s.dialect == SQLite {
			q.WriteString("(?, ?, ?, ?, ?, ?)")
			args = append(args, c.Email, c.Name, c.Account, joinSegments(c.Segments), at, at)
			continue
		}
		n := len(args)
		fmt.Fprintf(&q, "($%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6)
		args = append(args, c.Email, c.Name, c.Account, joinSegments(c.Segments), at, at)
	}
	q.WriteString(upsert)
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return err
}

// spool keeps the rows an import will write in a temporary file (mode 0600, removed when the
// import ends), so a file of any size is imported with the memory of one chunk.
type spool struct {
	f  *os.File
	w  *csv.Writer
	r  *csv.Reader
	bw *bufio.Writer
}

func newSpool() (*spool, error) {
	f, err := os.CreateTemp("", "amends-import-*.csv")
	if err != nil {
		return nil, fmt.Errorf("customer import: temporary file: %w", err)
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	return &spool{f: f, bw: bw, w: csv.NewWriter(bw)}, nil
}

func (s *spool) write(c amends.Customer) error {
	return s.w.Write([]string{c.Email, c.Name, c.Account, joinSegments(c.Segments)})
}

// done ends writing and rewinds the file for reading.
func (s *spool) done() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return fmt.Errorf("customer import: temporary file: %w", err)
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	s.r = csv.NewReader(bufio.NewReaderSize(s.f, 64<<10))
	s.r.ReuseRecord = true
	s.r.FieldsPerRecord = 4
	return nil
}

func (s *spool) read() (amends.Customer, error) {
	rec, err := s.r.Read()
	if err != nil {
		return amends.Customer{}, err
	}
	return amends.Customer{Email: rec[0], Name: rec[1], Account: rec[2], Segments: splitSegments(rec[3])}, nil
}

func (s *spool) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}

package amends

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RowProblem is why one row of an imported file was refused, or why reading the file stopped.
// Line is the row's first line in the file, counting from 1; Field names the column at fault
// when there is one.
type RowProblem struct {
	Line    int    `json:"line"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// Error implements error, for the problems that stop reading a file.
func (p *RowProblem) Error() string {
	if p.Field != "" {
		return fmt.Sprintf("line %d: %s: %s", p.Line, p.Field, p.Message)
	}
	return fmt.Sprintf("line %d: %s", p.Line, p.Message)
}

// MaxReportedProblems is how many problems an import report lists; the rest are counted.
const MaxReportedProblems = 1000

// ImportReport says what an import did with each row of a file. Rows counts the data rows
// read; each ends up imported (new), updated, unchanged (already as the file says) or
// skipped (bad, or refused with the whole file).
type ImportReport struct {
	Rows      int `json:"rows"`
	Imported  int `json:"imported"`
	Updated   int `json:"updated"`
	Unchanged int `json:"unchanged"`
	Skipped   int `json:"skipped"`
	// Problems lists the bad rows in file order, at most MaxReportedProblems of them;
	// MoreProblems counts the others.
	Problems     []RowProblem `json:"problems"`
	MoreProblems int          `json:"more_problems"`
	// IgnoredColumns are header columns the import does not know, in file order.
	IgnoredColumns []string `json:"ignored_columns"`
}

// Add records a problem, keeping the list at MaxReportedProblems.
func (r *ImportReport) Add(p RowProblem) {
	if len(r.Problems) < MaxReportedProblems {
		r.Problems = append(r.Problems, p)
		return
	}
	r.MoreProblems++
}

// ProblemCount is the number of problems found, listed or not.
func (r ImportReport) ProblemCount() int { return len(r.Problems) + r.MoreProblems }

// Refused reports whether the file had problems and nothing of it was taken.
func (r ImportReport) Refused() bool {
	return r.ProblemCount() > 0 && r.Imported+r.Updated+r.Unchanged == 0
}

// CustomerColumns are the columns a customer file may have; email is required.
var CustomerColumns = []string{"email", "name", "account", "segments"}

// CustomerRow is one data row of a customer file: the customer it describes, normalized and
// valid, or the problem that keeps it out.
type CustomerRow struct {
	Line     int
	Customer Customer
	Problem  *RowProblem
}

// CustomerReader reads customers from a CSV file one row at a time (see CSVReader).
type CustomerReader struct {
	CSV *CSVReader
}

// NewCustomerReader reads the header of a customer file. A *RowProblem error means the file
// cannot be read as customers at all (no email column, not UTF-8, …).
func NewCustomerReader(r io.Reader) (*CustomerReader, error) {
	c := NewCSVReader(r)
	if err := c.ReadHeader("email"); err != nil {
		return nil, err
	}
	return &CustomerReader{CSV: c}, nil
}

// Ignored returns the header columns that are not CustomerColumns.
func (c *CustomerReader) Ignored() []string { return c.CSV.Extra(CustomerColumns) }

// Next returns the next row, io.EOF after the last, a *RowProblem when reading must stop, or
// the error of the underlying reader.
func (c *CustomerReader) Next() (CustomerRow, error) {
	row, err := c.CSV.Next()
	if err != nil || row.Problem != nil {
		return CustomerRow{Line: row.Line, Problem: row.Problem}, err
	}
	cust := Customer{Email: row.Get("email"), Name: row.Get("name"), Account: row.Get("account"),
		Segments: ParseSegments(row.Get("segments"))}
	cust.Normalize()
	if err := cust.Validate(); err != nil {
		e := ErrorOf(err)
		return CustomerRow{Line: row.Line, Problem: &RowProblem{Line: row.Line, Field: e.Field, Message: e.Message}}, nil
	}
	return CustomerRow{Line: row.Line, Customer: cust}, nil
}

// MaxCSVLine is the longest line a CSV file may have, in bytes. A longer line is a bad row;
// reading goes on after it.
const MaxCSVLine = 64 << 10

// maxCSVRow is the most a row spanning several lines (a quoted field with line breaks) may
// hold. Past it, a quote was almost certainly left open and reading stops.
const maxCSVRow = 4 * MaxCSVLine

// CSVReader reads a UTF-8 CSV file with a header row as a stream: it holds one line (at most
// MaxCSVLine) and one row at a time, whatever the size of the file. A UTF-8 byte order mark
// is skipped. Rows that cannot be read (bad quotes, the wrong number of fields, bytes that are
// not UTF-8, a line over MaxCSVLine) come back with a Problem naming their line, and reading
// goes on; what makes the rest of the file unreadable (UTF-16, a quote left open) stops it
// with a *RowProblem error.
type CSVReader struct {
	src    *csvSource
	csv    *csv.Reader
	header []string
	index  map[string]int
	queue  []CSVRow
	last   int   // the line the previous row's last field began on
	err    error // what Next returns once the queue is empty
}

// CSVRow is one data row. Its values are valid only until the next call to Next.
type CSVRow struct {
	Line    int
	Problem *RowProblem
	fields  []string
	index   map[string]int
}

// Get returns the value in column col (a lower-case header name), "" when there is none.
func (r CSVRow) Get(col string) string {
	if i, ok := r.index[col]; ok && i < len(r.fields) {
		return r.fields[i]
	}
	return ""
}

// NewCSVReader returns a reader of r; call ReadHeader first.
func NewCSVReader(r io.Reader) *CSVReader {
	src := &csvSource{br: bufio.NewReaderSize(r, MaxCSVLine+2)}
	cr := csv.NewReader(src)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = false
	return &CSVReader{src: src, csv: cr}
}

// ReadHeader reads the first row as column names (trimmed, lower-cased, each at most once)
// and requires the given columns. Columns without a name are ignored.
func (c *CSVReader) ReadHeader(required ...string) error {
	rec, err := c.csv.Read()
	line := 1
	if err == nil {
		line, _ = c.csv.FieldPos(0)
	}
	if long := c.src.takeLong(c.csv.InputOffset()); (err == nil || errors.Is(err, io.EOF)) && len(long) > 0 {
		return &RowProblem{Line: long[0].line, Message: "the first row must name the columns, but this line is over 64 KiB"}
	}
	switch {
	case errors.Is(err, io.EOF):
		return &RowProblem{Line: 1, Message: "the file is empty; the first row must name the columns: " + strings.Join(required, ",")}
	case err != nil:
		return c.fatal(err)
	}
	c.header = make([]string, len(rec))
	c.index = make(map[string]int, len(rec))
	for i, name := range rec {
		if strings.ContainsRune(name, 0) {
			return &RowProblem{Line: line, Message: "the header holds NUL bytes: the file is probably UTF-16; save it as UTF-8"}
		}
		if !utf8.ValidString(name) {
			return &RowProblem{Line: line, Message: "not UTF-8: save the file as UTF-8"}
		}
		if strings.ContainsRune(name, '\r') {
			return &RowProblem{Line: line, Message: "the lines end with a bare carriage return (old Mac format): save the file with Windows or Unix line endings"}
		}
		name = strings.ToLower(strings.TrimSpace(name))
		c.header[i] = name
		if name == "" {
			continue
		}
		if j, dup := c.index[name]; dup {
			return &RowProblem{Line: line, Field: name, Message: fmt.Sprintf("the header names column %q twice (columns %d and %d)", name, j+1, i+1)}
		}
		c.index[name] = i
	}
	for _, col := range required {
		if _, ok := c.index[col]; ok {
			continue
		}
		msg := fmt.Sprintf("the first row must name the columns; it has no %s column (it has: %s)", col, quoteList(c.header))
		if strings.Contains(rec[0], "@") {
			msg = fmt.Sprintf("the first row looks like data; add a header row such as %q", strings.Join(CustomerColumns, ","))
		}
		return &RowProblem{Line: line, Field: col, Message: msg}
	}
	c.last = line
	c.src.rowDone(c.csv.InputOffset())
	return nil
}

func quoteList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = strconv.Quote(n)
	}
	return strings.Join(q, ", ")
}

// Columns returns the header's column names in file order ("" for an unnamed column).
func (c *CSVReader) Columns() []string { return c.header }

// Has reports whether the header names column col.
func (c *CSVReader) Has(col string) bool {
	_, ok := c.index[col]
	return ok
}

// Extra returns the named header columns that are not in known, in file order.
func (c *CSVReader) Extra(known []string) []string {
	out := []string{}
	for _, h := range c.header {
		if h != "" && !slices.Contains(known, h) {
			out = append(out, h)
		}
	}
	return out
}

// Next returns the next data row, io.EOF after the last, a *RowProblem when the rest of the
// file cannot be read, or the error of the underlying reader.
func (c *CSVReader) Next() (CSVRow, error) {
	for len(c.queue) == 0 {
		if c.err != nil {
			return CSVRow{}, c.err
		}
		c.read()
	}
	row := c.queue[0]
	c.queue = c.queue[1:]
	return row, nil
}

// read parses one record into the queue, preceded by the over-long lines before it.
func (c *CSVReader) read() {
	rec, err := c.csv.Read()
	var pe *csv.ParseError
	start := 0
	switch {
	case err == nil:
		start, _ = c.csv.FieldPos(0)
	case errors.As(err, &pe):
		start = pe.StartLine
	case errors.Is(err, io.EOF):
		for _, l := range c.src.takeLong(-1) {
			c.queue = append(c.queue, l.row())
		}
		c.err = io.EOF
		return
	default:
		c.err = c.fatal(err)
		return
	}
	end := c.csv.InputOffset()
	c.src.rowDone(end)
	row := CSVRow{Line: start, fields: rec, index: c.index}
	for _, l := range c.src.takeLong(end) {
		if l.line < start {
			c.queue = append(c.queue, l.row())
		} else if row.Problem == nil {
			row.Problem = &RowProblem{Line: start, Message: fmt.Sprintf("line %d is over 64 KiB", l.line)}
		}
	}
	if err == nil {
		c.last, _ = c.csv.FieldPos(len(rec) - 1)
	} else {
		c.last = pe.Line
	}
	if row.Problem == nil {
		row.Problem = c.check(row, pe)
	}
	c.queue = append(c.queue, row)
}

// check finds what is wrong with a parsed row, if anything.
func (c *CSVReader) check(row CSVRow, pe *csv.ParseError) *RowProblem {
	p := &RowProblem{Line: row.Line}
	switch {
	case pe != nil && errors.Is(pe.Err, csv.ErrBareQuote):
		p.Message = fmt.Sprintf(`a " in a field that is not quoted (line %d, column %d): quote the whole field and double the " inside it`, pe.Line, pe.Column)
	case pe != nil && pe.Line != pe.StartLine:
		p.Message = fmt.Sprintf(`a quoted field opened on this line is not closed properly (reading reached line %d): end it with " and double any " inside it`, pe.Line)
	case pe != nil:
		p.Message = fmt.Sprintf(`malformed quotes (column %d): a quoted field must end with " and any " inside it must be doubled ("")`, pe.Column)
	case len(row.fields) < len(c.header):
		p.Field = c.header[len(row.fields)]
		p.Message = fmt.Sprintf("missing: the row has %d fields; the header has %d", len(row.fields), len(c.header))
	case len(row.fields) > len(c.header):
		p.Message = fmt.Sprintf("the row has %d fields; the header has %d (does a value with a comma need quotes?)", len(row.fields), len(c.header))
	default:
		for i, f := range row.fields {
			if !utf8.ValidString(f) {
				p.Field, p.Message = c.header[i], "not UTF-8: save the file as UTF-8"
				return p
			}
		}
		return nil
	}
	return p
}

// fatal turns an error that stops reading into a *RowProblem when it is the file's fault.
func (c *CSVReader) fatal(err error) error {
	switch {
	case errors.Is(err, errUTF16):
		return &RowProblem{Line: 1, Message: "the file is UTF-16; save it as UTF-8 (in Excel: CSV UTF-8)"}
	case errors.Is(err, errRowTooLong):
		return &RowProblem{Line: c.last + 1, Message: fmt.Sprintf("the row starting here runs on past line %d and over %d KiB: a quote is probably left open; reading stopped",
			c.src.line, maxCSVRow>>10)}
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) { // only the header gets here
		return &RowProblem{Line: pe.StartLine, Message: "the header row has malformed quotes"}
	}
	return err
}

var (
	errUTF16      = errors.New("the file is UTF-16")
	errRowTooLong = errors.New("row too long")
)

// longLine is a line over MaxCSVLine that csvSource replaced with an empty line.
type longLine struct {
	line   int
	offset int64 // where its replacement is in the output
	size   int64
}

func (l longLine) row() CSVRow {
	return CSVRow{Line: l.line, Problem: &RowProblem{Line: l.line,
		Message: fmt.Sprintf("the line is %d KiB; a line may be at most 64 KiB (is this the right file?)", l.size>>10)}}
}

// csvSource feeds encoding/csv, which would otherwise hold a line of any length in memory:
// it skips a UTF-8 byte order mark, refuses UTF-16, replaces each line over MaxCSVLine with
// an empty line (remembering where, so the line is reported), and stops a row spanning lines
// once it passes maxCSVRow.
type csvSource struct {
	br       *bufio.Reader
	pending  []byte
	started  bool
	line     int   // lines handed out
	emitted  int64 // bytes handed out
	rowStart int64 // where the row being parsed began
	long     []longLine
	err      error
}

func (s *csvSource) Read(p []byte) (int, error) {
	for len(s.pending) == 0 {
		if s.err != nil {
			return 0, s.err
		}
		if s.emitted-s.rowStart > maxCSVRow {
			s.err = errRowTooLong
			return 0, s.err
		}
		if !s.started {
			s.started = true
			if b, _ := s.br.Peek(3); bytes.HasPrefix(b, []byte("\xef\xbb\xbf")) {
				s.br.Discard(3)
			} else if bytes.HasPrefix(b, []byte("\xff\xfe")) || bytes.HasPrefix(b, []byte("\xfe\xff")) {
				s.err = errUTF16
				return 0, s.err
			}
		}
		line, err := s.br.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			size := int64(len(line))
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = s.br.ReadSlice('\n')
				size += int64(len(line))
			}
			s.long = append(s.long, longLine{line: s.line + 1, offset: s.emitted, size: size})
			line = []byte("\n")
		}
		if err != nil {
			s.err = err
		}
		if len(line) > 0 {
			s.line++
		}
		s.pending = line
	}
	n := copy(p, s.pending)
	s.pending = s.pending[n:]
	s.emitted += int64(n)
	return n, nil
}

// rowDone tells the source that the parser has finished a row at offset end.
func (s *csvSource) rowDone(end int64) { s.rowStart = end }

// takeLong removes and returns the long lines replaced before offset end (all when end < 0).
func (s *csvSource) takeLong(end int64) []longLine {
	i := 0
	for i < len(s.long) && (end < 0 || s.long[i].offset < end) {
		i++
	}
	out := s.long[:i:i]
	s.long = s.long[i:]
	return out
}

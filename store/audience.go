package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

// An incident's audience is one row of audiences (none until someone chooses): all customers,
// the customers of some accounts or segments, or the list uploaded for the incident, kept in
// audience_members. Recipients are read in pages ordered by email, the key of both the
// customers and the members, so a page of ten thousand costs one index range scan.

type audienceRow struct {
	amends.Audience
	listColumns []string // the uploaded list's columns, kept while another kind is chosen
}

func (s *Store) audienceRow(ctx context.Context, q querier, incidentID int64) (audienceRow, error) {
	var a audienceRow
	var accounts, segments, columns string
	err := q.QueryRowContext(ctx, "SELECT kind, accounts, segments, list_columns FROM audiences WHERE incident_id = $1", incidentID).
		Scan(&a.Kind, &accounts, &segments, &columns)
	if errors.Is(err, sql.ErrNoRows) {
		a.Audience = amends.Audience{Kind: amends.AudienceNone, Accounts: []string{}, Segments: []string{}, Columns: []string{}}
		a.listColumns = []string{}
		return a, nil
	} else if err != nil {
		return a, err
	}
	if err := json.Unmarshal([]byte(accounts), &a.Accounts); err != nil {
		return a, fmt.Errorf("audience accounts: %w", err)
	}
	if err := json.Unmarshal([]byte(columns), &a.listColumns); err != nil {
		return a, fmt.Errorf("audience columns: %w", err)
	}
	a.Segments = splitSegments(segments)
	a.Columns = []string{}
	if a.Kind == amends.AudienceList {
		a.Columns = a.listColumns
	}
	return a, nil
}

func (s *Store) putAudience(ctx context.Context, tx *Tx, incidentID int64, a audienceRow, now time.Time, actor amends.Actor) error {
	accounts, _ := json.Marshal(nonNil(a.Accounts))
	columns, _ := json.Marshal(nonNil(a.listColumns))
	_, err := tx.ExecContext(ctx, `INSERT INTO audiences (incident_id, kind, accounts, segments, list_columns, updated_at, updated_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident_id) DO UPDATE SET kind = excluded.kind,
		accounts = excluded.accounts, segments = excluded.segments, list_columns = excluded.list_columns,
		updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
		incidentID, a.Kind, string(accounts), joinSegments(a.Segments), string(columns), micros(now), actor.Name)
	return err
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// Audience returns who incident ref's customer messages would reach now, with Size counted.
// Until someone chooses, the kind is none and nothing can be sent.
func (s *Store) Audience(ctx context.Context, ref string) (*amends.Audience, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	a, err := s.audience(ctx, s.db, inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	return &a, nil
}

func (s *Store) audience(ctx context.Context, q querier, incidentID int64) (amends.Audience, error) {
	row, err := s.audienceRow(ctx, q, incidentID)
	if err != nil {
		return amends.Audience{}, err
	}
	a := row.Audience
	if a.Kind == amends.AudienceNone {
		return a, nil
	}
	from, args := recipientsFrom(a, incidentID)
	err = q.QueryRowContext(ctx, "SELECT COUNT(*) "+from, args...).Scan(&a.Size)
	return a, err
}

// SetAudience chooses who hears incident ref's customer messages: all customers, the customers
// of some accounts, those with any of some segment tags, or (kind list) the list uploaded last.
func (s *Store) SetAudience(ctx context.Context, ref string, a amends.Audience, actor amends.Actor) (*amends.Audience, error) {
	a.Normalize()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, false)
		if err != nil {
			return err
		}
		cur, err := s.audienceRow(ctx, tx, inc.ID)
		if err != nil {
			return err
		}
		if a.Kind == amends.AudienceList {
			var any bool
			if err := tx.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM audience_members WHERE incident_id = $1)", inc.ID).Scan(&any); err != nil {
				return err
			}
			if !any {
				return amends.Errorf(amends.EInvalid, "kind", "no list was uploaded for %s: upload one (a CSV file with an email column) to choose it", inc.Ref)
			}
		}
		next := cur
		next.Kind = a.Kind
		// Accounts and segments stay while another kind is chosen, so choosing them again
		// brings them back.
		if a.Kind == amends.AudienceAccounts {
			next.Accounts = a.Accounts
		}
		if a.Kind == amends.AudienceSegments {
			next.Segments = a.Segments
		}
		if err := s.putAudience(ctx, tx, inc.ID, next, now, actor); err != nil {
			return err
		}
		detail := a.Kind
		switch a.Kind {
		case amends.AudienceAccounts:
			detail += ": " + strconv.Itoa(len(a.Accounts)) + " accounts"
		case amends.AudienceSegments:
			detail += ": " + strings.Join(a.Segments, ", ")
		}
		return s.audit(ctx, tx, now, actor, "audience.set", inc.Ref, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Audience(ctx, ref)
}

// UploadAudience reads a CSV file of the people a mistake reached and makes it incident ref's
// audience. The file has an email column and, optionally, name and account; every other column
// becomes a placeholder each recipient has their own value of ("orders affected" becomes
// {{orders_affected}}). Every row is checked first: an address that is not one, a duplicate, a
// value of more than one line or with control characters, bytes that are not UTF-8. When any
// row is bad the report lists them by line and nothing is stored; otherwise the list replaces
// the previous one in one transaction. The error is for what is not the file's fault.
func (s *Store) UploadAudience(ctx context.Context, ref string, r io.Reader, actor amends.Actor) (amends.AudienceReport, error) {
	rep := amends.AudienceReport{Columns: []string{}, Problems: []amends.RowProblem{}}
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return rep, err
	}
	rd := amends.NewCSVReader(r)
	if err := rd.ReadHeader("email"); err != nil {
		return rep, addAudienceFatal(&rep, err)
	}
	type column struct {
		index int
		key   string
	}
	var extra []column
	for i, h := range rd.Columns() {
		if h == "" || slices.Contains([]string{"email", "name", "account"}, h) {
			continue
		}
		key, err := amends.AudienceColumn(h)
		if err != nil {
			rep.Add(amends.RowProblem{Line: 1, Field: h, Message: amends.ErrorOf(err).Message})
			continue
		}
		if slices.Contains(rep.Columns, key) {
			rep.Add(amends.RowProblem{Line: 1, Field: h, Message: fmt.Sprintf("two columns are both {{%s}}; rename one", key)})
			continue
		}
		rep.Columns = append(rep.Columns, key)
		extra = append(extra, column{i, h})
	}
	if len(rep.Columns) > amends.MaxAudienceColumns {
		rep.Add(amends.RowProblem{Line: 1, Message: fmt.Sprintf("the file has %d extra columns; at most %d", len(rep.Columns), amends.MaxAudienceColumns)})
	}
	if rep.ProblemCount() > 0 {
		return rep, nil
	}
	var members []amends.Recipient
	seen := map[string]int{}
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return rep, addAudienceFatal(&rep, err)
		}
		rep.Rows++
		if row.Problem != nil {
			rep.Add(*row.Problem)
			continue
		}
		if rep.Rows > amends.MaxAudienceList {
			rep.Add(amends.RowProblem{Line: row.Line, Message: fmt.Sprintf("the list has more than %d rows; split the incident's audience by account or segment instead", amends.MaxAudienceList)})
			return rep, nil
		}
		m := amends.Recipient{Email: strings.TrimSpace(row.Get("email")), Name: strings.TrimSpace(row.Get("name")),
			Account: strings.TrimSpace(row.Get("account")), Fields: make(map[string]string, len(extra))}
		m.Email = strings.ToLower(m.Email)
		for j, c := range extra {
			m.Fields[rep.Columns[j]] = strings.TrimSpace(row.Get(c.key))
		}
		if err := amends.ValidateRecipient(m); err != nil {
			e := amends.ErrorOf(err)
			rep.Add(amends.RowProblem{Line: row.Line, Field: e.Field, Message: e.Message})
			continue
		}
		if first, dup := seen[m.Email]; dup {
			rep.Add(amends.RowProblem{Line: row.Line, Field: "email", Message: fmt.Sprintf("duplicate: %s is also on line %d", m.Email, first)})
			continue
		}
		seen[m.Email] = row.Line
		if rep.ProblemCount() == 0 {
			members = append(members, m)
		}
	}
	if rep.Rows == 0 {
		rep.Add(amends.RowProblem{Line: 2, Message: "the file has a header but no rows: nobody to tell"})
	}
	if rep.ProblemCount() > 0 {
		return rep, nil
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM audience_members WHERE incident_id = $1", inc.ID); err != nil {
			return err
		}
		for start := 0; start < len(members); start += memberChunk {
			if err := ctx.Err(); err != nil {
				return err
			}
			if err := s.insertMembers(ctx, tx, inc.ID, members[start:min(start+memberChunk, len(members))]); err != nil {
				return err
			}
		}
		cur, err := s.audienceRow(ctx, tx, inc.ID)
		if err != nil {
			return err
		}
		cur.Kind, cur.listColumns = amends.AudienceList, rep.Columns
		if err := s.putAudience(ctx, tx, inc.ID, cur, now, actor); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "audience.upload", inc.Ref, fmt.Sprintf("%d recipients; columns: %s", len(members), strings.Join(rep.Columns, ", ")))
	})
	if err != nil {
		return rep, err
	}
	rep.Members = len(members)
	return rep, nil
}

// memberChunk is how many members one INSERT writes (five parameters each).
const memberChunk = 500

func (s *Store) insertMembers(ctx context.Context, tx *Tx, incidentID int64, ms []amends.Recipient) error {
	var q strings.Builder
	q.WriteString("INSERT INTO audience_members (incident_id, email, name, account, fields) VALUES ")
	args := make([]any, 0, 5*len(ms))
	for i, m := range ms {
		if i > 0 {
			q.WriteString(", ")
		}
		fields, _ := json.Marshal(m.Fields)
		args = append(args, incidentID, m.Email, m.Name, m.Account, string(fields))
		q.WriteString(s.rowPlaceholders(len(args)-5, 5))
	}
	_, err := tx.ExecContext(ctx, q.String(), args...)
	return err
}

// rowPlaceholders returns "(…)" with n placeholders for the parameters after the first done:
// $N on PostgreSQL, anonymous ? on SQLite, which looks each $N up in a list and so parses a
// statement of thousands of them in quadratic time.
func (s *Store) rowPlaceholders(done, n int) string {
	var b strings.Builder
	b.WriteByte('(')
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		if s.dialect == SQLite {
			b.WriteByte('?')
		} else {
			b.WriteString("$" + strconv.Itoa(done+i+1))
		}
	}
	b.WriteByte(')')
	return b.String()
}

func addAudienceFatal(rep *amends.AudienceReport, err error) error {
	var p *amends.RowProblem
	if errors.As(err, &p) {
		rep.Add(*p)
		return nil
	}
	return err
}

// recipientsFrom returns the FROM and WHERE of the query that reads an audience's recipients
// as (email, name, account, fields), and its arguments ($1 is the incident for lists).
func recipientsFrom(a amends.Audience, incidentID int64) (string, []any) {
	switch a.Kind {
	case amends.AudienceList:
		// A list without names or accounts takes them from the customers it names.
		return `FROM audience_members m LEFT JOIN customers c ON c.email = m.email WHERE m.incident_id = $1`, []any{incidentID}
	case amends.AudienceAccounts:
		args := make([]any, len(a.Accounts))
		marks := make([]string, len(a.Accounts))
		for i, acc := range a.Accounts {
			args[i] = acc
			marks[i] = "$" + strconv.Itoa(i+1)
		}
		return "FROM customers c WHERE c.account IN (" + strings.Join(marks, ", ") + ")", args
	case amends.AudienceSegments:
		args := make([]any, len(a.Segments))
		conds := make([]string, len(a.Segments))
		for i, seg := range a.Segments {
			// "_" is LIKE's one-character wildcard; the other tag characters are literal.
			args[i] = "%," + strings.ReplaceAll(seg, "_", `\_`) + ",%"
			conds[i] = `(',' || c.segments || ',') LIKE $` + strconv.Itoa(i+1) + ` ESCAPE '\'`
		}
		return "FROM customers c WHERE (" + strings.Join(conds, " OR ") + ")", args
	}
	return "FROM customers c WHERE 1 = 1", nil
}

func recipientsSelect(a amends.Audience) (columns, key string) {
	if a.Kind == amends.AudienceList {
		return "m.email, CASE WHEN m.name <> '' THEN m.name ELSE COALESCE(c.name, '') END, " +
			"CASE WHEN m.account <> '' THEN m.account ELSE COALESCE(c.account, '') END, m.fields", "m.email"
	}
	return "c.email, c.name, c.account, '{}'", "c.email"
}

// recipients reads up to limit recipients of audience a after the email after, in email order.
func (s *Store) recipients(ctx context.Context, q querier, a amends.Audience, incidentID int64, after string, limit int) ([]amends.Recipient, error) {
	if a.Kind == amends.AudienceNone {
		return []amends.Recipient{}, nil
	}
	from, args := recipientsFrom(a, incidentID)
	cols, key := recipientsSelect(a)
	args = append(args, after, limit)
	n := len(args)
	rows, err := q.QueryContext(ctx, fmt.Sprintf("SELECT %s %s AND %s > $%d ORDER BY %s LIMIT $%d", cols, from, key, n-1, key, n), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([]amends.Recipient, 0, min(limit, 1024))
	for rows.Next() {
		r, err := scanRecipient(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func scanRecipient(row scanner) (amends.Recipient, error) {
	var r amends.Recipient
	var fields string
	if err := row.Scan(&r.Email, &r.Name, &r.Account, &fields); err != nil {
		return r, err
	}
	if err := json.Unmarshal([]byte(fields), &r.Fields); err != nil {
		return r, fmt.Errorf("recipient %s fields: %w", r.Email, err)
	}
	if r.Fields == nil {
		r.Fields = map[string]string{}
	}
	return r, nil
}

// AudienceRecipients returns a page of incident ref's audience in email order, and the cursor
// of the next page ("" on the last). after is the cursor of the previous page.
func (s *Store) AudienceRecipients(ctx context.Context, ref, after string, limit int) ([]amends.Recipient, string, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, "", err
	}
	row, err := s.audienceRow(ctx, s.db, inc.ID)
	if err != nil {
		return nil, "", translate(err)
	}
	rs, err := s.recipients(ctx, s.db, row.Audience, inc.ID, after, limit+1)
	if err != nil {
		return nil, "", translate(err)
	}
	next := ""
	if len(rs) > limit {
		rs = rs[:limit]
		next = rs[limit-1].Email
	}
	return rs, next, nil
}

// AudienceRecipient returns one recipient of incident ref's audience by email, or ENotFound
// when the audience does not include them: what a preview for that person shows.
func (s *Store) AudienceRecipient(ctx context.Context, ref, email string) (*amends.Recipient, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.audienceRecipient(ctx, s.db, inc, email)
}

func (s *Store) audienceRecipient(ctx context.Context, q querier, inc *amends.Incident, email string) (*amends.Recipient, error) {
	row, err := s.audienceRow(ctx, q, inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	a := row.Audience
	if a.Kind == amends.AudienceNone {
		return nil, amends.Errorf(amends.ENotFound, "email", "%s has no audience yet: choose who hears its messages", inc.Ref)
	}
	var r amends.Recipient
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		// Anyone will do: the first in email order.
		rs, err := s.recipients(ctx, q, a, inc.ID, "", 1)
		if err != nil {
			return nil, translate(err)
		}
		if len(rs) == 0 {
			return nil, amends.Errorf(amends.ENotFound, "email", "the audience of %s is empty", inc.Ref)
		}
		return &rs[0], nil
	}
	from, args := recipientsFrom(a, inc.ID)
	cols, key := recipientsSelect(a)
	args = append(args, email)
	r, err = scanRecipient(q.QueryRowContext(ctx, fmt.Sprintf("SELECT %s %s AND %s = $%d", cols, from, key, len(args)), args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.ENotFound, "email", "%s is not in the audience of %s", email, inc.Ref)
	} else if err != nil {
		return nil, translate(err)
	}
	return &r, nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/amends/amends"
)

const customerColumns = "id, email, name, account, segments, created_at, updated_at"

func scanCustomer(row scanner) (*amends.Customer, error) {
	var c amends.Customer
	var segments string
	var created, updated int64
	if err := row.Scan(&c.ID, &c.Email, &c.Name, &c.Account, &segments, &created, &updated); err != nil {
		return nil, err
	}
	c.Segments = splitSegments(segments)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, nil
}

// Segments are stored as a comma list: no tag can hold a comma.
func joinSegments(tags []string) string { return strings.Join(tags, ",") }

func splitSegments(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}

// CreateCustomer adds a customer; an email that is already a customer's is EConflict.
func (s *Store) CreateCustomer(ctx context.Context, c amends.Customer, actor amends.Actor) (*amends.Customer, error) {
	c.Normalize()
	if err := c.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO customers (email, name, account, segments, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $5) RETURNING id`, c.Email, c.Name, c.Account, joinSegments(c.Segments), micros(now)).Scan(&c.ID)
		if amends.ErrorCode(translate(err)) == amends.EConflict {
			return amends.Errorf(amends.EConflict, "email", "%s is already a customer", c.Email)
		} else if err != nil {
			return err
		}
		// The audit log names customers by id, not by address: deleting a customer must not
		// leave their email behind.
		return s.audit(ctx, tx, now, actor, "customer.create", customerTarget(c.ID), "")
	})
	if err != nil {
		return nil, err
	}
	return s.Customer(ctx, c.ID)
}

func customerTarget(id int64) string { return "customer " + strconv.FormatInt(id, 10) }

// UpdateCustomer changes the fields the update carries.
func (s *Store) UpdateCustomer(ctx context.Context, id int64, u amends.CustomerUpdate, actor amends.Actor) (*amends.Customer, error) {
	if u.Empty() {
		return nil, amends.Errorf(amends.EInvalid, "", "nothing to change")
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *Tx) error {
		q := "SELECT " + customerColumns + " FROM customers WHERE id = $1"
		if s.dialect == Postgres {
			q += " FOR UPDATE"
		}
		cur, err := scanCustomer(tx.QueryRowContext(ctx, q, id))
		if errors.Is(err, sql.ErrNoRows) {
			return amends.Errorf(amends.ENotFound, "customer", "no customer %d", id)
		} else if err != nil {
			return err
		}
		next := u.Apply(*cur)
		if err := next.Validate(); err != nil {
			return err
		}
		var changed []string
		for _, f := range []struct {
			name     string
			old, new string
		}{{"email", cur.Email, next.Email}, {"name", cur.Name, next.Name}, {"account", cur.Account, next.Account},
			{"segments", joinSegments(cur.Segments), joinSegments(next.Segments)}} {
			if f.old != f.new {
				changed = append(changed, f.name)
			}
		}
		if len(changed) == 0 {
			return nil
		}
		_, err = tx.ExecContext(ctx, "UPDATE customers SET email = $1, name = $2, account = $3, segments = $4, updated_at = $5 WHERE id = $6",
			next.Email, next.Name, next.Account, joinSegments(next.Segments), micros(now), id)
		if amends.ErrorCode(translate(err)) == amends.EConflict {
			return amends.Errorf(amends.EConflict, "email", "%s is already another customer's", next.Email)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "customer.update", customerTarget(id), strings.Join(changed, ", "))
	})
	if err != nil {
		return nil, err
	}
	return s.Customer(ctx, id)
}

// DeleteCustomer removes a customer.
func (s *Store) DeleteCustomer(ctx context.Context, id int64, actor amends.Actor) error {
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM customers WHERE id = $1", id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return amends.Errorf(amends.ENotFound, "customer", "no customer %d", id)
		}
		return s.audit(ctx, tx, now, actor, "customer.delete", customerTarget(id), "")
	})
}

// Customer returns one customer, or ENotFound.
func (s *Store) Customer(ctx context.Context, id int64) (*amends.Customer, error) {
	c, err := scanCustomer(s.db.QueryRowContext(ctx, "SELECT "+customerColumns+" FROM customers WHERE id = $1", id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.ENotFound, "customer", "no customer %d", id)
	}
	return c, translate(err)
}

// CustomerPage is one page of customers and the cursor of the next ("" on the last page).
type CustomerPage struct {
	Customers []*amends.Customer `json:"customers"`
	Next      string             `json:"next"`
}

// Customers lists customers in the order they were added, a page at a time: each page is
// one range of the primary key (or of the account index), so a deep page costs what the
// first does. A segment filter reads the rows in that range and keeps those with the tag.
func (s *Store) Customers(ctx context.Context, f amends.CustomerFilter) (CustomerPage, error) {
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	conds, args, err := customerConds(f)
	if err != nil {
		return CustomerPage{}, err
	}
	if f.After != "" {
		after, err := strconv.ParseInt(f.After, 10, 64)
		if err != nil || after < 0 {
			return CustomerPage{}, amends.Errorf(amends.EInvalid, "after", "is not a cursor from a previous page")
		}
		args = append(args, after)
		conds = append(conds, "id > $"+strconv.Itoa(len(args)))
	}
	q := "SELECT " + customerColumns + " FROM customers"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	args = append(args, limit+1)
	q += " ORDER BY id LIMIT $" + strconv.Itoa(len(args))
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return CustomerPage{}, translate(err)
	}
	defer rows.Close()
	page := CustomerPage{Customers: []*amends.Customer{}}
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return CustomerPage{}, err
		}
		page.Customers = append(page.Customers, c)
	}
	if err := rows.Err(); err != nil {
		return CustomerPage{}, translate(err)
	}
	if len(page.Customers) > limit {
		page.Customers = page.Customers[:limit]
		page.Next = strconv.FormatInt(page.Customers[limit-1].ID, 10)
	}
	return page, nil
}

// CountCustomers counts the customers the filter's account and segment select.
func (s *Store) CountCustomers(ctx context.Context, f amends.CustomerFilter) (int, error) {
	conds, args, err := customerConds(f)
	if err != nil {
		return 0, err
	}
	q := "SELECT COUNT(*) FROM customers"
	if len(conds) > 0 {
		q += " WHERE " + strings.Join(conds, " AND ")
	}
	var n int
	return n, translate(s.db.QueryRowContext(ctx, q, args...).Scan(&n))
}

func customerConds(f amends.CustomerFilter) ([]string, []any, error) {
	var conds []string
	var args []any
	if a := strings.TrimSpace(f.Account); a != "" {
		args = append(args, a)
		conds = append(conds, "account = $"+strconv.Itoa(len(args)))
	}
	if seg := strings.ToLower(strings.TrimSpace(f.Segment)); seg != "" {
		if err := amends.ValidateSegment(seg); err != nil {
			return nil, nil, amends.Errorf(amends.EInvalid, "segment", "%s", amends.ErrorOf(err).Message)
		}
		// "_" is LIKE's one-character wildcard; the other tag characters are literal.
		args = append(args, "%,"+strings.ReplaceAll(seg, "_", `\_`)+",%")
		conds = append(conds, `(',' || segments || ',') LIKE $`+strconv.Itoa(len(args))+` ESCAPE '\'`)
	}
	return conds, args, nil
}

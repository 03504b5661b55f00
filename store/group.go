package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/amends/amends"
)

// CreateGroup adds a stakeholder group with its rule (severities and events it hears).
func (s *Store) CreateGroup(ctx context.Context, g amends.Group, actor amends.Actor) (*amends.Group, error) {
	g.Normalize()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *Tx) error {
		err := tx.QueryRowContext(ctx, "INSERT INTO groups (name, severities, events, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
			g.Name, amends.FormatSeverities(g.Severities), strings.Join(g.Events, ","), micros(now)).Scan(&g.ID)
		if amends.ErrorCode(translate(err)) == amends.EConflict {
			return amends.Errorf(amends.EConflict, "name", "a group named %q exists", g.Name)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "group.create", g.Name, "severities "+amends.FormatSeverities(g.Severities)+"; events "+strings.Join(g.Events, ","))
	})
	if err != nil {
		return nil, err
	}
	return s.Group(ctx, g.ID)
}

// UpdateGroupRule changes which severities and events a group hears.
func (s *Store) UpdateGroupRule(ctx context.Context, id int64, severities []amends.Severity, events []string, actor amends.Actor) (*amends.Group, error) {
	g, err := s.Group(ctx, id)
	if err != nil {
		return nil, err
	}
	g.Severities, g.Events = severities, events
	g.Normalize()
	if err := g.Validate(); err != nil {
		return nil, err
	}
	now := s.now()
	err = s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE groups SET severities = $1, events = $2 WHERE id = $3",
			amends.FormatSeverities(g.Severities), strings.Join(g.Events, ","), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "group.rule", g.Name, "severities "+amends.FormatSeverities(g.Severities)+"; events "+strings.Join(g.Events, ","))
	})
	if err != nil {
		return nil, err
	}
	return s.Group(ctx, id)
}

// DeleteGroup removes a group and its contacts; past deliveries keep their record.
func (s *Store) DeleteGroup(ctx context.Context, id int64, actor amends.Actor) error {
	g, err := s.Group(ctx, id)
	if err != nil {
		return err
	}
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM groups WHERE id = $1", id); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "group.delete", g.Name, "")
	})
}

// Group returns one group with its contacts.
func (s *Store) Group(ctx context.Context, id int64) (*amends.Group, error) {
	groups, err := s.groups(ctx, s.db, "WHERE id = $1", id)
	if err != nil {
		return nil, err
	}
	if len(groups) == 0 {
		return nil, amends.Errorf(amends.ENotFound, "group", "no group %d", id)
	}
	return groups[0], nil
}

// Groups returns every group with its contacts, by name.
func (s *Store) Groups(ctx context.Context) ([]*amends.Group, error) {
	return s.groups(ctx, s.db, "")
}

func (s *Store) groups(ctx context.Context, q querier, where string, args ...any) ([]*amends.Group, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, name, severities, events, created_at FROM groups "+where+" ORDER BY name", args...)
	if err != nil {
		return nil, translate(err)
	}
	var out []*amends.Group
	byID := map[int64]*amends.Group{}
	for rows.Next() {
		var g amends.Group
		var sev, events string
		var created int64
		if err := rows.Scan(&g.ID, &g.Name, &sev, &events, &created); err != nil {
			rows.Close()
			return nil, err
		}
		g.Severities, g.Events, g.CreatedAt = amends.ParseSeverities(sev), strings.Split(events, ","), fromMicros(created)
		g.Contacts = []amends.Contact{}
		out = append(out, &g)
		byID[g.ID] = &g
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	if len(out) == 0 {
		return out, nil
	}
	contactsQuery := "SELECT id, group_id, name, kind, address, secret, created_at FROM contacts ORDER BY name, id"
	var contactArgs []any
	if len(out) == 1 {
		contactsQuery = "SELECT id, group_id, name, kind, address, secret, created_at FROM contacts WHERE group_id = $1 ORDER BY name, id"
		contactArgs = []any{out[0].ID}
	}
	crows, err := q.QueryContext(ctx, contactsQuery, contactArgs...)
	if err != nil {
		return nil, translate(err)
	}
	defer crows.Close()
	for crows.Next() {
		c, err := scanContact(crows)
		if err != nil {
			return nil, err
		}
		if g := byID[c.GroupID]; g != nil {
			g.Contacts = append(g.Contacts, c)
		}
	}
	return out, translate(crows.Err())
}

func scanContact(row scanner) (amends.Contact, error) {
	var c amends.Contact
	var created int64
	err := row.Scan(&c.ID, &c.GroupID, &c.Name, &c.Kind, &c.Address, &c.Secret, &created)
	c.CreatedAt = fromMicros(created)
	return c, err
}

// AddContact adds a way to reach a member of group (or the group itself). The caller has
// validated the address for its kind (the channel package knows how).
func (s *Store) AddContact(ctx context.Context, groupID int64, c amends.Contact, actor amends.Actor) (*amends.Contact, error) {
	c.Name = strings.TrimSpace(c.Name)
	if c.Name == "" || strings.ContainsAny(c.Name, "\r\n") || len(c.Name) > 200 {
		return nil, amends.Errorf(amends.EInvalid, "name", "is required, one line, at most 200 bytes")
	}
	switch c.Kind {
	case amends.ChannelEmail, amends.ChannelSlack, amends.ChannelTeams, amends.ChannelWebhook:
	default:
		return nil, amends.Errorf(amends.EInvalid, "kind", "must be email, slack, teams or webhook; got %q", c.Kind)
	}
	now := s.now()
	err := s.inTx(ctx, func(tx *Tx) error {
		var group string
		err := tx.QueryRowContext(ctx, "SELECT name FROM groups WHERE id = $1", groupID).Scan(&group)
		if errors.Is(err, sql.ErrNoRows) {
			return amends.Errorf(amends.ENotFound, "group", "no group %d", groupID)
		} else if err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO contacts (group_id, name, kind, address, secret, created_at)
			VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`, groupID, c.Name, c.Kind, c.Address, c.Secret, micros(now)).Scan(&c.ID)
		if amends.ErrorCode(translate(err)) == amends.EConflict {
			return amends.Errorf(amends.EConflict, "address", "%s already reaches %s by %s", group, c.Address, c.Kind)
		} else if err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "contact.add", group, c.Name+" by "+c.Kind)
	})
	if err != nil {
		return nil, err
	}
	c.GroupID, c.CreatedAt = groupID, now
	return &c, nil
}

// DeleteContact removes a contact from its group.
func (s *Store) DeleteContact(ctx context.Context, id int64, actor amends.Actor) error {
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		c, err := scanContact(tx.QueryRowContext(ctx, "SELECT id, group_id, name, kind, address, secret, created_at FROM contacts WHERE id = $1", id))
		if errors.Is(err, sql.ErrNoRows) {
			return amends.Errorf(amends.ENotFound, "contact", "no contact %d", id)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM contacts WHERE id = $1", id); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "contact.delete", c.Name, c.Kind)
	})
}

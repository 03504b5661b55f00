package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"strings"

	"github.com/amends/amends"
)

func (s *Store) setting(ctx context.Context, q querier, name string) (string, bool, error) {
	var v string
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE name = $1", name).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return v, err == nil, translate(err)
}

func (s *Store) putSetting(ctx context.Context, tx *Tx, name, value string) error {
	res, err := tx.ExecContext(ctx, "UPDATE settings SET value = $1 WHERE name = $2", value, name)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		_, err = tx.ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ($1, $2)", name, value)
	}
	return err
}

// Secret returns the server-wide secret called name, creating a random one the first time.
// Every replica on one database reads the same value, so a link signed by one checks on all.
func (s *Store) Secret(ctx context.Context, name string) (string, error) {
	if v, ok, err := s.setting(ctx, s.db, "secret."+name); err != nil || ok {
		return v, err
	}
	var out string
	err := s.inTx(ctx, func(tx *Tx) error {
		v, ok, err := s.setting(ctx, tx, "secret."+name)
		if err != nil || ok {
			out = v
			return err
		}
		out = RandomSecret(32)
		_, err = tx.ExecContext(ctx, "INSERT INTO settings (name, value) VALUES ($1, $2)", "secret."+name, out)
		return err
	})
	if amends.ErrorCode(err) == amends.EConflict { // another replica made it first
		v, _, err := s.setting(ctx, s.db, "secret."+name)
		return v, err
	}
	return out, err
}

// Targets returns the time-to-own targets per severity (the defaults until changed).
func (s *Store) Targets(ctx context.Context) (amends.Targets, error) {
	return s.targets(ctx, s.db)
}

func (s *Store) targets(ctx context.Context, q querier) (amends.Targets, error) {
	v, ok, err := s.setting(ctx, q, "targets")
	if err != nil || !ok {
		return amends.DefaultTargets(), err
	}
	t := amends.Targets{}
	if err := json.Unmarshal([]byte(v), &t); err != nil {
		return nil, err
	}
	return t, nil
}

// SetTargets replaces the time-to-own targets.
func (s *Store) SetTargets(ctx context.Context, t amends.Targets, actor amends.Actor) error {
	for sev, tg := range t {
		if !sev.Valid() || tg.ColleaguesTold < 0 || tg.CustomersTold < 0 {
			return amends.Errorf(amends.EInvalid, "targets", "severities 1 to 4, durations not negative")
		}
	}
	b, _ := json.Marshal(t)
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		if err := s.putSetting(ctx, tx, "targets", string(b)); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "settings.targets", "", string(b))
	})
}

// EscalationContact returns who hears when a time-to-own target is missed (nil when nobody).
func (s *Store) EscalationContact(ctx context.Context) (*amends.Contact, error) {
	return s.escalationContact(ctx, s.db)
}

func (s *Store) escalationContact(ctx context.Context, q querier) (*amends.Contact, error) {
	v, ok, err := s.setting(ctx, q, "escalation")
	if err != nil || !ok {
		return nil, err
	}
	var c amends.Contact
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		return nil, err
	}
	var secret struct{ Secret string }
	json.Unmarshal([]byte(v), &secret)
	c.Secret = secret.Secret
	return &c, nil
}

// SetEscalationContact names who hears when a target is missed. The caller has validated
// the address for its kind.
func (s *Store) SetEscalationContact(ctx context.Context, c amends.Contact, actor amends.Actor) error {
	b, _ := json.Marshal(struct {
		Name, Kind, Address, Secret string
	}{c.Name, c.Kind, c.Address, c.Secret})
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		if err := s.putSetting(ctx, tx, "escalation", string(b)); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "settings.escalation", c.Name, c.Kind)
	})
}

// ReplyTo returns the address customer messages ask replies to go to when the incident's
// owner has no email contact ("" when none is set).
func (s *Store) ReplyTo(ctx context.Context) (string, error) {
	v, _, err := s.setting(ctx, s.db, "reply_to")
	return v, err
}

// SetReplyTo sets the address replies to customer messages go to when the owner has no email
// contact; "" clears it.
func (s *Store) SetReplyTo(ctx context.Context, address string, actor amends.Actor) error {
	address = strings.ToLower(strings.TrimSpace(address))
	if address != "" {
		if err := amends.ValidateEmail("reply_to", address); err != nil {
			return err
		}
	}
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		if err := s.putSetting(ctx, tx, "reply_to", address); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "settings.reply_to", "", address)
	})
}

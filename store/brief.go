package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amends/amends"
)

// Reader is one colleague sent the latest brief, and whether they confirmed reading it.
type Reader struct {
	Name        string     `json:"name"`
	Group       string     `json:"group"`
	Channels    []string   `json:"channels"`
	DeliveredAt *time.Time `json:"delivered_at"`
	ReadAt      *time.Time `json:"read_at"`
}

// Readers returns everyone the latest brief of incident ref went to, grouped by name (one
// person reached by email and chat is one reader), those who have not read it first.
func (s *Store) Readers(ctx context.Context, ref string) ([]Reader, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	return s.readers(ctx, s.db, inc.ID)
}

func (s *Store) readers(ctx context.Context, q querier, incidentID int64) ([]Reader, error) {
	rows, err := q.QueryContext(ctx, `SELECT d.name, d.group_name, d.kind, d.delivered_at, d.acked_at FROM deliveries d
		WHERE d.brief_id = (SELECT MAX(id) FROM briefs WHERE incident_id = $1) AND d.purpose = 'brief' ORDER BY d.name, d.id`, incidentID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []Reader
	index := map[string]int{}
	for rows.Next() {
		var name, group, kind string
		var done, acked sql.NullInt64
		if err := rows.Scan(&name, &group, &kind, &done, &acked); err != nil {
			return nil, err
		}
		key := group + "\x00" + name
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, Reader{Name: name, Group: group})
		}
		r := &out[i]
		r.Channels = append(r.Channels, kind)
		if t := fromNullMicros(done); t != nil && (r.DeliveredAt == nil || t.Before(*r.DeliveredAt)) {
			r.DeliveredAt = t
		}
		if t := fromNullMicros(acked); t != nil && (r.ReadAt == nil || t.Before(*r.ReadAt)) {
			r.ReadAt = t
		}
	}
	// Not yet read first: they are who the page must point at.
	unread := make([]Reader, 0, len(out))
	var read []Reader
	for _, r := range out {
		if r.ReadAt == nil {
			unread = append(unread, r)
		} else {
			read = append(read, r)
		}
	}
	return append(unread, read...), translate(rows.Err())
}

// Ack records that the recipient of delivery id has read the brief it carried, on the
// delivery and on the incident's timeline. Clicking twice records it once. It returns the
// incident's reference.
func (s *Store) Ack(ctx context.Context, id int64) (string, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	var ref string
	err := s.inTx(ctx, func(tx *Tx) error {
		var name, group string
		var number int64
		var acked, brief sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT d.name, d.group_name, i.number, d.acked_at, d.brief_id FROM deliveries d
			JOIN incidents i ON i.id = d.incident_id WHERE d.id = $1`, id).Scan(&name, &group, &number, &acked, &brief)
		if errors.Is(err, sql.ErrNoRows) {
			return amends.Errorf(amends.ENotFound, "delivery", "no such brief")
		} else if err != nil {
			return err
		}
		ref = amends.FormatRef(number)
		if acked.Valid {
			return nil
		}
		// One person reached by several channels, or reminded, has read the brief once: every
		// copy of this brief to them counts as read.
		if _, err := tx.ExecContext(ctx, `UPDATE deliveries SET acked_at = $1, updated_at = $1
			WHERE (id = $2 OR (brief_id = $3 AND name = $4 AND group_name = $5)) AND acked_at IS NULL`,
			micros(now), id, brief, name, group); err != nil {
			return err
		}
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		_, err = s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindBriefRead, At: now, Actor: name,
			Visibility: amends.Internal, Body: fmt.Sprintf("%s (%s) has read the brief.", name, group)}, now)
		return err
	})
	return ref, err
}

// RemindUnread sends a reminder to every colleague who has not read the latest brief of an
// open incident.
func (s *Store) RemindUnread(ctx context.Context, incidentID int64) (int, error) {
	now := s.now()
	sent := 0
	err := s.inTx(ctx, func(tx *Tx) error {
		var number int64
		var status string
		if err := tx.QueryRowContext(ctx, "SELECT number, status FROM incidents WHERE id = $1", incidentID).Scan(&number, &status); err != nil {
			return err
		}
		if !amends.Status(status).Open() {
			return nil
		}
		rows, err := tx.QueryContext(ctx, `SELECT d.contact_id, d.name, d.kind, d.address, d.secret, d.group_name, d.subject, d.body, d.brief_id
			FROM deliveries d WHERE d.brief_id = (SELECT MAX(id) FROM briefs WHERE incident_id = $1) AND d.purpose = 'brief'
			AND d.name NOT IN (SELECT a.name FROM deliveries a WHERE a.brief_id = d.brief_id AND a.acked_at IS NOT NULL)`, incidentID)
		if err != nil {
			return err
		}
		type pending struct {
			c                    amends.Contact
			group, subject, body string
			brief                int64
		}
		var list []pending
		for rows.Next() {
			var p pending
			var contact sql.NullInt64
			if err := rows.Scan(&contact, &p.c.Name, &p.c.Kind, &p.c.Address, &p.c.Secret, &p.group, &p.subject, &p.body, &p.brief); err != nil {
				rows.Close()
				return err
			}
			p.c.ID = contact.Int64
			list = append(list, p)
		}
		rows.Close()
		var jobs []Job
		for _, p := range list {
			subject := "Not read yet: " + p.subject
			body := "You have not yet confirmed reading this brief. Customers may ask you about it: please read it and use the read link.\n\n" + p.body
			id, err := s.insertDelivery(ctx, tx, incidentID, &p.brief, amends.PurposeReminder, p.c, p.group, subject, body, now)
			if err != nil {
				return err
			}
			jobs = append(jobs, Job{Kind: JobDeliver, DeliveryID: id, IncidentID: incidentID})
		}
		sent = len(jobs)
		return s.enqueue(ctx, tx, jobs)
	})
	return sent, err
}

// ClockDue runs a scheduled time-to-own check. note is "colleagues_told:nudge" and the like:
// when the instant has not happened and the incident is still open, a nudge goes to the
// owner's contacts, or an escalation to the escalation contact and onto the timeline. Notes
// "update:…" are the reminders of the next public update, "action:…" those of action items.
func (s *Store) ClockDue(ctx context.Context, incidentID int64, note string) error {
	if after, ok := strings.CutPrefix(note, "update:"); ok {
		return s.updateReminderDue(ctx, incidentID, after)
	}
	if rest, ok := strings.CutPrefix(note, "action:"); ok {
		return s.actionDue(ctx, incidentID, rest)
	}
	if note == surveyNote {
		return s.surveyDue(ctx, incidentID)
	}
	instant, stage, ok := strings.Cut(note, ":")
	if !ok || (instant != "colleagues_told" && instant != "customers_told") || (stage != "nudge" && stage != "escalate") {
		return fmt.Errorf("clock job with note %q", note)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *Tx) error {
		var number int64
		if err := tx.QueryRowContext(ctx, "SELECT number FROM incidents WHERE id = $1", incidentID).Scan(&number); err != nil {
			return err
		}
		inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
		if err != nil {
			return err
		}
		done := inc.ColleaguesToldAt
		label := "colleagues"
		if instant == "customers_told" {
			done, label = inc.CustomersToldAt, "customers"
		}
		if done != nil || !inc.Status.Open() {
			return nil
		}
		targets, err := s.targets(ctx, tx)
		if err != nil {
			return err
		}
		target := targets[inc.Severity].ColleaguesTold
		if instant == "customers_told" {
			target = targets[inc.Severity].CustomersTold
		}
		due := inc.NoticedAt.Add(target).In(s.loc).Format("15:04 MST")
		var recipients []amends.Contact
		purpose := amends.PurposeNudge
		subject := fmt.Sprintf("[%s] Tell %s by %s: %s", inc.Ref, label, due, inc.Title)
		body := fmt.Sprintf("%s (%s) was noticed at %s. The target for telling %s is %s; it has not happened yet.\n",
			inc.Ref, inc.Severity, inc.NoticedAt.In(s.loc).Format("15:04 MST"), label, due)
		if stage == "nudge" {
			recipients, err = s.contactsNamed(ctx, tx, inc.Owner)
		} else {
			purpose = amends.PurposeEscalation
			subject = fmt.Sprintf("[%s] Missed: %s not told by %s: %s", inc.Ref, label, due, inc.Title)
			body = fmt.Sprintf("%s (%s, owner %s) was noticed at %s. %s were to be told by %s and have not been.\n",
				inc.Ref, inc.Severity, inc.Owner, inc.NoticedAt.In(s.loc).Format("15:04 MST"), strings.ToUpper(label[:1])+label[1:], due)
			var esc *amends.Contact
			if esc, err = s.escalationContact(ctx, tx); esc != nil {
				recipients = append(recipients, *esc)
			}
			who := "nobody is set as escalation contact"
			if esc != nil {
				who = "escalated to " + esc.Name
			}
			if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindEscalation, At: now, Actor: System.Name,
				Visibility: amends.Internal, Body: fmt.Sprintf("Target missed: %s not told by %s; %s.", label, due, who)}, now); err != nil {
				return err
			}
		}
		if err != nil {
			return err
		}
		return s.tell(ctx, tx, inc.ID, recipients, purpose, subject, body, now)
	})
}

// tell writes one delivery of subject and body to each of contacts, for the incident
// incidentID (0: none, as for a digest), and enqueues them, in tx.
func (s *Store) tell(ctx context.Context, tx *Tx, incidentID int64, contacts []amends.Contact, purpose, subject, body string, now time.Time) error {
	jobs := make([]Job, 0, len(contacts))
	for _, c := range contacts {
		id, err := s.insertDelivery(ctx, tx, incidentID, nil, purpose, c, "", subject, body, now)
		if err != nil {
			return err
		}
		jobs = append(jobs, Job{Kind: JobDeliver, DeliveryID: id, IncidentID: incidentID})
	}
	return s.enqueue(ctx, tx, jobs)
}

// tellPerson tells the person named who through every contact bearing that name (see tell).
func (s *Store) tellPerson(ctx context.Context, tx *Tx, incidentID int64, who, purpose, subject, body string, now time.Time) error {
	contacts, err := s.contactsNamed(ctx, tx, who)
	if err != nil {
		return err
	}
	return s.tell(ctx, tx, incidentID, contacts, purpose, subject, body, now)
}

// contactsNamed returns every contact with this name (a person reached in several ways).
func (s *Store) contactsNamed(ctx context.Context, q querier, name string) ([]amends.Contact, error) {
	if name == "" {
		return nil, nil
	}
	rows, err := q.QueryContext(ctx, "SELECT id, group_id, name, kind, address, secret, created_at FROM contacts WHERE name = $1", name)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []amends.Contact
	seen := map[string]bool{}
	for rows.Next() {
		c, err := scanContact(rows)
		if err != nil {
			return nil, err
		}
		if key := c.Kind + c.Address; !seen[key] {
			seen[key] = true
			out = append(out, c)
		}
	}
	return out, rows.Err()
}

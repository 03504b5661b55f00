package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/amends/amends"
)

// scheduleUpdateReminder runs when a public update of an open incident is published: it
// schedules the check that reminds the communications owner shortly before the next update is
// due (amends.CommsReminderAt), in the publishing transaction.
func (s *Store) scheduleUpdateReminder(ctx context.Context, tx *Tx, inc *amends.Incident, e amends.Event) error {
	at := amends.CommsReminderAt(inc, e.At)
	if at.IsZero() {
		return nil
	}
	return s.enqueue(ctx, tx, []Job{{Kind: JobClock, IncidentID: inc.ID, At: micros(at), Note: "update:" + strconv.FormatInt(e.ID, 10)}})
}

// updateReminderDue reminds the communications owner (or the owner, when no one has that role)
// that customers are owed an update, unless the incident is no longer open or a newer public
// update has been published since the one that scheduled this check ("no change yet" counts).
func (s *Store) updateReminderDue(ctx context.Context, incidentID int64, eventID string) error {
	id, err := strconv.ParseInt(eventID, 10, 64)
	if err != nil {
		return fmt.Errorf("update reminder for event %q: %w", eventID, err)
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *Tx) error {
		var number int64
		if err := tx.QueryRowContext(ctx, "SELECT number FROM incidents WHERE id = $1", incidentID).Scan(&number); err != nil {
			return err
		}
		inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
		if err != nil || !inc.Status.Open() {
			return err
		}
		var latest int64
		var at int64
		err = tx.QueryRowContext(ctx, `SELECT id, at FROM events WHERE incident_id = $1 AND visibility = 'public'
			ORDER BY at DESC, seq DESC LIMIT 1`, inc.ID).Scan(&latest, &at)
		if errors.Is(err, sql.ErrNoRows) || latest != id {
			return nil // a newer update went out, or none is left to follow up
		} else if err != nil {
			return err
		}
		due := amends.NextUpdateDue(inc, fromMicros(at)).In(s.loc).Format("15:04 MST")
		who := inc.Comms
		if who == "" {
			who = inc.Owner
		}
		subject := fmt.Sprintf("[%s] Next customer update due by %s: %s", inc.Ref, due, inc.Title)
		body := fmt.Sprintf("The status page promised the next update on %s (%s) by %s. Post it even if there is no change yet: saying so keeps the promise.\n",
			inc.Ref, inc.Severity, due)
		return s.tellPerson(ctx, tx, inc.ID, who, amends.PurposeNudge, subject, body, now)
	})
}

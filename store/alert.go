package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"

	"github.com/amends/amends"
)

// Alert is a signal from a monitoring system, already translated from its own format.
type Alert struct {
	Source    string // "alertmanager", "generic"
	GroupKey  string // alerts with the same key belong to one incident
	Firing    bool
	Title     string
	Summary   string
	Severity  amends.Severity
	StartedAt time.Time // the alert's own start: "noticed"
	EndedAt   time.Time // when resolved
	Detail    string    // what fired, for the timeline
}

// IngestResult says what an alert did.
type IngestResult struct {
	Ref     string `json:"ref"`
	Created bool   `json:"created"`
	Action  string `json:"action"` // "declared", "updated", "resolved", "ignored"
}

// IngestAlert declares an incident for a firing alert group, or adds to the open incident the
// same group already declared (repeats never make duplicates). A resolved group is recorded on
// its incident's timeline; people decide when the incident itself is resolved.
func (s *Store) IngestAlert(ctx context.Context, a Alert, actor amends.Actor) (IngestResult, error) {
	res, err := s.ingestAlert(ctx, a, actor)
	if amends.ErrorCode(err) == amends.EConflict {
		// Another request declared this group at the same moment: now it adds to that one.
		res, err = s.ingestAlert(ctx, a, actor)
	}
	return res, err
}

func (s *Store) ingestAlert(ctx context.Context, a Alert, actor amends.Actor) (IngestResult, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	if strings.TrimSpace(a.GroupKey) == "" {
		return IngestResult{}, amends.Errorf(amends.EInvalid, "groupKey", "is required")
	}
	a = fitAlert(a)
	var res IngestResult
	err := s.inTx(ctx, func(tx *Tx) error {
		var incidentID, number int64
		var status string
		err := tx.QueryRowContext(ctx, `SELECT g.incident_id, i.number, i.status FROM alert_groups g JOIN incidents i ON i.id = g.incident_id
			WHERE g.source = $1 AND g.group_key = $2`, a.Source, a.GroupKey).Scan(&incidentID, &number, &status)
		known := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if !a.Firing {
			if !known {
				res.Action = "ignored"
				return nil
			}
			inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
			if err != nil {
				return err
			}
			at := a.EndedAt
			if at.IsZero() || at.After(now) || at.Before(inc.NoticedAt) {
				at = now
			}
			if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindAlert, At: at.UTC().Truncate(time.Microsecond), Actor: actor.Name,
				Visibility: amends.Internal, Body: "Alerts resolved: " + a.Detail}, now); err != nil {
				return err
			}
			res = IngestResult{Ref: inc.Ref, Action: "resolved"}
			_, err = tx.ExecContext(ctx, "UPDATE alert_groups SET firing = 0, updated_at = $1 WHERE source = $2 AND group_key = $3", micros(now), a.Source, a.GroupKey)
			return err
		}
		if known && amends.Status(status).Open() {
			inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
			if err != nil {
				return err
			}
			if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindAlert, At: now, Actor: actor.Name,
				Visibility: amends.Internal, Body: "Firing: " + a.Detail}, now); err != nil {
				return err
			}
			res = IngestResult{Ref: inc.Ref, Action: "updated"}
			_, err = tx.ExecContext(ctx, "UPDATE alert_groups SET firing = 1, updated_at = $1 WHERE source = $2 AND group_key = $3", micros(now), a.Source, a.GroupKey)
			return err
		}
		n := amends.NewIncident{Title: a.Title, Summary: a.Summary, Severity: a.Severity}
		if !a.StartedAt.IsZero() {
			started := a.StartedAt
			if started.After(now) { // a clock ahead of ours: noticed now
				started = now
			}
			n.NoticedAt = &started
		}
		n.Normalize()
		if err := n.Validate(now); err != nil {
			return err
		}
		inc, err := s.createIncident(ctx, tx, n, actor, now)
		if err != nil {
			return err
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindAlert, At: inc.NoticedAt, Actor: actor.Name,
			Visibility: amends.Internal, Body: "Firing: " + a.Detail}, now); err != nil {
			return err
		}
		if known {
			_, err = tx.ExecContext(ctx, "UPDATE alert_groups SET incident_id = $1, firing = 1, updated_at = $2 WHERE source = $3 AND group_key = $4",
				inc.ID, micros(now), a.Source, a.GroupKey)
		} else {
			_, err = tx.ExecContext(ctx, "INSERT INTO alert_groups (source, group_key, incident_id, firing, updated_at) VALUES ($1, $2, $3, 1, $4)",
				a.Source, a.GroupKey, inc.ID, micros(now))
		}
		if err != nil {
			return fmt.Errorf("alert group: %w", err)
		}
		res = IngestResult{Ref: inc.Ref, Created: true, Action: "declared"}
		return nil
	})
	return res, err
}

// maxGroupKey is the longest group key kept as it is; a longer one is kept as its hash.
const maxGroupKey = 1000

// fitAlert makes an alert's text fit what an incident holds, so that no alert is refused for
// its wording: a refused alert would be dropped by its sender and declare nothing. Invalid
// UTF-8 and control characters are replaced, the title is one line cut to amends.MaxTitle, the
// summary and detail are cut to their limits, and a group key over maxGroupKey bytes is kept as
// "sha256:" and its hex digest, which still groups repeats together.
func fitAlert(a Alert) Alert {
	a.Title = strings.Join(strings.Fields(cleanText(a.Title)), " ")
	a.Summary = amends.Shorten(cleanText(a.Summary), amends.MaxSummary)
	a.Detail = amends.Shorten(cleanText(a.Detail), amends.MaxBody-len("Alerts resolved: "))
	if a.Title == "" {
		a.Title = "Alert from " + a.Source
	}
	a.Title = amends.Shorten(a.Title, amends.MaxTitle)
	if len(a.GroupKey) > maxGroupKey {
		sum := sha256.Sum256([]byte(a.GroupKey))
		a.GroupKey = "sha256:" + hex.EncodeToString(sum[:])
	}
	return a
}

// cleanText replaces invalid UTF-8 and control characters other than newline and tab.
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' || !unicode.IsControl(r) {
			return r
		}
		return ' '
	}, s)
}

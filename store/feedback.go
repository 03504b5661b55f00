package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/amends/amends"
)

// Feedback surveys. When an incident becomes resolved, a clock job (note "survey") is
// scheduled survey_delay later; it asks every customer who was delivered one of the incident's
// customer messages, once, how well the mistake was handled. Each survey carries a random
// token; the surveys table keeps only its SHA-256, and the token itself travels in the secret
// column of the survey's delivery, which the delivery worker turns into the link.

// surveyNote is the note of the clock job that sends an incident's surveys.
const surveyNote = "survey"

// settingSurveyDelay is the setting that holds how long after resolution surveys go out.
const settingSurveyDelay = "survey_delay"

// errSurveyLink is all a forged, mangled or unknown survey link learns: nothing about what exists.
var errSurveyLink = amends.Errorf(amends.ENotFound, "token", "This survey link is not valid. Please use the link exactly as it is in the email we sent you.")

// Fields of the conflicts AnswerSurvey reports, so that pages can tell them apart.
const (
	SurveyExpired  = "expired"
	SurveyAnswered = "answered"
)

// SurveyDelay returns how long after resolution surveys are sent, and false when surveys are
// off. It is amends.SurveyDelay until an admin changes it.
func (s *Store) SurveyDelay(ctx context.Context) (time.Duration, bool, error) {
	return s.surveyDelay(ctx, s.db)
}

func (s *Store) surveyDelay(ctx context.Context, q querier) (time.Duration, bool, error) {
	v, _, err := s.setting(ctx, q, settingSurveyDelay)
	if err != nil {
		return 0, false, err
	}
	d, on, err := amends.ParseSurveyDelay(v)
	if err != nil { // a value written by hand in the database: keep the default rather than fail resolving
		return amends.SurveyDelay, true, nil
	}
	return d, on, nil
}

// SetSurveyDelay sets how long after resolution surveys are sent: a duration such as 24h, or
// "off" (or "0") to send none. Incidents already resolved keep the time they were given.
func (s *Store) SetSurveyDelay(ctx context.Context, v string, actor amends.Actor) error {
	d, on, err := amends.ParseSurveyDelay(v)
	if err != nil {
		return err
	}
	value := amends.FormatSurveyDelay(d, on)
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		if err := s.putSetting(ctx, tx, settingSurveyDelay, value); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "settings.survey_delay", "", value)
	})
}

// scheduleSurveys enqueues, in tx, the job that sends inc's surveys survey_delay after
// resolvedAt, unless surveys are off.
func (s *Store) scheduleSurveys(ctx context.Context, tx *Tx, inc *amends.Incident, resolvedAt time.Time) error {
	d, on, err := s.surveyDelay(ctx, tx)
	if err != nil || !on {
		return err
	}
	return s.enqueue(ctx, tx, []Job{{Kind: JobClock, IncidentID: inc.ID, At: micros(resolvedAt.Add(d)), Note: surveyNote}})
}

// surveyDue sends the surveys of an incident: if it is still resolved or closed and surveys are
// on, one survey and one email delivery for each customer (by address) delivered a customer
// message of it and not surveyed yet, all in one transaction. Running it twice sends nothing new.
func (s *Store) surveyDue(ctx context.Context, incidentID int64) error {
	now := s.now().UTC().Truncate(time.Microsecond)
	return s.inTx(ctx, func(tx *Tx) error {
		var number int64
		err := tx.QueryRowContext(ctx, "SELECT number FROM incidents WHERE id = $1", incidentID).Scan(&number)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		} else if err != nil {
			return err
		}
		inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
		if err != nil {
			return err
		}
		if inc.Status != amends.Resolved && inc.Status != amends.Closed {
			return nil // reopened: its next resolution schedules the surveys again
		}
		if _, on, err := s.surveyDelay(ctx, tx); err != nil || !on {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT LOWER(d.address), MAX(d.name), MAX(COALESCE(c.account, ''))
			FROM deliveries d LEFT JOIN customers c ON c.email = LOWER(d.address)
			WHERE d.incident_id = $1 AND d.message_id IS NOT NULL AND d.purpose = $2 AND d.kind = $3 AND d.state = $4
			AND NOT EXISTS (SELECT 1 FROM surveys v WHERE v.incident_id = $1 AND v.email = LOWER(d.address))
			GROUP BY LOWER(d.address) ORDER BY LOWER(d.address)`,
			inc.ID, amends.PurposeCustomer, amends.ChannelEmail, amends.DeliveryDone)
		if err != nil {
			return err
		}
		type customer struct{ email, name, account string }
		var list []customer
		for rows.Next() {
			var c customer
			if err := rows.Scan(&c.email, &c.name, &c.account); err != nil {
				rows.Close()
				return err
			}
			list = append(list, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if len(list) == 0 {
			return nil
		}
		expires := now.Add(amends.SurveyExpiry)
		var jobs []Job
		for _, c := range list {
			token, hash, err := amends.NewSurveyToken(rand.Reader)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO surveys (incident_id, email, name, account, token_hash, created_at, expires_at)
				VALUES ($1, $2, $3, $4, $5, $6, $7)`, inc.ID, c.email, c.name, c.account, hash, micros(now), micros(expires)); err != nil {
				return fmt.Errorf("insert survey: %w", err)
			}
			subject, body := amends.SurveyMail(inc, c.name)
			if _, err := s.insertDelivery(ctx, tx, inc.ID, nil, amends.PurposeSurvey,
				amends.Contact{Name: c.name, Kind: amends.ChannelEmail, Address: c.email, Secret: token}, "", subject, body, now); err != nil {
				return err
			}
		}
		// One job sends them all, in batches over shared SMTP connections, like a customer message.
		jobs = append(jobs, Job{Kind: JobSurveys, IncidentID: inc.ID})
		customers := "customers"
		if len(list) == 1 {
			customers = "customer"
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: System.Name, Visibility: amends.Internal,
			Body: fmt.Sprintf("Feedback survey sent to %d %s: “%s”", len(list), customers, amends.SurveyQuestion)}, now); err != nil {
			return err
		}
		return s.enqueue(ctx, tx, jobs)
	})
}

const surveyColumns = `v.id, v.incident_id, i.number, i.title, v.email, v.name, v.account, v.created_at, v.expires_at,
	v.answered_at, v.rating, v.comment, v.action_item_id`

const surveyFrom = ` FROM surveys v JOIN incidents i ON i.id = v.incident_id`

// SurveyView is a survey with the title of its incident, for the survey page.
type SurveyView struct {
	amends.Survey
	IncidentTitle string
}

func scanSurvey(row scanner) (*SurveyView, error) {
	var (
		v                  SurveyView
		number, at, exp    int64
		answered, rating   sql.NullInt64
		actionItem         sql.NullInt64
		email, name, title string
	)
	if err := row.Scan(&v.ID, &v.IncidentID, &number, &title, &email, &name, &v.Account, &at, &exp,
		&answered, &rating, &v.Comment, &actionItem); err != nil {
		return nil, err
	}
	v.Ref, v.IncidentTitle, v.Email, v.Name = amends.FormatRef(number), title, email, name
	v.CreatedAt, v.ExpiresAt, v.AnsweredAt = fromMicros(at), fromMicros(exp), fromNullMicros(answered)
	v.Rating = int(rating.Int64)
	if actionItem.Valid {
		v.ActionItemID = &actionItem.Int64
	}
	return &v, nil
}

func (s *Store) surveyBy(ctx context.Context, q querier, lock bool, where string, args ...any) (*SurveyView, error) {
	query := "SELECT " + surveyColumns + surveyFrom + " WHERE " + where
	if lock && s.dialect == Postgres {
		query += " FOR UPDATE OF v"
	}
	v, err := scanSurvey(q.QueryRowContext(ctx, query, args...))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errSurveyLink
	}
	return v, translate(err)
}

// SurveyByToken returns the survey a link's token opens, answered or not, expired or not, or
// ENotFound for a token no survey has.
func (s *Store) SurveyByToken(ctx context.Context, token string) (*SurveyView, error) {
	if !amends.WellFormedSurveyToken(token) {
		return nil, errSurveyLink
	}
	return s.surveyBy(ctx, s.db, false, "v.token_hash = $1", amends.SurveyTokenHash(token))
}

// Survey returns one survey by id, or ENotFound.
func (s *Store) Survey(ctx context.Context, id int64) (*amends.Survey, error) {
	v, err := s.surveyBy(ctx, s.db, false, "v.id = $1", id)
	if amends.ErrorCode(err) == amends.ENotFound {
		return nil, amends.Errorf(amends.ENotFound, "id", "no survey %d", id)
	} else if err != nil {
		return nil, err
	}
	return &v.Survey, nil
}

// AnswerSurvey records the answer to the survey token opens: once, before it expires. A forged
// or unknown token is ENotFound; an expired survey is EConflict on field SurveyExpired, an
// answered one EConflict on SurveyAnswered; an invalid answer EInvalid. On any error nothing
// is stored. The answer goes on the incident's timeline (internal), and a low rating notifies
// the incident's owner.
func (s *Store) AnswerSurvey(ctx context.Context, token string, a amends.Answer) (*amends.Survey, error) {
	if !amends.WellFormedSurveyToken(token) {
		return nil, errSurveyLink
	}
	a.Normalize()
	if err := a.Validate(); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var id int64
	err := s.inTx(ctx, func(tx *Tx) error {
		v, err := s.surveyBy(ctx, tx, true, "v.token_hash = $1", amends.SurveyTokenHash(token))
		if err != nil {
			return err
		}
		id = v.ID
		if v.Answered() {
			return amends.Errorf(amends.EConflict, SurveyAnswered, "You already answered this survey on %s. Thank you: your answer was recorded.",
				v.AnsweredAt.In(s.loc).Format("2 January 2006"))
		}
		if v.Expired(now) {
			return amends.Errorf(amends.EConflict, SurveyExpired, "This survey closed on %s. If you still want to tell us something, reply to our email.",
				v.ExpiresAt.In(s.loc).Format("2 January 2006"))
		}
		res, err := tx.ExecContext(ctx, `UPDATE surveys SET answered_at = $1, rating = $2, comment = $3 WHERE id = $4 AND answered_at IS NULL`,
			micros(now), a.Rating, a.Comment, v.ID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return amends.Errorf(amends.EConflict, SurveyAnswered, "You already answered this survey. Thank you: your answer was recorded.")
		}
		inc, err := s.incident(ctx, tx, v.Ref, true)
		if err != nil {
			return err
		}
		v.AnsweredAt, v.Rating, v.Comment = &now, a.Rating, a.Comment
		body := fmt.Sprintf("%s rated how we handled this %d/5 (%s).", v.Who(), a.Rating, amends.RatingLabel(a.Rating))
		if a.Comment != "" {
			body += " “" + a.Comment + "”"
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindFeedback, At: now, Actor: System.Name,
			Visibility: amends.Internal, Body: body}, now); err != nil {
			return err
		}
		if !amends.IsLowRating(a.Rating) {
			return nil
		}
		return s.notifyLowRating(ctx, tx, inc, &v.Survey, now)
	})
	if err != nil {
		return nil, err
	}
	return s.Survey(ctx, id)
}

// notifyLowRating writes and enqueues a nudge to each contact of the incident's owner about a
// low rating, in tx.
func (s *Store) notifyLowRating(ctx context.Context, tx *Tx, inc *amends.Incident, v *amends.Survey, now time.Time) error {
	subject := fmt.Sprintf("[%s] Low feedback %d/5 from %s", inc.Ref, v.Rating, v.Who())
	body := fmt.Sprintf("%s rated how we handled %s (%s) %d/5 (%s).\n", v.Who(), inc.Ref, inc.Title, v.Rating, amends.RatingLabel(v.Rating))
	if v.Comment != "" {
		body += "\nTheir comment:\n" + v.Comment + "\n"
	}
	body += "\nOpen the incident to turn this answer into an action item.\n"
	return s.tellPerson(ctx, tx, inc.ID, inc.Owner, amends.PurposeNudge, subject, body, now)
}

// IncidentFeedback is what customers said about how an incident was handled: how many were
// asked, and the answers, newest first.
type IncidentFeedback struct {
	Sent    int              `json:"sent"`
	Answers []*amends.Survey `json:"answers"`
}

// Average returns the mean rating of the answers, 0 when there are none.
func (f IncidentFeedback) Average() float64 {
	if len(f.Answers) == 0 {
		return 0
	}
	sum := 0
	for _, a := range f.Answers {
		sum += a.Rating
	}
	return float64(sum) / float64(len(f.Answers))
}

// Feedback returns the surveys sent about incident ref and the answers received.
func (s *Store) Feedback(ctx context.Context, ref string) (*IncidentFeedback, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	out := &IncidentFeedback{Answers: []*amends.Survey{}}
	if err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM surveys WHERE incident_id = $1", inc.ID).Scan(&out.Sent); err != nil {
		return nil, translate(err)
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+surveyColumns+surveyFrom+
		" WHERE v.incident_id = $1 AND v.answered_at IS NOT NULL ORDER BY v.answered_at DESC, v.id DESC", inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	for rows.Next() {
		v, err := scanSurvey(rows)
		if err != nil {
			return nil, err
		}
		out.Answers = append(out.Answers, &v.Survey)
	}
	return out, translate(rows.Err())
}

// ActOnFeedback turns the answer to survey id into an action item of its incident (source
// "feedback"), linked from the survey, in one transaction. An unanswered survey, or one
// already acted on, is EConflict; an invalid item EInvalid; nothing is stored on any error.
func (s *Store) ActOnFeedback(ctx context.Context, id int64, n amends.NewActionItem, actor amends.Actor) (*amends.ActionItem, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	n.Normalize()
	if err := n.Validate(now); err != nil {
		return nil, err
	}
	var itemID int64
	err := s.inTx(ctx, func(tx *Tx) error {
		v, err := s.surveyBy(ctx, tx, true, "v.id = $1", id)
		if amends.ErrorCode(err) == amends.ENotFound {
			return amends.Errorf(amends.ENotFound, "id", "no survey %d", id)
		} else if err != nil {
			return err
		}
		if !v.Answered() {
			return amends.Errorf(amends.EConflict, "id", "the survey of %s has not been answered yet", v.Who())
		}
		if v.ActionItemID != nil {
			return amends.Errorf(amends.EConflict, "id", "this answer already became action item #%d", *v.ActionItemID)
		}
		inc, err := s.incident(ctx, tx, v.Ref, true)
		if err != nil {
			return err
		}
		if itemID, err = s.createActionItem(ctx, tx, inc, n, amends.SourceFeedback, actor, now); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, "UPDATE surveys SET action_item_id = $1 WHERE id = $2 AND action_item_id IS NULL", itemID, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return amends.Errorf(amends.EConflict, "id", "this answer already became an action item")
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s.ActionItem(ctx, itemID)
}

// JobSurveys sends every pending survey mail of one incident at once.
const JobSurveys = "surveys"

// PendingSurveyDeliveries returns the survey mails of an incident not tried yet.
func (s *Store) PendingSurveyDeliveries(ctx context.Context, incidentID int64) ([]*amends.Delivery, error) {
	return s.queryDeliveries(ctx, "WHERE d.incident_id = $1 AND d.purpose = $2 AND d.state = 'pending' ORDER BY d.id",
		incidentID, amends.PurposeSurvey)
}

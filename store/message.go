package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/amends/amends"
)

// Customer messages. A message is written (version 1), edited (each edit a new version, with
// the ownership check's report of that text), approved by people other than the author of its
// latest version until the incident's severity is satisfied, then sent: in one transaction the
// text is rendered for every recipient of the incident's audience, one delivery is written per
// recipient and one job enqueued to send them all, and "customers told" lands on the timeline.

const messageColumns = `m.id, m.incident_id, i.number, i.severity, m.kind, m.subject, m.body, m.state, m.version,
	m.author, m.owns, m.score, m.report, m.override_reason, m.recipients, m.sent_at, m.sent_by, m.created_at, m.updated_at`

const messageFrom = ` FROM messages m JOIN incidents i ON i.id = m.incident_id `

func scanMessage(row scanner) (*amends.Message, error) {
	var (
		m                amends.Message
		number           int64
		sev, owns        int
		kind             string
		sent             sql.NullInt64
		created, updated int64
	)
	err := row.Scan(&m.ID, &m.IncidentID, &number, &sev, &kind, &m.Subject, &m.Body, &m.State, &m.Version,
		&m.Author, &owns, &m.Score, &m.Report, &m.OverrideReason, &m.Recipients, &sent, &m.SentBy, &created, &updated)
	if err != nil {
		return nil, err
	}
	m.Ref = amends.FormatRef(number)
	m.Kind = amends.MessageKind(kind)
	m.Owns = owns != 0
	m.RequiredApprovals = amends.RequiredApprovals(amends.Severity(sev))
	m.SentAt = fromNullMicros(sent)
	m.CreatedAt, m.UpdatedAt = fromMicros(created), fromMicros(updated)
	m.Approvals = []amends.Approval{}
	return &m, nil
}

// settle derives the state a person sees once the approvals are loaded: an approved message
// whose incident's severity has since risen to ask for more approvals is a draft again.
func settle(m *amends.Message) {
	if m.State == amends.MessageApproved && m.Approved() < m.RequiredApprovals {
		m.State = amends.MessageDraft
	}
}

// withApprovals loads the approvals of msgs in one query.
func (s *Store) withApprovals(ctx context.Context, q querier, msgs []*amends.Message) error {
	if len(msgs) == 0 {
		return nil
	}
	byID := make(map[int64]*amends.Message, len(msgs))
	args := make([]any, 0, len(msgs))
	marks := make([]string, 0, len(msgs))
	for _, m := range msgs {
		byID[m.ID] = m
		args = append(args, m.ID)
		marks = append(marks, "$"+strconv.Itoa(len(args)))
	}
	rows, err := q.QueryContext(ctx, "SELECT message_id, version, approver, at FROM message_approvals WHERE message_id IN ("+
		strings.Join(marks, ", ")+") ORDER BY at, approver", args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, at int64
		var a amends.Approval
		if err := rows.Scan(&id, &a.Version, &a.By, &at); err != nil {
			return err
		}
		a.At = fromMicros(at)
		byID[id].Approvals = append(byID[id].Approvals, a)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	for _, m := range msgs {
		settle(m)
	}
	return nil
}

func (s *Store) message(ctx context.Context, q querier, id int64, lock bool) (*amends.Message, error) {
	query := "SELECT " + messageColumns + messageFrom + "WHERE m.id = $1"
	if lock && s.dialect == Postgres {
		query += " FOR UPDATE OF m"
	}
	m, err := scanMessage(q.QueryRowContext(ctx, query, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.ENotFound, "message", "no message %d", id)
	} else if err != nil {
		return nil, err
	}
	return m, s.withApprovals(ctx, q, []*amends.Message{m})
}

// Message returns one customer message with its approvals, or ENotFound.
func (s *Store) Message(ctx context.Context, id int64) (*amends.Message, error) {
	m, err := s.message(ctx, s.db, id, false)
	return m, translate(err)
}

// Messages returns the customer messages of incident ref, newest first.
func (s *Store) Messages(ctx context.Context, ref string) ([]*amends.Message, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+messageColumns+messageFrom+"WHERE m.incident_id = $1 ORDER BY m.id DESC", inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	out := []*amends.Message{}
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			rows.Close()
			return nil, err
		}
		out = append(out, m)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	return out, translate(s.withApprovals(ctx, s.db, out))
}

func checkReport(score int, report string) error {
	if score < 0 || score > 100 {
		return amends.Errorf(amends.EInvalid, "score", "must be 0 to 100")
	}
	if report != "" && !json.Valid([]byte(report)) {
		return amends.Errorf(amends.EInvalid, "report", "must be the ownership check's JSON report")
	}
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// CreateMessage writes version 1 of a customer message to incident ref's customers, as a
// draft. owns, score and report are the ownership check's verdict on
// amends.CheckedText(subject, body), computed by the caller with the server's checker.
func (s *Store) CreateMessage(ctx context.Context, ref string, kind amends.MessageKind, subject, body string, owns bool, score int, report string, actor amends.Actor) (*amends.Message, error) {
	if err := kind.Validate(); err != nil {
		return nil, err
	}
	if err := amends.ValidateMessage(subject, body); err != nil {
		return nil, err
	}
	if err := checkReport(score, report); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var id int64
	err := s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, false)
		if err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO messages (incident_id, kind, subject, body, state, version, author,
			owns, score, report, created_at, updated_at) VALUES ($1, $2, $3, $4, 'draft', 1, $5, $6, $7, $8, $9, $9) RETURNING id`,
			inc.ID, string(kind), subject, body, actor.Name, boolInt(owns), score, report, micros(now)).Scan(&id); err != nil {
			return fmt.Errorf("insert message: %w", err)
		}
		if err := s.insertVersion(ctx, tx, id, 1, subject, body, owns, score, report, actor, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "message.create", inc.Ref, fmt.Sprintf("message %d (%s)", id, kind))
	})
	if err != nil {
		return nil, err
	}
	return s.Message(ctx, id)
}

func (s *Store) insertVersion(ctx context.Context, tx *Tx, id int64, version int, subject, body string, owns bool, score int, report string, actor amends.Actor, now time.Time) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO message_versions (message_id, version, subject, body, author, at, owns, score, report)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, id, version, subject, body, actor.Name, micros(now), boolInt(owns), score, report)
	if err != nil {
		return fmt.Errorf("insert message version: %w", err)
	}
	return nil
}

// UpdateMessage saves an edit of message id as its next version, with the ownership check's
// verdict on the new text. Approvals of earlier versions no longer count, so the message is a
// draft again. Saving the text it already has changes nothing; a sent message cannot change.
func (s *Store) UpdateMessage(ctx context.Context, id int64, subject, body string, owns bool, score int, report string, actor amends.Actor) (*amends.Message, error) {
	if err := amends.ValidateMessage(subject, body); err != nil {
		return nil, err
	}
	if err := checkReport(score, report); err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, func(tx *Tx) error {
		m, err := s.message(ctx, tx, id, true)
		if err != nil {
			return err
		}
		if m.State == amends.MessageSent {
			return amends.Errorf(amends.EConflict, "state", "message %d was sent; write a new message instead", id)
		}
		if m.Subject == subject && m.Body == body {
			return nil
		}
		v := m.Version + 1
		if err := s.insertVersion(ctx, tx, id, v, subject, body, owns, score, report, actor, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET subject = $1, body = $2, version = $3, author = $4, owns = $5,
			score = $6, report = $7, state = 'draft', updated_at = $8 WHERE id = $9`,
			subject, body, v, actor.Name, boolInt(owns), score, report, micros(now), id); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "message.edit", m.Ref, fmt.Sprintf("message %d v%d", id, v))
	})
	if err != nil {
		return nil, err
	}
	return s.Message(ctx, id)
}

// MessageVersions returns every version of message id, oldest first, each with its diff from
// the version before (of amends.CheckedText: subject, blank line, body).
func (s *Store) MessageVersions(ctx context.Context, id int64) ([]amends.MessageVersion, error) {
	if _, err := s.Message(ctx, id); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT version, subject, body, author, at, owns, score, report FROM message_versions
		WHERE message_id = $1 ORDER BY version`, id)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []amends.MessageVersion{}
	for rows.Next() {
		var v amends.MessageVersion
		var at int64
		var owns int
		if err := rows.Scan(&v.Version, &v.Subject, &v.Body, &v.Author, &at, &owns, &v.Score, &v.Report); err != nil {
			return nil, err
		}
		v.At, v.Owns = fromMicros(at), owns != 0
		if n := len(out); n > 0 {
			prev := out[n-1]
			v.Diff = amends.DiffLines(amends.CheckedText(prev.Subject, prev.Body), amends.CheckedText(v.Subject, v.Body))
		}
		out = append(out, v)
	}
	return out, translate(rows.Err())
}

// lockMessage reads message id and its incident, both locked for the rest of tx (the incident
// first, as every timeline append does), so approvals and sends of one message take turns.
func (s *Store) lockMessage(ctx context.Context, tx *Tx, id int64) (*amends.Message, *amends.Incident, error) {
	var number int64
	err := tx.QueryRowContext(ctx, "SELECT i.number FROM messages m JOIN incidents i ON i.id = m.incident_id WHERE m.id = $1", id).Scan(&number)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, amends.Errorf(amends.ENotFound, "message", "no message %d", id)
	} else if err != nil {
		return nil, nil, err
	}
	inc, err := s.incident(ctx, tx, amends.FormatRef(number), true)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.message(ctx, tx, id, true)
	return m, inc, err
}

// ApproveMessage records actor's approval of version of message id. Only the latest version
// can be approved (EConflict otherwise, so a reviewer never approves text they did not see),
// never by its author (EForbidden); approving twice counts once. When the approvals of the
// latest version reach what the incident's severity requires, the message is approved: its
// text and report are frozen until someone edits it. Each approval is audited and noted on the
// timeline.
func (s *Store) ApproveMessage(ctx context.Context, id int64, version int, actor amends.Actor) (*amends.Message, error) {
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, func(tx *Tx) error {
		m, inc, err := s.lockMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		switch {
		case m.State == amends.MessageSent:
			return amends.Errorf(amends.EConflict, "state", "message %d was already sent", id)
		case version != m.Version:
			return amends.Errorf(amends.EConflict, "version", "v%d is not the latest version of message %d; v%d is: review it and approve that", version, id, m.Version)
		case m.Author == actor.Name:
			return amends.Errorf(amends.EForbidden, "version", "you wrote v%d; someone else must approve it", version)
		case m.ApprovedBy(actor.Name):
			return nil
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO message_approvals (message_id, version, approver, at) VALUES ($1, $2, $3, $4)",
			id, version, actor.Name, micros(now)); err != nil {
			return err
		}
		have, need := m.Approved()+1, amends.RequiredApprovals(inc.Severity)
		state := amends.MessageDraft
		if have >= need {
			state = amends.MessageApproved
		}
		if _, err := tx.ExecContext(ctx, "UPDATE messages SET state = $1, updated_at = $2 WHERE id = $3", state, micros(now), id); err != nil {
			return err
		}
		body := fmt.Sprintf("%s approved the customer message v%d (“%s”): %d of %d approvals.", actor.Name, version, m.Subject, have, need)
		if have >= need {
			body += " It is ready to send."
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, Body: body, At: now, Actor: actor.Name,
			Visibility: amends.Internal}, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "message.approve", inc.Ref, fmt.Sprintf("message %d v%d", id, version))
	})
	if err != nil {
		return nil, err
	}
	return s.Message(ctx, id)
}

// sendPage is how many recipients SendMessage reads, renders and writes at a time.
const sendPage = 1000

// deliveryChunk is how many deliveries one INSERT writes (eleven parameters each).
const deliveryChunk = 250

// SendMessage sends message id to every recipient of its incident's audience. The message must
// be approved by as many people as the incident's severity requires now; one the ownership
// check says does not own the mistake also needs override, a reason, recorded on the timeline.
//
// It all happens in one transaction: the subject and body are rendered for each recipient
// (any placeholder that cannot be filled refuses the send, naming the recipient, and nothing is
// written), one pending delivery per recipient is written and one job enqueued to send them
// all, "customers told" is recorded on the timeline (which sets the incident's clock), the
// colleagues who hear customer messages are briefed with the wording, and the message is marked
// sent with its reply-to address: the email of the incident's owner, or the reply_to setting.
func (s *Store) SendMessage(ctx context.Context, id int64, override string, actor amends.Actor) (*amends.Message, error) {
	override = strings.TrimSpace(override)
	now := s.now().UTC().Truncate(time.Microsecond)
	err := s.inTx(ctx, func(tx *Tx) error {
		m, inc, err := s.lockMessage(ctx, tx, id)
		if err != nil {
			return err
		}
		if m.State == amends.MessageSent {
			return amends.Errorf(amends.EConflict, "state", "message %d was already sent at %s", id, m.SentAt.In(s.loc).Format("15:04 MST"))
		}
		if have, need := m.Approved(), amends.RequiredApprovals(inc.Severity); have < need {
			return amends.Errorf(amends.EConflict, "state", "v%d needs %d approvals from people other than its author before it goes out (%s); it has %d",
				m.Version, need, inc.Severity, have)
		}
		if !m.Owns {
			if err := amends.ValidateOverride(override); err != nil {
				return err
			}
		} else {
			override = ""
		}
		a, err := s.audience(ctx, tx, inc.ID)
		if err != nil {
			return err
		}
		switch {
		case a.Kind == amends.AudienceNone:
			return amends.Errorf(amends.EInvalid, "audience", "choose who hears this message first: all customers, accounts, segments or an uploaded list")
		case a.Size == 0:
			return amends.Errorf(amends.EInvalid, "audience", "the audience of %s is empty: nobody would hear this message", inc.Ref)
		}
		replyTo, err := s.replyToFor(ctx, tx, inc.Owner)
		if err != nil {
			return err
		}
		n, err := s.insertCustomerDeliveries(ctx, tx, m, inc, a, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE messages SET state = 'sent', sent_at = $1, sent_by = $2, recipients = $3,
			override_reason = $4, reply_to = $5, updated_at = $1 WHERE id = $6`,
			micros(now), actor.Name, n, override, replyTo, id); err != nil {
			return err
		}
		customers := "customers"
		if n == 1 {
			customers = "customer"
		}
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindCustomersTold, At: now, Actor: actor.Name,
			Visibility: amends.Internal, Body: fmt.Sprintf("Sent “%s” to %d %s.", m.Subject, n, customers)}, now); err != nil {
			return err
		}
		if override != "" {
			if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name, Visibility: amends.Internal,
				Body: "Sent although the ownership check said it does not own the mistake. Reason: " + override}, now); err != nil {
				return err
			}
		}
		if err := s.notify(ctx, tx, inc, amends.EventCustomerMessage, now); err != nil {
			return err
		}
		if err := s.enqueue(ctx, tx, []Job{{Kind: JobCustomers, MessageID: id, IncidentID: inc.ID}}); err != nil {
			return err
		}
		detail := fmt.Sprintf("message %d v%d to %d recipients", id, m.Version, n)
		if override != "" {
			detail += "; override: " + override
		}
		return s.audit(ctx, tx, now, actor, "message.send", inc.Ref, detail)
	})
	if err != nil {
		return nil, err
	}
	return s.Message(ctx, id)
}

// insertCustomerDeliveries renders m for every recipient of audience a, a page at a time, and
// writes one pending delivery each in multi-row INSERTs. It returns how many it wrote.
func (s *Store) insertCustomerDeliveries(ctx context.Context, tx *Tx, m *amends.Message, inc *amends.Incident, a amends.Audience, now time.Time) (int, error) {
	n := 0
	after := ""
	at := micros(now)
	for {
		rs, err := s.recipients(ctx, tx, a, inc.ID, after, sendPage)
		if err != nil {
			return 0, err
		}
		for start := 0; start < len(rs); start += deliveryChunk {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
			chunk := rs[start:min(start+deliveryChunk, len(rs))]
			var q strings.Builder
			q.WriteString(`INSERT INTO deliveries (incident_id, message_id, purpose, name, kind, address, subject, body,
				state, created_at, updated_at) VALUES `)
			args := make([]any, 0, 11*len(chunk))
			for i, r := range chunk {
				subject, body, err := amends.RenderMessage(m.Subject, m.Body, r, inc)
				if err != nil {
					e := amends.ErrorOf(err)
					return 0, amends.Errorf(amends.EInvalid, e.Field, "%s (for %s); nothing was sent", e.Message, r.Email)
				}
				if i > 0 {
					q.WriteString(", ")
				}
				args = append(args, inc.ID, m.ID, amends.PurposeCustomer, r.Name, amends.ChannelEmail, r.Email, subject, body,
					amends.DeliveryPending, at, at)
				q.WriteString(s.rowPlaceholders(len(args)-11, 11))
			}
			if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
				return 0, fmt.Errorf("insert customer deliveries: %w", err)
			}
		}
		n += len(rs)
		if len(rs) < sendPage {
			return n, nil
		}
		after = rs[len(rs)-1].Email
	}
}

// replyToFor returns where replies to a customer message go: the first email contact named
// like the incident's owner, else the reply_to setting, else "".
func (s *Store) replyToFor(ctx context.Context, q querier, owner string) (string, error) {
	contacts, err := s.contactsNamed(ctx, q, owner)
	if err != nil {
		return "", err
	}
	for _, c := range contacts {
		if c.Kind == amends.ChannelEmail {
			return c.Address, nil
		}
	}
	v, _, err := s.setting(ctx, q, "reply_to")
	return v, err
}

// LatestApprovedWording returns the body, placeholders unfilled, of the newest approved or
// sent customer message of an incident ("" when there is none): what colleagues are told to
// say to customers.
func (s *Store) LatestApprovedWording(ctx context.Context, incidentID int64) (string, error) {
	w, err := s.latestApprovedWording(ctx, s.db, incidentID)
	return w, translate(err)
}

func (s *Store) latestApprovedWording(ctx context.Context, q querier, incidentID int64) (string, error) {
	var body string
	err := q.QueryRowContext(ctx, `SELECT body FROM messages WHERE incident_id = $1 AND state IN ('approved', 'sent')
		ORDER BY updated_at DESC, id DESC LIMIT 1`, incidentID).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return body, err
}

// MessagePreview is a message as one recipient will read it.
type MessagePreview struct {
	Recipient amends.Recipient `json:"recipient"`
	Subject   string           `json:"subject"`
	Body      string           `json:"body"`
}

// PreviewMessage renders message id for the recipient of its audience with this email (the
// first recipient when email is ""): ENotFound when the audience does not include them,
// EInvalid when a placeholder cannot be filled for them.
func (s *Store) PreviewMessage(ctx context.Context, id int64, email string) (*MessagePreview, error) {
	m, err := s.Message(ctx, id)
	if err != nil {
		return nil, err
	}
	inc, err := s.Incident(ctx, m.Ref)
	if err != nil {
		return nil, err
	}
	r, err := s.audienceRecipient(ctx, s.db, inc, email)
	if err != nil {
		return nil, err
	}
	subject, body, err := amends.RenderMessage(m.Subject, m.Body, *r, inc)
	if err != nil {
		return nil, err
	}
	return &MessagePreview{Recipient: *r, Subject: subject, Body: body}, nil
}

// Templates returns the default templates for incident ref, prefilled from the incident and
// its owner, with a line per extra column when its audience is an uploaded list.
func (s *Store) Templates(ctx context.Context, ref string) (map[amends.MessageKind]amends.Template, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	row, err := s.audienceRow(ctx, s.db, inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	templates := amends.DefaultTemplates(inc, inc.Owner, s.now(), s.loc, row.Columns...)
	promises, err := s.PublicPromises(ctx, inc.ID)
	if err != nil {
		return nil, err
	}
	templates[amends.MessageFollowup] = amends.WithPromises(templates[amends.MessageFollowup], promises, s.loc)
	return templates, nil
}

// PendingMessageDeliveries returns the deliveries of message id that have not been tried yet,
// in the order they were written.
func (s *Store) PendingMessageDeliveries(ctx context.Context, messageID int64) ([]*amends.Delivery, error) {
	return s.queryDeliveries(ctx, "WHERE d.message_id = $1 AND d.state = 'pending' ORDER BY d.id", messageID)
}

func (s *Store) queryDeliveries(ctx context.Context, where string, args ...any) ([]*amends.Delivery, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT "+deliveryColumns+deliveryFrom+where, args...)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []*amends.Delivery{}
	for rows.Next() {
		d, err := scanDelivery(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, translate(rows.Err())
}

// MessageReplyTo returns the reply-to address message id was sent with ("" for none).
func (s *Store) MessageReplyTo(ctx context.Context, messageID int64) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, "SELECT reply_to FROM messages WHERE id = $1", messageID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", amends.Errorf(amends.ENotFound, "message", "no message %d", messageID)
	}
	return v, translate(err)
}

// DeliveryReplyTo returns the reply-to address of the customer message delivery id carries
// ("" when it carries none).
func (s *Store) DeliveryReplyTo(ctx context.Context, deliveryID int64) (string, error) {
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT m.reply_to FROM deliveries d JOIN messages m ON m.id = d.message_id
		WHERE d.id = $1`, deliveryID).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return v, translate(err)
}

// MessageDeliveriesWaiting records, on every pending delivery of message id, why it has not
// gone yet and when it is tried next (the mail server is unreachable), leaving it pending for
// the job that sends the message to try again.
func (s *Store) MessageDeliveriesWaiting(ctx context.Context, messageID int64, reason string, next time.Time) error {
	_, err := s.db.ExecContext(ctx, `UPDATE deliveries SET last_error = $1, next_try_at = $2, updated_at = $3
		WHERE message_id = $4 AND state = 'pending'`, clip(reason), micros(next), micros(s.now()), messageID)
	return translate(err)
}

// MessageDeliveryPage is one page of a message's deliveries, how many of them are in each
// state, and the cursor of the next page ("" on the last).
type MessageDeliveryPage struct {
	Counts     map[string]int     `json:"counts"`
	Deliveries []*amends.Delivery `json:"deliveries"`
	Next       string             `json:"next"`
}

// MessageDeliveries returns the deliveries of message id in the order they were written, a
// page at a time, optionally only those in state: the per-recipient state of a send.
func (s *Store) MessageDeliveries(ctx context.Context, id int64, state, after string, limit int) (*MessageDeliveryPage, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	if _, err := s.Message(ctx, id); err != nil {
		return nil, err
	}
	page := &MessageDeliveryPage{Counts: map[string]int{amends.DeliveryPending: 0, amends.DeliveryDone: 0, amends.DeliveryRetrying: 0, amends.DeliveryDead: 0}}
	rows, err := s.db.QueryContext(ctx, "SELECT state, COUNT(*) FROM deliveries WHERE message_id = $1 GROUP BY state", id)
	if err != nil {
		return nil, translate(err)
	}
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			rows.Close()
			return nil, err
		}
		page.Counts[st] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, translate(err)
	}
	where := "WHERE d.message_id = $1"
	args := []any{id}
	if state != "" {
		if _, ok := page.Counts[state]; !ok {
			return nil, amends.Errorf(amends.EInvalid, "state", "must be pending, delivered, retrying or dead")
		}
		args = append(args, state)
		where += " AND d.state = $2"
	}
	if after != "" {
		n, err := strconv.ParseInt(after, 10, 64)
		if err != nil || n < 0 {
			return nil, amends.Errorf(amends.EInvalid, "after", "is not a cursor from a previous page")
		}
		args = append(args, n)
		where += " AND d.id > $" + strconv.Itoa(len(args))
	}
	args = append(args, limit+1)
	ds, err := s.queryDeliveries(ctx, where+" ORDER BY d.id LIMIT $"+strconv.Itoa(len(args)), args...)
	if err != nil {
		return nil, err
	}
	if len(ds) > limit {
		ds = ds[:limit]
		page.Next = strconv.FormatInt(ds[limit-1].ID, 10)
	}
	page.Deliveries = ds
	return page, nil
}

package delivery

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/riverqueue/river"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
)

type deliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	q *Queue
}

// Work sends one delivery. Success is recorded (and may record "colleagues told"); a failure
// is recorded as retrying, with the job snoozed until the next try, or as dead when the
// receiver refused for good or the tries ran out. Our own attempt count decides, so River's
// attempts only guard against crashes.
func (w *deliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	st := w.q.cfg.Store
	d, err := st.Delivery(ctx, job.Args.DeliveryID)
	if amends.ErrorCode(err) == amends.ENotFound {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if d.State == amends.DeliveryDone || d.State == amends.DeliveryDead {
		return nil // a repeat of a job that already finished: send nothing twice
	}
	msg, err := w.q.message(ctx, d)
	if err != nil {
		return err
	}
	sendErr := w.q.cfg.Senders.Send(ctx, destination(d), msg)
	if sendErr == nil {
		return st.DeliveryDelivered(ctx, d.ID)
	}
	attempt := d.Attempts + 1
	wait, retry := w.q.cfg.NextDelay(sendErr, attempt)
	if !retry {
		w.q.cfg.Logger.Warn("delivery dead", "delivery_id", d.ID, "incident", d.Ref, "kind", d.Kind, "attempts", attempt, "err", sendErr)
		if err := st.DeliveryFailed(ctx, d.ID, sendErr.Error(), nil, true); err != nil {
			return err
		}
		return river.JobCancel(sendErr)
	}
	next := st.Now().Add(wait)
	if err := st.DeliveryFailed(ctx, d.ID, sendErr.Error(), &next, false); err != nil {
		return err
	}
	return river.JobSnooze(wait)
}

// message writes what delivery d says on every channel.
func (q *Queue) message(ctx context.Context, d *amends.Delivery) (channel.Message, error) {
	if d.Purpose == amends.PurposeSubscriber {
		token, err := q.cfg.Store.SubscriberDeliveryToken(ctx, d.ID)
		return q.subscriberMessage(d, token), err
	}
	if d.Purpose == amends.PurposeCustomer {
		replyTo, err := q.cfg.Store.DeliveryReplyTo(ctx, d.ID)
		return q.customerMessage(d, replyTo), err
	}
	if d.Purpose == amends.PurposeSurvey {
		return q.surveyMessage(d), nil
	}
	if d.Purpose == amends.PurposeDigest {
		return q.digestMessage(d), nil
	}
	m := channel.Message{
		DeliveryID: "d" + strconv.FormatInt(d.ID, 10),
		Event:      "incident." + orDefaultString(d.Event, d.Purpose),
		Ref:        d.Ref,
		Subject:    d.Subject,
		Text:       d.Body,
		Link:       q.cfg.BaseURL + "/incidents/" + d.Ref,
		At:         d.CreatedAt,
	}
	for _, f := range d.Fields {
		m.Fields = append(m.Fields, channel.Field{Label: f.Label, Value: f.Value})
		switch f.Label {
		case "Severity":
			m.Severity = f.Value
		case "Status":
			m.Status = f.Value
		}
	}
	if _, title, ok := strings.Cut(d.Subject, ": "); ok {
		m.Title = title
	}
	if d.Purpose == amends.PurposeBrief || d.Purpose == amends.PurposeReminder {
		secret, err := q.ackSecret(ctx)
		if err != nil {
			return m, err
		}
		// Reading from a reminder counts as reading the brief it repeats (see store.Ack).
		m.AckLink = fmt.Sprintf("%s/ack/%s", q.cfg.BaseURL, amends.AckToken(secret, d.ID))
	}
	return m, nil
}

func orDefaultString(s, def string) string {
	if s != "" {
		return s
	}
	return def
}

type clockWorker struct {
	river.WorkerDefaults[ClockArgs]
	q *Queue
}

// Work runs one time-to-own check.
func (w *clockWorker) Work(ctx context.Context, job *river.Job[ClockArgs]) error {
	return w.q.cfg.Store.ClockDue(ctx, job.Args.IncidentID, job.Args.Note)
}

type unreadWorker struct {
	river.WorkerDefaults[UnreadArgs]
	q *Queue
}

// Work reminds whoever has not read the latest brief.
func (w *unreadWorker) Work(ctx context.Context, job *river.Job[UnreadArgs]) error {
	_, err := w.q.cfg.Store.RemindUnread(ctx, job.Args.IncidentID)
	return err
}

// ackSecret returns the key that signs read links, read from the store once.
func (q *Queue) ackSecret(ctx context.Context) (string, error) {
	q.secretMu.Lock()
	defer q.secretMu.Unlock()
	if q.secret != "" {
		return q.secret, nil
	}
	secret, err := q.cfg.Store.Secret(ctx, "ack")
	q.secret = secret
	return secret, err
}

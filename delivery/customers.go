package delivery

import (
	"context"
	"errors"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// customerConnections is how many SMTP connections one customer message uses at once. All its
// mail goes to one server, which commonly refuses a client more than a few dozen connections;
// a few saturate the CPU rendering and encoding, and fewer batches in flight mean fewer mails
// sent but not yet recorded should the process die.
const customerConnections = 8

// CustomersArgs sends every pending delivery of one customer message.
type CustomersArgs struct {
	MessageID int64 `json:"message_id"`
}

// Kind implements river.JobArgs.
func (CustomersArgs) Kind() string { return store.JobCustomers }

type customersWorker struct {
	river.WorkerDefaults[CustomersArgs]
	q *Queue
}

// Work sends a customer message to every recipient still pending, in batches over shared SMTP
// connections like a brief's fan-out, and records the outcomes in batches. A recipient the
// mail server refused for good is dead; one it asked to try again later continues as its own
// deliver job. When the server cannot be reached at all, the deliveries stay pending (with the
// reason and the next try recorded on each) and the whole job waits and tries again: an outage
// of the mail server loses nothing and turns ten thousand recipients into one job, not ten
// thousand. Run again, after a crash or a timeout, it sends only what is still pending.
func (w *customersWorker) Work(ctx context.Context, job *river.Job[CustomersArgs]) error {
	st := w.q.cfg.Store
	id := job.Args.MessageID
	replyTo, err := st.MessageReplyTo(ctx, id)
	if amends.ErrorCode(err) == amends.ENotFound {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	pending, err := st.PendingMessageDeliveries(ctx, id)
	if err != nil || len(pending) == 0 {
		return err
	}
	var outage error
	failed := func(ctx context.Context, d *amends.Delivery, err error) error {
		if unreachable(err) {
			if outage == nil {
				outage = err
			}
			return nil // still pending: the next try of this job sends it
		}
		return w.q.failed(ctx, d, err)
	}
	build := func(_ context.Context, d *amends.Delivery) (channel.Message, error) {
		return w.q.customerMessage(d, replyTo), nil
	}
	stopped, err := w.q.sendAll(ctx, pending, min(w.q.cfg.Workers, customerConnections), build, failed)
	if err != nil {
		return err
	}
	if outage != nil {
		// An outage never kills the message: past the last try of a delivery, keep waiting.
		wait, ok := w.q.cfg.NextDelay(outage, job.Attempt)
		if !ok {
			wait = channel.Backoff(job.Attempt, nil)
		}
		w.q.cfg.Logger.Warn("mail server unreachable; customer message waits", "message_id", id, "retry_in", wait.String(), "err", outage)
		if err := st.MessageDeliveriesWaiting(context.WithoutCancel(ctx), id, outage.Error(), st.Now().Add(wait)); err != nil {
			return err
		}
		return river.JobSnooze(wait)
	}
	if stopped {
		return river.JobSnooze(0)
	}
	return nil
}

// unreachable reports whether a send failed without any answer from the receiver (it could not
// be reached, or the job ran out of time) rather than being refused by it.
func unreachable(err error) bool {
	var e *channel.Error
	return errors.As(err, &e) && !e.Permanent && e.Status == 0
}

// customerMessage writes what a customer reads: the rendered subject (the channel leads it
// with the incident's reference, "[INC-4] …") and body, replies going to replyTo. Its link is
// the public status page: the incident page is for colleagues only.
func (q *Queue) customerMessage(d *amends.Delivery, replyTo string) channel.Message {
	return channel.Message{
		DeliveryID: "d" + strconv.FormatInt(d.ID, 10),
		Event:      "incident.customer_message",
		Ref:        d.Ref,
		Subject:    d.Subject,
		Text:       d.Body,
		Link:       q.cfg.BaseURL + "/status#" + d.Ref,
		LinkLabel:  "Follow our updates",
		LinkNote:   "We post every update on this incident on our status page",
		ReplyTo:    replyTo,
		At:         d.CreatedAt,
	}
}

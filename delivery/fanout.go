package delivery

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/riverqueue/river"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
)

// flushEvery is how many successful sends a fan-out records per transaction. After a crash at
// most this many (plus those in flight) are sent again.
const flushEvery = 100

type fanoutWorker struct {
	river.WorkerDefaults[FanoutArgs]
	q *Queue
}

// Work sends every pending delivery of a brief with Workers sends at a time, records the
// successes in batches, and hands each failure to its own deliver job (retrying later) or
// records it dead. Run again after a crash, it sends only what is still pending.
func (w *fanoutWorker) Work(ctx context.Context, job *river.Job[FanoutArgs]) error {
	pending, err := w.q.cfg.Store.PendingDeliveries(ctx, job.Args.BriefID)
	if err != nil || len(pending) == 0 {
		return err
	}
	stopped, err := w.q.sendAll(ctx, pending, w.q.cfg.Workers, w.q.message, w.q.failed)
	if err == nil && stopped {
		return river.JobSnooze(0) // the rest, at once, as a new try with its own time limit
	}
	return err
}

// sendAll sends deliveries, parallel sends at a time (mail in batches of emailBatch, each batch
// over one SMTP connection), building each one's message with build; it records the successes
// flushEvery at a time and hands each failure to failed. It starts no new batch once half the
// job's time limit has passed, and then reports stopped: the caller runs again for what is
// still pending. Outcomes are recorded even when ctx ends, so a send that happened is not sent
// again.
func (q *Queue) sendAll(ctx context.Context, pending []*amends.Delivery, parallel int,
	build func(context.Context, *amends.Delivery) (channel.Message, error),
	failed func(context.Context, *amends.Delivery, error) error) (stopped bool, err error) {
	st := q.cfg.Store
	type result struct {
		d   *amends.Delivery
		err error
	}
	results := make(chan result, len(pending)) // senders never wait for the database
	sem := make(chan struct{}, parallel)
	var wg sync.WaitGroup
	send := func(batch []*amends.Delivery) {
		msgs := make([]channel.Message, len(batch))
		errs := make([]error, len(batch))
		for i, d := range batch {
			msgs[i], errs[i] = build(ctx, d)
		}
		if email, ok := q.cfg.Senders[channel.KindEmail].(*channel.Email); ok && batch[0].Kind == amends.ChannelEmail {
			// Mail goes out in batches over one SMTP connection each.
			var items []channel.EmailItem
			var index []int
			for i, d := range batch {
				if errs[i] == nil {
					items = append(items, channel.EmailItem{Destination: destination(d), Message: msgs[i]})
					index = append(index, i)
				}
			}
			for j, err := range email.SendBatch(ctx, items) {
				errs[index[j]] = err
			}
		} else {
			for i, d := range batch {
				if errs[i] == nil {
					errs[i] = q.cfg.Senders.Send(ctx, destination(d), msgs[i])
				}
			}
		}
		for i, d := range batch {
			results <- result{d, errs[i]}
		}
	}
	deadline := time.Now().Add(q.cfg.JobTimeout / 2)
	var cut atomic.Bool
	go func() {
		for _, batch := range batches(pending) {
			if time.Now().After(deadline) {
				cut.Store(true)
				break
			}
			sem <- struct{}{}
			wg.Add(1)
			go func(batch []*amends.Delivery) {
				defer func() { <-sem; wg.Done() }()
				send(batch)
			}(batch)
		}
		wg.Wait()
		close(results)
	}()
	rec := context.WithoutCancel(ctx)
	var delivered []int64
	keep := func(e error) {
		if e != nil && err == nil {
			err = e
		}
	}
	for r := range results {
		if r.err == nil {
			delivered = append(delivered, r.d.ID)
			if len(delivered) >= flushEvery {
				keep(st.DeliveriesDelivered(rec, delivered))
				delivered = delivered[:0]
			}
			continue
		}
		keep(failed(rec, r.d, r.err))
	}
	keep(st.DeliveriesDelivered(rec, delivered))
	// An error here makes River run the job again; it then sends only what is still pending.
	return cut.Load(), err
}

// failed records a failed send of a delivery sent in a batch: dead when the receiver refused
// for good, otherwise retrying as its own deliver job after the backoff.
func (q *Queue) failed(ctx context.Context, d *amends.Delivery, err error) error {
	st := q.cfg.Store
	wait, retry := q.cfg.NextDelay(err, d.Attempts+1)
	if !retry {
		q.cfg.Logger.Warn("delivery dead", "delivery_id", d.ID, "incident", d.Ref, "kind", d.Kind, "err", err)
		return st.DeliveryFailed(ctx, d.ID, err.Error(), nil, true)
	}
	return st.DeliveryRetryLater(ctx, d.ID, err.Error(), st.Now().Add(wait))
}

// emailBatch is how many mails share one SMTP connection in a fan-out.
const emailBatch = 50

// batches groups deliveries for sending: mail in batches of emailBatch, each webhook alone
// (every receiver is its own connection anyway).
func batches(ds []*amends.Delivery) [][]*amends.Delivery {
	var out [][]*amends.Delivery
	var mail []*amends.Delivery
	for _, d := range ds {
		if d.Kind != amends.ChannelEmail {
			out = append(out, []*amends.Delivery{d})
			continue
		}
		mail = append(mail, d)
		if len(mail) == emailBatch {
			out = append(out, mail)
			mail = nil
		}
	}
	if len(mail) > 0 {
		out = append(out, mail)
	}
	return out
}

func destination(d *amends.Delivery) channel.Destination {
	return channel.Destination{Kind: channel.Kind(d.Kind), Address: d.Address, Name: d.Name, Secret: d.Secret}
}

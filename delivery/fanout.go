package delivery

import (
	"context"
	"sync"

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
	st := w.q.cfg.Store
	pending, err := st.PendingDeliveries(ctx, job.Args.BriefID)
	if err != nil || len(pending) == 0 {
		return err
	}
	type result struct {
		d   *amends.Delivery
		err error
	}
	results := make(chan result, len(pending)) // senders never wait for the database
	sem := make(chan struct{}, w.q.cfg.Workers)
	var wg sync.WaitGroup
	send := func(batch []*amends.Delivery) {
		msgs := make([]channel.Message, len(batch))
		errs := make([]error, len(batch))
		for i, d := range batch {
			msgs[i], errs[i] = w.q.message(ctx, d)
		}
		if email, ok := w.q.cfg.Senders[channel.KindEmail].(*channel.Email); ok && batch[0].Kind == amends.ChannelEmail {
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
					errs[i] = w.q.cfg.Senders.Send(ctx, destination(d), msgs[i])
				}
			}
		}
		for i, d := range batch {
			results <- result{d, errs[i]}
		}
	}
	go func() {
		for _, batch := range batches(pending) {
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
	var delivered []int64
	var firstErr error
	keep := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	for r := range results {
		if r.err == nil {
			delivered = append(delivered, r.d.ID)
			if len(delivered) >= flushEvery {
				keep(st.DeliveriesDelivered(ctx, delivered))
				delivered = delivered[:0]
			}
			continue
		}
		wait, retry := w.q.cfg.NextDelay(r.err, r.d.Attempts+1)
		if !retry {
			w.q.cfg.Logger.Warn("delivery dead", "delivery_id", r.d.ID, "incident", r.d.Ref, "kind", r.d.Kind, "err", r.err)
			keep(st.DeliveryFailed(ctx, r.d.ID, r.err.Error(), nil, true))
			continue
		}
		keep(st.DeliveryRetryLater(ctx, r.d.ID, r.err.Error(), st.Now().Add(wait)))
	}
	keep(st.DeliveriesDelivered(ctx, delivered))
	// An error here makes River run the job again; it then sends only what is still pending.
	return firstErr
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

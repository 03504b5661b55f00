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
	go func() {
		for _, d := range pending {
			sem <- struct{}{}
			wg.Add(1)
			go func(d *amends.Delivery) {
				defer func() { <-sem; wg.Done() }()
				msg, err := w.q.message(ctx, d)
				if err == nil {
					dest := channel.Destination{Kind: channel.Kind(d.Kind), Address: d.Address, Name: d.Name, Secret: d.Secret}
					err = w.q.cfg.Senders.Send(ctx, dest, msg)
				}
				results <- result{d, err}
			}(d)
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

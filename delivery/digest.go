package delivery

import (
	"context"
	"strconv"
	"time"

	"github.com/riverqueue/river"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
)

// DigestArgs writes this week's digests of what people owe.
type DigestArgs struct{}

// Kind implements river.JobArgs.
func (DigestArgs) Kind() string { return "digest" }

type digestWorker struct {
	river.WorkerDefaults[DigestArgs]
	q *Queue
}

// Work writes the week's digests; the store sends each person at most one a week, so running
// again (at every start, on another replica) adds nothing.
func (w *digestWorker) Work(ctx context.Context, _ *river.Job[DigestArgs]) error {
	n, err := w.q.cfg.Store.SendDigests(ctx)
	if err == nil && n > 0 {
		w.q.cfg.Logger.Info("weekly digests written", "people", n)
	}
	return err
}

// digestSchedule runs the digest job every Monday at 08:00 in the server's zone.
type digestSchedule struct{ loc *time.Location }

// Next implements river.PeriodicSchedule.
func (s digestSchedule) Next(t time.Time) time.Time { return amends.NextDigestAt(t, s.loc) }

// digestJob is the periodic job of the weekly digests. It also runs when the queue starts, so
// a week whose Monday found the server down still gets its digests.
func digestJob(loc *time.Location) *river.PeriodicJob {
	return river.NewPeriodicJob(digestSchedule{loc: loc},
		func() (river.JobArgs, *river.InsertOpts) { return DigestArgs{}, nil },
		&river.PeriodicJobOpts{ID: "digest", RunOnStart: true})
}

// digestMessage is a weekly digest: it belongs to no incident, and its link is the person's
// list of what they owe.
func (q *Queue) digestMessage(d *amends.Delivery) channel.Message {
	return channel.Message{
		DeliveryID: "d" + strconv.FormatInt(d.ID, 10),
		Event:      "digest",
		Subject:    d.Subject,
		Title:      d.Subject,
		Text:       d.Body,
		Link:       q.cfg.BaseURL + "/owe",
		LinkLabel:  "What I owe",
		LinkNote:   "Everything you owe, soonest first",
		At:         d.CreatedAt,
	}
}

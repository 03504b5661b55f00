package delivery

import (
	"context"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// surveyMessage writes the mail that asks a customer how well an incident was handled. Its one
// link is the survey page; the token in it is the delivery's secret, since the survey itself
// keeps only the token's hash.
func (q *Queue) surveyMessage(d *amends.Delivery) channel.Message {
	return channel.Message{
		DeliveryID: "d" + strconv.FormatInt(d.ID, 10),
		Event:      "incident.survey",
		Ref:        d.Ref,
		Subject:    d.Subject,
		Text:       d.Body,
		Link:       q.cfg.BaseURL + "/survey/" + d.Secret,
		LinkLabel:  "Answer one question",
		LinkNote:   "The link works once, for 30 days, without signing in",
		At:         d.CreatedAt,
	}
}

// SurveysArgs sends every pending survey mail of one incident.
type SurveysArgs struct {
	IncidentID int64 `json:"incident_id"`
}

// Kind implements river.JobArgs.
func (SurveysArgs) Kind() string { return store.JobSurveys }

type surveysWorker struct {
	river.WorkerDefaults[SurveysArgs]
	q *Queue
}

// Work sends an incident's survey mails in batches over shared SMTP connections and records
// the outcomes in batches; a failed one continues as its own deliver job with backoff. Run
// again, after a crash or a timeout, it sends only what is still pending.
func (w *surveysWorker) Work(ctx context.Context, job *river.Job[SurveysArgs]) error {
	pending, err := w.q.cfg.Store.PendingSurveyDeliveries(ctx, job.Args.IncidentID)
	if err != nil || len(pending) == 0 {
		return err
	}
	stopped, err := w.q.sendAll(ctx, pending, min(w.q.cfg.Workers, customerConnections), w.q.message, w.q.failed)
	if err == nil && stopped {
		return river.JobSnooze(0)
	}
	return err
}

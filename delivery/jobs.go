// Package delivery runs amends' side effects on a durable job queue kept in the same database
// (River): sending each delivery through its channel with retries, the time-to-own checks and
// the reminders to colleagues who have not read a brief. Jobs are inserted by the store in the
// transaction that causes them.
package delivery

import (
	"time"

	"github.com/riverqueue/river"

	"github.com/amends/amends/store"
)

// DeliverArgs sends one delivery.
type DeliverArgs struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Kind implements river.JobArgs.
func (DeliverArgs) Kind() string { return store.JobDeliver }

// FanoutArgs sends every pending delivery of one brief.
type FanoutArgs struct {
	BriefID int64 `json:"brief_id"`
}

// Kind implements river.JobArgs.
func (FanoutArgs) Kind() string { return store.JobFanout }

// ClockArgs checks one time-to-own target of an incident.
type ClockArgs struct {
	IncidentID int64  `json:"incident_id"`
	Note       string `json:"note"`
}

// Kind implements river.JobArgs.
func (ClockArgs) Kind() string { return store.JobClock }

// UnreadArgs reminds the colleagues who have not read an incident's latest brief.
type UnreadArgs struct {
	IncidentID int64 `json:"incident_id"`
}

// Kind implements river.JobArgs.
func (UnreadArgs) Kind() string { return store.JobUnread }

// insertParams turns the store's jobs into River's.
func insertParams(jobs []store.Job) []river.InsertManyParams {
	out := make([]river.InsertManyParams, 0, len(jobs))
	for _, j := range jobs {
		var args river.JobArgs
		switch j.Kind {
		case store.JobDeliver:
			args = DeliverArgs{DeliveryID: j.DeliveryID}
		case store.JobFanout:
			args = FanoutArgs{BriefID: j.BriefID}
		case store.JobClock:
			args = ClockArgs{IncidentID: j.IncidentID, Note: j.Note}
		case store.JobUnread:
			args = UnreadArgs{IncidentID: j.IncidentID}
		case store.JobCustomers:
			args = CustomersArgs{MessageID: j.MessageID}
		case store.JobSubscription:
			args = SubscriptionArgs{SubscriberID: j.SubscriberID}
		case store.JobSubscribers:
			args = SubscribersArgs{EventID: j.EventID}
		case store.JobSurveys:
			args = SurveysArgs{IncidentID: j.IncidentID}
		default:
			continue
		}
		opts := &river.InsertOpts{MaxAttempts: 25}
		if j.At != 0 {
			opts.ScheduledAt = time.UnixMicro(j.At)
		}
		out = append(out, river.InsertManyParams{Args: args, InsertOpts: opts})
	}
	return out
}

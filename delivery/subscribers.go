package delivery

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strconv"

	"github.com/riverqueue/river"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// SubscriptionArgs asks one status-page subscriber to confirm.
type SubscriptionArgs struct {
	SubscriberID int64 `json:"subscriber_id"`
}

// Kind implements river.JobArgs.
func (SubscriptionArgs) Kind() string { return store.JobSubscription }

// SubscribersArgs sends one public update to every subscriber still pending.
type SubscribersArgs struct {
	EventID int64 `json:"event_id"`
}

// Kind implements river.JobArgs.
func (SubscribersArgs) Kind() string { return store.JobSubscribers }

type subscriptionWorker struct {
	river.WorkerDefaults[SubscriptionArgs]
	q *Queue
}

// Work mails an email subscriber its confirm link, or posts a signed "subscription.confirm"
// event to a webhook subscriber and confirms it when the URL answers 2xx (whoever controls the
// URL and holds the secret has shown it wants the updates). A subscriber already confirmed,
// unsubscribed or gone is sent nothing. A refusal for good ends the job; anything else is
// tried again by River.
func (w *subscriptionWorker) Work(ctx context.Context, job *river.Job[SubscriptionArgs]) error {
	st := w.q.cfg.Store
	sub, err := st.Subscriber(ctx, job.Args.SubscriberID)
	if amends.ErrorCode(err) == amends.ENotFound {
		return river.JobCancel(err)
	} else if err != nil {
		return err
	}
	if sub.ConfirmedAt != nil || sub.UnsubscribedAt != nil {
		return nil
	}
	page := w.q.cfg.BaseURL + "/status"
	m := channel.Message{
		DeliveryID: fmt.Sprintf("s%d-%x", sub.ID, sha256.Sum256([]byte(sub.Token))), // new per token
		Event:      "subscription.confirm",
		Subject:    "Confirm your subscription to our status updates",
		Link:       page + "/confirm/" + sub.Token,
		LinkLabel:  "Confirm your subscription",
		LinkNote:   "Until you confirm, we send you nothing more",
		At:         sub.CreatedAt,
		Text: "Someone, we hope you, asked to receive every update we publish on our status page (" + page +
			") at this address.\n\nIf it was not you, ignore this message: without a confirmation we send nothing more.",
	}
	dest := channel.Destination{Kind: channel.Kind(sub.Kind), Address: sub.Address, Secret: sub.Secret}
	if sub.Kind == store.SubscriberWebhook {
		m.Link, m.LinkLabel, m.LinkNote = page, "", ""
		m.Text = "This URL was subscribed to every update published on " + page + ". Answer 2xx to confirm the subscription."
	}
	sendErr := w.q.cfg.Senders.Send(ctx, dest, m)
	if sendErr != nil {
		if _, retry := w.q.cfg.NextDelay(sendErr, job.Attempt); !retry {
			w.q.cfg.Logger.Warn("subscription confirmation refused", "subscriber_id", sub.ID, "kind", sub.Kind, "err", sendErr)
			return river.JobCancel(sendErr)
		}
		return sendErr
	}
	if sub.Kind == store.SubscriberWebhook {
		return st.ConfirmWebhookSubscriber(ctx, sub.ID, sub.Token)
	}
	return nil
}

type subscribersWorker struct {
	river.WorkerDefaults[SubscribersArgs]
	q *Queue
}

// Work sends a public update to every subscriber still pending, in batches like a brief's
// fan-out (sendAll), each message with its own one-click unsubscribe link. Run again, it sends
// only what is still pending.
func (w *subscribersWorker) Work(ctx context.Context, job *river.Job[SubscribersArgs]) error {
	pending, tokens, err := w.q.cfg.Store.PendingSubscriberDeliveries(ctx, job.Args.EventID)
	if err != nil || len(pending) == 0 {
		return err
	}
	build := func(_ context.Context, d *amends.Delivery) (channel.Message, error) {
		return w.q.subscriberMessage(d, tokens[d.ID]), nil
	}
	stopped, err := w.q.sendAll(ctx, pending, w.q.cfg.Workers, build, w.q.failed)
	if err == nil && stopped {
		return river.JobSnooze(0)
	}
	return err
}

// subscriberMessage writes a public update for a subscriber: the incident's public title and
// the update's public text, a link to the status page (never to internal pages) and the
// subscriber's unsubscribe link.
func (q *Queue) subscriberMessage(d *amends.Delivery, token string) channel.Message {
	return channel.Message{
		DeliveryID:  "d" + strconv.FormatInt(d.ID, 10),
		Event:       "status.update",
		Ref:         d.Ref,
		Title:       d.Subject,
		Subject:     d.Subject,
		Text:        d.Body,
		Link:        q.cfg.BaseURL + "/status#" + d.Ref,
		LinkLabel:   "See our status page",
		LinkNote:    "We post every update on our status page",
		Unsubscribe: q.cfg.BaseURL + "/status/unsubscribe/" + token,
		At:          d.CreatedAt,
	}
}

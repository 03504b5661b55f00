package web

import (
	"context"

	"github.com/amends/amends"
)

// customersView is what the incident page says about telling customers: who would hear a
// message, the messages and their states, and the wording colleagues are given to use.
type customersView struct {
	Summary  audienceSummary
	Messages []*amends.Message
	// Wording is the body of the latest approved or sent message, placeholders unfilled:
	// what colleagues may tell customers, the same text their briefs carry.
	Wording string
}

func (w *Web) customersView(ctx context.Context, inc *amends.Incident) (customersView, error) {
	var v customersView
	a, err := w.store.Audience(ctx, inc.Ref)
	if err != nil {
		return v, err
	}
	v.Summary = summarize(a)
	if v.Messages, err = w.store.Messages(ctx, inc.Ref); err != nil {
		return v, err
	}
	v.Wording, err = w.store.LatestApprovedWording(ctx, inc.ID)
	return v, err
}

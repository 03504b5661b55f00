package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

func TestSubscribeConfirmUnsubscribe(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		sub, err := s.Subscribe(ctx, store.SubscriberEmail, "Reader@Example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		if sub.Address != "reader@example.com" || sub.Active() || len(sub.Token) != 22 {
			t.Fatalf("subscriber %+v", sub)
		}
		if got := rec.kinds()[store.JobSubscription]; got != 1 {
			t.Fatalf("%d confirmation jobs, want 1", got)
		}
		// Only the token's SHA-256 is stored.
		var stored string
		if err := s.DB().QueryRow("SELECT token_hash FROM subscribers WHERE id = $1", sub.ID).Scan(&stored); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(sub.Token))
		if stored != hex.EncodeToString(sum[:]) {
			t.Errorf("token_hash %q is not the SHA-256 of the token", stored)
		}
		var n int
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM subscribers WHERE token_hash = $1 OR secret = $1 OR address = $1", sub.Token).Scan(&n); err != nil || n != 0 {
			t.Errorf("the raw token is stored (%d rows, %v)", n, err)
		}
		// Subscribing again before confirming makes a fresh token; the old link stops working.
		again, err := s.Subscribe(ctx, store.SubscriberEmail, "reader@example.com", "")
		if err != nil {
			t.Fatal(err)
		}
		if again.ID != sub.ID || again.Token == sub.Token {
			t.Fatalf("resubscribe: id %d token same=%v", again.ID, again.Token == sub.Token)
		}
		if err := s.ConfirmSubscription(ctx, sub.Token); code(err) != amends.ENotFound {
			t.Errorf("confirm with a replaced token: %v", err)
		}
		if err := s.ConfirmSubscription(ctx, "not-a-token-at-all-xxxxx"); code(err) != amends.ENotFound {
			t.Errorf("confirm with a forged token: %v", err)
		}
		for i := 0; i < 2; i++ {
			if err := s.ConfirmSubscription(ctx, again.Token); err != nil {
				t.Fatalf("confirm %d: %v", i, err)
			}
		}
		got, err := s.Subscriber(ctx, sub.ID)
		if err != nil || !got.Active() || got.Token != again.Token {
			t.Fatalf("after confirming: %+v, %v", got, err)
		}
		// A confirmed address subscribing again changes nothing and is sent nothing.
		before := rec.kinds()[store.JobSubscription]
		if _, err := s.Subscribe(ctx, store.SubscriberEmail, "reader@example.com", ""); err != nil {
			t.Fatal(err)
		}
		if rec.kinds()[store.JobSubscription] != before {
			t.Error("a confirmed subscriber was sent another confirmation")
		}
		for i := 0; i < 2; i++ {
			if err := s.Unsubscribe(ctx, again.Token); err != nil {
				t.Fatalf("unsubscribe %d: %v", i, err)
			}
		}
		if got, _ := s.Subscriber(ctx, sub.ID); got.Active() || got.UnsubscribedAt == nil {
			t.Errorf("after unsubscribing: %+v", got)
		}
		if err := s.ConfirmSubscription(ctx, again.Token); code(err) != amends.ENotFound {
			t.Errorf("confirm after unsubscribing: %v", err)
		}
		if err := s.Unsubscribe(ctx, "nope"); code(err) != amends.ENotFound {
			t.Errorf("unsubscribe with a bad token: %v", err)
		}
		if _, err := s.Subscribe(ctx, store.SubscriberWebhook, "https://hooks.example.com/x", ""); code(err) != amends.EInvalid {
			t.Errorf("webhook without a secret: %v", err)
		}
		if _, err := s.Subscribe(ctx, store.SubscriberEmail, "a@example.com\r\nBcc: b@example.com", ""); code(err) != amends.EInvalid {
			t.Errorf("two-line address: %v", err)
		}
	})
}

func TestPublicUpdatesReachOnlyActiveSubscribers(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		subscribe := func(kind, addr, secret string, confirm bool) *store.Subscriber {
			t.Helper()
			sub, err := s.Subscribe(ctx, kind, addr, secret)
			if err != nil {
				t.Fatal(err)
			}
			if confirm {
				if err := s.ConfirmSubscription(ctx, sub.Token); err != nil {
					t.Fatal(err)
				}
			}
			return sub
		}
		active := subscribe(store.SubscriberEmail, "active@example.com", "", true)
		hook := subscribe(store.SubscriberWebhook, "https://hooks.example.com/status", "hook secret", true)
		subscribe(store.SubscriberEmail, "pending@example.com", "", false)
		gone := subscribe(store.SubscriberEmail, "gone@example.com", "", true)
		if err := s.Unsubscribe(ctx, gone.Token); err != nil {
			t.Fatal(err)
		}
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Exports failed", Severity: 2, Summary: "internal summary"}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Body: "internal only", Visibility: amends.Internal}, responder); err != nil {
			t.Fatal(err)
		}
		if got := rec.kinds()[store.JobSubscribers]; got != 0 {
			t.Fatalf("an internal note enqueued %d subscriber jobs", got)
		}
		var n int
		if err := s.DB().QueryRow("SELECT COUNT(*) FROM deliveries WHERE purpose = 'subscriber'").Scan(&n); err != nil || n != 0 {
			t.Fatalf("an internal note made %d subscriber deliveries (%v)", n, err)
		}
		ev, err := s.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindNote, Body: "We are sorry: exports failed.", Visibility: amends.Public}, responder)
		if err != nil {
			t.Fatal(err)
		}
		if got := rec.kinds()[store.JobSubscribers]; got != 1 {
			t.Fatalf("a public update enqueued %d subscriber jobs, want 1", got)
		}
		pending, tokens, err := s.PendingSubscriberDeliveries(ctx, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, d := range pending {
			if d.Purpose != amends.PurposeSubscriber || d.Body != "We are sorry: exports failed." || d.Subject != "Exports failed" {
				t.Errorf("delivery %+v", d)
			}
			got[d.Address] = tokens[d.ID]
		}
		want := map[string]string{"active@example.com": active.Token, "https://hooks.example.com/status": hook.Token}
		if len(got) != len(want) || got["active@example.com"] != want["active@example.com"] || got["https://hooks.example.com/status"] != want["https://hooks.example.com/status"] {
			t.Errorf("deliveries to %v, want %v", got, want)
		}
		// Unsubscribing drops what was not sent yet.
		if err := s.Unsubscribe(ctx, active.Token); err != nil {
			t.Fatal(err)
		}
		pending, _, err = s.PendingSubscriberDeliveries(ctx, ev.ID)
		if err != nil || len(pending) != 1 || pending[0].Address != "https://hooks.example.com/status" {
			t.Errorf("after unsubscribing: %d pending, %v", len(pending), err)
		}
		if tok, err := s.SubscriberDeliveryToken(ctx, pending[0].ID); err != nil || tok != hook.Token {
			t.Errorf("delivery token %q, %v", tok, err)
		}
	})
}

package store

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/amends/amends"
)

// Subscriber kinds: how a status-page subscriber is reached.
const (
	SubscriberEmail   = "email"
	SubscriberWebhook = "webhook"
)

// Job kinds of status-page subscriptions.
const (
	// JobSubscription asks one subscriber to confirm: a mail with a confirm link, or a signed
	// test POST to a webhook that confirms it by answering 2xx.
	JobSubscription = "subscription"
	// JobSubscribers sends every pending delivery of one public event to subscribers at once.
	JobSubscribers = "subscribers"
)

// Subscriber is someone, or some system, who asked to hear every public update.
type Subscriber struct {
	ID      int64
	Kind    string // SubscriberEmail or SubscriberWebhook
	Address string // an email address or a webhook URL
	Secret  string // a webhook's HMAC key
	// Token is the current token of the subscriber's confirm and unsubscribe links. Only its
	// SHA-256 is stored; it is derived again from the server's key when a mail needs it.
	Token          string
	ConfirmedAt    *time.Time
	UnsubscribedAt *time.Time
	CreatedAt      time.Time
}

// Active reports whether the subscriber hears public updates: confirmed, not unsubscribed.
func (s *Subscriber) Active() bool { return s.ConfirmedAt != nil && s.UnsubscribedAt == nil }

// subscriberToken is the token of generation gen of subscriber id's links: 128 bits of
// HMAC-SHA256 keyed with the server's "subscribe" secret. A copy of the subscribers table alone
// yields no working link; the store keeps only SHA-256(token) to find the subscriber by it.
func subscriberToken(key string, id, gen int64) string {
	mac := hmac.New(sha256.New, []byte(key))
	fmt.Fprintf(mac, "subscriber:%d:%d", id, gen)
	return base64.RawURLEncoding.EncodeToString(mac.Sum(nil)[:16])
}

func tokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

func (s *Store) subscribeKey(ctx context.Context) (string, error) { return s.Secret(ctx, "subscribe") }

// Subscribe records a subscription request for kind and address (a webhook's secret signs what
// it is sent). A new address becomes an unconfirmed subscriber; an unconfirmed or unsubscribed
// one gets a fresh token (and, for a webhook, the new secret); in the same transaction a
// confirmation is enqueued. An address already subscribed and confirmed is left as it is and
// sent nothing, so a stranger can neither change its secret nor mail it again and again.
// Callers answer the same whichever happened. Addresses must have been validated (see
// channel.Destination); email addresses are kept in lower case.
func (s *Store) Subscribe(ctx context.Context, kind, address, secret string) (*Subscriber, error) {
	switch kind {
	case SubscriberEmail:
		address = strings.ToLower(strings.TrimSpace(address))
		secret = ""
	case SubscriberWebhook:
		address = strings.TrimSpace(address)
		if secret == "" {
			return nil, amends.Errorf(amends.EInvalid, "secret", "required for a webhook")
		}
	default:
		return nil, amends.Errorf(amends.EInvalid, "kind", "must be email or webhook")
	}
	if address == "" || strings.ContainsAny(address, "\r\n\x00") || len(address) > 2048 {
		return nil, amends.Errorf(amends.EInvalid, "address", "must be one address on one line")
	}
	key, err := s.subscribeKey(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now().UTC().Truncate(time.Microsecond)
	var out *Subscriber
	err = s.inTx(ctx, func(tx *Tx) error {
		sub, gen, err := s.subscriberBy(ctx, tx, "kind = $1 AND address = $2", kind, address)
		switch {
		case amends.ErrorCode(err) == amends.ENotFound:
			sub = &Subscriber{Kind: kind, Address: address, Secret: secret, CreatedAt: now}
			gen = 1
			// The real hash needs the id: a random placeholder keeps the column unique meanwhile.
			if err := tx.QueryRowContext(ctx, `INSERT INTO subscribers (kind, address, secret, token_hash, token_gen,
				created_at, updated_at) VALUES ($1, $2, $3, $4, 1, $5, $5) RETURNING id`,
				kind, address, secret, "new:"+RandomSecret(16), micros(now)).Scan(&sub.ID); err != nil {
				return fmt.Errorf("insert subscriber: %w", err)
			}
		case err != nil:
			return err
		case sub.Active():
			out = sub
			return nil
		default:
			gen++
			sub.Secret, sub.ConfirmedAt, sub.UnsubscribedAt = secret, nil, nil
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET secret = $1, confirmed_at = NULL,
				unsubscribed_at = NULL, updated_at = $2 WHERE id = $3`, secret, micros(now), sub.ID); err != nil {
				return fmt.Errorf("renew subscriber: %w", err)
			}
		}
		sub.Token = subscriberToken(key, sub.ID, gen)
		if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET token_hash = $1, token_gen = $2 WHERE id = $3",
			tokenHash(sub.Token), gen, sub.ID); err != nil {
			return fmt.Errorf("subscriber token: %w", err)
		}
		out = sub
		return s.enqueue(ctx, tx, []Job{{Kind: JobSubscription, SubscriberID: sub.ID}})
	})
	if err != nil {
		return nil, fmt.Errorf("subscribe: %w", err)
	}
	return out, nil
}

const subscriberColumns = "id, kind, address, secret, token_gen, confirmed_at, unsubscribed_at, created_at"

// subscriberBy reads the subscriber matching where (with args), and its token generation.
func (s *Store) subscriberBy(ctx context.Context, q querier, where string, args ...any) (*Subscriber, int64, error) {
	var (
		sub            Subscriber
		gen, created   int64
		confirmed, off sql.NullInt64
	)
	err := q.QueryRowContext(ctx, "SELECT "+subscriberColumns+" FROM subscribers WHERE "+where, args...).
		Scan(&sub.ID, &sub.Kind, &sub.Address, &sub.Secret, &gen, &confirmed, &off, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, 0, amends.Errorf(amends.ENotFound, "token", "this link is not valid (any more)")
	} else if err != nil {
		return nil, 0, err
	}
	sub.ConfirmedAt, sub.UnsubscribedAt, sub.CreatedAt = fromNullMicros(confirmed), fromNullMicros(off), fromMicros(created)
	return &sub, gen, nil
}

// Subscriber returns subscriber id with the current token of its links.
func (s *Store) Subscriber(ctx context.Context, id int64) (*Subscriber, error) {
	key, err := s.subscribeKey(ctx)
	if err != nil {
		return nil, err
	}
	sub, gen, err := s.subscriberBy(ctx, s.db, "id = $1", id)
	if err != nil {
		return nil, translate(err)
	}
	sub.Token = subscriberToken(key, sub.ID, gen)
	return sub, nil
}

// validToken rejects what cannot be a token before it is hashed and looked up.
func validToken(token string) error {
	if len(token) < 16 || len(token) > 64 {
		return amends.Errorf(amends.ENotFound, "token", "this link is not valid (any more)")
	}
	return nil
}

// ConfirmSubscription confirms the subscriber whose link carries token. Confirming twice is
// fine; a link of an unsubscribed subscriber, or replaced by a newer one, is ENotFound.
func (s *Store) ConfirmSubscription(ctx context.Context, token string) error {
	if err := validToken(token); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx *Tx) error {
		sub, _, err := s.subscriberBy(ctx, tx, "token_hash = $1", tokenHash(token))
		if err != nil {
			return err
		}
		if sub.UnsubscribedAt != nil {
			return amends.Errorf(amends.ENotFound, "token", "this subscription was cancelled; subscribe again on the status page")
		}
		return s.confirmSubscriber(ctx, tx, sub.ID)
	})
}

func (s *Store) confirmSubscriber(ctx context.Context, tx *Tx, id int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE subscribers SET confirmed_at = $1, updated_at = $1
		WHERE id = $2 AND confirmed_at IS NULL AND unsubscribed_at IS NULL`, micros(s.now()), id)
	return err
}

// ConfirmWebhookSubscriber confirms webhook subscriber id after its URL answered the signed test
// POST with 2xx, unless the subscriber was renewed (token) or unsubscribed meanwhile.
func (s *Store) ConfirmWebhookSubscriber(ctx context.Context, id int64, token string) error {
	return s.inTx(ctx, func(tx *Tx) error {
		sub, _, err := s.subscriberBy(ctx, tx, "id = $1 AND kind = 'webhook' AND token_hash = $2", id, tokenHash(token))
		if amends.ErrorCode(err) == amends.ENotFound {
			return nil
		} else if err != nil {
			return err
		}
		return s.confirmSubscriber(ctx, tx, sub.ID)
	})
}

// Unsubscribe ends the subscription whose link carries token, at once and for good (until the
// address subscribes again), and drops what it had not been sent yet. Unsubscribing twice is
// fine; an unknown token is ENotFound.
func (s *Store) Unsubscribe(ctx context.Context, token string) error {
	if err := validToken(token); err != nil {
		return err
	}
	now := micros(s.now())
	return s.inTx(ctx, func(tx *Tx) error {
		sub, _, err := s.subscriberBy(ctx, tx, "token_hash = $1", tokenHash(token))
		if err != nil {
			return err
		}
		if sub.UnsubscribedAt != nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE subscribers SET unsubscribed_at = $1, updated_at = $1 WHERE id = $2", now, sub.ID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE deliveries SET state = 'dead', last_error = 'unsubscribed', next_try_at = NULL,
			updated_at = $1 WHERE subscriber_id = $2 AND state IN ('pending', 'retrying')`, now, sub.ID)
		return err
	})
}

// notifySubscribers runs in the transaction of every new public event: one delivery of the
// event's public text (and the incident's title, public once published) per active
// subscriber, and one job that sends them all. Nothing internal is read.
func (s *Store) notifySubscribers(ctx context.Context, tx *Tx, inc *amends.Incident, e amends.Event, now time.Time) error {
	if e.Visibility != amends.Public {
		return nil
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO deliveries (incident_id, subscriber_id, event_id, purpose, name, kind,
		address, secret, subject, body, state, created_at, updated_at)
		SELECT $1, id, $2, $3, '', kind, address, secret, $4, $5, 'pending', $6, $6 FROM subscribers
		WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL`,
		inc.ID, e.ID, amends.PurposeSubscriber, inc.Title, e.Body, micros(now))
	if err != nil {
		return fmt.Errorf("insert subscriber deliveries: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	return s.enqueue(ctx, tx, []Job{{Kind: JobSubscribers, EventID: e.ID, IncidentID: inc.ID}})
}

// extraScan scans a delivery's columns followed by more.
type extraScan struct {
	row   scanner
	extra []any
}

func (x extraScan) Scan(dest ...any) error { return x.row.Scan(append(dest, x.extra...)...) }

// PendingSubscriberDeliveries returns the deliveries of public event eventID to subscribers
// not tried yet and not unsubscribed, and the token of each one's unsubscribe link by
// delivery id.
func (s *Store) PendingSubscriberDeliveries(ctx context.Context, eventID int64) ([]*amends.Delivery, map[int64]string, error) {
	return s.subscriberDeliveries(ctx, "d.event_id = $1 AND d.state = 'pending'", eventID)
}

// SubscriberDeliveryToken returns the token of the unsubscribe link of delivery id, which
// carries a public update to a subscriber.
func (s *Store) SubscriberDeliveryToken(ctx context.Context, id int64) (string, error) {
	ds, tokens, err := s.subscriberDeliveries(ctx, "d.id = $1", id)
	if err != nil {
		return "", err
	}
	if len(ds) == 0 {
		return "", amends.Errorf(amends.ENotFound, "delivery", "no delivery %d to an active subscriber", id)
	}
	return tokens[id], nil
}

func (s *Store) subscriberDeliveries(ctx context.Context, where string, arg int64) ([]*amends.Delivery, map[int64]string, error) {
	key, err := s.subscribeKey(ctx)
	if err != nil {
		return nil, nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+deliveryColumns+", sub.id, sub.token_gen"+deliveryFrom+
		"JOIN subscribers sub ON sub.id = d.subscriber_id WHERE "+where+" AND sub.unsubscribed_at IS NULL ORDER BY d.id", arg)
	if err != nil {
		return nil, nil, translate(err)
	}
	defer rows.Close()
	var out []*amends.Delivery
	tokens := map[int64]string{}
	for rows.Next() {
		var subID, gen int64
		d, err := scanDelivery(extraScan{rows, []any{&subID, &gen}})
		if err != nil {
			return nil, nil, err
		}
		out = append(out, d)
		tokens[d.ID] = subscriberToken(key, subID, gen)
	}
	return out, tokens, translate(rows.Err())
}

// CountSubscribers counts the subscribers in each state: pending confirmation, active and
// unsubscribed, by kind ("email:active" and the like).
func (s *Store) CountSubscribers(ctx context.Context) (map[string]int, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT kind, CASE WHEN unsubscribed_at IS NOT NULL THEN 'unsubscribed'
		WHEN confirmed_at IS NOT NULL THEN 'active' ELSE 'pending' END, COUNT(*) FROM subscribers GROUP BY 1, 2`)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var kind, state string
		var n int
		if err := rows.Scan(&kind, &state, &n); err != nil {
			return nil, err
		}
		out[kind+":"+state] = n
	}
	return out, translate(rows.Err())
}

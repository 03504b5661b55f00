package channel

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"time"
)

// Headers of a generic webhook request.
const (
	HeaderDelivery  = "X-Amends-Delivery"  // the Message's DeliveryID: the same on every retry
	HeaderEvent     = "X-Amends-Event"     // the Message's Event
	HeaderSignature = "X-Amends-Signature" // "sha256=" + hex(HMAC-SHA256(secret, body))
)

// Webhook posts a generic JSON document (WebhookPayload) signed with the destination's secret.
// It is safe for concurrent use.
type Webhook struct{ p poster }

// NewWebhook returns a Webhook sender using client (NewHTTPClient(DefaultTimeout) when nil).
// Redirects are never followed, whatever the client says. WithClock is the only option it reads.
func NewWebhook(client *http.Client, opts ...Option) *Webhook {
	return &Webhook{p: newPoster(client, opts)}
}

// WebhookPayload is the body of a generic webhook request: the Message's fields after cleaning
// (one-line fields hold no control characters, text has "\n" line breaks only), with subject
// being the headline every channel leads with ("[INC-4] …") and at in UTC.
type WebhookPayload struct {
	Event      string         `json:"event"`
	DeliveryID string         `json:"delivery_id"`
	Ref        string         `json:"ref"`
	Title      string         `json:"title"`
	Severity   string         `json:"severity"`
	Status     string         `json:"status"`
	Subject    string         `json:"subject"`
	Text       string         `json:"text"`
	Link       string         `json:"link"`
	AckLink    string         `json:"ack_link,omitempty"`
	Fields     []WebhookField `json:"fields"`
	At         time.Time      `json:"at"`
}

// WebhookField is one label/value pair of a WebhookPayload.
type WebhookField struct {
	Label string `json:"label"`
	Value string `json:"value"`
}

// Send posts m to d.Address with the headers Content-Type, User-Agent, X-Amends-Delivery,
// X-Amends-Event and X-Amends-Signature. The body for a given message is byte-for-byte the same on
// every retry, so the signature and the idempotency key are too.
func (w *Webhook) Send(ctx context.Context, d Destination, m Message) error {
	if err := checkKind(KindWebhook, d, m); err != nil {
		return err
	}
	body, err := webhookBody(m.clean())
	if err != nil {
		return invalid(err)
	}
	h := http.Header{}
	h.Set(HeaderDelivery, m.DeliveryID)
	h.Set(HeaderEvent, m.Event)
	h.Set(HeaderSignature, Sign(d.Secret, body))
	return w.p.post(ctx, d.Address, body, h)
}

func webhookBody(m Message) ([]byte, error) {
	p := WebhookPayload{
		Event: m.Event, DeliveryID: m.DeliveryID, Ref: m.Ref, Title: m.Title, Severity: m.Severity,
		Status: m.Status, Subject: m.headline(), Text: m.Text, Link: m.Link, AckLink: m.AckLink,
		Fields: make([]WebhookField, len(m.Fields)), At: m.At.UTC(),
	}
	for i, f := range m.Fields {
		p.Fields[i] = WebhookField{Label: f.Label, Value: f.Value}
	}
	return json.Marshal(p)
}

// Sign returns the X-Amends-Signature value for body: "sha256=" and the lower-case hex of
// HMAC-SHA256 keyed with secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// VerifySignature reports whether header (an X-Amends-Signature value) is the signature of body
// under secret. The comparison takes constant time; an empty secret never verifies. Receivers
// should also drop a repeated X-Amends-Delivery.
func VerifySignature(secret string, body []byte, header string) bool {
	if secret == "" {
		return false
	}
	got, ok := strings.CutPrefix(strings.TrimSpace(header), "sha256=")
	if !ok {
		return false
	}
	sum, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(sum, mac.Sum(nil))
}

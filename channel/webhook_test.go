package channel

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// receiver is a generic webhook receiver on loopback that does what the documentation asks of
// one: verify the signature with its secret (401 when it does not match) and keep each delivery.
type receiver struct {
	*httptest.Server
	secret string

	mu         sync.Mutex
	bodies     [][]byte
	headers    []http.Header
	deliveries map[string]int
}

func newReceiver(t *testing.T, secret string) *receiver {
	t.Helper()
	r := &receiver{secret: secret, deliveries: map[string]int{}}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, err := io.ReadAll(req.Body)
		if err != nil {
			http.Error(w, "read", http.StatusBadRequest)
			return
		}
		if !VerifySignature(r.secret, body, req.Header.Get(HeaderSignature)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.headers = append(r.headers, req.Header.Clone())
		r.deliveries[req.Header.Get(HeaderDelivery)]++
		r.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(r.Close)
	return r
}

func TestWebhookSendsASignedDocument(t *testing.T) {
	r := newReceiver(t, "whsec-123")
	w := NewWebhook(nil, WithClock(clock))
	d := Destination{Kind: KindWebhook, Address: r.URL + "/hooks/amends", Secret: "whsec-123"}
	m := sampleMessage()
	if err := w.Send(context.Background(), d, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	// At least once: a retry carries the same key and the same signed body.
	if err := w.Send(context.Background(), d, m); err != nil {
		t.Fatalf("Send again: %v", err)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.bodies) != 2 {
		t.Fatalf("receiver got %d requests, want 2", len(r.bodies))
	}
	if got := r.deliveries["del-42"]; got != 2 {
		t.Errorf("deliveries with key del-42 = %d, want 2 (the key is stable across retries)", got)
	}
	if string(r.bodies[0]) != string(r.bodies[1]) || r.headers[0].Get(HeaderSignature) != r.headers[1].Get(HeaderSignature) {
		t.Errorf("the retry's body or signature differs from the first try")
	}
	h := r.headers[0]
	for _, c := range []struct{ name, want string }{
		{"Content-Type", "application/json"},
		{"User-Agent", "amends"},
		{HeaderDelivery, "del-42"},
		{HeaderEvent, "incident.declared"},
		{HeaderSignature, Sign("whsec-123", r.bodies[0])},
	} {
		if got := h.Get(c.name); got != c.want {
			t.Errorf("%s = %q, want %q", c.name, got, c.want)
		}
	}
	var p WebhookPayload
	if err := json.Unmarshal(r.bodies[0], &p); err != nil {
		t.Fatalf("body: %v", err)
	}
	want := WebhookPayload{
		Event: "incident.declared", DeliveryID: "del-42", Ref: "INC-4", Title: m.Title, Severity: "SEV2",
		Status: "investigating", Subject: "[INC-4] " + m.Subject, Text: m.Text, Link: m.Link, AckLink: m.AckLink,
		At: m.At,
	}
	for _, f := range m.Fields {
		want.Fields = append(want.Fields, WebhookField(f))
	}
	gotJSON, _ := json.Marshal(p)
	wantJSON, _ := json.Marshal(want)
	if string(gotJSON) != string(wantJSON) {
		t.Errorf("payload\n got %s\nwant %s", gotJSON, wantJSON)
	}
}

func TestWebhookWrongSecretIsRefusedPermanently(t *testing.T) {
	r := newReceiver(t, "the-receivers-secret")
	w := NewWebhook(nil)
	err := w.Send(context.Background(), Destination{Kind: KindWebhook, Address: r.URL, Secret: "a-different-secret"}, sampleMessage())
	var ce *Error
	if !errors.As(err, &ce) || !ce.Permanent || ce.Status != http.StatusUnauthorized {
		t.Fatalf("Send with the wrong secret = %v, want a permanent 401", err)
	}
}

func TestVerifySignature(t *testing.T) {
	body := []byte(`{"event":"incident.declared"}`)
	good := Sign("s3cret", body)
	tests := []struct {
		name, secret, header string
		body                 []byte
		want                 bool
	}{
		{"valid", "s3cret", good, body, true},
		{"valid with spaces around", "s3cret", "  " + good + " ", body, true},
		{"wrong secret", "other", good, body, false},
		{"body changed", "s3cret", good, []byte(`{"event":"incident.resolved"}`), false},
		{"no prefix", "s3cret", good[len("sha256="):], body, false},
		{"other algorithm", "s3cret", "sha1=" + good[len("sha256="):], body, false},
		{"not hex", "s3cret", "sha256=zz", body, false},
		{"truncated", "s3cret", good[:len(good)-2], body, false},
		{"empty header", "s3cret", "", body, false},
		{"empty secret never verifies", "", Sign("", body), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VerifySignature(tt.secret, tt.body, tt.header); got != tt.want {
				t.Errorf("VerifySignature = %v, want %v", got, tt.want)
			}
		})
	}
	// A known answer, so a receiver in another language can check its implementation.
	if got, want := Sign("key", []byte("The quick brown fox jumps over the lazy dog")), "sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestWebhookPayloadIsCleaned(t *testing.T) {
	m := sampleMessage()
	m.Title = "Wrong\r\nlist\x00"
	m.Text = "line one\r\nline two\rline three\x07"
	body, err := webhookBody(m.clean())
	if err != nil {
		t.Fatal(err)
	}
	var p WebhookPayload
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatal(err)
	}
	if got, want := p.Title, "Wrong list"; got != want {
		t.Errorf("title = %q, want %q", got, want)
	}
	if got, want := p.Text, "line one\nline two\nline three"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
	if got, want := p.At, m.At.In(time.UTC); !got.Equal(want) {
		t.Errorf("at = %v, want %v", got, want)
	}
}

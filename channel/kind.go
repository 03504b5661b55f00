// Package channel carries one notification to one recipient over one channel: email over SMTP,
// a Slack-compatible incoming webhook (Slack, Mattermost, Rocket.Chat), a Microsoft Teams
// incoming webhook, or a generic JSON webhook signed with HMAC-SHA256.
//
// It is pure transport: no database and no queue. The delivery worker calls a Sender's Send and
// reads the *Error it returns: Permanent means "do not try again", anything else means "try again
// later", after RetryAfter when the receiver said when, otherwise after Backoff. Every channel
// says the same thing and links to the same incident page.
package channel

import (
	"strings"

	"github.com/amends/amends"
)

// Kind names a channel. The zero value is not a valid kind.
type Kind string

// The channels amends can deliver through.
const (
	KindEmail   Kind = "email"   // email over SMTP
	KindSlack   Kind = "slack"   // Slack-compatible incoming webhook: Slack, Mattermost, Rocket.Chat
	KindTeams   Kind = "teams"   // Microsoft Teams incoming webhook (Adaptive Card)
	KindWebhook Kind = "webhook" // generic JSON webhook signed with HMAC-SHA256
)

// Kinds lists every valid kind in a stable order, for forms and help texts.
var Kinds = []Kind{KindEmail, KindSlack, KindTeams, KindWebhook}

// ParseKind returns the Kind named by s, ignoring case and surrounding space. Any other value is
// an amends.EInvalid error on the field "kind" that lists the valid kinds.
func ParseKind(s string) (Kind, error) {
	k := Kind(strings.ToLower(strings.TrimSpace(s)))
	if k.Valid() {
		return k, nil
	}
	return "", amends.Errorf(amends.EInvalid, "kind", "unknown channel kind %q (want email, slack, teams or webhook)", s)
}

// Valid reports whether k is one of Kinds.
func (k Kind) Valid() bool {
	switch k {
	case KindEmail, KindSlack, KindTeams, KindWebhook:
		return true
	}
	return false
}

// String returns the kind's name as stored and shown.
func (k Kind) String() string { return string(k) }

package channel

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// Slack posts to a Slack-compatible incoming webhook: Slack reads the Block Kit blocks,
// Mattermost and Rocket.Chat render the text, which carries the whole message on its own.
// It is safe for concurrent use.
type Slack struct{ p poster }

// NewSlack returns a Slack sender using client (NewHTTPClient(DefaultTimeout) when nil).
// Redirects are never followed, whatever the client says. WithClock is the only option it reads.
func NewSlack(client *http.Client, opts ...Option) *Slack {
	return &Slack{p: newPoster(client, opts)}
}

// Block Kit limits, in characters.
const (
	slackHeaderMax   = 150
	slackSectionMax  = 3000
	slackFieldMax    = 2000
	slackFieldsMax   = 10 // fields per section
	slackSectionsMax = 10 // sections of text before the rest is left to the linked page
	slackButtonMax   = 75
	slackTextMax     = 12000
)

// Send posts m to the webhook at d.Address. Every piece of user text in mrkdwn is escaped (&, <
// and > become entities), so a title cannot mention @channel or smuggle a link.
func (s *Slack) Send(ctx context.Context, d Destination, m Message) error {
	if err := checkKind(KindSlack, d, m); err != nil {
		return err
	}
	body, err := json.Marshal(slackPayload(m.clean()))
	if err != nil {
		return invalid(err)
	}
	return s.p.post(ctx, d.Address, body, nil)
}

type slackText struct {
	Type string `json:"type"` // "plain_text" or "mrkdwn"
	Text string `json:"text"`
}

type slackElement struct {
	Type     string    `json:"type"` // "button"
	Text     slackText `json:"text"`
	URL      string    `json:"url"`
	ActionID string    `json:"action_id"`
	Style    string    `json:"style,omitempty"`
}

type slackBlock struct {
	Type     string         `json:"type"`
	Text     *slackText     `json:"text,omitempty"`
	Fields   []slackText    `json:"fields,omitempty"`
	Elements []slackElement `json:"elements,omitempty"`
}

type slackMessage struct {
	Text   string       `json:"text"`
	Blocks []slackBlock `json:"blocks"`
}

// slackPayload renders a cleaned message.
func slackPayload(m Message) slackMessage {
	head := m.headline()
	blocks := []slackBlock{{Type: "header", Text: &slackText{"plain_text", truncate(head, slackHeaderMax)}}}

	facts := m.facts()
	for i := 0; i < len(facts); i += slackFieldsMax {
		sec := slackBlock{Type: "section"}
		for _, f := range facts[i:min(i+slackFieldsMax, len(facts))] {
			sec.Fields = append(sec.Fields, slackText{"mrkdwn", "*" + slackTruncate(f.Label, 100) + "*\n" + slackTruncate(f.Value, slackFieldMax-110)})
		}
		blocks = append(blocks, sec)
	}
	for _, chunk := range slackChunks(m.Text, slackSectionMax, slackSectionsMax) {
		blocks = append(blocks, slackBlock{Type: "section", Text: &slackText{"mrkdwn", chunk}})
	}
	actions := slackBlock{Type: "actions", Elements: []slackElement{{
		Type: "button", Text: slackText{"plain_text", truncate(m.openLabel(), slackButtonMax)},
		URL: m.Link, ActionID: "open", Style: "primary",
	}}}
	if m.AckLink != "" {
		actions.Elements = append(actions.Elements, slackElement{
			Type: "button", Text: slackText{"plain_text", ackLabel}, URL: m.AckLink, ActionID: "ack",
		})
	}
	blocks = append(blocks, actions)

	// The text stands alone for Mattermost, Rocket.Chat and Slack notifications.
	var b strings.Builder
	b.WriteString("*" + slackEscape(head) + "*\n")
	for _, f := range facts {
		b.WriteString("*" + slackEscape(f.Label) + ":* " + slackEscape(f.Value) + "\n")
	}
	if m.Text != "" {
		b.WriteString("\n" + slackTruncate(m.Text, slackTextMax) + "\n")
	}
	b.WriteString("\n" + slackLink(m.Link, m.openLabel()))
	if m.AckLink != "" {
		b.WriteString(" · " + slackLink(m.AckLink, ackLabel))
	}
	return slackMessage{Text: b.String(), Blocks: blocks}
}

// slackEscape escapes the three characters Slack's mrkdwn gives meaning to. Mattermost and
// Rocket.Chat render the entities back as the characters.
func slackEscape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(s)
}

// slackLink writes <url|label>; a "|" in the URL is percent-encoded so it cannot end the URL early.
func slackLink(url, label string) string {
	return "<" + slackEscape(strings.ReplaceAll(url, "|", "%7C")) + "|" + slackEscape(label) + ">"
}

// slackWidth is how many characters r takes once escaped.
func slackWidth(r rune) int {
	switch r {
	case '&':
		return 5
	case '<', '>':
		return 4
	}
	return 1
}

// slackFit returns how many of the runes fit in size characters once escaped.
func slackFit(r []rune, size int) int {
	w := 0
	for i, c := range r {
		if w += slackWidth(c); w > size {
			return i
		}
	}
	return len(r)
}

// slackTruncate escapes s and keeps it within size characters, cutting before escaping so an
// entity is never split; a cut ends with an ellipsis.
func slackTruncate(s string, size int) string {
	r := []rune(s)
	if n := slackFit(r, size); n < len(r) {
		return slackEscape(string(r[:slackFit(r, size-1)])) + "…"
	}
	return slackEscape(s)
}

// slackChunks splits s into at most max escaped pieces of at most size characters, preferring to
// cut at a line break; the last piece ends with an ellipsis when text was left out.
func slackChunks(s string, size, max int) []string {
	var out []string
	r := []rune(s)
	for len(r) > 0 && len(out) < max {
		n := slackFit(r, size)
		if n == len(r) {
			return append(out, slackEscape(string(r)))
		}
		if len(out) == max-1 { // the last piece: keep room for the ellipsis
			return append(out, slackEscape(string(r[:slackFit(r, size-1)]))+"…")
		}
		cut := n
		for i := n - 1; i > n/2; i-- {
			if r[i] == '\n' {
				cut = i + 1
				break
			}
		}
		out = append(out, slackEscape(strings.TrimRight(string(r[:cut]), "\n")))
		r = r[cut:]
	}
	return out
}

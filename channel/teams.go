package channel

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

// Teams posts an Adaptive Card (version 1.4) in the "message" envelope that Microsoft Teams
// incoming webhooks and Workflows ("Post to a channel when a webhook request is received")
// accept. It is safe for concurrent use.
type Teams struct{ p poster }

// NewTeams returns a Teams sender using client (NewHTTPClient(DefaultTimeout) when nil).
// Redirects are never followed, whatever the client says. WithClock is the only option it reads.
func NewTeams(client *http.Client, opts ...Option) *Teams {
	return &Teams{p: newPoster(client, opts)}
}

// Card limits: Teams refuses cards over about 28 KB, so the text is kept well below.
const (
	teamsTextMax       = 8000
	teamsParagraphsMax = 40
	teamsFactMax       = 1000
)

// Send posts m to the webhook at d.Address. The headline and the text are TextRuns, which Teams
// does not read as Markdown; fact values are Markdown with its special characters escaped.
func (t *Teams) Send(ctx context.Context, d Destination, m Message) error {
	if err := checkKind(KindTeams, d, m); err != nil {
		return err
	}
	body, err := json.Marshal(teamsPayload(m.clean()))
	if err != nil {
		return invalid(err)
	}
	return t.p.post(ctx, d.Address, body, nil)
}

type teamsEnvelope struct {
	Type        string            `json:"type"` // "message"
	Attachments []teamsAttachment `json:"attachments"`
}

type teamsAttachment struct {
	ContentType string    `json:"contentType"` // "application/vnd.microsoft.card.adaptive"
	ContentURL  *string   `json:"contentUrl"`  // null, as the documented envelope has it
	Content     teamsCard `json:"content"`
}

type teamsCard struct {
	Schema  string         `json:"$schema"`
	Type    string         `json:"type"` // "AdaptiveCard"
	Version string         `json:"version"`
	Body    []teamsElement `json:"body"`
	Actions []teamsAction  `json:"actions"`
	MSTeams map[string]any `json:"msteams,omitempty"`
}

// teamsElement is a RichTextBlock (Inlines) or a FactSet (Facts).
type teamsElement struct {
	Type    string      `json:"type"`
	Inlines []teamsRun  `json:"inlines,omitempty"`
	Facts   []teamsFact `json:"facts,omitempty"`
	Spacing string      `json:"spacing,omitempty"`
}

type teamsRun struct {
	Type   string `json:"type"` // "TextRun"
	Text   string `json:"text"`
	Weight string `json:"weight,omitempty"`
	Size   string `json:"size,omitempty"`
}

type teamsFact struct {
	Title string `json:"title"`
	Value string `json:"value"`
}

type teamsAction struct {
	Type  string `json:"type"` // "Action.OpenUrl"
	Title string `json:"title"`
	URL   string `json:"url"`
	Style string `json:"style,omitempty"`
}

// teamsPayload renders a cleaned message.
func teamsPayload(m Message) teamsEnvelope {
	body := []teamsElement{{
		Type:    "RichTextBlock",
		Inlines: []teamsRun{{Type: "TextRun", Text: m.headline(), Weight: "Bolder", Size: "Medium"}},
	}}
	if facts := m.facts(); len(facts) > 0 {
		fs := teamsElement{Type: "FactSet"}
		for _, f := range facts {
			fs.Facts = append(fs.Facts, teamsFact{Title: teamsEscape(truncate(f.Label, 100)), Value: teamsEscape(truncate(f.Value, teamsFactMax))})
		}
		body = append(body, fs)
	}
	paras := strings.Split(truncate(m.Text, teamsTextMax), "\n\n")
	for i, p := range paras {
		if p = strings.Trim(p, "\n"); p == "" {
			continue
		}
		if i == teamsParagraphsMax-1 && len(paras) > teamsParagraphsMax {
			p = strings.Join(paras[i:], "\n\n")
		}
		body = append(body, teamsElement{Type: "RichTextBlock", Inlines: []teamsRun{{Type: "TextRun", Text: p}}, Spacing: "Medium"})
		if i == teamsParagraphsMax-1 {
			break
		}
	}
	actions := []teamsAction{{Type: "Action.OpenUrl", Title: m.openLabel(), URL: m.Link, Style: "positive"}}
	if m.AckLink != "" {
		actions = append(actions, teamsAction{Type: "Action.OpenUrl", Title: ackLabel, URL: m.AckLink})
	}
	return teamsEnvelope{Type: "message", Attachments: []teamsAttachment{{
		ContentType: "application/vnd.microsoft.card.adaptive",
		Content: teamsCard{
			Schema: "http://adaptivecards.io/schemas/adaptive-card.json", Type: "AdaptiveCard", Version: "1.4",
			Body: body, Actions: actions, MSTeams: map[string]any{"width": "Full"},
		},
	}}}
}

// teamsEscape backslash-escapes the characters Teams' Markdown subset acts on in facts
// (emphasis, links, code), so a value is shown as typed and cannot become a disguised link.
func teamsEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "[", `\[`, "]", `\]`, "`", "\\`", "~", `\~`).Replace(s)
}

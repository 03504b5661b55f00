package channel

import (
	"context"
	"strings"
	"testing"
)

func TestTeamsSendsAnAdaptiveCard(t *testing.T) {
	var got teamsEnvelope
	srv := jsonReceiver(t, &got)
	m := sampleMessage()
	m.Fields = append(m.Fields, Field{"Note", "[click me](https://evil.example) *now* _x_"})
	if err := NewTeams(nil).Send(context.Background(), Destination{Kind: KindTeams, Address: srv.URL}, m); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if got.Type != "message" || len(got.Attachments) != 1 {
		t.Fatalf("envelope = %+v", got)
	}
	a := got.Attachments[0]
	if a.ContentType != "application/vnd.microsoft.card.adaptive" {
		t.Errorf("contentType = %q", a.ContentType)
	}
	card := a.Content
	if card.Type != "AdaptiveCard" || card.Version != "1.4" {
		t.Errorf("card type, version = %q, %q", card.Type, card.Version)
	}
	var types []string
	for _, e := range card.Body {
		types = append(types, e.Type)
	}
	if got, want := strings.Join(types, ","), "RichTextBlock,FactSet,RichTextBlock,RichTextBlock"; got != want {
		t.Fatalf("body = %s, want %s", got, want)
	}
	if got, want := card.Body[0].Inlines[0].Text, "[INC-4] Renewal email sent to the wrong list"; got != want {
		t.Errorf("headline = %q, want %q", got, want)
	}
	facts := card.Body[1].Facts
	if len(facts) != 5 || facts[0] != (teamsFact{"Severity", "SEV2"}) || facts[2] != (teamsFact{"Owner", "Dana Okafor"}) {
		t.Errorf("facts = %+v", facts)
	}
	if got, want := facts[4].Value, `\[click me\](https://evil.example) \*now\* \_x\_`; got != want {
		t.Errorf("fact with Markdown = %q, want %q", got, want)
	}
	if got := card.Body[2].Inlines[0].Text; !strings.HasPrefix(got, "We sent this morning") {
		t.Errorf("first paragraph = %q", got)
	}
	if len(card.Actions) != 2 ||
		card.Actions[0] != (teamsAction{"Action.OpenUrl", "Open INC-4", m.Link, "positive"}) ||
		card.Actions[1] != (teamsAction{"Action.OpenUrl", "I have read it", m.AckLink, ""}) {
		t.Errorf("actions = %+v", card.Actions)
	}
}

func TestTeamsLongText(t *testing.T) {
	m := sampleMessage()
	m.Text = strings.Repeat("paragraph\n\n", 100)
	card := teamsPayload(m.clean()).Attachments[0].Content
	texts := 0
	for _, e := range card.Body {
		if e.Type == "RichTextBlock" {
			texts++
		}
	}
	if texts != 1+teamsParagraphsMax {
		t.Errorf("%d text blocks, want the headline and %d paragraphs", texts, teamsParagraphsMax)
	}
	last := card.Body[len(card.Body)-1].Inlines[0].Text
	if strings.Count(last, "paragraph") != 100-teamsParagraphsMax+1 {
		t.Errorf("the last block does not hold the rest of the text: %q", last)
	}
}

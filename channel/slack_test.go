package channel

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"
)

// jsonReceiver is a chat webhook on loopback that keeps the last JSON body it was sent.
func jsonReceiver(t *testing.T, into any) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			http.Error(w, "want POST application/json", http.StatusBadRequest)
			return
		}
		body, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(body, into); err != nil {
			http.Error(w, "invalid_payload", http.StatusBadRequest)
			return
		}
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestSlackSendsTextAndBlocks(t *testing.T) {
	var got slackMessage
	srv := jsonReceiver(t, &got)
	m := sampleMessage()
	m.Subject = "<!channel> wrong list & <https://evil.example|click>"
	m.Text = "Everyone <!here> look\n\nSecond paragraph > quote"
	if err := NewSlack(nil).Send(context.Background(), Destination{Kind: KindSlack, Address: srv.URL}, m); err != nil {
		t.Fatalf("Send: %v", err)
	}

	for _, bad := range []string{"<!channel>", "<!here>", "<https://evil.example|click>"} {
		if strings.Contains(got.Text, bad) {
			t.Errorf("text carries the live %q:\n%s", bad, got.Text)
		}
	}
	for _, want := range []string{
		"*[INC-4] &lt;!channel&gt; wrong list &amp; &lt;https://evil.example|click&gt;*",
		"*Owner:* Dana Okafor", "Everyone &lt;!here&gt; look", "Second paragraph &gt; quote",
		"<https://amends.example.com/incidents/INC-4|Open INC-4>",
		"<https://amends.example.com/incidents/INC-4/ack?t=abc|I have read it>",
	} {
		if !strings.Contains(got.Text, want) {
			t.Errorf("text lacks %q:\n%s", want, got.Text)
		}
	}

	var types []string
	for _, b := range got.Blocks {
		types = append(types, b.Type)
	}
	if got, want := strings.Join(types, ","), "header,section,section,actions"; got != want {
		t.Fatalf("blocks = %s, want %s", got, want)
	}
	header := got.Blocks[0].Text
	if header.Type != "plain_text" || header.Text != "[INC-4] <!channel> wrong list & <https://evil.example|click>" {
		t.Errorf("header = %+v, want the plain headline (plain_text needs no escaping)", header)
	}
	fields := got.Blocks[1].Fields
	if len(fields) != 4 || fields[0] != (slackText{"mrkdwn", "*Severity*\nSEV2"}) || fields[2] != (slackText{"mrkdwn", "*Owner*\nDana Okafor"}) {
		t.Errorf("fields = %+v", fields)
	}
	if txt := got.Blocks[2].Text; txt.Type != "mrkdwn" || txt.Text != "Everyone &lt;!here&gt; look\n\nSecond paragraph &gt; quote" {
		t.Errorf("section = %+v", txt)
	}
	buttons := got.Blocks[3].Elements
	if len(buttons) != 2 || buttons[0].URL != m.Link || buttons[0].Text.Text != "Open INC-4" || buttons[1].URL != m.AckLink || buttons[1].Text.Text != "I have read it" {
		t.Errorf("buttons = %+v", buttons)
	}
}

func TestSlackWithoutFieldsOrAckLink(t *testing.T) {
	m := sampleMessage()
	m.Fields, m.AckLink, m.Text = nil, "", ""
	p := slackPayload(m.clean())
	var types []string
	for _, b := range p.Blocks {
		types = append(types, b.Type)
	}
	if got, want := strings.Join(types, ","), "header,section,actions"; got != want {
		t.Fatalf("blocks = %s, want %s", got, want)
	}
	if got := p.Blocks[1].Fields; len(got) != 2 || got[0].Text != "*Severity*\nSEV2" || got[1].Text != "*Status*\ninvestigating" {
		t.Errorf("fields from Severity and Status = %+v", got)
	}
	if n := len(p.Blocks[2].Elements); n != 1 {
		t.Errorf("%d buttons without an ack link, want 1", n)
	}
}

func TestSlackLimits(t *testing.T) {
	m := sampleMessage()
	m.Title, m.Subject = strings.Repeat("T", 400), ""
	m.Text = strings.Repeat("a & b < c\n", 8000) // 80,000 characters, many of them escaped
	for range 25 {
		m.Fields = append(m.Fields, Field{"Label", strings.Repeat("&", 3000)})
	}
	p := slackPayload(m.clean())
	sections := 0
	for _, b := range p.Blocks {
		if b.Type == "header" && utf8.RuneCountInString(b.Text.Text) > slackHeaderMax {
			t.Errorf("header has %d characters", utf8.RuneCountInString(b.Text.Text))
		}
		if len(b.Fields) > slackFieldsMax {
			t.Errorf("a section has %d fields", len(b.Fields))
		}
		for _, f := range b.Fields {
			if n := utf8.RuneCountInString(f.Text); n > slackFieldMax {
				t.Errorf("a field has %d characters", n)
			}
			if strings.HasSuffix(strings.TrimSuffix(f.Text, "…"), "&am") {
				t.Errorf("a field ends in a split entity")
			}
		}
		if b.Type == "section" && b.Text != nil {
			sections++
			if n := utf8.RuneCountInString(b.Text.Text); n > slackSectionMax {
				t.Errorf("a section has %d characters", n)
			}
		}
	}
	if sections != slackSectionsMax {
		t.Errorf("%d text sections, want %d", sections, slackSectionsMax)
	}
	if len(p.Blocks) > 50 {
		t.Errorf("%d blocks, Slack takes at most 50", len(p.Blocks))
	}
	last := p.Blocks[len(p.Blocks)-2]
	if !strings.HasSuffix(last.Text.Text, "…") {
		t.Errorf("the last text section does not show it was cut: …%q", last.Text.Text[len(last.Text.Text)-20:])
	}
}

func TestSlackChunks(t *testing.T) {
	tests := []struct {
		in        string
		size, max int
		want      []string
	}{
		{"", 10, 3, nil},
		{"short", 10, 3, []string{"short"}},
		{"aaaa\nbbbb\ncccc", 10, 3, []string{"aaaa\nbbbb", "cccc"}},
		{"a&b", 5, 3, []string{"a", "&amp;", "b"}},
		{"0123456789abcdefghij", 5, 2, []string{"01234", "5678…"}},
	}
	for _, tt := range tests {
		got := slackChunks(tt.in, tt.size, tt.max)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") || len(got) != len(tt.want) {
			t.Errorf("slackChunks(%q, %d, %d) = %q, want %q", tt.in, tt.size, tt.max, got, tt.want)
		}
	}
}

func TestSlackEscapesLinkURL(t *testing.T) {
	if got, want := slackLink("https://x.example/a|b?c=1&d=<2>", "Open & go"), "<https://x.example/a%7Cb?c=1&amp;d=&lt;2&gt;|Open &amp; go>"; got != want {
		t.Errorf("slackLink = %q, want %q", got, want)
	}
}

package ownership

import (
	"slices"
	"testing"
)

func sentences(text string) []string {
	var out []string
	for _, s := range splitSentences(nil, text) {
		out = append(out, text[s.start:s.end])
	}
	return out
}

func TestSplitSentences(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"plain", "We sent the wrong price. We are sorry! Can we help?",
			[]string{"We sent the wrong price.", "We are sorry!", "Can we help?"}},
		{"abbreviations", "We use tools, e.g. a linter, i.e. one check. Mr. Müller was told by Dr. Ruiz. It is fixed.",
			[]string{"We use tools, e.g. a linter, i.e. one check.", "Mr. Müller was told by Dr. Ruiz.", "It is fixed."}},
		{"initials", "J. R. Smith signed it. We agree.", []string{"J. R. Smith signed it.", "We agree."}},
		{"times", "At 2:39 PM we emailed you. At 2:39 p.m. Zoë called. We fixed it at 14:55.",
			[]string{"At 2:39 PM we emailed you.", "At 2:39 p.m.", "Zoë called.", "We fixed it at 14:55."}},
		{"time lower-case after", "We emailed at 3 p.m. yesterday and again today.",
			[]string{"We emailed at 3 p.m. yesterday and again today."}},
		{"decimals and money", "Your rate was 0.4% instead of 4.0%. You paid €1,480.50 twice.",
			[]string{"Your rate was 0.4% instead of 4.0%.", "You paid €1,480.50 twice."}},
		{"urls", "See https://example.com/a.b?c=d. Or write to help@example.co.uk. Thanks.",
			[]string{"See https://example.com/a.b?c=d.", "Or write to help@example.co.uk.", "Thanks."}},
		{"quotes", `She wrote "we are sorry." Then she left. "Sorry!" he said.`,
			[]string{`She wrote "we are sorry."`, "Then she left.", `"Sorry!" he said.`}},
		{"curly quotes", "Our “Year in Review” email went out. It was wrong.",
			[]string{"Our “Year in Review” email went out.", "It was wrong."}},
		{"ellipsis", "We waited... and waited... Then it broke.",
			[]string{"We waited... and waited...", "Then it broke."}},
		{"markdown", "# Sign-in outage\n\n## What happened\nNobody could sign in. We caused it.\n\n- 10:31 — we rolled back\n- 10:47 — fixed\n1. First step\n2) Second step\n> quoted line\n",
			[]string{"Sign-in outage", "What happened", "Nobody could sign in.", "We caused it.", "10:31 — we rolled back", "10:47 — fixed", "First step", "Second step", "quoted line"}},
		{"greeting and signature", "Hi Zoë,\nWe sent the wrong price.\n\nMarta Oyelaran\nHead of Customer Success",
			[]string{"Hi Zoë,", "We sent the wrong price.", "Marta Oyelaran", "Head of Customer Success"}},
		{"hard-wrapped prose", "We changed the template for renewal emails this morning, and the\nchange pulled prices from a draft price list that was never approved.",
			[]string{"We changed the template for renewal emails this morning, and the\nchange pulled prices from a draft price list that was never approved."}},
		{"fenced code skipped", "We ran:\n```\nrm -rf /data. Oops.\n```\nIt deleted data.",
			[]string{"We ran:", "It deleted data."}},
		{"table rows", "| time | what |\n|---|---|\n| 14:39 | noticed |",
			[]string{"| time | what |", "|---|---|", "| 14:39 | noticed |"}},
		{"non-ASCII", "Das war unser Fehler. Désolé! これは私たちの誤りです。申し訳ありません。",
			[]string{"Das war unser Fehler.", "Désolé!", "これは私たちの誤りです。", "申し訳ありません。"}},
		{"no terminator", "we are sorry", []string{"we are sorry"}},
		{"empty", " \n\n ", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sentences(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestTokenize(t *testing.T) {
	tests := []struct {
		text string
		want []string
	}{
		{"We’ve fixed it", []string{"we", "have", "fixed", "it"}},
		{"we didn't, can't, won't", []string{"we", "did", "not", "can", "not", "will", "not"}},
		{"that's on us; let's talk", []string{"that", "is", "on", "us", "let", "us", "talk"}},
		{"Kevin's error", []string{"kevin", "'s", "error"}},
		{"on-call at 14:55, 2,000 or 3.5%", []string{"on-call", "at", "14:55", "2,000", "or", "3.5", "%"}},
		{"mail help@x.io or https://x.io/a.", []string{"mail", "#email", "or", "#url"}},
		{"ZOË **Müller**", []string{"zoë", "müller"}},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			var got []string
			for _, tok := range tokenize(nil, tt.text, 0, len(tt.text)) {
				got = append(got, tok.norm)
				if tok.start < 0 || tok.end > len(tt.text) || tok.start > tok.end {
					t.Errorf("token %q has span %d..%d", tok.norm, tok.start, tok.end)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestInflections(t *testing.T) {
	tests := []struct {
		word string
		want []string
	}{
		{"send", []string{"send", "sends", "sent", "sending"}},
		{"apply", []string{"applies", "applied", "applying"}},
		{"stop", []string{"stopped", "stopping"}},
		{"charge", []string{"charges", "charged", "charging"}},
		{"break", []string{"broke", "broken"}},
	}
	for _, tt := range tests {
		forms := inflections(tt.word)
		for _, w := range tt.want {
			if !slices.Contains(forms, w) {
				t.Errorf("inflections(%q) = %q, missing %q", tt.word, forms, w)
			}
		}
	}
}

package ownership

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
)

func TestParseMode(t *testing.T) {
	tests := []struct {
		in      string
		want    Mode
		wantErr bool
	}{
		{"", Customer, false},
		{"customer", Customer, false},
		{"blameless", Blameless, false},
		{"Customer", "", true},
		{"internal", "", true},
	}
	for _, tt := range tests {
		got, err := ParseMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil && !strings.Contains(err.Error(), "customer or blameless") {
			t.Errorf("ParseMode(%q) error %q does not name the valid modes", tt.in, err)
		}
	}
}

// TestReportJSON checks the contract's shape: element names in order, findings never null.
func TestReportJSON(t *testing.T) {
	c := defaultChecker(t)
	for _, mode := range []Mode{Customer, Blameless} {
		r := c.Check("", mode)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		var raw struct {
			Mode     string          `json:"mode"`
			Elements json.RawMessage `json:"elements"`
			Findings json.RawMessage `json:"findings"`
		}
		if err := json.Unmarshal(b, &raw); err != nil {
			t.Fatal(err)
		}
		var names []string
		dec := json.NewDecoder(bytes.NewReader(raw.Elements))
		dec.Token()
		for dec.More() {
			tok, _ := dec.Token()
			names = append(names, tok.(string))
			dec.Token()
		}
		if got, want := strings.Join(names, ","), strings.Join(elementNames(mode), ","); got != want {
			t.Errorf("%s elements: got %s, want %s", mode, got, want)
		}
		if raw.Mode != string(mode) {
			t.Errorf("mode: got %q, want %q", raw.Mode, mode)
		}
		if string(raw.Findings) == "null" {
			t.Errorf("%s: findings encoded as null, want a list", mode)
		}
	}

	r := c.Check("Mistakes were made.", Customer)
	b, _ := json.Marshal(r)
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if got, want := len(back.Elements), 9; got != want {
		t.Errorf("round trip: got %d elements, want %d", got, want)
	}
	if v, _ := back.Elements.Get("responsibility"); v {
		t.Errorf("round trip: responsibility got true, want false")
	}
	if !strings.Contains(string(b), `"elements":{"acknowledgement":false,"responsibility":false,`) {
		t.Errorf("elements not an ordered object: %s", b)
	}
}

// TestFindingSpans checks that every finding's span is inside the text and its Text the
// bytes it points at, for text with multi-byte characters.
func TestFindingSpans(t *testing.T) {
	text := "Zoë, mistakes were made. Désolé: due to unforeseen circumstances, a small number of users were briefly affected. We apologise for any inconvenience."
	r := defaultChecker(t).Check(text, Customer)
	if len(r.Findings) < 4 {
		t.Fatalf("got %d findings, want at least 4: %+v", len(r.Findings), r.Findings)
	}
	for _, f := range r.Findings {
		if f.Start < 0 || f.End < f.Start || f.End > len(text) || text[f.Start:f.End] != f.Text {
			t.Errorf("finding %s: span %d..%d, text %q", f.Rule, f.Start, f.End, f.Text)
		}
		if f.Message == "" || f.Suggestion == "" || f.Element == "" {
			t.Errorf("finding %s lacks message, suggestion or element: %+v", f.Rule, f)
		}
	}
	if r.Owns || r.Score < 0 || r.Score > 100 {
		t.Errorf("owns %v, score %d; want false and 0..100", r.Owns, r.Score)
	}
}

func TestLoadRulesErrors(t *testing.T) {
	tests := []struct {
		name, src, want string
	}{
		{"no section", "kind: flag\n", "line 1:"},
		{"bad header", "\n[rule]\n", "line 2:"},
		{"unknown key", "[rule x]\nkind: flag\ncolour: red\n", "line 3: rule x: unknown key"},
		{"bad kind", "[rule x]\nkind: shout\n", "line 2: rule x: kind"},
		{"bad element", "[rule x]\nkind: flag\nelement: tone\nmessage: m\nsuggest: s\nmatch: sorry\n", "line 1: rule x: element \"tone\""},
		{"no message", "[rule x]\nkind: flag\nelement: no_excuses\nmatch: sorry\n", "needs \"message:\""},
		{"bad pattern", "[rule x]\nkind: flag\nelement: no_excuses\nmessage: m\nsuggest: s\n\nmatch: ( sorry\n", "line 7: rule x: match"},
		{"unknown class", "[rule x]\nkind: evidence\nelement: plan_fix\nmatch: @nothing\n", "unknown class"},
		{"contraction", "[rule x]\nkind: evidence\nelement: plan_fix\nmatch: we've fixed\n", "apostrophe"},
		{"leading gap", "[rule x]\nkind: evidence\nelement: plan_fix\nmatch: ... fixed\n", "must start with a word"},
		{"unknown unless-rule", "[rule x]\nkind: evidence\nelement: plan_fix\nmatch: fixed\nunless-rule: nope\n", "no such rule"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := LoadRules(strings.NewReader(tt.src))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

// TestOrganisationRules checks that an organisation can ban a phrase, approve wording,
// extend a class and turn a default rule off.
func TestOrganisationRules(t *testing.T) {
	src := `
# Acme's house rules
[rule acme-no-valued]
element: apology_unconditional
kind: flag
message: "valued customer" reads as a form letter
suggest: Use the customer's name.
match: valued customer|customers

[rule acme-allow-blip]
kind: allow
match: blip in the chart

[class vendor]
words: paystream

[rule generic-apology]
disabled: true
`
	rs, err := LoadRules(strings.NewReader(src))
	if err != nil {
		t.Fatal(err)
	}
	c, err := New(rs)
	if err != nil {
		t.Fatal(err)
	}
	text := "Dear valued customer, we apologize for any inconvenience. The blip in the chart is a display choice. This was caused by Paystream."
	r := c.Check(text, Customer)
	if _, ok := hasRule(r, "acme-no-valued"); !ok {
		t.Errorf("banned phrase not flagged: %+v", r.Findings)
	}
	if _, ok := hasRule(r, "generic-apology"); ok {
		t.Errorf("disabled rule still flags: %+v", r.Findings)
	}
	if _, ok := hasRule(r, "minimizing-duration"); ok {
		t.Errorf("approved wording flagged: %+v", r.Findings)
	}
	if _, ok := hasRule(r, "excuse-third-party"); !ok {
		t.Errorf("extended vendor class not used: %+v", r.Findings)
	}
	// The defaults are untouched for a checker without the organisation's rules.
	if _, ok := hasRule(defaultChecker(t).Check(text, Customer), "generic-apology"); !ok {
		t.Errorf("default checker lost generic-apology")
	}
}

// TestCheckConcurrent runs one Checker from many goroutines; run with -race.
func TestCheckConcurrent(t *testing.T) {
	c := defaultChecker(t)
	text := "Mistakes were made. We apologize if you were affected. Reply to this email."
	want, _ := json.Marshal(c.Check(text, Customer))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				got, _ := json.Marshal(c.Check(text, Customer))
				if !bytes.Equal(got, want) {
					t.Errorf("concurrent check differs:\n%s\n%s", got, want)
					return
				}
			}
		}()
	}
	wg.Wait()
}

func TestWriteText(t *testing.T) {
	text := "Hi,\n\nMistakes were made. We apologize for any inconvenience."
	r := defaultChecker(t).Check(text, Customer)
	var b bytes.Buffer
	if err := WriteText(&b, "draft.txt", text, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"draft.txt:3:1: passive-blame: passive voice hides who made the mistake\n",
		"\tsuggest: Put yourself in the sentence",
		"draft.txt:3:34: generic-apology: ",
		"draft.txt: does not own the mistake: score ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got, want := strings.Count(out, "\n"), 2*len(r.Findings)+1; got != want {
		t.Errorf("got %d lines, want %d:\n%s", got, want, out)
	}
}

func TestPosition(t *testing.T) {
	text := "ab\nçd\n"
	tests := []struct{ off, line, col int }{{0, 1, 1}, {2, 1, 3}, {3, 2, 1}, {5, 2, 3}, {7, 3, 1}, {99, 3, 1}}
	for _, tt := range tests {
		if line, col := position(text, tt.off); line != tt.line || col != tt.col {
			t.Errorf("position(%d) = %d:%d, want %d:%d", tt.off, line, col, tt.line, tt.col)
		}
	}
}

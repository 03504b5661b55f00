package ownership

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzCheck checks, for any text, that Check does not panic, that every span lies inside
// the text on rune boundaries with Text equal to the slice, that the score is 0..100 and
// that the same text always gives the same report. It is seeded from the dev set.
func FuzzCheck(f *testing.F) {
	for _, l := range loadDevset(f) {
		f.Add(l.body, false)
		f.Add(l.body, true)
	}
	for _, s := range []string{
		"", " ", "\n\n", "...", "#", "- ", "```", "e.g.", "Mr.", "2:39 p.m.", "3.5%", "'s", "n't",
		"we'", "İstanbul’s", "\xff\xfe", "a\x80b", "é\u0301", "😀. 😀!", "https://x", "a@b.c",
		"Mistakes were made. Sorry if you were affected.", "John forgot to. Human error.",
	} {
		f.Add(s, false)
		f.Add(s, true)
	}
	c, err := New()
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, text string, blameless bool) {
		mode := Customer
		if blameless {
			mode = Blameless
		}
		r := c.Check(text, mode)
		if r.Score < 0 || r.Score > 100 {
			t.Errorf("score %d outside 0..100", r.Score)
		}
		if r.Findings == nil {
			t.Errorf("findings are nil")
		}
		if got, want := len(r.Elements), len(modeElements[mode]); got != want {
			t.Errorf("got %d elements, want %d", got, want)
		}
		bounds := map[int]bool{len(text): true}
		for i := range text { // the offsets where "for range" starts a rune
			bounds[i] = true
		}
		for _, fd := range r.Findings {
			if fd.Start < 0 || fd.Start > fd.End || fd.End > len(text) {
				t.Fatalf("%s: span %d..%d outside 0..%d", fd.Rule, fd.Start, fd.End, len(text))
			}
			if !bounds[fd.Start] || !bounds[fd.End] {
				t.Errorf("%s: span %d..%d not on rune boundaries", fd.Rule, fd.Start, fd.End)
			}
			if fd.Text != text[fd.Start:fd.End] {
				t.Errorf("%s: text %q, want %q", fd.Rule, fd.Text, text[fd.Start:fd.End])
			}
			if utf8.ValidString(text) && !utf8.ValidString(fd.Text) {
				t.Errorf("%s: text %q is not valid UTF-8", fd.Rule, fd.Text)
			}
		}
		a, _ := json.Marshal(r)
		b, _ := json.Marshal(c.Check(text, mode))
		if string(a) != string(b) {
			t.Errorf("not deterministic:\n%s\n%s", a, b)
		}
	})
}

package amends

import (
	"bytes"
	"crypto/rand"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestAnswerValidate(t *testing.T) {
	for _, c := range []struct {
		name    string
		in      Answer
		field   string // "" when valid
		comment string // after Normalize
	}{
		{"lowest", Answer{Rating: 1}, "", ""},
		{"highest with comment", Answer{Rating: 5, Comment: "  Thanks for owning it.\r\n"}, "", "Thanks for owning it."},
		{"zero", Answer{Rating: 0}, "rating", ""},
		{"six", Answer{Rating: 6}, "rating", ""},
		{"negative", Answer{Rating: -3}, "rating", ""},
		{"comment at the limit", Answer{Rating: 3, Comment: strings.Repeat("ü", MaxFeedbackComment)}, "", strings.Repeat("ü", MaxFeedbackComment)},
		{"comment over the limit", Answer{Rating: 3, Comment: strings.Repeat("ü", MaxFeedbackComment+1)}, "comment", ""},
		{"limit counts after trimming", Answer{Rating: 3, Comment: "  " + strings.Repeat("a", MaxFeedbackComment) + "\n"}, "", strings.Repeat("a", MaxFeedbackComment)},
		{"invalid UTF-8", Answer{Rating: 3, Comment: "a\xffb"}, "comment", ""},
		{"NUL", Answer{Rating: 3, Comment: "a\x00b"}, "comment", ""},
	} {
		a := c.in
		a.Normalize()
		err := a.Validate()
		if c.field == "" {
			if err != nil {
				t.Errorf("%s: %v", c.name, err)
			} else if a.Comment != c.comment {
				t.Errorf("%s: comment %q, want %q", c.name, a.Comment, c.comment)
			}
			continue
		}
		if e := ErrorOf(err); e == nil || e.Code != EInvalid || e.Field != c.field {
			t.Errorf("%s: %v, want invalid %s", c.name, err, c.field)
		}
	}
}

func TestParseRating(t *testing.T) {
	for in, want := range map[string]int{"1": 1, "3": 3, " 5 ": 5, "0": 0, "6": 0, "": 0, "x": 0, "2.5": 0, "-1": 0, "99999999999999999999": 0} {
		got, err := ParseRating(in)
		if want == 0 {
			if ErrorCode(err) != EInvalid {
				t.Errorf("ParseRating(%q) = %d, %v; want invalid", in, got, err)
			}
		} else if err != nil || got != want {
			t.Errorf("ParseRating(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestSurveyToken(t *testing.T) {
	fixed := bytes.Repeat([]byte{0xfb}, SurveyTokenBytes)
	tok, hash, err := NewSurveyToken(bytes.NewReader(fixed))
	if err != nil {
		t.Fatal(err)
	}
	if tok != "-_v7-_v7-_v7-_v7-_v7-w" || len(tok) != 22 {
		t.Errorf("token %q: want 22 characters of unpadded base64url", tok)
	}
	if hash != SurveyTokenHash(tok) || len(hash) != 64 || strings.Contains(hash, tok) {
		t.Errorf("hash %q", hash)
	}
	if !WellFormedSurveyToken(tok) {
		t.Error("own token refused")
	}
	for _, bad := range []string{"", tok[:21], tok + "A", "-_v7-_v7-_v7-_v7-_v7-+", "../../../etc/passwd....", "-_v7-_v7-_v7-_v7-_v7=="} {
		if WellFormedSurveyToken(bad) {
			t.Errorf("WellFormedSurveyToken(%q) = true", bad)
		}
	}
	// A short read is an error, never a weak token.
	if _, _, err := NewSurveyToken(bytes.NewReader(fixed[:8])); err == nil {
		t.Error("short random source accepted")
	}
	if _, _, err := NewSurveyToken(failingReader{}); err == nil {
		t.Error("failing random source accepted")
	}
	seen := map[string]bool{}
	for range 1000 {
		tok, _, err := NewSurveyToken(rand.Reader)
		if err != nil || seen[tok] || !WellFormedSurveyToken(tok) {
			t.Fatalf("token %q %v (repeat: %v)", tok, err, seen[tok])
		}
		seen[tok] = true
	}
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("no entropy") }

func TestParseSurveyDelay(t *testing.T) {
	for _, c := range []struct {
		in   string
		want time.Duration
		on   bool
		bad  bool
		back string
	}{
		{"", SurveyDelay, true, false, "24h"},
		{"24h", 24 * time.Hour, true, false, "24h"},
		{" 90m ", 90 * time.Minute, true, false, "90m"},
		{"1h30m", 90 * time.Minute, true, false, "90m"},
		{"0", 0, false, false, "off"},
		{"off", 0, false, false, "off"},
		{"OFF", 0, false, false, "off"},
		{"-1h", 0, false, true, ""},
		{"soon", 0, false, true, ""},
		{"2161h", 0, false, true, ""},
		{"90s", 90 * time.Second, true, false, "1m30s"},
	} {
		d, on, err := ParseSurveyDelay(c.in)
		if c.bad {
			if e := ErrorOf(err); e == nil || e.Field != "survey_delay" {
				t.Errorf("%q: %v %v %v, want invalid", c.in, d, on, err)
			}
			continue
		}
		if err != nil || d != c.want || on != c.on {
			t.Errorf("%q: %v %v %v, want %v %v", c.in, d, on, err, c.want, c.on)
		}
		if got := FormatSurveyDelay(d, on); got != c.back {
			t.Errorf("%q written back as %q, want %q", c.in, got, c.back)
		}
	}
}

func TestLowRatingAndLabels(t *testing.T) {
	for r := -1; r <= 6; r++ {
		if got, want := IsLowRating(r), r == 1 || r == 2; got != want {
			t.Errorf("IsLowRating(%d) = %v", r, got)
		}
		if got := RatingLabel(r); (got != "") != (r >= 1 && r <= 5) {
			t.Errorf("RatingLabel(%d) = %q", r, got)
		}
	}
	now := time.Date(2026, 11, 4, 12, 0, 0, 0, time.UTC)
	s := Survey{Email: "a@example.com", ExpiresAt: now.Add(time.Hour), Rating: 2, AnsweredAt: &now}
	if !s.Low() || s.Expired(now) || !s.Expired(now.Add(time.Hour)) || s.Who() != "a@example.com" {
		t.Errorf("survey %+v: low %v expired %v who %q", s, s.Low(), s.Expired(now), s.Who())
	}
	s.Name, s.Account = "Ada", "Acme"
	if s.Who() != "Ada (Acme)" {
		t.Errorf("who %q", s.Who())
	}
}

func TestFeedbackTitle(t *testing.T) {
	long := strings.Repeat("word ", 40)
	for _, c := range []struct{ comment, want string }{
		{"", "Follow up on customer feedback (2/5)"},
		{"   \n  ", "Follow up on customer feedback (2/5)"},
		{"You told us a day late.\nAnd the email was vague.", "You told us a day late."},
		{"  spaced    out  ", "spaced out"},
		{long, strings.TrimSpace(strings.Repeat("word ", 24)) + "…"},
	} {
		got := FeedbackTitle(c.comment, 2)
		if got != c.want {
			t.Errorf("FeedbackTitle(%q) = %q, want %q", c.comment, got, c.want)
		}
		if err := ValidateTitle(got); err != nil {
			t.Errorf("FeedbackTitle(%q) = %q is not a valid title: %v", c.comment, got, err)
		}
	}
}

package ownership

import (
	"strings"
	"testing"
)

// benchParagraphs is a long customer message in several voices (owning, evasive,
// Markdown), repeated to make the 2,000-word benchmark input.
const benchParagraphs = `# Sign-in outage on Tuesday 14 January

## What happened

From 09:12 to 10:47 UTC on Tuesday, nobody could sign in to Tallyboard. If you were already signed in you could keep working, but anyone starting their day, switching devices or whose session expired saw "Invalid credentials" no matter what they typed. We caused this. At 09:10 we deployed a change to how we store session cookies, e.g. the new format, and it rejected every new sign-in. Our tests did not cover the sign-in path with the new cookie format.

## What it meant for you

For more than an hour and a half, many of you could not open your boards at the start of the working day in Europe. Some of you reset your password several times, thinking you had mistyped it, and were then locked out for 30 minutes on top of the outage. We are sorry. We know that mornings are when your teams plan their day, and we took that away.

Due to an issue at our hosting provider, a small number of users may have experienced unexpected behaviour. Mistakes were made, and we apologize for any inconvenience this may have caused. Despite our best efforts, this was beyond our control.

## What we have done

- 10:31 — we rolled back the change.
- 10:47 — sign-in worked again for everyone.
- 11:30 — we lifted every lockout caused by the repeated password attempts, costing €1,480.50 in credits.

## What we will change

- Sign-in is now part of the automated checks that must pass before any deploy (done, 15 January).
- Deploys now go to 5% of traffic for 15 minutes before everyone else (by 31 January).

Questions or thoughts? Write to support@tallyboard.app or tell us how we handled this: https://tallyboard.app/feedback/inc-2025-01-14. Mr. Müller and Zoë from our team will reply at 2:39 PM.
`

// benchText returns exactly words words of benchParagraphs, repeated as needed.
func benchText(words int) string {
	var b strings.Builder
	n := 0
	for n < words {
		for _, line := range strings.SplitAfter(benchParagraphs, "\n") {
			for _, w := range strings.Fields(line) {
				if n == words {
					return b.String()
				}
				b.WriteString(w)
				b.WriteByte(' ')
				n++
			}
			if strings.HasSuffix(line, "\n") {
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// BenchmarkCheck2000Words measures the check on a 2,000-word message.
func BenchmarkCheck2000Words(b *testing.B) {
	text := benchText(2000)
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		c.Check(text, Customer)
	}
}

// BenchmarkCheck2000WordsBlameless is the same in blameless mode.
func BenchmarkCheck2000WordsBlameless(b *testing.B) {
	text := benchText(2000)
	c, err := New()
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		c.Check(text, Blameless)
	}
}

// BenchmarkBaselineFieldsLower is the peer figure: the least any word-level reading of
// the same 2,000 words costs, splitting on spaces and lower-casing each word.
func BenchmarkBaselineFieldsLower(b *testing.B) {
	text := benchText(2000)
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	var sink int
	for b.Loop() {
		for _, w := range strings.Fields(text) {
			sink += len(strings.ToLower(w))
		}
	}
	_ = sink
}

func TestBenchText(t *testing.T) {
	if got := len(strings.Fields(benchText(2000))); got != 2000 {
		t.Errorf("benchText(2000) has %d words, want 2000", got)
	}
}

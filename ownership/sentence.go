package ownership

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// span is a half-open byte range of the input.
type span struct{ start, end int }

// softBreakWidth is the longest line (in bytes, trimmed) whose line break ends a sentence
// even without punctuation: greetings ("Hi Zoë,"), headings without '#', signatures and
// list items written without markers are short; hard-wrapped prose lines are longer.
const softBreakWidth = 60

// splitSentences returns the sentences of text as trimmed byte spans, in order. It knows
// enough about plain text and Markdown to keep "e.g.", "Mr. Müller", "2:39 p.m.", "3.5",
// URLs and quoted speech inside one sentence, and to make headings, list items, table rows,
// greetings and signature lines sentences of their own. Fenced code is skipped.
func splitSentences(dst []span, text string) []span {
	for _, p := range paragraphs(nil, text) {
		dst = splitParagraph(dst, text, p.start, p.end)
	}
	return dst
}

// paragraphs cuts text into runs of lines that may share a sentence.
func paragraphs(dst []span, text string) []span {
	cur := span{-1, -1}
	flush := func() {
		if cur.start >= 0 {
			dst = append(dst, cur)
		}
		cur = span{-1, -1}
	}
	inFence := false
	prevShort, prevQuote := false, false
	for ls := 0; ls < len(text); {
		le := strings.IndexByte(text[ls:], '\n')
		next := len(text)
		if le < 0 {
			le = len(text)
		} else {
			le += ls
			next = le + 1
		}
		line := text[ls:le]
		body := strings.TrimLeft(line, " \t")
		off := ls + len(line) - len(body)
		trimmed := strings.TrimRight(body, " \t\r")
		switch {
		case strings.HasPrefix(trimmed, "```") || strings.HasPrefix(trimmed, "~~~"):
			flush()
			inFence = !inFence
		case inFence:
		case trimmed == "" || isRule(trimmed):
			flush()
		default:
			marker, block, quote := lineMarker(trimmed)
			start := off + marker
			end := off + len(trimmed)
			if start >= end {
				flush()
				break
			}
			if block || cur.start < 0 || quote != prevQuote ||
				(prevShort && startsSentence(text[start:end])) {
				flush()
				cur = span{start, end}
			} else {
				cur.end = end
			}
			if lone := strings.TrimLeft(trimmed, "> "); block && (lone[0] == '#' || lone[0] == '|') {
				flush() // a heading or table row is never continued by the next line
			}
			prevShort = len(trimmed)-marker <= softBreakWidth || strings.HasSuffix(trimmed, ":")
			prevQuote = quote
		}
		ls = next
	}
	flush()
	return dst
}

// isRule reports whether line is a Markdown horizontal rule such as "---" or "***".
func isRule(line string) bool {
	if len(line) < 3 {
		return false
	}
	c := line[0]
	if c != '-' && c != '*' && c != '_' && c != '=' {
		return false
	}
	for i := 0; i < len(line); i++ {
		if line[i] != c && line[i] != ' ' {
			return false
		}
	}
	return true
}

// lineMarker returns the length of a leading Markdown marker (heading, list item, quote,
// table bar), whether the line starts a block of its own, and whether it is quoted.
func lineMarker(line string) (n int, block, quote bool) {
	for n < len(line) && line[n] == '>' {
		n++
		for n < len(line) && line[n] == ' ' {
			n++
		}
	}
	quote = n > 0
	rest := line[n:]
	switch {
	case strings.HasPrefix(rest, "#"):
		h := strings.IndexFunc(rest, func(r rune) bool { return r != '#' })
		if h > 0 && h <= 6 && rest[h] == ' ' {
			return n + h + 1, true, quote
		}
	case len(rest) >= 2 && strings.ContainsRune("-*+", rune(rest[0])) && rest[1] == ' ':
		return n + 2, true, quote
	case strings.HasPrefix(rest, "• "):
		return n + len("• "), true, quote
	case rest != "" && rest[0] == '|':
		return n, true, quote
	default:
		d := 0
		for d < len(rest) && d < 3 && '0' <= rest[d] && rest[d] <= '9' {
			d++
		}
		if d > 0 && d+1 < len(rest) && (rest[d] == '.' || rest[d] == ')') && rest[d+1] == ' ' {
			return n + d + 2, true, quote
		}
	}
	return n, false, quote
}

// startsSentence reports whether s begins like a new sentence: an upper-case letter, a
// digit or an opening quote.
func startsSentence(s string) bool {
	r, _ := utf8.DecodeRuneInString(s)
	return unicode.IsUpper(r) || unicode.IsDigit(r) || strings.ContainsRune("\"“'‘([", r)
}

// noEnd lists abbreviations after which a full stop never ends a sentence.
var noEnd = map[string]bool{
	"e.g": true, "i.e": true, "eg": true, "ie": true, "mr": true, "mrs": true, "ms": true,
	"dr": true, "prof": true, "st": true, "vs": true, "cf": true, "approx": true, "jr": true,
	"sr": true, "viz": true, "al": true, "fig": true, "dept": true, "incl": true, "ca": true,
	"nr": true, "mt": true, "gen": true, "capt": true, "hon": true, "rev": true,
}

// closers may follow a terminator and still belong to the sentence it ends.
const closers = "\"'”’)]»*_"

func isTerminator(r rune) bool {
	return r == '.' || r == '!' || r == '?' || r == '…' || r == '。' || r == '！' || r == '？'
}

// splitParagraph appends the sentences of text[start:end] to dst.
func splitParagraph(dst []span, text string, start, end int) []span {
	s := start
	emit := func(a, b int) {
		a, b = trimSpan(text, a, b)
		if a < b {
			dst = append(dst, span{a, b})
		}
	}
	for i := start; i < end; {
		if c := text[i]; c < utf8.RuneSelf && c != '.' && c != '!' && c != '?' {
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(text[i:end])
		if !isTerminator(r) {
			i += size
			continue
		}
		k := i + size
		for k < end {
			r2, s2 := utf8.DecodeRuneInString(text[k:end])
			if !isTerminator(r2) && !strings.ContainsRune(closers, r2) {
				break
			}
			k += s2
		}
		if k < end && !isSpaceByte(text[k]) && r != '。' && r != '！' && r != '？' {
			i = k
			continue
		}
		n := k
		for n < end && isSpaceByte(text[n]) {
			n++
		}
		if n < end && !endsHere(text, start, i, k, n, end) {
			i = k
			continue
		}
		emit(s, k)
		s = k
		i = k
	}
	emit(s, end)
	return dst
}

// endsHere decides whether the terminator at text[i] (with closers up to k, and the next
// word at n) ends a sentence.
func endsHere(text string, pstart, i, k, n, end int) bool {
	next, _ := utf8.DecodeRuneInString(text[n:end])
	if unicode.IsLower(next) {
		return false
	}
	if text[i] != '.' || k > i+1 && text[i+1] == '.' {
		if k-i >= 3 && text[i:i+3] == "..." { // an ellipsis ends only before a capital
			return unicode.IsUpper(next)
		}
		return true
	}
	// The word before the full stop.
	w := i
	for w > pstart {
		r, size := utf8.DecodeLastRuneInString(text[pstart:w])
		if unicode.IsSpace(r) || strings.ContainsRune("\"“(['‘", r) {
			break
		}
		w -= size
	}
	word := strings.ToLower(text[w:i])
	switch {
	case word == "":
		return true
	case noEnd[word]:
		return false
	case word == "no" || word == "p" || word == "pp":
		return !unicode.IsDigit(next)
	case utf8.RuneCountInString(word) == 1:
		r, _ := utf8.DecodeRuneInString(text[w:i])
		return !unicode.IsUpper(r) // "J. Smith": an initial
	case strings.Contains(word, "."): // "U.S.", "a.m."
		return unicode.IsUpper(next)
	}
	return true
}

func isSpaceByte(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// trimSpan narrows text[a:b] to exclude surrounding white space.
func trimSpan(text string, a, b int) (int, int) {
	for a < b {
		r, size := utf8.DecodeRuneInString(text[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		a += size
	}
	for b > a {
		r, size := utf8.DecodeLastRuneInString(text[a:b])
		if !unicode.IsSpace(r) {
			break
		}
		b -= size
	}
	return a, b
}

package ownership

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// tokenKind says what a token is, so patterns can ask for "a number" or "an address"
// without spelling one out.
type tokenKind uint8

const (
	kindWord tokenKind = iota
	kindNumber
	kindURL
	kindEmail
)

// token is one word, number, URL or e-mail address of the input. start and end are byte
// offsets into the original text; norm is the lower-cased form patterns compare against.
// A contraction becomes two tokens ("we've" is "we" + "have") that share the original bytes.
type token struct {
	start, end int
	norm       string
	id         int32   // the word's number in the rules' vocabulary, or -1
	class      builtin // the builtin classes the token may be in (#name still to confirm)
	kind       tokenKind
	title      bool // starts with an upper-case letter followed by lower-case ones ("John")
}

// tokenize appends the tokens of text[start:end] to dst and returns it.
func tokenize(dst []token, text string, start, end int) []token {
	i := start
	for i < end {
		if size, sep := separator(text, i, end); sep {
			i += size
			continue
		}
		// A run is a stretch without spaces and quotes; it is a URL, an e-mail address
		// or a sequence of words and numbers joined by punctuation.
		j := i
		for j < end {
			size, sep := separator(text, j, end)
			if sep {
				break
			}
			j += size
		}
		run := text[i:j]
		switch {
		case isURL(run):
			e := i + len(trimTrailingPunct(run))
			dst = append(dst, token{start: i, end: e, norm: "#url", id: -1, kind: kindURL})
		case isEmail(run):
			e := i + len(trimTrailingPunct(run))
			dst = append(dst, token{start: i, end: e, norm: "#email", id: -1, kind: kindEmail})
		default:
			dst = splitWords(dst, text, i, j)
		}
		i = j
	}
	return dst
}

// asciiSeparator marks the ASCII bytes that end a run: white space, quotes, brackets and
// Markdown emphasis.
var asciiSeparator = func() (t [utf8.RuneSelf]bool) {
	for _, c := range " \t\n\r\v\f\"()[]{}<>*`|" {
		t[c] = true
	}
	return t
}()

// separator returns the size of the character at text[i] and whether it ends a run.
func separator(text string, i, end int) (int, bool) {
	if c := text[i]; c < utf8.RuneSelf {
		return 1, asciiSeparator[c]
	}
	r, size := utf8.DecodeRuneInString(text[i:end])
	return size, unicode.IsSpace(r) || !isRunRune(r)
}

// isRunRune reports whether r can be part of a run; quotes, brackets and Markdown emphasis
// always separate.
func isRunRune(r rune) bool {
	switch r {
	case '"', '“', '”', '„', '«', '»', '(', ')', '[', ']', '{', '}', '<', '>', '*', '`', '|', '—', '–':
		return false
	}
	return true
}

func isURL(run string) bool {
	hasPrefix := func(p string) bool { return len(run) >= len(p) && strings.EqualFold(run[:len(p)], p) }
	return hasPrefix("http://") || hasPrefix("https://") || (hasPrefix("www.") && len(run) > 5) ||
		hasPrefix("mailto:")
}

func isEmail(run string) bool {
	at := strings.IndexByte(run, '@')
	if at <= 0 || at == len(run)-1 {
		return false
	}
	dot := strings.IndexByte(run[at:], '.')
	return dot > 1 && dot < len(run[at:])-1
}

func trimTrailingPunct(s string) string {
	return strings.TrimRightFunc(s, func(r rune) bool {
		return strings.ContainsRune(".,;:!?'’", r)
	})
}

// splitWords cuts a run into word and number tokens. Letters, digits and marks form words,
// with inner apostrophes and hyphens ("don't", "on-call"); digits keep inner '.', ',' and
// ':' when a digit follows ("3.5", "2,000", "14:55").
func splitWords(dst []token, text string, start, end int) []token {
	i := start
	for i < end {
		r, size := utf8.DecodeRuneInString(text[i:end])
		if r == '%' {
			dst = append(dst, token{start: i, end: i + 1, norm: "%", id: -1, kind: kindWord})
			i++
			continue
		}
		if !isWordRune(r) {
			i += size
			continue
		}
		j := i + size
		number := unicode.IsDigit(r)
		for j < end {
			r2, s2 := utf8.DecodeRuneInString(text[j:end])
			if isWordRune(r2) {
				if !unicode.IsDigit(r2) {
					number = false
				}
				j += s2
				continue
			}
			if isJoiner(r2) && j+s2 < end {
				r3, _ := utf8.DecodeRuneInString(text[j+s2 : end])
				if unicode.IsDigit(r3) && number && (r2 == '.' || r2 == ',' || r2 == ':') {
					j += s2
					continue
				}
				if isWordRune(r3) && (r2 == '\'' || r2 == '’' || r2 == '-') {
					j += s2
					continue
				}
			}
			break
		}
		if number {
			dst = append(dst, token{start: i, end: j, norm: text[i:j], id: -1, kind: kindNumber})
		} else {
			dst = appendWord(dst, text, i, j)
		}
		i = j
	}
	return dst
}

func isWordRune(r rune) bool {
	if r < utf8.RuneSelf {
		return 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9'
	}
	return unicode.IsLetter(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r)
}

func isJoiner(r rune) bool {
	return r == '\'' || r == '’' || r == '-' || r == '.' || r == ',' || r == ':'
}

// contractions maps the tail of a contraction to the word it stands for.
var contractions = map[string]string{
	"'re": "are", "'ve": "have", "'ll": "will", "'d": "would", "'m": "am",
}

// isWords are the words whose "'s" means "is" (or "us" for "let's"); after anything else
// "'s" is a possessive and stays a token of its own.
var isWords = map[string]bool{
	"it": true, "that": true, "there": true, "here": true, "what": true, "who": true,
	"where": true, "he": true, "she": true, "how": true, "this": true,
}

// appendWord appends the word text[start:end], split into two tokens when it is a
// contraction.
func appendWord(dst []token, text string, start, end int) []token {
	word := text[start:end]
	norm := normalize(word)
	if k := strings.LastIndexByte(norm, '\''); k > 0 {
		// Map the apostrophe in norm back to its byte offset in word: norm only differs
		// from word by case and by ’ (3 bytes) becoming ' (1 byte).
		cut := start + apostropheOffset(word)
		base, tail := norm[:k], norm[k:]
		switch {
		case tail == "'t" && len(base) > 1 && strings.HasSuffix(base, "n"):
			stem := base[:len(base)-1]
			switch stem {
			case "ca":
				stem = "can"
			case "wo":
				stem = "will"
			case "sha":
				stem = "shall"
			}
			cutN := cut - 1
			dst = appendToken(dst, text, start, cutN, stem)
			return appendToken(dst, text, cutN, end, "not")
		case contractions[tail] != "":
			dst = appendToken(dst, text, start, cut, base)
			return appendToken(dst, text, cut, end, contractions[tail])
		case tail == "'s" && base == "let":
			dst = appendToken(dst, text, start, cut, base)
			return appendToken(dst, text, cut, end, "us")
		case tail == "'s" && isWords[base]:
			dst = appendToken(dst, text, start, cut, base)
			return appendToken(dst, text, cut, end, "is")
		case tail == "'s":
			dst = appendToken(dst, text, start, cut, base)
			return appendToken(dst, text, cut, end, "'s")
		}
	}
	return appendToken(dst, text, start, end, norm)
}

func appendToken(dst []token, text string, start, end int, norm string) []token {
	t := token{start: start, end: end, norm: norm, id: -1, kind: kindWord}
	if r, size := utf8.DecodeRuneInString(text[start:end]); unicode.IsUpper(r) {
		t.title = end-start == size
		for _, r2 := range text[start+size : end] {
			t.title = unicode.IsLower(r2) || r2 == '\'' || r2 == '’' || r2 == '-'
			if !t.title {
				break
			}
		}
	}
	return append(dst, t)
}

// apostropheOffset returns the byte offset of the last apostrophe (' or ’) in word.
func apostropheOffset(word string) int {
	a := strings.LastIndexByte(word, '\'')
	b := strings.LastIndex(word, "’")
	return max(a, b)
}

// normalize lower-cases word and turns typographic apostrophes into ASCII ones. It does not
// allocate when word is already plain lower-case ASCII, which most words are.
func normalize(word string) string {
	plain := true
	for i := 0; i < len(word); i++ {
		c := word[i]
		if c >= utf8.RuneSelf || ('A' <= c && c <= 'Z') {
			plain = false
			break
		}
	}
	if plain {
		return word
	}
	var b strings.Builder
	b.Grow(len(word))
	for _, r := range word {
		if r == '’' {
			r = '\''
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

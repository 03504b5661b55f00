package ownership

import "strings"

// irregular lists the past tense and past participle of the irregular verbs that messages
// about mistakes use. Forms are written "past participle"; one form means both are the same.
var irregular = map[string]string{
	"be": "was were been", "become": "became become", "begin": "began begun",
	"break": "broke broken", "bring": "brought", "build": "built", "buy": "bought",
	"catch": "caught", "choose": "chose chosen", "come": "came come", "cut": "cut",
	"deal": "dealt", "do": "did done", "draw": "drew drawn", "drive": "drove driven",
	"eat": "ate eaten", "fall": "fell fallen", "feel": "felt", "find": "found",
	"fly": "flew flown", "forget": "forgot forgotten", "forgive": "forgave forgiven",
	"freeze": "froze frozen", "get": "got gotten", "give": "gave given", "go": "went gone",
	"grow": "grew grown", "have": "had", "hear": "heard", "hide": "hid hidden", "hit": "hit",
	"hold": "held", "hurt": "hurt", "keep": "kept", "know": "knew known", "lay": "laid",
	"lead": "led", "leave": "left", "lend": "lent", "let": "let", "lose": "lost",
	"make": "made", "mean": "meant", "meet": "met", "mislead": "misled", "mistake": "mistook mistaken",
	"overwrite": "overwrote overwritten", "pay": "paid", "put": "put",
	"read": "read", "rebuild": "rebuilt", "resend": "resent", "rewrite": "rewrote rewritten",
	"ring": "rang rung", "rise": "rose risen", "run": "ran run", "rerun": "reran rerun",
	"say": "said", "see": "saw seen", "sell": "sold", "send": "sent", "set": "set",
	"shake": "shook shaken", "shut": "shut", "show": "showed shown", "sink": "sank sunk",
	"speak": "spoke spoken", "spend": "spent", "split": "split",
	"spread": "spread", "stand": "stood", "steal": "stole stolen", "take": "took taken",
	"teach": "taught", "tell": "told", "think": "thought", "throw": "threw thrown",
	"undergo": "underwent undergone", "understand": "understood", "undo": "undid undone",
	"upset": "upset", "wake": "woke woken", "wear": "wore worn", "win": "won",
	"withdraw": "withdrew withdrawn", "write": "wrote written",
}

// pastForms and participles are the irregular forms by role, built from irregular.
var pastForms, participles = func() (map[string]bool, map[string]bool) {
	past, pp := map[string]bool{}, map[string]bool{}
	for _, forms := range irregular {
		f := strings.Fields(forms)
		past[f[0]] = true
		pp[f[len(f)-1]] = true
		if len(f) == 3 { // "was were been"
			past[f[1]] = true
		}
	}
	return past, pp
}()

// inflections returns a word with its regular and irregular inflections: plural or third
// person, past, participle and -ing form. Over-generation is harmless: the extra forms are
// not words.
func inflections(w string) []string {
	forms := []string{w}
	if f, ok := irregular[w]; ok {
		forms = append(forms, strings.Fields(f)...)
	}
	n := len(w)
	if n < 2 {
		return forms
	}
	last := w[n-1]
	switch {
	case last == 'y' && !isVowel(w[n-2]):
		stem := w[:n-1]
		forms = append(forms, stem+"ies", stem+"ied", w+"ing")
	case last == 'e':
		forms = append(forms, w+"s", w+"d", w[:n-1]+"ing")
	case strings.HasSuffix(w, "s") || strings.HasSuffix(w, "x") || strings.HasSuffix(w, "z") ||
		strings.HasSuffix(w, "ch") || strings.HasSuffix(w, "sh"):
		forms = append(forms, w+"es", w+"ed", w+"ing")
	default:
		forms = append(forms, w+"s", w+"ed", w+"ing")
		if n >= 3 && !isVowel(last) && isVowel(w[n-2]) && !isVowel(w[n-3]) &&
			last != 'w' && last != 'x' && last != 'y' {
			forms = append(forms, w+string(last)+"ed", w+string(last)+"ing")
		}
	}
	return forms
}

func isVowel(c byte) bool { return strings.IndexByte("aeiou", c) >= 0 }

// notPast lists common words ending in -ed that are not verbs.
var notPast = map[string]bool{
	"need": true, "bed": true, "red": true, "shed": true, "speed": true, "seed": true,
	"feed": true, "hundred": true, "indeed": true, "embed": true, "wed": true,
	"sled": true, "deed": true, "greed": true, "breed": true, "proceed": true, "succeed": true,
	"exceed": true, "weed": true,
}

// isPast reports whether w looks like a simple past tense.
func isPast(w string) bool {
	if pastForms[w] {
		return true
	}
	return len(w) > 3 && strings.HasSuffix(w, "ed") && !notPast[w]
}

// isParticiple reports whether w looks like a past participle.
func isParticiple(w string) bool {
	if participles[w] {
		return true
	}
	return len(w) > 3 && strings.HasSuffix(w, "ed") && !notPast[w]
}

// nameStop lists capitalised words that begin sentences and are not people's names.
var nameStop = map[string]bool{}

func init() {
	for _, w := range strings.Fields(`a an the this that these those it its we our us you your
	they them their he she his her i my me and but or so yet because if when while after before
	during since until as at by for from in into of on onto to with without about above across
	against along among around behind below beneath beside between beyond despite down inside
	near off out outside over past through throughout toward towards under underneath up upon
	within all any both each every few many most no none nothing some someone somebody something
	everyone everybody everything nobody one two three first second last next then there here
	now today yesterday tomorrow tonight this morning afternoon evening night also however
	although though unfortunately fortunately sadly luckily again still please thanks thank
	hi hello dear regards best sincerely yours cheers what which who whom whose why how where
	monday tuesday wednesday thursday friday saturday sunday january february march april may
	june july august september october november december not is was were be been are had has
	have do did does can could would should will shall must might may instead once later
	earlier meanwhile overall finally first root impact timeline summary background resolution
	cause detection action actions lessons what's customer customers support engineering team
	ops operations on-call oncall sre security product finance billing sales management
	leadership staff nobody`) {
		nameStop[w] = true
	}
}

// wordBits says what a vocabulary word is, worked out once when rules are compiled.
type wordBits uint8

const (
	wordPast wordBits = 1 << iota
	wordParticiple
	wordNameStop
)

// addMorphology adds the words morphology knows about (irregular verbs, -ed words that
// are not verbs, capitalised words that are not names) to v, so a token's id is enough
// to answer "is this a past tense?" without hashing it again, and returns the table of
// wordBits by id.
func (v vocabulary) addMorphology() []wordBits {
	for _, set := range []map[string]bool{pastForms, participles, notPast, nameStop} {
		for w := range set {
			if _, ok := v[w]; !ok {
				v[w] = int32(len(v))
			}
		}
	}
	bits := make([]wordBits, len(v))
	for w, id := range v {
		if isPast(w) {
			bits[id] |= wordPast
		}
		if isParticiple(w) {
			bits[id] |= wordParticiple
		}
		if nameStop[w] {
			bits[id] |= wordNameStop
		}
	}
	return bits
}

// textInfo is what matching needs to know about the whole text: its tokens, the
// checker's word table, and, worked out on first use, which words appear in lower case
// somewhere. A capitalised word that also appears in lower case ("Monitoring failed…"
// beside "our monitoring") is an ordinary word at the start of a sentence, not a name.
type textInfo struct {
	toks      []token
	words     []wordBits
	lowerByID []bool          // by vocabulary id
	lowerElse map[string]bool // words outside the vocabulary
}

func (x *textInfo) seenLower(tok *token) bool {
	if x.lowerByID == nil {
		x.lowerByID = make([]bool, len(x.words))
		for i := range x.toks {
			t := &x.toks[i]
			switch {
			case t.title || t.kind != kindWord:
			case t.id >= 0:
				x.lowerByID[t.id] = true
			default:
				if x.lowerElse == nil {
					x.lowerElse = map[string]bool{}
				}
				x.lowerElse[t.norm] = true
			}
		}
	}
	if tok.id >= 0 {
		return x.lowerByID[tok.id]
	}
	return x.lowerElse[tok.norm]
}

// wordBits returns what tok is: from the table when the word is in the vocabulary, else
// by its ending (every irregular form is in the vocabulary).
func (x *textInfo) bits(tok *token) wordBits {
	if tok.id >= 0 {
		return x.words[tok.id]
	}
	if tok.kind == kindWord && len(tok.norm) > 3 && strings.HasSuffix(tok.norm, "ed") {
		return wordPast | wordParticiple
	}
	return 0
}

// classify returns the builtin classes tok is in, worked out once per token. For #name it
// is only a candidate: whether the word is seen in lower case elsewhere is asked when a
// pattern needs it.
func (x *textInfo) classify(tok *token) builtin {
	c := bAny
	switch tok.kind {
	case kindNumber:
		c |= bNum
		if isPhonePart(tok.norm) {
			c |= bPhone
		}
	case kindURL:
		c |= bURL
	case kindEmail:
		c |= bEmail
	case kindWord:
		wb := x.bits(tok)
		if wb&wordPast != 0 {
			c |= bPast
		}
		if wb&wordParticiple != 0 {
			c |= bPP
		}
		if tok.title {
			c |= bTitle
			if wb&wordNameStop == 0 && !looksLikeNoun(tok.norm) {
				c |= bName
			}
		}
	}
	return c
}

// builtinMatch reports whether token i is in one of the classes in b.
func (m *matchState) builtinMatch(b builtin, i int) bool {
	tok := &m.toks[i]
	hit := b & tok.class
	if hit == 0 {
		return false
	}
	if hit != bName {
		return true
	}
	return !m.info.seenLower(tok)
}

// looksLikeNoun reports whether a capitalised word is more likely a common noun than a name
// ("Monitoring", "Deployment").
func looksLikeNoun(w string) bool {
	for _, suf := range []string{"ing", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ure", "ics", "ers", "ies"} {
		if strings.HasSuffix(w, suf) && len(w) > len(suf)+2 {
			return true
		}
	}
	return false
}

// isPhonePart reports whether a number looks like a group of a phone number ("0161",
// "555-0187"): three or more digits, no time, decimal or thousands separator, not a year.
func isPhonePart(n string) bool {
	if len(n) < 3 || strings.ContainsAny(n, ":.,") {
		return false
	}
	if len(n) == 4 && (strings.HasPrefix(n, "19") || strings.HasPrefix(n, "20")) {
		return false
	}
	return true
}

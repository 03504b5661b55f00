package ownership

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// A pattern is a sequence of nodes matched against the tokens of one sentence. Its source
// syntax is documented in docs/OWNERSHIP-CHECK.md; in short:
//
//	word         the word, any case ("we", "on-call", "don't" is written "do not")
//	word+        the word and its inflections ("send+" is send, sends, sent, sending)
//	pre*         any word starting with pre ("apolog*")
//	@class       any word of a class defined in a [class NAME] section
//	#num #phone #url #email #name #past #pp #title   numbers, parts of phone numbers,
//	             addresses, people's names, past tenses, past participles, capitalised words
//	_            any one token
//	a|b*|@c      any of the alternatives
//	x?           x or nothing
//	!x           zero-width: the next token is not x (or there is none)
//	~x           any one token that is not x
//	...  ...N    a gap of up to 4 (or N) tokens
//	( a b | c )  a group of alternative sequences; "( … )?" is optional
//	^ ...        (first) the match must start the sentence
type pattern struct {
	nodes    []node
	anchored bool // "^": only at the start of a sentence
}

type nodeKind uint8

const (
	nodeTest  nodeKind = iota // consumes one token that passes test
	nodeGap                   // consumes 0..max tokens
	nodeNot                   // consumes nothing; fails when the next token passes test
	nodeGroup                 // one of alts
)

type node struct {
	kind     nodeKind
	optional bool
	negate   bool // nodeTest: consume a token that fails test
	test     test
	max      int
	alts     [][]node
}

// builtin is a bit set of token classes that need code rather than a word list.
type builtin uint16

const (
	bNum builtin = 1 << iota
	bURL
	bEmail
	bName
	bPast
	bPP
	bTitle
	bPhone
	bAny
)

var builtins = map[string]builtin{
	"#num": bNum, "#url": bURL, "#email": bEmail, "#name": bName,
	"#past": bPast, "#pp": bPP, "#title": bTitle, "#phone": bPhone,
}

// test says whether one token fits: a word in words, a word starting with a prefix, or a
// token of a builtin class.
type test struct {
	words map[string]bool
	// The words as vocabulary ids, built by finalize: a few inline, or a bit set shared by
	// every test with the same words (a class used in many patterns is one set), which
	// keeps the tables small enough to stay in the cache.
	few      [smallSet]int32
	nfew     int
	bits     []uint64
	prefixes []string
	builtins builtin
}

// smallSet is how many words a test keeps inline before it uses a bit set.
const smallSet = 6

// literal reports whether the test accepts only words listed in words, so the pattern can
// be indexed by them.
func (t *test) literal() bool { return len(t.prefixes) == 0 && t.builtins == 0 }

func (t *test) match(m *matchState, i int) bool {
	tok := &m.toks[i]
	if id := tok.id; id >= 0 {
		for _, w := range t.few[:t.nfew] {
			if w == id {
				return true
			}
		}
		if int(id>>6) < len(t.bits) && t.bits[id>>6]&(1<<(id&63)) != 0 {
			return true
		}
	}
	for _, p := range t.prefixes {
		if tok.kind == kindWord && strings.HasPrefix(tok.norm, p) {
			return true
		}
	}
	return t.builtins&tok.class != 0 && m.builtinMatch(t.builtins, i)
}

// compilePattern parses src; classes resolves @names.
func compilePattern(src string, classes map[string]*test) (*pattern, error) {
	fields := strings.Fields(parenSpacer.Replace(src))
	anchored := len(fields) > 0 && fields[0] == "^"
	if anchored {
		fields = fields[1:]
	}
	nodes, rest, err := parseSeq(fields, classes, false)
	if err != nil {
		return nil, err
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("unexpected %q", rest[0])
	}
	if len(nodes) == 0 {
		return nil, fmt.Errorf("empty pattern")
	}
	if !startsWithToken(nodes) {
		return nil, fmt.Errorf("a pattern must start with a word, not with an optional part, a gap or '!'")
	}
	return &pattern{nodes: nodes, anchored: anchored}, nil
}

// parenSpacer lets a group be written "(a b | c)" as well as "( a b | c )".
var parenSpacer = strings.NewReplacer("(", " ( ", ")?", " )? ", ")", " ) ")

// parseSeq parses fields up to the end, or up to "|" or ")" when inGroup.
func parseSeq(fields []string, classes map[string]*test, inGroup bool) ([]node, []string, error) {
	var nodes []node
	for len(fields) > 0 {
		f := fields[0]
		if inGroup && (f == "|" || strings.HasPrefix(f, ")")) {
			return nodes, fields, nil
		}
		fields = fields[1:]
		switch {
		case f == "(":
			var g node
			g.kind = nodeGroup
			for {
				alt, rest, err := parseSeq(fields, classes, true)
				if err != nil {
					return nil, nil, err
				}
				if len(alt) == 0 {
					return nil, nil, fmt.Errorf("empty alternative in group")
				}
				g.alts = append(g.alts, alt)
				if len(rest) == 0 {
					return nil, nil, fmt.Errorf("group not closed with ')'")
				}
				fields = rest[1:]
				if rest[0] == "|" {
					continue
				}
				switch rest[0] {
				case ")":
				case ")?":
					g.optional = true
				default:
					return nil, nil, fmt.Errorf("unexpected %q after group", rest[0])
				}
				break
			}
			nodes = append(nodes, g)
		case strings.HasPrefix(f, "..."):
			n := 4
			if f != "..." {
				v, err := strconv.Atoi(f[3:])
				if err != nil || v < 1 || v > 20 {
					return nil, nil, fmt.Errorf("gap %q: want ... or ...N with N from 1 to 20", f)
				}
				n = v
			}
			nodes = append(nodes, node{kind: nodeGap, max: n})
		case f == "|" || strings.HasPrefix(f, ")"):
			return nil, nil, fmt.Errorf("unexpected %q outside a group", f)
		default:
			var n node
			switch {
			case strings.HasPrefix(f, "!"):
				n.kind = nodeNot
				f = f[1:]
			case strings.HasPrefix(f, "~"):
				n.negate = true
				f = f[1:]
			}
			if len(f) > 1 && strings.HasSuffix(f, "?") {
				if n.kind == nodeNot {
					return nil, nil, fmt.Errorf("%q: '!' and '?' do not combine", f)
				}
				n.optional = true
				f = f[:len(f)-1]
			}
			t, err := parseTest(f, classes)
			if err != nil {
				return nil, nil, err
			}
			n.test = t
			nodes = append(nodes, n)
		}
	}
	return nodes, nil, nil
}

// parseTest parses one field of alternatives such as "sorry|apolog*|@regret".
func parseTest(f string, classes map[string]*test) (test, error) {
	t := test{words: map[string]bool{}}
	for _, alt := range strings.Split(f, "|") {
		if err := t.add(alt, classes); err != nil {
			return test{}, err
		}
	}
	return t, nil
}

// add adds one alternative to t.
func (t *test) add(alt string, classes map[string]*test) error {
	switch {
	case alt == "":
		return fmt.Errorf("empty alternative")
	case alt == "_":
		t.builtins |= bAny
	case alt[0] == '#':
		b, ok := builtins[alt]
		if !ok {
			return fmt.Errorf("unknown builtin %q (want #num, #phone, #url, #email, #name, #past, #pp or #title)", alt)
		}
		t.builtins |= b
	case alt[0] == '@':
		c, ok := classes[alt[1:]]
		if !ok {
			return fmt.Errorf("unknown class %q", alt)
		}
		t.merge(c)
	case strings.HasSuffix(alt, "*") && len(alt) > 1:
		t.prefixes = append(t.prefixes, normalize(alt[:len(alt)-1]))
	case strings.HasSuffix(alt, "+") && len(alt) > 1:
		for _, w := range inflections(normalize(alt[:len(alt)-1])) {
			t.words[w] = true
		}
	default:
		if strings.ContainsAny(alt, "()?!*+~") {
			return fmt.Errorf("%q: misplaced operator", alt)
		}
		if strings.ContainsAny(alt, "'’") && alt != "'s" {
			return fmt.Errorf("%q: words with an apostrophe are read as two: write \"do not\" for \"don't\", \"anyone 's\" for \"anyone's\"", alt)
		}
		t.words[normalize(alt)] = true
	}
	return nil
}

func (t *test) merge(o *test) {
	if t.words == nil {
		t.words = map[string]bool{}
	}
	for w := range o.words {
		t.words[w] = true
	}
	t.prefixes = append(t.prefixes, o.prefixes...)
	t.builtins |= o.builtins
}

// startsWithToken reports whether every way through nodes consumes a token first, so a
// match's first token is always where matching started.
func startsWithToken(nodes []node) bool {
	if len(nodes) == 0 {
		return false
	}
	n := nodes[0]
	switch {
	case n.optional || n.kind == nodeGap || n.kind == nodeNot:
		return false
	case n.kind == nodeGroup:
		for _, a := range n.alts {
			if !startsWithToken(a) {
				return false
			}
		}
	}
	return true
}

// firstWords returns the words a match can start with, or false when it can start with a
// token no word list describes (a prefix or a builtin).
func firstWords(nodes []node, into map[string]bool) bool {
	n := nodes[0]
	if n.kind == nodeGroup {
		for _, a := range n.alts {
			if !firstWords(a, into) {
				return false
			}
		}
		return true
	}
	if !n.test.literal() || n.negate {
		return false
	}
	for w := range n.test.words {
		into[w] = true
	}
	return true
}

// matchState is the input of one sentence's matching.
type matchState struct {
	toks []token // the sentence's tokens
	info *textInfo
}

// match tries p at token i and returns the index after the last token of the match.
func (p *pattern) match(m *matchState, i int) (int, bool) {
	if p.anchored && i != 0 {
		return 0, false
	}
	return m.seq(p.nodes, 0, i, nil)
}

// cont is what remains to match after a group's alternative: a linked stack that lives
// on the Go stack, so matching does not allocate.
type cont struct {
	nodes []node
	k     int
	next  *cont
}

func (m *matchState) seq(nodes []node, k, i int, next *cont) (int, bool) {
	if k == len(nodes) {
		if next == nil {
			return i, true
		}
		return m.seq(next.nodes, next.k, i, next.next)
	}
	n := &nodes[k]
	switch n.kind {
	case nodeTest:
		if i < len(m.toks) && n.test.match(m, i) != n.negate {
			if end, ok := m.seq(nodes, k+1, i+1, next); ok {
				return end, true
			}
		}
		if n.optional {
			return m.seq(nodes, k+1, i, next)
		}
		return 0, false
	case nodeNot:
		if i < len(m.toks) && n.test.match(m, i) {
			return 0, false
		}
		return m.seq(nodes, k+1, i, next)
	case nodeGap:
		for g := 0; g <= n.max && i+g <= len(m.toks); g++ {
			if end, ok := m.seq(nodes, k+1, i+g, next); ok {
				return end, true
			}
		}
		return 0, false
	default: // nodeGroup
		c := cont{nodes: nodes, k: k + 1, next: next}
		for _, alt := range n.alts {
			if end, ok := m.seq(alt, 0, i, &c); ok {
				return end, true
			}
		}
		if n.optional {
			return m.seq(nodes, k+1, i, next)
		}
		return 0, false
	}
}

// vocabulary numbers every word the rules mention, so a token is looked up once and each
// test is a bit-set probe instead of a string hash.
type vocabulary map[string]int32

// collect adds the words of every test in nodes to v.
func (v vocabulary) collect(nodes []node) {
	for i := range nodes {
		n := &nodes[i]
		for w := range n.test.words {
			if _, ok := v[w]; !ok {
				v[w] = int32(len(v))
			}
		}
		for _, alt := range n.alts {
			v.collect(alt)
		}
	}
}

// finalize builds the id sets of every test in nodes; v must hold all their words, and
// shared keeps one bit set per distinct set of words.
func (v vocabulary) finalize(nodes []node, shared map[string][]uint64) {
	for i := range nodes {
		n := &nodes[i]
		if len(n.test.words) > 0 && n.test.nfew == 0 && n.test.bits == nil {
			ids := make([]int32, 0, len(n.test.words))
			for w := range n.test.words {
				ids = append(ids, v[w])
			}
			slices.Sort(ids)
			if len(ids) <= smallSet {
				n.test.nfew = copy(n.test.few[:], ids)
			} else {
				key := fmt.Sprint(ids)
				bits, ok := shared[key]
				if !ok {
					bits = make([]uint64, (len(v)+63)/64)
					for _, id := range ids {
						bits[id>>6] |= 1 << (id & 63)
					}
					shared[key] = bits
				}
				n.test.bits = bits
			}
		}
		for _, alt := range n.alts {
			v.finalize(alt, shared)
		}
	}
}

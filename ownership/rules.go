package ownership

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Rules is a parsed rules file: word classes and rules, not yet compiled. The embedded
// default rules are one; an organisation adds its own with LoadRules and New. The format is
// documented in docs/OWNERSHIP-CHECK.md.
type Rules struct {
	classes []classDef
	rules   []ruleDef
}

type classDef struct {
	name string
	alts []string
	line int
}

type ruleDef struct {
	name, mode, element, kind, message, suggest string
	match, unless                               []source
	unlessRule, ifRule                          []source
	near                                        int
	disabled                                    bool
	line                                        int
}

// nearAll makes a rule's unless patterns look at the whole text.
const nearAll = 1 << 20

// source is one pattern and the line it came from, for error messages.
type source struct {
	text string
	line int
}

// Rule kinds.
const (
	kindFlag     = "flag"     // each match is a finding and breaks the element
	kindEvidence = "evidence" // a match shows the element is present
	kindAllow    = "allow"    // approved wording: no finding is reported inside a match
)

// LoadRules parses a rules file. Errors name the line. Patterns are checked against the
// embedded default classes and the file's own, so a file that loads also compiles.
func LoadRules(r io.Reader) (*Rules, error) {
	rs, err := parseRules(r)
	if err != nil {
		return nil, err
	}
	if _, _, err := compile(defaultRules(), rs); err != nil {
		return nil, err
	}
	return rs, nil
}

func parseRules(r io.Reader) (*Rules, error) {
	rs := &Rules{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	var class *classDef
	var rule *ruleDef
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") {
				return nil, fmt.Errorf("line %d: section header %q is not closed with ']'", n, line)
			}
			f := strings.Fields(line[1 : len(line)-1])
			if len(f) != 2 || !validName(f[1]) {
				return nil, fmt.Errorf("line %d: want [class NAME] or [rule NAME] with NAME of a-z, 0-9, '-' and '_', got %q", n, line)
			}
			class, rule = nil, nil
			switch f[0] {
			case "class":
				rs.classes = append(rs.classes, classDef{name: f[1], line: n})
				class = &rs.classes[len(rs.classes)-1]
			case "rule":
				rs.rules = append(rs.rules, ruleDef{name: f[1], mode: string(Customer), line: n})
				rule = &rs.rules[len(rs.rules)-1]
			default:
				return nil, fmt.Errorf("line %d: unknown section %q: want class or rule", n, f[0])
			}
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok {
			return nil, fmt.Errorf("line %d: want \"key: value\", got %q", n, line)
		}
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		var err error
		switch {
		case class != nil:
			if key != "words" {
				return nil, fmt.Errorf("line %d: a class has only \"words:\" lines, got %q", n, key)
			}
			class.alts = append(class.alts, strings.Fields(value)...)
		case rule != nil:
			err = rule.set(key, value, n)
		default:
			return nil, fmt.Errorf("line %d: %q before any [class] or [rule] section", n, key)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: rule %s: %w", n, rule.name, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("line %d: %w", n+1, err)
	}
	for i := range rs.rules {
		if err := rs.rules[i].validate(); err != nil {
			return nil, fmt.Errorf("line %d: rule %s: %w", rs.rules[i].line, rs.rules[i].name, err)
		}
	}
	return rs, nil
}

func (d *ruleDef) set(key, value string, line int) error {
	switch key {
	case "mode":
		if value != "any" {
			if _, err := ParseMode(value); err != nil || value == "" {
				return fmt.Errorf("mode %q: want customer, blameless or any", value)
			}
		}
		d.mode = value
	case "element":
		d.element = value
	case "kind":
		if value != kindFlag && value != kindEvidence && value != kindAllow {
			return fmt.Errorf("kind %q: want flag, evidence or allow", value)
		}
		d.kind = value
	case "message":
		d.message = value
	case "suggest":
		d.suggest = value
	case "match":
		d.match = append(d.match, source{value, line})
	case "unless":
		d.unless = append(d.unless, source{value, line})
	case "unless-rule":
		if !validName(value) {
			return fmt.Errorf("unless-rule %q: want a rule name", value)
		}
		d.unlessRule = append(d.unlessRule, source{value, line})
	case "if-rule":
		if !validName(value) {
			return fmt.Errorf("if-rule %q: want a rule name", value)
		}
		d.ifRule = append(d.ifRule, source{value, line})
	case "near":
		if value == "all" {
			d.near = nearAll
			break
		}
		v, err := strconv.Atoi(value)
		if err != nil || v < 0 || v > 3 {
			return fmt.Errorf("near %q: want 0 to 3 sentences, or all", value)
		}
		d.near = v
	case "disabled":
		v, err := strconv.ParseBool(value)
		if err != nil {
			return fmt.Errorf("disabled %q: want true or false", value)
		}
		d.disabled = v
	default:
		return fmt.Errorf("unknown key %q (want mode, element, kind, message, suggest, match, unless, unless-rule, if-rule, near or disabled)", key)
	}
	return nil
}

func (d *ruleDef) validate() error {
	if d.disabled {
		return nil
	}
	if d.kind == "" {
		return fmt.Errorf("missing \"kind:\"")
	}
	if len(d.match) == 0 {
		return fmt.Errorf("no \"match:\" lines")
	}
	if d.kind == kindAllow {
		return nil
	}
	for _, m := range modesOf(d.mode) {
		if elementIndex(m, d.element) < 0 {
			return fmt.Errorf("element %q is not an element of %s mode (want one of %s)",
				d.element, m, strings.Join(elementNames(m), ", "))
		}
	}
	if d.kind == kindFlag && (d.message == "" || d.suggest == "") {
		return fmt.Errorf("a flag needs \"message:\" and \"suggest:\"")
	}
	return nil
}

func modesOf(mode string) []Mode {
	if mode == "any" {
		return []Mode{Customer, Blameless}
	}
	return []Mode{Mode(mode)}
}

func validName(s string) bool {
	for _, c := range s {
		if !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return s != ""
}

// compiled is a rule ready to match.
type compiled struct {
	name, element, kind, message, suggest string
	elem                                  int // index of element in its mode
	patterns, unless                      []*pattern
	unlessRules, ifRules                  []int // ids of rules whose matches veto or allow
	id                                    int   // position in its mode's rules
	unconditional                         bool  // no unless, no if, and no rule refers to it
	near                                  int
	needIf                                bool // has if-rules: a match counts only near one of ifs
	order                                 int  // position in the merged rule list, for stable output
}

// modeRules is every compiled rule of one mode, indexed by the words a match can start with.
type modeRules struct {
	rules   []*compiled
	index   map[string][]patRef
	byID    [][]patRef // index by vocabulary id, built by finalize
	generic []patRef   // patterns that can start with a token no word list describes
}

type patRef struct {
	rule *compiled
	pat  *pattern
	// Copies of the rule's fields the first pass reads for every candidate, kept here so
	// it does not follow the rule pointer for the many it skips.
	evidence bool
	uncond   bool  // the rule's unconditional
	elem     int32 // the rule's element
	id       int32
	// first and second are the tests the first two tokens of any match must pass, when
	// the pattern starts with two plain tests; checking them first skips most tries.
	first, second *test
}

// compile merges rule sets in order (a later class adds to an earlier one of the same name;
// a later rule replaces an earlier one of the same name) and compiles them per mode.
func compile(sets ...*Rules) (map[Mode]*modeRules, vocabulary, error) {
	classes := map[string]*test{}
	var defs []ruleDef
	pos := map[string]int{}
	for _, rs := range sets {
		if rs == nil {
			continue
		}
		for _, c := range rs.classes {
			t := classes[c.name]
			if t == nil {
				t = &test{words: map[string]bool{}}
				classes[c.name] = t
			}
			for _, alt := range c.alts {
				if err := t.add(alt, classes); err != nil {
					return nil, nil, fmt.Errorf("line %d: class %s: %w", c.line, c.name, err)
				}
			}
		}
		for _, d := range rs.rules {
			if i, ok := pos[d.name]; ok {
				defs[i] = d
				continue
			}
			pos[d.name] = len(defs)
			defs = append(defs, d)
		}
	}
	out := map[Mode]*modeRules{
		Customer:  {index: map[string][]patRef{}},
		Blameless: {index: map[string][]patRef{}},
	}
	byName := map[Mode]map[string]*compiled{Customer: {}, Blameless: {}}
	disabled := map[string]bool{}
	for order, d := range defs {
		if d.disabled {
			disabled[d.name] = true
			continue
		}
		for _, m := range modesOf(d.mode) {
			c := &compiled{name: d.name, element: d.element, kind: d.kind, message: d.message,
				suggest: d.suggest, elem: elementIndex(m, d.element), near: d.near, order: order}
			for _, s := range d.match {
				p, err := compilePattern(s.text, classes)
				if err != nil {
					return nil, nil, fmt.Errorf("line %d: rule %s: match %q: %w", s.line, d.name, s.text, err)
				}
				c.patterns = append(c.patterns, p)
			}
			for _, s := range d.unless {
				p, err := compilePattern(s.text, classes)
				if err != nil {
					return nil, nil, fmt.Errorf("line %d: rule %s: unless %q: %w", s.line, d.name, s.text, err)
				}
				c.unless = append(c.unless, p)
			}
			c.id = len(out[m].rules)
			c.unconditional = len(c.unless) == 0 && len(d.unlessRule) == 0 && len(d.ifRule) == 0
			out[m].add(c)
			byName[m][d.name] = c
		}
	}
	// unless-rule borrows another rule's patterns, once every rule is compiled.
	for _, d := range defs {
		if d.disabled {
			continue
		}
		for _, m := range modesOf(d.mode) {
			c := byName[m][d.name]
			for _, s := range d.unlessRule {
				o, ok := byName[m][s.text]
				if !ok && disabled[s.text] {
					continue // turned off by an organisation: it vetoes nothing
				}
				if !ok {
					return nil, nil, fmt.Errorf("line %d: rule %s: unless-rule %q: no such rule in %s mode", s.line, d.name, s.text, m)
				}
				c.unlessRules = append(c.unlessRules, o.id)
				o.unconditional = false
			}
			for _, s := range d.ifRule {
				c.needIf = true
				o, ok := byName[m][s.text]
				if !ok && disabled[s.text] {
					continue // turned off by an organisation: the condition is never met
				}
				if !ok {
					return nil, nil, fmt.Errorf("line %d: rule %s: if-rule %q: no such rule in %s mode", s.line, d.name, s.text, m)
				}
				c.ifRules = append(c.ifRules, o.id)
				o.unconditional = false
			}
		}
	}
	for _, mr := range out {
		for i := range mr.generic {
			mr.generic[i].uncond = mr.generic[i].rule.unconditional
		}
		for w, refs := range mr.index {
			for i := range refs {
				refs[i].uncond = refs[i].rule.unconditional
			}
			mr.index[w] = refs
		}
	}
	vocab := vocabulary{}
	for _, mr := range out {
		for _, c := range mr.rules {
			for _, p := range append(c.patterns, c.unless...) {
				vocab.collect(p.nodes)
			}
		}
	}
	shared := map[string][]uint64{}
	for _, mr := range out {
		for _, c := range mr.rules {
			for _, p := range append(c.patterns, c.unless...) {
				vocab.finalize(p.nodes, shared)
			}
		}
		mr.byID = make([][]patRef, len(vocab))
		for w, refs := range mr.index {
			mr.byID[vocab[w]] = refs
		}
	}
	return out, vocab, nil
}

func (mr *modeRules) add(c *compiled) {
	mr.rules = append(mr.rules, c)
	for _, p := range c.patterns {
		ref := patRef{rule: c, pat: p, evidence: c.kind == kindEvidence, id: int32(c.id), elem: int32(c.elem)}
		if n := p.nodes; n[0].kind == nodeTest && !n[0].optional && !n[0].negate {
			ref.first = &n[0].test
			if len(n) > 1 && n[1].kind == nodeTest && !n[1].optional && !n[1].negate {
				ref.second = &n[1].test
			}
		}
		words := map[string]bool{}
		if !firstWords(p.nodes, words) {
			mr.generic = append(mr.generic, ref)
			continue
		}
		ref.first = nil // the index has checked the first token already
		for w := range words {
			mr.index[w] = append(mr.index[w], ref)
		}
	}
}

package ownership

import (
	"math"
	"slices"
	"sort"
	"strings"
	"sync"
)

// hit is one match of a rule in a sentence, as token indexes.
type hit struct {
	rule       *compiled
	sent       int
	start, end int // token indexes, end exclusive
}

// Check reads text in mode (an unknown mode is read as Customer) and reports.
func (c *Checker) Check(text string, mode Mode) Report { return c.check(text, mode, nil) }

// check is Check with an optional trace of every match that counted, for the dev-set
// test's explanations. It reads in two passes: the first finds every match of every rule
// in every sentence; the second keeps the matches whose unless and if conditions hold,
// which may look at the sentences on either side.
func (c *Checker) check(text string, mode Mode, trace func(rule string, start, end int)) Report {
	if mode != Blameless {
		mode = Customer
	}
	mr := c.modes[mode]
	specs := modeElements[mode]

	sc := scratchPool.Get().(*scratch)
	defer sc.put()
	sents := splitSentences(sc.sents[:0], text)
	toks := sc.toks[:0]
	bounds := slices.Grow(sc.bounds[:0], len(sents))[:len(sents)] // token range of each sentence
	defer func() { sc.sents, sc.toks, sc.bounds = sents, toks, bounds }()
	for i, s := range sents {
		bounds[i].start = len(toks)
		toks = tokenize(toks, text, s.start, s.end)
		bounds[i].end = len(toks)
	}
	info := &textInfo{toks: toks, words: c.words}
	for i := range toks {
		if id, ok := c.vocab[toks[i].norm]; ok {
			toks[i].id = id
		}
		toks[i].class = info.classify(&toks[i])
	}

	// Pass 1: raw matches. seen[sentence*len(rules)+rule] records that a rule matched in
	// a sentence, which is what another rule's unless-rule and if-rule ask.
	evidence := make([]bool, len(specs))
	seen := slices.Grow(sc.seen[:0], len(bounds)*len(mr.rules))[:len(bounds)*len(mr.rules)]
	clear(seen)
	raw := sc.raw[:0]
	defer func() { sc.seen, sc.raw = seen, raw }()
	for si, b := range bounds {
		m := matchState{toks: toks[b.start:b.end], info: info}
		for i := range m.toks {
			try := func(refs []patRef) {
				for _, ref := range refs {
					if ref.evidence && trace == nil &&
						(seen[si*len(mr.rules)+int(ref.id)] || ref.uncond && evidence[ref.elem]) {
						// The element is already known to be present, or this rule already
						// matched in this sentence, and whether that match counts depends on
						// the sentence, not on where in it.
						continue
					}
					r := ref.rule
					if ref.second != nil && (i+1 >= len(m.toks) || !ref.second.match(&m, i+1)) ||
						ref.first != nil && !ref.first.match(&m, i) {
						continue
					}
					end, ok := ref.pat.match(&m, i)
					if !ok {
						continue
					}
					seen[si*len(mr.rules)+r.id] = true
					if r.unconditional && r.kind == kindEvidence {
						evidence[r.elem] = true
					}
					raw = append(raw, hit{rule: r, sent: si, start: b.start + i, end: b.start + end})
				}
			}
			if id := m.toks[i].id; id >= 0 && int(id) < len(mr.byID) {
				try(mr.byID[id])
			}
			try(mr.generic)
		}
	}

	// Pass 2: conditions.
	var flags, allows []hit
	var memo nearMemo
	for _, h := range raw {
		r := h.rule
		if !r.unconditional && r.kind != kindAllow {
			if memo.nearby(h, bounds, toks, info) || seenNear(seen, len(mr.rules), h, r.unlessRules) ||
				r.needIf && !seenNear(seen, len(mr.rules), h, r.ifRules) {
				continue
			}
		}
		if trace != nil {
			trace(r.name, toks[h.start].start, toks[h.end-1].end)
		}
		switch r.kind {
		case kindEvidence:
			evidence[r.elem] = true
		case kindFlag:
			flags = append(flags, h)
		case kindAllow:
			allows = append(allows, h)
		}
	}
	return c.report(text, mode, toks, evidence, flags, allows)
}

// scratch holds the buffers of one check, reused through scratchPool so that checking a
// long message does not leave the garbage collector a copy of its tokens each time.
type scratch struct {
	sents, bounds []span
	toks          []token
	seen          []bool
	raw           []hit
}

var scratchPool = sync.Pool{New: func() any { return new(scratch) }}

// maxPooled is the most tokens a pooled buffer keeps; a huge text's buffers go to the
// garbage collector instead of staying in the pool.
const maxPooled = 1 << 16

func (sc *scratch) put() {
	if cap(sc.toks) > maxPooled {
		return
	}
	clear(sc.toks[:cap(sc.toks)]) // drop references to the text
	clear(sc.raw[:cap(sc.raw)])
	scratchPool.Put(sc)
}

// report turns the kept matches into findings, elements, a score and a verdict.
func (c *Checker) report(text string, mode Mode, toks []token, evidence []bool, flags, allows []hit) Report {
	specs := modeElements[mode]
	flagged := make([]bool, len(specs))
	findings := make([]Finding, 0, len(flags)+4)
	for _, h := range dedupe(flags, len(specs)) {
		s, e := toks[h.start].start, toks[h.end-1].end
		if allowed(allows, toks, s, e) {
			continue
		}
		flagged[h.rule.elem] = true
		findings = append(findings, Finding{Rule: h.rule.name, Element: h.rule.element,
			Start: s, End: e, Text: text[s:e], Message: h.rule.message, Suggestion: h.rule.suggest})
	}
	broken := len(findings)

	r := Report{Mode: mode, Elements: make(Elements, len(specs))}
	total := 0
	for i, spec := range specs {
		present := !flagged[i] || !spec.flagsBreak
		if spec.evidence && !evidence[i] {
			present = false
			at := 0
			if spec.atEnd {
				_, at = trimSpan(text, 0, len(text))
			}
			findings = append(findings, Finding{Rule: "missing-" + strings.ReplaceAll(spec.name, "_", "-"),
				Element: spec.name, Start: at, End: at, Message: spec.missing, Suggestion: spec.suggest})
		}
		r.Elements[i] = Element{Name: spec.name, Present: present}
		if present {
			total += spec.weight
		}
	}
	// Each finding in the text costs two points, up to ten: a message can have every
	// element and still read worse for a "minor" here and an "any inconvenience" there.
	r.Score = int(math.Round(float64(total) - 2*math.Min(float64(broken), 5)))
	r.Score = max(0, min(100, r.Score))
	r.Owns = verdict(mode, r.Elements)
	sort.SliceStable(findings, func(i, j int) bool {
		a, b := findings[i], findings[j]
		if a.Start != b.Start {
			return a.Start < b.Start
		}
		if a.End != b.End {
			return a.End < b.End
		}
		return a.Rule < b.Rule
	})
	r.Findings = findings
	return r
}

// seenNear reports whether one of rules matched in h's sentence or within h.rule.near
// sentences of it.
func seenNear(seen []bool, nrules int, h hit, rules []int) bool {
	if len(rules) == 0 {
		return false
	}
	sents := len(seen) / nrules
	for s := max(0, h.sent-h.rule.near); s <= min(sents-1, h.sent+h.rule.near); s++ {
		for _, id := range rules {
			if seen[s*nrules+id] {
				return true
			}
		}
	}
	return false
}

// nearMemo remembers, per rule and sentence, whether the rule's own unless patterns
// matched nearby, so a long sentence full of matches is scanned once per rule.
type nearMemo map[nearKey]bool

type nearKey struct {
	rule *compiled
	sent int
}

// nearby reports whether one of h's rule's unless patterns matches in h's sentence or
// within h.rule.near sentences of it.
func (memo *nearMemo) nearby(h hit, bounds []span, toks []token, info *textInfo) bool {
	pats := h.rule.unless
	if len(pats) == 0 {
		return false
	}
	key := nearKey{h.rule, h.sent}
	if v, ok := (*memo)[key]; ok {
		return v
	}
	if *memo == nil {
		*memo = nearMemo{}
	}
	v := false
	lo, hi := max(0, h.sent-h.rule.near), min(len(bounds)-1, h.sent+h.rule.near)
	for s := lo; s <= hi && !v; s++ {
		m := matchState{toks: toks[bounds[s].start:bounds[s].end], info: info}
		for i := range m.toks {
			if matchAny(pats, &m, i) {
				v = true
				break
			}
		}
	}
	(*memo)[key] = v
	return v
}

func matchAny(pats []*pattern, m *matchState, i int) bool {
	for _, p := range pats {
		if _, ok := p.match(m, i); ok {
			return true
		}
	}
	return false
}

// dedupe drops flags that overlap an earlier flag of the same element, keeping the first
// (and, at the same start, the longest) so one phrase yields one finding.
func dedupe(hs []hit, elements int) []hit {
	slices.SortStableFunc(hs, func(a, b hit) int {
		if a.start != b.start {
			return a.start - b.start
		}
		if a.end != b.end {
			return b.end - a.end
		}
		return a.rule.order - b.rule.order
	})
	// Sorted by start, a flag overlaps a kept one of its element exactly when it starts
	// before the furthest end kept so far for that element.
	reach := make([]int, elements)
	out := hs[:0]
	for _, h := range hs {
		if h.start < reach[h.rule.elem] {
			continue
		}
		reach[h.rule.elem] = h.end
		out = append(out, h)
	}
	return out
}

// allowed reports whether the byte span [s, e) lies inside approved wording.
func allowed(allows []hit, toks []token, s, e int) bool {
	for _, a := range allows {
		if toks[a.start].start <= s && e <= toks[a.end-1].end {
			return true
		}
	}
	return false
}

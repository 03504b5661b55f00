// Package ownership is the ownership check: it reads a message the way a customer hurt by a
// mistake reads it, and says, sentence by sentence, where the message fails to own the
// mistake and how to say it better. In blameless mode it reads an internal postmortem for
// the opposite fault: blame on individuals.
//
// The check is pure Go, deterministic and offline. Its vocabulary is data: rules files in
// a small line-based format (docs/OWNERSHIP-CHECK.md), embedded defaults plus an
// organisation's own.
package ownership

import (
	"embed"
	"fmt"
	"io/fs"
)

// Mode selects what the check looks for.
type Mode string

// The two modes.
const (
	Customer  Mode = "customer"  // a customer-facing message must own the mistake
	Blameless Mode = "blameless" // an internal postmortem must not blame individuals
)

// ParseMode returns the mode named s; "" means Customer.
func ParseMode(s string) (Mode, error) {
	switch Mode(s) {
	case "", Customer:
		return Customer, nil
	case Blameless:
		return Blameless, nil
	}
	return "", fmt.Errorf("unknown mode %q: want customer or blameless", s)
}

// Finding is one place where the text breaks an element, or, with an empty span, an
// element that is missing altogether. Start and End are byte offsets into the text, on
// UTF-8 boundaries, and Text is exactly text[Start:End].
type Finding struct {
	Rule       string `json:"rule"`
	Element    string `json:"element"`
	Start      int    `json:"start"`
	End        int    `json:"end"`
	Text       string `json:"text"`
	Message    string `json:"message"`
	Suggestion string `json:"suggestion"`
}

// Report is the result of one check. Findings is never nil, so it encodes as [].
type Report struct {
	Mode     Mode      `json:"mode"`
	Owns     bool      `json:"owns"`
	Score    int       `json:"score"`
	Elements Elements  `json:"elements"`
	Findings []Finding `json:"findings"`
}

//go:embed rules/*.rules
var rulesFS embed.FS

// defaultSet is the parsed embedded rules; a parse error is a bug caught by the tests.
var defaultSet, defaultErr = func() (*Rules, error) {
	names, err := fs.Glob(rulesFS, "rules/*.rules")
	if err != nil {
		return nil, err
	}
	all := &Rules{}
	for _, name := range names {
		f, err := rulesFS.Open(name)
		if err != nil {
			return nil, err
		}
		rs, err := parseRules(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		all.classes = append(all.classes, rs.classes...)
		all.rules = append(all.rules, rs.rules...)
	}
	return all, nil
}()

func defaultRules() *Rules { return defaultSet }

// Checker checks texts against compiled rules. It is immutable after New, so one Checker
// is safe for concurrent use.
type Checker struct {
	modes map[Mode]*modeRules
	vocab vocabulary
	words []wordBits // by vocabulary id
}

// New compiles the embedded default rules followed by extra, an organisation's rules: a
// class of the same name adds words, a rule of the same name replaces the default one
// (or turns it off with "disabled: true").
func New(extra ...*Rules) (*Checker, error) {
	if defaultErr != nil {
		return nil, fmt.Errorf("ownership: default rules: %w", defaultErr)
	}
	modes, vocab, err := compile(append([]*Rules{defaultSet}, extra...)...)
	if err != nil {
		return nil, fmt.Errorf("ownership: %w", err)
	}
	return &Checker{modes: modes, vocab: vocab, words: vocab.addMorphology()}, nil
}

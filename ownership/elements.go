package ownership

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Element is one thing a careful reader looks for, and whether the message has it.
type Element struct {
	Name    string
	Present bool
}

// Elements are the elements of one mode, in the documented order. They marshal as a JSON
// object, {"acknowledgement":true,...}, keeping that order.
type Elements []Element

// Get returns whether the element called name is present, and whether the mode has it.
func (es Elements) Get(name string) (present, ok bool) {
	for _, e := range es {
		if e.Name == name {
			return e.Present, true
		}
	}
	return false, false
}

// MarshalJSON writes the elements as one object with the names in order.
func (es Elements) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, e := range es {
		if i > 0 {
			b.WriteByte(',')
		}
		name, _ := json.Marshal(e.Name)
		b.Write(name)
		if e.Present {
			b.WriteString(":true")
		} else {
			b.WriteString(":false")
		}
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON reads an object of booleans, keeping the order in which names appear.
func (es *Elements) UnmarshalJSON(data []byte) error {
	if string(bytes.TrimSpace(data)) == "null" {
		*es = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("elements: want a JSON object")
	}
	out := Elements{}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return fmt.Errorf("elements: %w", err)
		}
		name, _ := t.(string)
		var v bool
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("elements: %s: %w", name, err)
		}
		out = append(out, Element{Name: name, Present: v})
	}
	*es = out
	return nil
}

// elementSpec says how an element is decided. An element that needs evidence is present
// when an evidence rule matched (and, if flagsBreak, no flag fired); any other element is
// present unless a flag fired.
type elementSpec struct {
	name       string
	weight     int  // share of the score; the weights of a mode add up to 100
	evidence   bool // needs an evidence match to be present
	flagsBreak bool // a flag makes it absent even with evidence
	atEnd      bool // a "missing" finding points at the end of the text, where it would go
	missing    string
	suggest    string
}

var modeElements = map[Mode][]elementSpec{
	Customer: {
		{name: "acknowledgement", weight: 15, evidence: true, flagsBreak: false,
			missing: "the message never says plainly what went wrong",
			suggest: `Open with what happened, in the reader's terms: "On 3 May we charged your card twice."`},
		{name: "responsibility", weight: 20, evidence: true, flagsBreak: true,
			missing: "the company is never the subject of its own mistake",
			suggest: `Say who did it, in the first person: "We made this mistake", "our change broke…".`},
		{name: "no_excuses", weight: 10, flagsBreak: true},
		{name: "no_minimizing", weight: 10, flagsBreak: true},
		{name: "apology_unconditional", weight: 15, evidence: true, flagsBreak: false,
			missing: "there is no apology",
			suggest: `Apologise plainly and for the specific harm: "We are sorry we charged you twice."`},
		{name: "empathy_impact", weight: 10, evidence: true,
			missing: "the message does not name what the mistake cost the reader",
			suggest: `Name the impact in their terms: "you could not sign in for two hours", "you paid twice".`},
		{name: "plan_fix", weight: 10, evidence: true, atEnd: true,
			missing: "the message does not say what has been done to fix it",
			suggest: `Say what you did or are doing: "We refunded the second charge on 4 May."`},
		{name: "plan_prevent", weight: 6, evidence: true, atEnd: true,
			missing: "the message does not say what will change so it does not happen again",
			suggest: `Name the change and a date: "From 1 June every price change is checked by a second person."`},
		{name: "contact_feedback", weight: 4, evidence: true, atEnd: true,
			missing: "the reader is not told how to reach someone or give feedback",
			suggest: `Add a way to answer: "Reply to this email; it comes to me." or a support address.`},
	},
	Blameless: {
		{name: "no_individual_blame", weight: 30, flagsBreak: true},
		{name: "no_human_error", weight: 20, flagsBreak: true},
		{name: "no_hindsight", weight: 15, flagsBreak: true},
		{name: "no_character_judgement", weight: 15, flagsBreak: true},
		{name: "systems_focus", weight: 20, evidence: true, atEnd: true,
			missing: "the write-up does not describe the systems, conditions or decisions involved",
			suggest: `Describe what allowed it: "the deploy tool had no confirmation step", "the alert went to an unwatched channel".`},
	},
}

// elementNames returns the element names of mode in the documented order.
func elementNames(m Mode) []string {
	var names []string
	for _, e := range modeElements[m] {
		names = append(names, e.name)
	}
	return names
}

// elementIndex returns the position of element name in mode m, or -1.
func elementIndex(m Mode, name string) int {
	for i, e := range modeElements[m] {
		if e.name == name {
			return i
		}
	}
	return -1
}

// verdict decides owns from the elements of a report. In customer mode a message owns the
// mistake when it says plainly what happened, takes it on the company without excuses or
// minimizing, and apologises without conditions; naming the impact, the fix, a prevention
// and a contact make it a better message (they add to the score), but a careful reader
// recognises ownership without them. In blameless mode the write-up "owns" the
// incident the blameless way: no individual, human error, hindsight or character is blamed.
func verdict(m Mode, es Elements) bool {
	var required []string
	switch m {
	case Customer:
		required = []string{"acknowledgement", "responsibility", "no_excuses", "no_minimizing",
			"apology_unconditional"}
	case Blameless:
		required = []string{"no_individual_blame", "no_human_error", "no_hindsight",
			"no_character_judgement"}
	}
	for _, name := range required {
		if ok, _ := es.Get(name); !ok {
			return false
		}
	}
	return true
}

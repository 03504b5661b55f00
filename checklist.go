package amends

import "strings"

// CheckItem is one condition of the loop-closing checklist.
type CheckItem struct {
	Name string `json:"name"`
	Done bool   `json:"done"`
	What string `json:"what"`
	// Waiver is set when the check was waived: it then counts as holding.
	Waiver *Waiver `json:"waiver,omitempty"`
}

// Holds reports whether the check is done or waived.
func (c CheckItem) Holds() bool { return c.Done || c.Waiver != nil }

// LoopChecklist returns the loop-closing checks that the incident's timeline can answer: the
// root cause is recorded, customers were told, and the postmortem was shared. An incident is
// closed only when all hold.
func LoopChecklist(inc *Incident, events []Event) []CheckItem {
	shared := false
	for _, e := range events {
		if e.Kind == KindPostmortem {
			shared = true
		}
	}
	return []CheckItem{
		{Name: "root_cause", Done: inc.RootCauseAt != nil, What: "the root cause is recorded"},
		{Name: "customers_told", Done: inc.CustomersToldAt != nil, What: "the impacted customers were told"},
		{Name: "postmortem_shared", Done: shared, What: "the postmortem was shared"},
	}
}

// MissingChecks names the checks that neither hold nor are waived, for an error message.
func MissingChecks(items []CheckItem) string {
	var missing []string
	for _, it := range items {
		if !it.Holds() {
			missing = append(missing, it.What)
		}
	}
	return strings.Join(missing, "; ")
}

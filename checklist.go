package amends

import "strings"

// CheckItem is one condition of the loop-closing checklist.
type CheckItem struct {
	Name string `json:"name"`
	Done bool   `json:"done"`
	What string `json:"what"`
}

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
		{"root_cause", inc.RootCauseAt != nil, "the root cause is recorded"},
		{"customers_told", inc.CustomersToldAt != nil, "the impacted customers were told"},
		{"postmortem_shared", shared, "the postmortem was shared"},
	}
}

// MissingChecks names the checks that do not hold, for an error message.
func MissingChecks(items []CheckItem) string {
	var missing []string
	for _, it := range items {
		if !it.Done {
			missing = append(missing, it.What)
		}
	}
	return strings.Join(missing, "; ")
}

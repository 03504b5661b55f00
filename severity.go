package amends

import (
	"fmt"
	"strconv"
)

// Severity ranks an incident's impact: 1 is the highest, 4 the lowest.
type Severity int

// Valid reports whether s is between 1 and 4.
func (s Severity) Valid() bool { return s >= 1 && s <= 4 }

// Validate returns an EInvalid error naming field "severity" when s is out of range.
func (s Severity) Validate() error {
	if !s.Valid() {
		return Errorf(EInvalid, "severity", "must be 1 to 4 (1 is the highest), got %d", int(s))
	}
	return nil
}

// String returns "SEV1" … "SEV4".
func (s Severity) String() string { return fmt.Sprintf("SEV%d", int(s)) }

// ParseSeverity accepts "1".."4" and "sev1".."sev4" in any case.
func ParseSeverity(v string) (Severity, error) {
	if len(v) == 4 && (v[:3] == "sev" || v[:3] == "SEV" || v[:3] == "Sev") {
		v = v[3:]
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, Errorf(EInvalid, "severity", "must be 1 to 4, got %q", v)
	}
	s := Severity(n)
	return s, s.Validate()
}

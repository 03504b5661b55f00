package amends

import (
	"slices"
	"sort"
	"strings"
)

// Audience kinds: who hears an incident's customer messages.
const (
	AudienceNone     = "none"     // not chosen yet: nothing can be sent
	AudienceAll      = "all"      // every customer
	AudienceAccounts = "accounts" // the customers of the chosen accounts
	AudienceSegments = "segments" // the customers with any of the chosen segment tags
	AudienceList     = "list"     // a list uploaded for this incident, with its own columns
)

// Limits on audiences.
const (
	MaxAudienceAccounts = 1000   // accounts chosen
	MaxAudienceColumns  = 20     // extra columns of an uploaded list
	MaxAudienceList     = 200000 // rows of an uploaded list
	MaxFieldValue       = 500    // characters of one value of an extra column
	maxColumnName       = 40
)

// Audience is who an incident's customer messages go to. Columns are the extra columns of an
// uploaded list, each a placeholder the message can use ({{orders_affected}}); Size is how
// many people a message sent now would reach.
type Audience struct {
	Kind     string   `json:"kind"`
	Accounts []string `json:"accounts"`
	Segments []string `json:"segments"`
	Columns  []string `json:"columns"`
	Size     int      `json:"size"`
}

// Normalize trims the accounts and segments, drops empty and repeated ones, and never leaves
// a list nil.
func (a *Audience) Normalize() {
	a.Kind = strings.TrimSpace(a.Kind)
	a.Accounts = normalizeList(a.Accounts)
	a.Segments = NormalizeSegments(a.Segments)
	if a.Columns == nil {
		a.Columns = []string{}
	}
}

// Validate checks a normalized audience as a person chooses it: accounts need at least one
// account, segments at least one valid tag. A list is chosen by uploading it.
func (a Audience) Validate() error {
	switch a.Kind {
	case AudienceAll, AudienceList:
	case AudienceAccounts:
		if len(a.Accounts) == 0 {
			return Errorf(EInvalid, "accounts", "choose at least one account")
		}
		if len(a.Accounts) > MaxAudienceAccounts {
			return Errorf(EInvalid, "accounts", "has %d accounts; at most %d", len(a.Accounts), MaxAudienceAccounts)
		}
		for _, acc := range a.Accounts {
			if err := validateLine("accounts", acc, MaxAccount); err != nil {
				return err
			}
		}
	case AudienceSegments:
		if len(a.Segments) == 0 {
			return Errorf(EInvalid, "segments", "choose at least one segment")
		}
		if err := ValidateSegments(a.Segments); err != nil {
			return err
		}
	default:
		return Errorf(EInvalid, "kind", "must be all, accounts, segments or list; got %q", a.Kind)
	}
	return nil
}

// Recipient is one person a customer message goes to, with the values of the uploaded list's
// extra columns (empty for audiences drawn from the customers).
type Recipient struct {
	Email   string            `json:"email"`
	Name    string            `json:"name"`
	Account string            `json:"account"`
	Fields  map[string]string `json:"fields"`
}

// AudienceReport says what an upload of an audience list did: Members rows stored, or none
// when any row was bad (Problems lists them by line).
type AudienceReport struct {
	Rows         int          `json:"rows"`
	Members      int          `json:"members"`
	Columns      []string     `json:"columns"`
	Problems     []RowProblem `json:"problems"`
	MoreProblems int          `json:"more_problems"`
}

// Add records a problem, keeping the list at MaxReportedProblems.
func (r *AudienceReport) Add(p RowProblem) {
	if len(r.Problems) < MaxReportedProblems {
		r.Problems = append(r.Problems, p)
		return
	}
	r.MoreProblems++
}

// ProblemCount is the number of problems found, listed or not.
func (r AudienceReport) ProblemCount() int { return len(r.Problems) + r.MoreProblems }

// Standard placeholders: every message can use them, whatever its audience.
var standardPlaceholders = []string{"email", "name", "account", "ref", "title", "owner"}

// recipientColumns are the columns of an uploaded list that fill a Recipient's own fields.
var recipientColumns = []string{"email", "name", "account"}

// AudienceColumn turns a header of an uploaded list into its placeholder name ("Orders
// affected" → "orders_affected"), or returns an error saying why it cannot be one.
func AudienceColumn(header string) (string, error) {
	h := strings.ToLower(strings.TrimSpace(header))
	h = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '.' {
			return '_'
		}
		return r
	}, h)
	if h == "" || len(h) > maxColumnName || !isKey(h) || h[0] >= '0' && h[0] <= '9' {
		return "", Errorf(EInvalid, "columns", "column %q must be named with 1 to %d letters a-z, digits and _, starting with a letter", header, maxColumnName)
	}
	if slices.Contains(standardPlaceholders, h) && !slices.Contains(recipientColumns, h) {
		return "", Errorf(EInvalid, "columns", "column %q clashes with the placeholder {{%s}} every message has; rename it", header, h)
	}
	return h, nil
}

// ValidateRecipient checks one row of an uploaded list: a bare email address (lower-cased by
// the caller), a name and account of one line, and one-line values of at most MaxFieldValue
// characters, so no value can break a subject or a header when it is filled in.
func ValidateRecipient(r Recipient) error {
	if err := ValidateEmail("email", r.Email); err != nil {
		return err
	}
	if err := validateLine("name", r.Name, MaxCustomerName); err != nil {
		return err
	}
	if err := validateLine("account", r.Account, MaxAccount); err != nil {
		return err
	}
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if err := validateLine(k, r.Fields[k], MaxFieldValue); err != nil {
			return err
		}
	}
	return nil
}

// Placeholders returns the placeholders a message can use for an audience with these extra
// columns, standard ones first.
func Placeholders(columns []string) []string {
	return append(append([]string{}, standardPlaceholders...), columns...)
}

// RenderFor fills the placeholders of text for recipient r of incident inc: {{name}},
// {{email}}, {{account}}, {{ref}}, {{title}}, {{owner}} and any column of an uploaded list
// ({{orders_affected}}). {{name|there}} gives a fallback for an empty value. An unknown
// placeholder is an EInvalid error that names it and lists the ones available.
func RenderFor(text string, r Recipient, inc *Incident) (string, error) {
	return renderField("body", text, r, inc)
}

// RenderMessage renders a message's subject and body for one recipient. The rendered subject
// must still be one line of at most MaxMessageSubject characters.
func RenderMessage(subject, body string, r Recipient, inc *Incident) (string, string, error) {
	s, err := renderField("subject", subject, r, inc)
	if err != nil {
		return "", "", err
	}
	if err := validateLine("subject", s, MaxMessageSubject); err != nil {
		e := ErrorOf(err)
		return "", "", Errorf(EInvalid, "subject", "for %s: %s", r.Email, e.Message)
	}
	b, err := renderField("body", body, r, inc)
	return s, b, err
}

func renderField(field, text string, r Recipient, inc *Incident) (string, error) {
	ps, err := placeholders(field, text)
	if err != nil || len(ps) == 0 {
		return text, err
	}
	var b strings.Builder
	b.Grow(len(text) + 64)
	last := 0
	for _, p := range ps {
		v, ok := lookup(p.key, r, inc)
		if !ok {
			avail := Placeholders(fieldKeys(r))
			for i, k := range avail {
				avail[i] = "{{" + k + "}}"
			}
			return "", Errorf(EInvalid, field, "unknown placeholder {{%s}}; this audience has %s", p.key, strings.Join(avail, ", "))
		}
		if strings.TrimSpace(v) == "" {
			v = p.fallback
		}
		b.WriteString(text[last:p.start])
		b.WriteString(v)
		last = p.end
	}
	b.WriteString(text[last:])
	return b.String(), nil
}

func fieldKeys(r Recipient) []string {
	keys := make([]string, 0, len(r.Fields))
	for k := range r.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func lookup(key string, r Recipient, inc *Incident) (string, bool) {
	switch key {
	case "email":
		return r.Email, true
	case "name":
		return r.Name, true
	case "account":
		return r.Account, true
	case "ref":
		return inc.Ref, true
	case "title":
		return inc.Title, true
	case "owner":
		return inc.Owner, true
	}
	v, ok := r.Fields[key]
	return v, ok
}

type placeholder struct {
	start, end    int // byte offsets of "{{" and just past "}}"
	key, fallback string
}

// placeholders finds the {{key}} and {{key|fallback}} placeholders of text. Anything else
// between {{ and }}, or a {{ that is never closed, is an EInvalid error: a customer must never
// receive a half-filled "{{Order ID}}".
func placeholders(field, text string) ([]placeholder, error) {
	var out []placeholder
	for i := 0; ; {
		j := strings.Index(text[i:], "{{")
		if j < 0 {
			return out, nil
		}
		start := i + j
		k := strings.Index(text[start+2:], "}}")
		if k < 0 {
			return nil, Errorf(EInvalid, field, "a {{ at byte %d is never closed with }}", start)
		}
		inner := text[start+2 : start+2+k]
		key, fallback, _ := strings.Cut(inner, "|")
		key = strings.ToLower(strings.TrimSpace(key))
		if !isKey(key) || strings.ContainsAny(fallback, "{\n") {
			return nil, Errorf(EInvalid, field, "{{%s}} is not a placeholder: write {{name}} or {{name|fallback}} with letters, digits and _", inner)
		}
		end := start + 2 + k + 2
		out = append(out, placeholder{start: start, end: end, key: key, fallback: strings.TrimSpace(fallback)})
		i = end
	}
}

func isKey(s string) bool {
	if s == "" || len(s) > maxColumnName {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

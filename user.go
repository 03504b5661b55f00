package amends

import (
	"regexp"
	"time"
)

// Role is what a person or token may do. Viewers read everything internal (customer-facing
// colleagues get equal access to the facts); responders also change incidents; admins also
// manage users and tokens.
type Role string

// Roles, weakest first.
const (
	Viewer    Role = "viewer"
	Responder Role = "responder"
	Admin     Role = "admin"
)

// ParseRole returns the role named s or an EInvalid error naming field "role".
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case Viewer, Responder, Admin:
		return r, nil
	}
	return "", Errorf(EInvalid, "role", "must be admin, responder or viewer; got %q", s)
}

func (r Role) rank() int {
	switch r {
	case Viewer:
		return 1
	case Responder:
		return 2
	case Admin:
		return 3
	}
	return 0
}

// AtLeast reports whether r grants everything that min grants.
func (r Role) AtLeast(min Role) bool { return r.rank() > 0 && r.rank() >= min.rank() }

// User is a person who signs in to amends.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
}

var userName = regexp.MustCompile(`^[a-zA-Z0-9][a-zA-Z0-9._@-]{0,63}$`)

// ValidateUserName requires 1–64 letters, digits, dots, dashes, underscores or @.
func ValidateUserName(name string) error {
	if !userName.MatchString(name) {
		return Errorf(EInvalid, "name", "must be 1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit")
	}
	return nil
}

// MinPassword is the shortest password accepted.
const MinPassword = 12

// ValidatePassword requires at least MinPassword characters and at most 256 bytes.
func ValidatePassword(p string) error {
	if len([]rune(p)) < MinPassword {
		return Errorf(EInvalid, "password", "must be at least %d characters", MinPassword)
	}
	if len(p) > 256 {
		return Errorf(EInvalid, "password", "must be at most 256 bytes")
	}
	return nil
}

// Token is an API credential with its own name and role. Only a hash of its secret is kept.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Role       Role       `json:"role"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

// Actor is who is acting: a signed-in user or an API token. Its Name goes on the timeline
// and in the audit log.
type Actor struct {
	Name string
	Role Role
}

// AuditEntry records who did what, when, to what.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail"`
}

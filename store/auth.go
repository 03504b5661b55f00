package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/argon2"

	"github.com/amends/amends"
)

// Argon2id parameters: 19 MiB, two passes, one lane (OWASP's recommended minimum).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// HashPassword returns an argon2id hash of password in the PHC string format.
func HashPassword(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=19$m=%d,t=%d,p=%d$%s$%s", argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// CheckPassword reports whether password matches a hash made by HashPassword.
func CheckPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when a login names no user, so that a missing account takes
// as long to refuse as a wrong password.
var dummyHash = HashPassword("amends-no-such-user-password")

// RandomSecret returns n random bytes, URL-safe base64 encoded.
func RandomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func secretHash(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

func scanUser(row scanner) (*amends.User, string, error) {
	var u amends.User
	var role, hash string
	var created int64
	if err := row.Scan(&u.ID, &u.Name, &role, &hash, &created); err != nil {
		return nil, "", err
	}
	u.Role, u.CreatedAt = amends.Role(role), fromMicros(created)
	return &u, hash, nil
}

// CreateUser adds a person who signs in with name and password.
func (s *Store) CreateUser(ctx context.Context, name string, role amends.Role, password string, actor amends.Actor) (*amends.User, error) {
	if err := amends.ValidateUserName(name); err != nil {
		return nil, err
	}
	if _, err := amends.ParseRole(string(role)); err != nil {
		return nil, err
	}
	if err := amends.ValidatePassword(password); err != nil {
		return nil, err
	}
	hash := HashPassword(password)
	now := s.now()
	var u *amends.User
	err := s.inTx(ctx, func(tx *Tx) error {
		var err error
		u, _, err = scanUser(tx.QueryRowContext(ctx, `INSERT INTO users (name, role, password_hash, created_at)
			VALUES ($1, $2, $3, $4) RETURNING id, name, role, password_hash, created_at`, name, string(role), hash, micros(now)))
		if err != nil {
			if amends.ErrorCode(translate(err)) == amends.EConflict {
				return amends.Errorf(amends.EConflict, "name", "a user named %q exists", name)
			}
			return err
		}
		return s.audit(ctx, tx, now, actor, "user.create", name, "role "+string(role))
	})
	return u, err
}

// CountUsers returns how many users exist (zero on first start).
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := s.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM users").Scan(&n)
	return n, translate(err)
}

// Users lists every user by name.
func (s *Store) Users(ctx context.Context) ([]*amends.User, error) {
	rows, err := s.db.QueryContext(ctx, "SELECT id, name, role, password_hash, created_at FROM users ORDER BY name")
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	var out []*amends.User
	for rows.Next() {
		u, _, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, translate(rows.Err())
}

// Authenticate returns the user whose name and password match. Any mismatch is the same
// EUnauthorized error, so the answer does not tell whether the account exists.
func (s *Store) Authenticate(ctx context.Context, name, password string) (*amends.User, error) {
	u, hash, err := scanUser(s.db.QueryRowContext(ctx,
		"SELECT id, name, role, password_hash, created_at FROM users WHERE name = $1", name))
	if errors.Is(err, sql.ErrNoRows) {
		CheckPassword(dummyHash, password)
		return nil, amends.Errorf(amends.EUnauthorized, "", "wrong user name or password")
	} else if err != nil {
		return nil, translate(err)
	}
	if !CheckPassword(hash, password) {
		return nil, amends.Errorf(amends.EUnauthorized, "", "wrong user name or password")
	}
	return u, nil
}

// Session is a signed-in browser: its user and the token its forms must carry.
type Session struct {
	User      *amends.User
	CSRF      string
	ExpiresAt time.Time
}

// SessionTTL is how long a web session lasts.
const SessionTTL = 12 * time.Hour

// CreateSession starts a web session for user and returns its secret id (for the cookie; only
// its hash is stored) and CSRF token. Each sign-in gets a new id, so a planted id is useless.
func (s *Store) CreateSession(ctx context.Context, u *amends.User) (string, *Session, error) {
	id, csrf := RandomSecret(32), RandomSecret(32)
	now := s.now()
	sess := &Session{User: u, CSRF: csrf, ExpiresAt: now.Add(SessionTTL)}
	err := s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE expires_at < $1", micros(now)); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO sessions (id_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
			secretHash(id), u.ID, csrf, micros(now), micros(sess.ExpiresAt)); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, amends.Actor{Name: u.Name, Role: u.Role}, "session.login", u.Name, "")
	})
	if err != nil {
		return "", nil, err
	}
	return id, sess, nil
}

// SessionByID returns the live session with the given secret id, or EUnauthorized.
func (s *Store) SessionByID(ctx context.Context, id string) (*Session, error) {
	var (
		u       amends.User
		role    string
		sess    Session
		expires int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT u.id, u.name, u.role, s.csrf, s.expires_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = $1`, secretHash(id)).
		Scan(&u.ID, &u.Name, &role, &sess.CSRF, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.EUnauthorized, "", "not signed in")
	} else if err != nil {
		return nil, translate(err)
	}
	u.Role = amends.Role(role)
	sess.User, sess.ExpiresAt = &u, fromMicros(expires)
	if !s.now().Before(sess.ExpiresAt) {
		return nil, amends.Errorf(amends.EUnauthorized, "", "session expired")
	}
	return &sess, nil
}

// DeleteSession signs a browser out.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, "DELETE FROM sessions WHERE id_hash = $1", secretHash(id))
	return translate(err)
}

// CreateToken makes an API token with its own name and role and returns its secret, which is
// shown once: only its hash is stored.
func (s *Store) CreateToken(ctx context.Context, name string, role amends.Role, actor amends.Actor) (string, error) {
	if err := amends.ValidateUserName(name); err != nil {
		return "", err
	}
	if _, err := amends.ParseRole(string(role)); err != nil {
		return "", err
	}
	secret := "amends_" + RandomSecret(32)
	now := s.now()
	err := s.inTx(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, "INSERT INTO tokens (name, role, hash, created_at) VALUES ($1, $2, $3, $4)",
			name, string(role), secretHash(secret), micros(now)); err != nil {
			if amends.ErrorCode(translate(err)) == amends.EConflict {
				return amends.Errorf(amends.EConflict, "name", "a token named %q exists", name)
			}
			return err
		}
		return s.audit(ctx, tx, now, actor, "token.create", name, "role "+string(role))
	})
	if err != nil {
		return "", err
	}
	return secret, nil
}

// TokenBySecret returns the token whose secret this is, or EUnauthorized.
func (s *Store) TokenBySecret(ctx context.Context, secret string) (*amends.Token, error) {
	var t amends.Token
	var role string
	var created int64
	var used sql.NullInt64
	err := s.db.QueryRowContext(ctx, "SELECT id, name, role, created_at, last_used_at FROM tokens WHERE hash = $1",
		secretHash(secret)).Scan(&t.ID, &t.Name, &role, &created, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, amends.Errorf(amends.EUnauthorized, "", "unknown token")
	} else if err != nil {
		return nil, translate(err)
	}
	t.Role, t.CreatedAt, t.LastUsedAt = amends.Role(role), fromMicros(created), fromNullMicros(used)
	return &t, nil
}

// SetPassword replaces a user's password and signs them out everywhere.
func (s *Store) SetPassword(ctx context.Context, name, password string, actor amends.Actor) error {
	if err := amends.ValidatePassword(password); err != nil {
		return err
	}
	hash := HashPassword(password)
	now := s.now()
	return s.inTx(ctx, func(tx *Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, "UPDATE users SET password_hash = $1 WHERE name = $2 RETURNING id", hash, name).Scan(&id)
		if errors.Is(err, sql.ErrNoRows) {
			return amends.Errorf(amends.ENotFound, "name", "no user %q", name)
		} else if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE user_id = $1", id); err != nil {
			return err
		}
		return s.audit(ctx, tx, now, actor, "user.password", name, "")
	})
}

package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amends/amends"
)

// Attachments. The file is streamed to a temporary file in the attachments directory while it
// is hashed and counted, its type sniffed from its content, and then, in the transaction that
// inserts its row, the incident's quota checked and the file renamed into place under a name
// made of its hash and a random suffix — never the name it was uploaded with. Whatever fails,
// the temporary file is removed and nothing is stored.

// prefixWriter keeps the first n bytes written through it.
type prefixWriter struct {
	buf []byte
	n   int
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	if room := p.n - len(p.buf); room > 0 {
		p.buf = append(p.buf, b[:min(room, len(b))]...)
	}
	return len(b), nil
}

const attachmentColumns = `a.id, a.incident_id, i.number, a.name, a.type, a.size, a.sha256, a.stored_as, a.created_by, a.created_at`

func scanAttachment(row scanner) (*amends.Attachment, error) {
	var a amends.Attachment
	var number, at int64
	if err := row.Scan(&a.ID, &a.IncidentID, &number, &a.Name, &a.Type, &a.Size, &a.SHA256, &a.StoredAs, &a.CreatedBy, &at); err != nil {
		return nil, err
	}
	a.Ref, a.CreatedAt = amends.FormatRef(number), fromMicros(at)
	return &a, nil
}

// filesDir returns the attachments directory, created when missing.
func (s *Store) filesDir() (string, error) {
	if s.files == "" {
		return "", amends.Errorf(amends.EUnavailable, "file", "attachments are not kept: no attachments directory is configured")
	}
	if err := os.MkdirAll(s.files, 0o700); err != nil {
		return "", fmt.Errorf("create attachments directory: %w", err)
	}
	return s.files, nil
}

// Attach stores the file read from r as an attachment of incident ref, named name (sanitised:
// no directory, no control characters, at most 200 bytes). It refuses, with an EInvalid error
// for field "file" and nothing stored, a file over amends.MaxAttachment, one whose content is
// not PNG, JPEG, GIF, WebP, PDF or UTF-8 text (CSV, TXT, JSON that parses), and one that would
// take the incident over its quota. The row and an internal timeline note are one transaction.
func (s *Store) Attach(ctx context.Context, ref, name string, r io.Reader, actor amends.Actor) (*amends.Attachment, error) {
	name = amends.SanitizeAttachmentName(name)
	if _, err := s.Incident(ctx, ref); err != nil {
		return nil, err
	}
	dir, err := s.filesDir()
	if err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(dir, ".upload-*")
	if err != nil {
		return nil, fmt.Errorf("attachment temp file: %w", err)
	}
	tmpName, placed := tmp.Name(), ""
	defer func() {
		tmp.Close()
		os.Remove(tmpName) // fails harmlessly once renamed into place
	}()
	h, head := sha256.New(), &prefixWriter{n: amends.SniffLen}
	n, err := io.Copy(io.MultiWriter(tmp, h, head), io.LimitReader(r, amends.MaxAttachment+1))
	if err != nil {
		return nil, fmt.Errorf("read attachment: %w", err)
	}
	if n > amends.MaxAttachment {
		return nil, amends.Errorf(amends.EInvalid, "file", "is over 20 MiB; attach a smaller file (crop the screenshot, split the data)")
	}
	typ, err := amends.SniffAttachment(head.buf)
	if err != nil {
		return nil, err
	}
	if typ == "text" {
		data, err := os.ReadFile(tmpName)
		if err != nil {
			return nil, fmt.Errorf("read attachment back: %w", err)
		}
		if typ, err = amends.TextType(data); err != nil {
			return nil, err
		}
	}
	if err := tmp.Sync(); err != nil {
		return nil, fmt.Errorf("write attachment: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("write attachment: %w", err)
	}
	sum := hex.EncodeToString(h.Sum(nil))
	now := s.now().UTC().Truncate(time.Microsecond)
	a := &amends.Attachment{Name: name, Type: typ, Size: n, SHA256: sum, CreatedBy: actor.Name, CreatedAt: now,
		StoredAs: sum + "-" + strings.ToLower(rand.Text()[:10])}
	err = s.inTx(ctx, func(tx *Tx) error {
		inc, err := s.incident(ctx, tx, ref, true)
		if err != nil {
			return err
		}
		var used int64
		if err := tx.QueryRowContext(ctx, "SELECT COALESCE(SUM(size), 0) FROM attachments WHERE incident_id = $1", inc.ID).Scan(&used); err != nil {
			return err
		}
		if used+n > s.quota {
			return amends.Errorf(amends.EInvalid, "file", "would take %s over its attachment quota of %s (%s used); nothing was stored",
				inc.Ref, amends.FormatSize(s.quota), amends.FormatSize(used))
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO attachments (incident_id, name, type, size, sha256, stored_as, created_by, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, inc.ID, name, typ, n, sum, a.StoredAs, actor.Name, micros(now)).Scan(&a.ID); err != nil {
			return fmt.Errorf("insert attachment: %w", err)
		}
		a.IncidentID, a.Ref = inc.ID, inc.Ref
		if _, err := s.appendEvent(ctx, tx, inc, amends.Event{Kind: amends.KindNote, At: now, Actor: actor.Name, Visibility: amends.Internal,
			Body: fmt.Sprintf("Attached %s (%s, %s)", name, typ, amends.FormatSize(n))}, now); err != nil {
			return err
		}
		if err := s.audit(ctx, tx, now, actor, "attachment.create", inc.Ref, fmt.Sprintf("#%d %s", a.ID, name)); err != nil {
			return err
		}
		final := filepath.Join(dir, a.StoredAs)
		if err := os.Rename(tmpName, final); err != nil {
			return fmt.Errorf("place attachment: %w", err)
		}
		placed = final
		return nil
	})
	if err != nil {
		if placed != "" {
			os.Remove(placed) // the commit failed after the rename
		}
		return nil, err
	}
	return a, nil
}

// Attachments returns the attachments of incident ref, oldest first.
func (s *Store) Attachments(ctx context.Context, ref string) ([]*amends.Attachment, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, "SELECT "+attachmentColumns+
		" FROM attachments a JOIN incidents i ON i.id = a.incident_id WHERE a.incident_id = $1 ORDER BY a.id", inc.ID)
	if err != nil {
		return nil, translate(err)
	}
	defer rows.Close()
	out := []*amends.Attachment{}
	for rows.Next() {
		a, err := scanAttachment(rows)
		if err != nil {
			return nil, translate(err)
		}
		out = append(out, a)
	}
	return out, translate(rows.Err())
}

// OpenAttachment returns attachment id of incident ref with its file opened for reading; the
// caller closes it. ENotFound when the incident has no such attachment.
func (s *Store) OpenAttachment(ctx context.Context, ref string, id int64) (io.ReadSeekCloser, *amends.Attachment, error) {
	inc, err := s.Incident(ctx, ref)
	if err != nil {
		return nil, nil, err
	}
	a, err := scanAttachment(s.db.QueryRowContext(ctx, "SELECT "+attachmentColumns+
		" FROM attachments a JOIN incidents i ON i.id = a.incident_id WHERE a.incident_id = $1 AND a.id = $2", inc.ID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, amends.Errorf(amends.ENotFound, "id", "%s has no attachment %d", inc.Ref, id)
	}
	if err != nil {
		return nil, nil, translate(err)
	}
	dir, err := s.filesDir()
	if err != nil {
		return nil, nil, err
	}
	f, err := os.Open(filepath.Join(dir, filepath.Base(a.StoredAs)))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, amends.Errorf(amends.ENotFound, "id", "the file of attachment %d is missing from the attachments directory; restore it from a backup", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("open attachment: %w", err)
	}
	return f, a, nil
}

// AttachmentsDir returns the directory attachments live in ("" when none is configured), for
// backups and tests.
func (s *Store) AttachmentsDir() string { return s.files }

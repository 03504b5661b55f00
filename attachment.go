package amends

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Limits on attachments.
const (
	// MaxAttachment is the largest file one attachment may be.
	MaxAttachment = 20 << 20
	// AttachmentQuota is how much all the attachments of one incident may hold together.
	AttachmentQuota = 200 << 20
	// MaxAttachmentName is the longest display name of an attachment, in bytes.
	MaxAttachmentName = 200
	// SniffLen is how many leading bytes decide an attachment's type.
	SniffLen = 512
)

// Attachment is a screenshot or supporting file of an incident. Type is sniffed from the
// content when it was attached, never taken from the name; Name is the sanitised display name.
type Attachment struct {
	ID         int64     `json:"id"`
	IncidentID int64     `json:"-"`
	Ref        string    `json:"ref"`
	Name       string    `json:"name"`
	Type       string    `json:"type"`
	Size       int64     `json:"size"`
	SHA256     string    `json:"sha256"`
	StoredAs   string    `json:"-"`
	CreatedBy  string    `json:"created_by"`
	CreatedAt  time.Time `json:"created_at"`
}

// IsImage reports whether the attachment is shown inline as an image.
func (a Attachment) IsImage() bool { return IsImageType(a.Type) }

// IsImageType reports whether an accepted type is an image.
func IsImageType(t string) bool { return strings.HasPrefix(t, "image/") }

// SanitizeAttachmentName turns an uploaded file name into a display name: any directory part
// (after the last / or \), control and format characters (bidi overrides) are removed, invalid UTF-8 replaced, and the
// result cut to MaxAttachmentName bytes on a character boundary. An empty result, "." or ".."
// becomes "attachment".
func SanitizeAttachmentName(name string) string {
	name = strings.ToValidUTF8(name, "\uFFFD")
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r == '\u2028' || r == '\u2029' {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > MaxAttachmentName {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." {
		return "attachment"
	}
	return name
}

// SniffAttachment decides the type of an attachment from its leading bytes (at least the first
// SniffLen, or the whole file when shorter). It returns an image or PDF type when the magic
// number says so, "text" when the bytes may be text (the caller then reads the whole file with
// TextType), or an EInvalid error for field "file" naming what the bytes looked like.
func SniffAttachment(head []byte) (string, error) {
	if len(head) > SniffLen {
		head = head[:SniffLen]
	}
	switch {
	case len(head) == 0:
		return "", Errorf(EInvalid, "file", "is empty")
	case bytes.HasPrefix(head, []byte("\x89PNG\r\n\x1a\n")):
		return "image/png", nil
	case bytes.HasPrefix(head, []byte("\xff\xd8\xff")):
		return "image/jpeg", nil
	case bytes.HasPrefix(head, []byte("GIF87a")), bytes.HasPrefix(head, []byte("GIF89a")):
		return "image/gif", nil
	case len(head) >= 12 && bytes.HasPrefix(head, []byte("RIFF")) && string(head[8:12]) == "WEBP":
		return "image/webp", nil
	case bytes.HasPrefix(head, []byte("%PDF-")):
		return "application/pdf", nil
	}
	detected := http.DetectContentType(head)
	if looksLikeMarkup(head) {
		return "", Errorf(EInvalid, "file", "looks like HTML, XML or SVG markup (%s); markup is refused because a browser could run it: attach a screenshot (PNG) or a PDF instead", detected)
	}
	if !strings.HasPrefix(detected, "text/plain") {
		return "", Errorf(EInvalid, "file", "looks like %s, which is not accepted; attach PNG, JPEG, GIF, WebP, PDF, CSV, TXT or JSON", describe(detected))
	}
	return "text", nil
}

// looksLikeMarkup reports whether text starts like HTML, XML or SVG, or carries a script tag
// early on.
func looksLikeMarkup(head []byte) bool {
	t := bytes.TrimLeft(bytes.TrimPrefix(head, []byte("\xef\xbb\xbf")), " \t\r\n\f")
	if len(t) > 0 && t[0] == '<' {
		return true
	}
	low := bytes.ToLower(head)
	for _, tag := range []string{"<script", "<svg", "<html", "<!doctype", "<iframe", "<?xml"} {
		if bytes.Contains(low, []byte(tag)) {
			return true
		}
	}
	return false
}

// describe names a detected content type for people.
func describe(detected string) string {
	mt, _, _ := strings.Cut(detected, ";")
	switch mt {
	case "application/zip", "application/x-gzip", "application/x-rar-compressed", "application/x-7z-compressed":
		return "an archive (" + mt + ")"
	case "application/octet-stream":
		return "binary data (perhaps a program or an archive)"
	case "application/x-msdownload", "application/vnd.microsoft.portable-executable":
		return "a program (" + mt + ")"
	}
	return mt
}

// TextType checks a whole file that SniffAttachment called "text" and returns its type: it must
// be valid UTF-8 without NUL; text that starts with { or [ must parse as JSON
// (application/json); text that parses as CSV with at least two columns in every row is
// text/csv; other text is text/plain. Refusals are EInvalid errors for field "file".
func TextType(data []byte) (string, error) {
	body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
		return "", Errorf(EInvalid, "file", "looks like binary data, not UTF-8 text; attach PNG, JPEG, GIF, WebP, PDF, CSV, TXT or JSON")
	}
	if looksLikeMarkup(body) {
		return "", Errorf(EInvalid, "file", "looks like HTML, XML or SVG markup; markup is refused because a browser could run it")
	}
	t := bytes.TrimSpace(body)
	if len(t) > 0 && (t[0] == '{' || t[0] == '[') {
		if !json.Valid(t) {
			return "", Errorf(EInvalid, "file", "looks like JSON but does not parse; fix it or attach it as plain text with a different first character")
		}
		return "application/json", nil
	}
	if isCSV(body) {
		return "text/csv", nil
	}
	return "text/plain", nil
}

func isCSV(data []byte) bool {
	r := csv.NewReader(bytes.NewReader(data))
	r.FieldsPerRecord = 0
	rows, err := r.ReadAll()
	return err == nil && len(rows) > 0 && len(rows[0]) >= 2
}

// FormatSize writes a byte count for people: "812 B", "14.2 KiB", "3.0 MiB".
func FormatSize(n int64) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
}

package amends_test

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/gif"
	"image/jpeg"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/amends/amends"
)

// attachmentTypes are the types an attachment may be stored as.
var attachmentTypes = map[string]bool{
	"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true,
	"application/pdf": true, "text/csv": true, "text/plain": true, "application/json": true,
}

// attachmentType decides a file's type the way the store does: the leading bytes first, the
// whole file when they look like text.
func attachmentType(data []byte) (string, error) {
	typ, err := amends.SniffAttachment(data)
	if err == nil && typ == "text" {
		typ, err = amends.TextType(data)
	}
	return typ, err
}

// sampleFiles are real files of each accepted kind (made by the standard encoders) and of
// kinds that must be refused.
func sampleFiles(f *testing.F) [][]byte {
	img := image.NewPaletted(image.Rect(0, 0, 4, 4), color.Palette{color.White, color.Black})
	img.SetColorIndex(1, 1, 1)
	var p, j, g bytes.Buffer
	if err := png.Encode(&p, img); err != nil {
		f.Fatal(err)
	}
	if err := jpeg.Encode(&j, img, nil); err != nil {
		f.Fatal(err)
	}
	if err := gif.Encode(&g, img, nil); err != nil {
		f.Fatal(err)
	}
	files := [][]byte{p.Bytes(), j.Bytes(), g.Bytes()}
	for _, s := range []string{
		"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00",
		"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
		"email,name\nann@example.com,Ann\n",
		"\xef\xbb\xbfa,b\n1,2\n",
		`{"incident":"INC-1","errors":[500,502]}`,
		"[1, 2,",
		"Checkout failed for 312 customers between 14:39 and 14:55.\n",
		"<html><body>hi</body></html>",
		"\xef\xbb\xbf  <svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>",
		"<?xml version=\"1.0\"?><a/>",
		"hello " + strings.Repeat("x", amends.SniffLen) + "<script>alert(1)</script>",
		"notes\n<ScRiPt>alert(1)</ScRiPt>",
		"\x89PNG\r\n\x1a\n<script>alert(1)</script>",
		"PK\x03\x04\x14\x00\x00\x00", "\x7fELF\x02\x01\x01", "MZ\x90\x00",
		"\xff\xfeh\x00i\x00", "a\x00b", "caf\xe9", "",
		"%!PS-Adobe-3.0\n", "\x1f\x8b\x08\x00",
	} {
		files = append(files, []byte(s))
	}
	return files
}

// FuzzAttachmentType checks, for any file, that the type an attachment gets is one of the
// accepted ones and agrees with the content, or that the file is refused with an error for
// field "file". Text types must be UTF-8 without NUL and not look like HTML to a browser's
// own sniffing, and JSON must parse. The type is decided from the bytes alone: no name is
// even passed (the store's FuzzAttach checks that a name changes nothing).
func FuzzAttachmentType(f *testing.F) {
	for _, b := range sampleFiles(f) {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		typ, err := attachmentType(data)
		if err != nil {
			e := amends.ErrorOf(err)
			if e == nil || e.Code != amends.EInvalid || e.Field != "file" || e.Message == "" || typ != "" {
				t.Fatalf("refusal %q, %#v; want an EInvalid error for field file and no type", typ, err)
			}
			return
		}
		if !attachmentTypes[typ] {
			t.Fatalf("type %q is not an accepted type", typ)
		}
		magic := map[string]string{"image/png": "\x89PNG\r\n\x1a\n", "image/jpeg": "\xff\xd8\xff", "image/gif": "GIF8", "image/webp": "RIFF", "application/pdf": "%PDF-"}
		if m, ok := magic[typ]; ok {
			if !bytes.HasPrefix(data, []byte(m)) {
				t.Fatalf("type %s for a file that starts %q", typ, data[:min(len(data), 8)])
			}
			return
		}
		body := bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
		if !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0 {
			t.Fatalf("type %s for bytes that are not UTF-8 text", typ)
		}
		if sniffed := http.DetectContentType(data); !strings.HasPrefix(sniffed, "text/plain") {
			t.Fatalf("type %s for a file a browser would sniff as %s", typ, sniffed)
		}
		if bytes.Contains(bytes.ToLower(body), []byte("<script")) {
			t.Fatalf("type %s for text with a script tag", typ)
		}
		if typ == "application/json" && !json.Valid(body) {
			t.Fatalf("type %s for text that does not parse as JSON", typ)
		}
		again, err := attachmentType(data)
		if again != typ || err != nil {
			t.Fatalf("second look: %q %v, first %q", again, err, typ)
		}
	})
}

package store_test

import (
	"archive/zip"
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

func testImage() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 8, 8))
	for x := range 8 {
		img.Set(x, x, color.RGBA{R: 200, A: 255})
	}
	return img
}

func pngBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := png.Encode(&b, testImage()); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func jpegBytes(t *testing.T) []byte {
	var b bytes.Buffer
	if err := jpeg.Encode(&b, testImage(), nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func zipBytes(t *testing.T) []byte {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("bomb.txt")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(bytes.Repeat([]byte{0}, 1<<20))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// repeat reads b over and over.
type repeat struct{ b byte }

func (r repeat) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

// files lists what is in the attachments directory.
func files(t *testing.T, s *store.Store) []string {
	t.Helper()
	entries, err := os.ReadDir(s.AttachmentsDir())
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		out = append(out, e.Name())
	}
	return out
}

func TestAttachAcceptsImagesAndData(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 2, NoticedAt: at("14:39")}, responder)
		if err != nil {
			t.Fatal(err)
		}
		pngData := pngBytes(t)
		for _, c := range []struct {
			name, wantName, wantType string
			data                     []byte
		}{
			{"screen.png", "screen.png", "image/png", pngData},
			{"photo.jpg", "photo.jpg", "image/jpeg", jpegBytes(t)},
			{"accounts.csv", "accounts.csv", "text/csv", []byte("account,amount\n1,20\n2,30\n")},
			{"payload.json", "payload.json", "application/json", []byte(`{"account": 1, "amount": [20, 30]}`)},
			{"notes.txt", "notes.txt", "text/plain", []byte("The invoice run started at 14:00.\n")},
			{"../../etc/passwd", "passwd", "text/plain", []byte("root:x:0:0\n")},
			{`C:\Users\ana\shot.png`, "shot.png", "image/png", pngData},
			{"", "attachment", "text/plain", []byte("no name")},
		} {
			a, err := s.Attach(ctx, inc.Ref, c.name, bytes.NewReader(c.data), responder)
			if err != nil {
				t.Errorf("attach %q: %v", c.name, err)
				continue
			}
			if a.Name != c.wantName || a.Type != c.wantType || a.Size != int64(len(c.data)) || len(a.SHA256) != 64 {
				t.Errorf("attach %q: %+v", c.name, a)
			}
			if strings.Contains(a.StoredAs, c.wantName) {
				t.Errorf("stored under the user's name: %q", a.StoredAs)
			}
			f, got, err := s.OpenAttachment(ctx, inc.Ref, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(f)
			f.Close()
			if !bytes.Equal(body, c.data) || got.Type != c.wantType {
				t.Errorf("read back %q: %d bytes, type %s", c.name, len(body), got.Type)
			}
		}
		list, err := s.Attachments(ctx, inc.Ref)
		if err != nil || len(list) != 8 {
			t.Fatalf("attachments: %d, %v", len(list), err)
		}
		if n := len(files(t, s)); n != 8 {
			t.Errorf("%d files in the directory, want 8", n)
		}
		events, _ := s.Timeline(ctx, inc.Ref, false)
		found := false
		for _, e := range events {
			if strings.HasPrefix(e.Body, "Attached screen.png (image/png, ") && e.Visibility == amends.Internal {
				found = true
			}
		}
		if !found {
			t.Errorf("no internal timeline note of the attachment")
		}
		if _, _, err := s.OpenAttachment(ctx, inc.Ref, 999); code(err) != amends.ENotFound {
			t.Errorf("missing attachment: %v", err)
		}
		if _, err := s.Attach(ctx, "INC-99", "a.txt", strings.NewReader("x"), responder); code(err) != amends.ENotFound {
			t.Errorf("attach to no incident: %v", err)
		}
	})
}

func TestAttachRefusesDisguisedAndOversizedFiles(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 2, NoticedAt: at("14:39")}, responder)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			name string
			r    io.Reader
			want string
		}{
			{"screen.png", strings.NewReader("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"), "HTML"},
			{"logo.svg", strings.NewReader(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "SVG"},
			{"logo.png", strings.NewReader(`<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`), "SVG"},
			{"notes.txt", strings.NewReader("hello\n<script>alert(1)</script>"), "markup"},
			{"data.csv", bytes.NewReader(zipBytes(t)), "archive"},
			{"tool.txt", bytes.NewReader([]byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff")), "not accepted"},
			{"bad.json", strings.NewReader(`{"account": 1,`), "JSON"},
			{"latin1.txt", bytes.NewReader([]byte("caf\xe9 cr\xe8me")), "UTF-8"},
			{"empty.txt", strings.NewReader(""), "empty"},
			{"big.png", io.MultiReader(bytes.NewReader(pngBytes(t)), io.LimitReader(repeat{'a'}, amends.MaxAttachment)), "over 20 MiB"},
		} {
			_, err := s.Attach(ctx, inc.Ref, c.name, c.r, responder)
			if code(err) != amends.EInvalid || !strings.Contains(err.Error(), c.want) {
				t.Errorf("attach %q: %v, want EInvalid naming %q", c.name, err, c.want)
			}
		}
		if list, _ := s.Attachments(ctx, inc.Ref); len(list) != 0 {
			t.Errorf("refused files left %d rows", len(list))
		}
		if f := files(t, s); len(f) != 0 {
			t.Errorf("refused files left %v in the directory", f)
		}
	})
}

func TestAttachQuota(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			clock := amendstest.NewClock(time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC))
			s, err := store.Open(ctx, amendstest.DatabaseURL(t, engine), "", store.Options{Now: clock.Now, Files: t.TempDir(), AttachmentQuota: 100})
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 2, NoticedAt: at("14:39")}, responder)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := s.Attach(ctx, inc.Ref, "a.txt", strings.NewReader(strings.Repeat("a", 60)), responder); err != nil {
				t.Fatal(err)
			}
			_, err = s.Attach(ctx, inc.Ref, "b.txt", strings.NewReader(strings.Repeat("b", 60)), responder)
			if code(err) != amends.EInvalid || !strings.Contains(err.Error(), "quota") {
				t.Errorf("over quota: %v", err)
			}
			if list, _ := s.Attachments(ctx, inc.Ref); len(list) != 1 {
				t.Errorf("%d rows after a refusal over quota", len(list))
			}
			if f := files(t, s); len(f) != 1 {
				t.Errorf("files %v after a refusal over quota", f)
			}
		})
	}
}

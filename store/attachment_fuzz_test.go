package store_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// fuzzStore opens a SQLite store for a fuzz target. The parsers under test do not depend on
// the engine, and SQLite in a temporary file keeps each run quick and independent.
func fuzzStore(f *testing.F) *store.Store {
	clock := amendstest.NewClock(time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC))
	s, err := store.Open(context.Background(), amendstest.DatabaseURL(f, "sqlite"), "", store.Options{Now: clock.Now, Files: f.TempDir()})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { s.Close() })
	return s
}

// FuzzAttach attaches any bytes under any name, twice: once under the fuzzed name and once
// under a name that claims another type. Both attempts must agree (the type comes from the
// content, never from the name) and match the domain's sniffing; a refusal is an EInvalid
// error for field "file" that stores no row, no file and no timeline note.
func FuzzAttach(f *testing.F) {
	var pngData bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 4, 4))
	img.Set(1, 1, color.RGBA{R: 200, A: 255})
	if err := png.Encode(&pngData, img); err != nil {
		f.Fatal(err)
	}
	for _, c := range []struct {
		name string
		data []byte
	}{
		{"screen.png", pngData.Bytes()},
		{"screen.html", pngData.Bytes()},
		{"accounts.csv", []byte("account,amount\n1,20\n2,30\n")},
		{"payload.json", []byte(`{"account": 1, "amount": [20, 30]}`)},
		{"notes.txt", []byte("The invoice run started at 14:00.\n")},
		{"../../etc/passwd", []byte("root:x:0:0\n")},
		{"page.png", []byte("<!doctype html><script>alert(1)</script>")},
		{"image.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>`)},
		{"report.pdf", []byte("%PDF-1.4\n%%EOF\n")},
		{"broken.json", []byte(`{"a":`)},
		{"tool.exe", []byte("MZ\x90\x00\x03\x00\x00\x00")},
		{"a\u202egnp.exe", []byte("text")},
		{"", nil},
	} {
		f.Add(c.data, c.name)
	}
	s := fuzzStore(f)
	ctx := context.Background()
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 2, NoticedAt: at("14:39")}, responder)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		other := "screenshot.png"
		if strings.HasSuffix(strings.ToLower(name), ".png") {
			other = "page.html"
		}
		before := attachState(t, s, inc.Ref)
		a, err := s.Attach(ctx, inc.Ref, name, bytes.NewReader(data), responder)
		b, errOther := s.Attach(ctx, inc.Ref, other, bytes.NewReader(data), responder)
		if code(err) != code(errOther) {
			t.Fatalf("named %q: %v; named %q: %v", name, err, other, errOther)
		}
		want, wantErr := amends.SniffAttachment(data)
		if wantErr == nil && want == "text" {
			want, wantErr = amends.TextType(data)
		}
		if err != nil {
			e := amends.ErrorOf(err)
			if e == nil || e.Code != amends.EInvalid || e.Field != "file" || wantErr == nil {
				t.Fatalf("refused with %v (the content sniffs as %q, %v)", err, want, wantErr)
			}
			if after := attachState(t, s, inc.Ref); after != before {
				t.Fatalf("a refused attachment left something behind: %+v, before %+v", after, before)
			}
			return
		}
		if a.Type != b.Type || a.Type != want {
			t.Fatalf("type %q under %q, %q under %q; the content sniffs as %q", a.Type, name, b.Type, other, want)
		}
		if a.Size != int64(len(data)) || a.Name != amends.SanitizeAttachmentName(name) {
			t.Fatalf("attached %d bytes as %q: %+v", len(data), name, a)
		}
		after := attachState(t, s, inc.Ref)
		if after.rows != before.rows+2 || after.files != before.files+2 || after.events != before.events+2 {
			t.Fatalf("two attachments added %+v to %+v", after, before)
		}
	})
}

type attachCounts struct{ rows, files, events int }

func attachState(t *testing.T, s *store.Store, ref string) attachCounts {
	t.Helper()
	list, err := s.Attachments(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	events, err := s.Timeline(context.Background(), ref, false)
	if err != nil {
		t.Fatal(err)
	}
	return attachCounts{rows: len(list), files: len(files(t, s)), events: len(events)}
}

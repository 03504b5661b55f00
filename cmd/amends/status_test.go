package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

func TestStatusExportCommand(t *testing.T) {
	t.Setenv("AMENDS_BASE_URL", "")
	t.Setenv("AMENDS_STATUS_EXPORT_URL", "")
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	ctx := context.Background()
	st, err := store.Open(ctx, db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	inc, err := st.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Summary: "internal summary", Severity: 1}, cliActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: "We doubled your invoice; a corrected one follows.", Visibility: amends.Public}, cliActor); err != nil {
		t.Fatal(err)
	}
	st.Close()

	dir := filepath.Join(t.TempDir(), "site")
	if code, _, stderr := cli(t, "status", "export", dir, "--db", db); code != 2 || !strings.Contains(stderr, "base-url") {
		t.Errorf("export without a URL: %d %q", code, stderr)
	}
	code, stdout, stderr := cli(t, "status", "export", dir, "--db", db, "--base-url", "https://status.example.net")
	if code != 0 || !strings.Contains(stdout, "index.html") {
		t.Fatalf("status export: %d %q %q", code, stdout, stderr)
	}
	page, _ := os.ReadFile(filepath.Join(dir, "index.html"))
	doc, _ := os.ReadFile(filepath.Join(dir, "status.json"))
	feed, _ := os.ReadFile(filepath.Join(dir, "feed.atom"))
	if !bytes.Contains(page, []byte("We doubled your invoice")) || !bytes.Contains(doc, []byte(`"url":"https://status.example.net/#INC-1"`)) ||
		!bytes.Contains(feed, []byte(`href="https://status.example.net/feed.atom"`)) {
		t.Errorf("export:\n%s\n%s\n%s", page, doc, feed)
	}
	for _, b := range [][]byte{page, doc, feed} {
		if bytes.Contains(b, []byte("internal summary")) {
			t.Error("the export shows the summary")
		}
	}
	if code, _, _ := cli(t, "status", "export", "--db", db); code != 2 {
		t.Errorf("export without DIR: %d", code)
	}
}

func TestServeServesTheStatusPage(t *testing.T) {
	export := t.TempDir()
	m := &Main{Config: config{Addr: "127.0.0.1:0", Data: t.TempDir(), DB: "sqlite:" + filepath.Join(t.TempDir(), "a.db"),
		Workers: 2, RescueAfter: time.Minute, StatusExport: export}, Notice: io.Discard, Logger: quietLogger()}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	res, err := http.Get(m.URL() + "/status")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(res.Header.Get("Content-Security-Policy"), "style-src 'sha256-") ||
		res.Header.Get("X-Content-Type-Options") != "nosniff" || res.Header.Get("ETag") == "" {
		t.Fatalf("GET /status: %d %v", res.StatusCode, res.Header)
	}
	ctx := context.Background()
	inc, err := m.Store.CreateIncident(ctx, amends.NewIncident{Title: "Export sent to the wrong account", Severity: 2}, cliActor)
	if err != nil {
		t.Fatal(err)
	}
	const body = "We sent the export of one customer to another account."
	start := time.Now()
	if _, err := m.Store.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: body, Visibility: amends.Public}, cliActor); err != nil {
		t.Fatal(err)
	}
	for {
		res, err := http.Get(m.URL() + "/status.json")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if bytes.Contains(b, []byte(body)) {
			break
		}
		if time.Since(start) > time.Second {
			t.Fatal("a publish was not visible within 1 s")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// The export is written right after the new snapshot is served.
	for {
		b, err := os.ReadFile(filepath.Join(export, "index.html"))
		if err == nil && bytes.Contains(b, []byte(body)) {
			break
		}
		if time.Since(start) > 2*time.Second {
			t.Fatalf("the export after the publish: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

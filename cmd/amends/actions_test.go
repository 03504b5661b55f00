package main

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
)

func TestCLIActions(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	m, _ := startServer(t, db)
	ctx := context.Background()
	_, token, _ := cli(t, "token", "create", "--db", db, "--role", "viewer", "--name", "cli-test")
	conn := []string{"--url", m.URL(), "--token", strings.TrimSpace(token)}
	ana := amends.Actor{Name: "ana", Role: amends.Responder}
	if _, err := m.Store.CreateUser(ctx, "ines", amends.Responder, "correct horse battery staple", ana); err != nil {
		t.Fatal(err)
	}
	inc, err := m.Store.CreateIncident(ctx, amends.NewIncident{Title: "Wrong invoices", Severity: 2}, ana)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range []struct {
		title string
		days  int
	}{{"Test the invoice run", 10}, {"Refund everyone", 2}} {
		if _, err := m.Store.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: it.title, Kind: amends.ActionFix,
			Owner: "ines", Due: time.Now().AddDate(0, 0, it.days)}, ana); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := cli(t, append([]string{"actions", "--mine", "--owner", "ines"}, conn...)...)
	if code != 0 || strings.Index(out, "Refund everyone") > strings.Index(out, "Test the invoice run") || !strings.Contains(out, "INC-1") {
		t.Fatalf("actions --mine: %d %q %q", code, out, stderr)
	}
	t.Setenv("AMENDS_USER", "ines")
	if code, out, _ := cli(t, append([]string{"actions", "--mine"}, conn...)...); code != 0 || !strings.Contains(out, "Refund everyone") {
		t.Errorf("AMENDS_USER: %d %q", code, out)
	}
	if code, out, _ := cli(t, append([]string{"actions", "INC-1"}, conn...)...); code != 0 || !strings.Contains(out, "Test the invoice run") {
		t.Errorf("actions INC-1: %d %q", code, out)
	}
	t.Setenv("AMENDS_USER", "")
	if code, _, stderr := cli(t, append([]string{"actions", "--mine"}, conn...)...); code != 2 || !strings.Contains(stderr, "AMENDS_USER") {
		t.Errorf("--mine without a name: %d %q", code, stderr)
	}
	if code, _, _ := cli(t, append([]string{"actions"}, conn...)...); code != 2 {
		t.Errorf("no argument: %d", code)
	}
}

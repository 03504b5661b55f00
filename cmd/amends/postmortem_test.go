package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// afternoonStore records the sample afternoon of DESIGN.md (3 November 2026, UTC) in a fresh
// SQLite store whose clock reads 19:00 that day.
func afternoonStore(t *testing.T) (*store.Store, *amends.Incident) {
	t.Helper()
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	clock := amendstest.NewClock(day.Add(19 * time.Hour))
	st, err := store.Open(context.Background(), "sqlite:"+filepath.Join(t.TempDir(), "a.db"), "", store.Options{Now: clock.Now, Location: time.UTC})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	inc, err := loadDemo(context.Background(), st, day)
	if err != nil {
		t.Fatal(err)
	}
	return st, inc
}

// TestAfternoonPostmortemTimeline checks the generated timeline and the durations that matter
// against the times of the afternoon in DESIGN.md.
func TestAfternoonPostmortemTimeline(t *testing.T) {
	st, inc := afternoonStore(t)
	pm, err := st.Postmortem(context.Background(), inc.Ref, amends.EditionInternal)
	if err != nil {
		t.Fatal(err)
	}
	spans := map[string]string{}
	for _, s := range pm.Spans {
		spans[s.Name] = s.Text
	}
	for name, want := range map[string]string{"colleagues_told": "4 min", "root_cause": "16 min", "mitigated": "16 min",
		"customers_told": "4 h", "loop_closed": "4 h 6 min"} {
		if spans[name] != want {
			t.Errorf("noticed → %s: %q, want %q", name, spans[name], want)
		}
	}
	// Each row of DESIGN.md's table is on the generated timeline at its time.
	for _, row := range []struct {
		hhmm string
		kind amends.EventKind
	}{{"14:39", amends.KindNoticed}, {"14:43", amends.KindColleaguesTold}, {"14:48", amends.KindNote},
		{"14:55", amends.KindRootCause}, {"15:03", amends.KindNote}, {"18:14", amends.KindPostmortem},
		{"18:39", amends.KindCustomersTold}, {"18:45", amends.KindStatus}} {
		found := false
		for _, l := range pm.Timeline {
			if l.Kind == row.kind && l.At.UTC().Format("15:04") == row.hhmm {
				found = true
			}
		}
		if !found {
			t.Errorf("no %s at %s on the generated timeline", row.kind, row.hhmm)
		}
	}
	for _, it := range pm.Checklist {
		if !it.Done {
			t.Errorf("the afternoon closed its loop, but %s does not hold", it.Name)
		}
	}
	pub, err := st.Postmortem(context.Background(), inc.Ref, amends.EditionPublic)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range pub.Timeline {
		if l.Kind != amends.KindNote && l.Kind != amends.KindCustomersTold {
			t.Errorf("public timeline shows an internal %s event", l.Kind)
		}
	}
}

// TestPostmortemMarkdownGolden compares the Markdown export of the afternoon, both editions,
// with testdata/postmortem/*.golden; run with -update to rewrite them.
func TestPostmortemMarkdownGolden(t *testing.T) {
	st, inc := afternoonStore(t)
	for _, ed := range []amends.Edition{amends.EditionInternal, amends.EditionPublic} {
		pm, err := st.Postmortem(context.Background(), inc.Ref, ed)
		if err != nil {
			t.Fatal(err)
		}
		got := pm.Markdown(time.UTC)
		path := filepath.Join("testdata", "postmortem", "afternoon-"+string(ed)+".md.golden")
		if *updateLint {
			if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if got != string(want) {
			t.Errorf("%s edition differs from %s:\n%s", ed, path, got)
		}
	}
}

func TestCLIPostmortem(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	m, _ := startServer(t, db)
	if _, err := loadDemo(context.Background(), m.Store, lastAfternoon(time.Now(), time.Local)); err != nil {
		t.Fatal(err)
	}
	_, token, _ := cli(t, "token", "create", "--db", db, "--role", "viewer", "--name", "pm")
	conn := []string{"--url", m.URL(), "--token", strings.TrimSpace(token)}
	code, out, stderr := cli(t, append([]string{"postmortem", "INC-1", "--format", "md"}, conn...)...)
	if code != 0 || !strings.HasPrefix(out, "# Postmortem INC-1: Renewal reminder") || !strings.Contains(out, "| Noticed → loop closed | 4 h 6 min |") {
		t.Errorf("postmortem --format md: %d %q %q", code, out, stderr)
	}
	code, out, stderr = cli(t, append([]string{"postmortem", "INC-1", "--format", "html", "--edition", "public"}, conn...)...)
	if code != 0 || !strings.Contains(out, "<style>") || !strings.Contains(out, "<h2>Apology</h2>") || strings.Contains(out, "<h2>Root cause</h2>") {
		t.Errorf("postmortem --format html: %d %q", code, stderr)
	}
	if code, _, stderr = cli(t, append([]string{"postmortem", "INC-1", "--format", "pdf"}, conn...)...); code != 2 {
		t.Errorf("--format pdf: %d %q", code, stderr)
	}
}

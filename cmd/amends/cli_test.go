package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// cli runs the amends command in-process and returns its exit code and output.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(context.Background(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// startServer runs `amends serve` in-process on a free port with SQLite in a temp directory.
func startServer(t *testing.T, db string) (*Main, string) {
	t.Helper()
	dir := t.TempDir()
	var notice bytes.Buffer
	m := &Main{Config: config{Addr: "127.0.0.1:0", Data: dir, DB: db, Workers: 10, RescueAfter: time.Minute},
		Notice: &notice, Logger: quietLogger()}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m, notice.String()
}

func TestFirstStartPrintsAdminPasswordOnce(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	m, notice := startServer(t, db)
	if !strings.Contains(notice, m.URL()+"/login") || !strings.Contains(notice, "user:     admin") {
		t.Fatalf("first start notice: %q", notice)
	}
	password := strings.TrimSpace(strings.SplitN(strings.SplitN(notice, "password: ", 2)[1], "\n", 2)[0])
	if _, err := m.Store.Authenticate(context.Background(), "admin", password); err != nil {
		t.Errorf("the printed password does not sign in: %v", err)
	}
	m.Close()
	_, again := startServer(t, db)
	if strings.Contains(again, "password") {
		t.Errorf("second start printed a password again: %q", again)
	}
}

func TestCLIDeclareRecordVerify(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "a.db")
	m, _ := startServer(t, db)
	code, token, stderr := cli(t, "token", "create", "--db", db, "--role", "responder", "--name", "cli-test")
	token = strings.TrimSpace(token)
	if code != 0 || !strings.HasPrefix(token, "amends_") || strings.Contains(token, "\n") {
		t.Fatalf("token create: %d %q %q", code, token, stderr)
	}
	conn := []string{"--url", m.URL(), "--token", token}
	ten := time.Now().Add(-10 * time.Minute).Format("15:04")
	code, out, stderr := cli(t, append([]string{"declare", "Wrong renewal email sent", "--severity", "2", "--noticed-at", ten}, conn...)...)
	if code != 0 || !strings.HasPrefix(out, "INC-1 declared: Wrong renewal email sent (SEV2") {
		t.Fatalf("declare: %d %q %q", code, out, stderr)
	}
	five := time.Now().Add(-5 * time.Minute).Format("15:04")
	if code, out, stderr = cli(t, append([]string{"note", "INC-1", "segment filter inverted", "--kind", "root_cause", "--at", five}, conn...)...); code != 0 {
		t.Fatalf("note: %d %q %q", code, out, stderr)
	}
	if code, out, _ = cli(t, append([]string{"status", "INC-1", "identified", "--note", "fix deployed"}, conn...)...); code != 0 || out != "INC-1 is now identified\n" {
		t.Fatalf("status: %d %q", code, out)
	}
	if code, _, stderr = cli(t, append([]string{"status", "INC-1", "closed"}, conn...)...); code == 0 || !strings.Contains(stderr, "status:") {
		t.Errorf("closing without the checklist: %d %q", code, stderr)
	}
	if code, _, stderr = cli(t, append([]string{"declare", "x", "--severity", "9"}, conn...)...); code != 2 || !strings.Contains(stderr, "severity") {
		t.Errorf("bad severity: %d %q", code, stderr)
	}
	if code, _, stderr = cli(t, append([]string{"note", "INC-7", "x"}, conn...)...); code != 1 || !strings.Contains(stderr, "no incident INC-7") {
		t.Errorf("unknown incident: %d %q", code, stderr)
	}
	code, out, _ = cli(t, append([]string{"timeline", "INC-1"}, conn...)...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 4 || !strings.Contains(lines[0], "Noticed") || !strings.Contains(lines[1], "Root cause found") || !strings.Contains(lines[1], "(recorded ") {
		t.Errorf("timeline: %d\n%s", code, out)
	}
	code, out, _ = cli(t, append([]string{"incidents", "--open"}, conn...)...)
	if code != 0 || !strings.Contains(out, "INC-1") || !strings.Contains(out, "identified") {
		t.Errorf("incidents: %d %q", code, out)
	}
	m.Close()

	// History is tamper-evident: verify passes, then fails once a row is edited behind amends' back.
	if code, out, _ = cli(t, "verify", "--db", db); code != 0 || !strings.Contains(out, "all 1 incidents check out") {
		t.Fatalf("verify: %d %q", code, out)
	}
	st, err := store.Open(context.Background(), db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	st.DB().Exec("DROP TRIGGER events_no_update")
	if _, err := st.DB().Exec("UPDATE events SET body = 'we did nothing wrong' WHERE seq = 2"); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if code, out, _ = cli(t, "verify", "--db", db); code != 1 || !strings.Contains(out, "INC-1: event 2: was changed after it was recorded") {
		t.Errorf("verify after tampering: %d %q", code, out)
	}
}

func TestBackupAndMigrateCommands(t *testing.T) {
	dir := t.TempDir()
	db := "sqlite:" + filepath.Join(dir, "a.db")
	if code, out, _ := cli(t, "migrate", "--db", db); code != 0 || !strings.Contains(out, "applied 0001_spine.sql") {
		t.Fatalf("migrate: %d %q", code, out)
	}
	if code, out, _ := cli(t, "migrate", "--db", db); code != 0 || strings.Contains(out, "applied") {
		t.Errorf("second migrate applied again: %q", out)
	}
	if code, _, _ := cli(t, "demo", "--db", db); code != 0 {
		t.Fatal("demo failed")
	}
	backup := filepath.Join(dir, "copy.db")
	if code, out, _ := cli(t, "backup", "--db", db, backup); code != 0 || !strings.Contains(out, backup) {
		t.Fatalf("backup: %d %q", code, out)
	}
	if code, _, stderr := cli(t, "backup", "--db", db, backup); code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("backup over a file: %d %q", code, stderr)
	}
	if code, out, _ := cli(t, "verify", "--db", "sqlite:"+backup); code != 0 || !strings.Contains(out, "all 1 incidents") {
		t.Errorf("restored copy: %d %q", code, out)
	}
	if code, _, stderr := cli(t, "token", "create", "--db", db, "--role", "owner", "--name", "x"); code != 2 || !strings.Contains(stderr, "role") {
		t.Errorf("bad role: %d %q", code, stderr)
	}
	if code, _, _ := cli(t, "frobnicate"); code != 2 {
		t.Error("unknown command")
	}
}

// TestDemoIsTheSampleAfternoon checks the demo against the times in DESIGN.md.
func TestDemoIsTheSampleAfternoon(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, "sqlite:"+filepath.Join(t.TempDir(), "d.db"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	day := lastAfternoon(time.Now(), time.Local)
	inc, err := loadDemo(ctx, st, day)
	if err != nil {
		t.Fatal(err)
	}
	at := func(h, m int) time.Time { return day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	checks := []struct {
		name string
		got  *time.Time
		want time.Time
	}{
		{"colleagues told", inc.ColleaguesToldAt, at(14, 43)},
		{"root cause", inc.RootCauseAt, at(14, 55)},
		{"mitigated", inc.MitigatedAt, at(14, 55)},
		{"customers told", inc.CustomersToldAt, at(18, 39)},
		{"loop closed", inc.ClosedAt, at(18, 45)},
	}
	if !inc.NoticedAt.Equal(at(14, 39)) {
		t.Errorf("noticed %v", inc.NoticedAt)
	}
	for _, c := range checks {
		if c.got == nil || !c.got.Equal(c.want) {
			t.Errorf("%s: %v, want %v", c.name, c.got, c.want)
		}
	}
	if d := inc.ColleaguesToldAt.Sub(inc.NoticedAt); d != 4*time.Minute {
		t.Errorf("colleagues told %v after noticed, want 4 min", d)
	}
	if d := inc.ClosedAt.Sub(inc.NoticedAt); d != 4*time.Hour+6*time.Minute {
		t.Errorf("loop closed %v after noticed, want 4 h 6 min", d)
	}
	if inc.Status != amends.Closed {
		t.Errorf("status %s", inc.Status)
	}
	public, _ := st.Timeline(ctx, inc.Ref, true)
	if len(public) != 2 {
		t.Errorf("%d public events, want the two customer-facing ones", len(public))
	}
}

func TestParseWhen(t *testing.T) {
	loc := time.FixedZone("CET", 3600)
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, loc)
	cases := map[string]string{
		"14:39":                "2026-11-03 14:39",
		"16:00":                "2026-11-02 16:00", // still ahead today: yesterday's
		"2026-11-01 09:30":     "2026-11-01 09:30",
		"2026-11-03T13:39:00Z": "2026-11-03 14:39",
	}
	for in, want := range cases {
		got, err := parseWhen("at", in, now, loc)
		if err != nil || got.In(loc).Format("2006-01-02 15:04") != want {
			t.Errorf("parseWhen(%q) = %v, %v; want %s", in, got, err, want)
		}
	}
	for _, bad := range []string{"noon", "25:00", "14h39", "2026-13-01 10:00"} {
		if _, err := parseWhen("at", bad, now, loc); amends.ErrorCode(err) != amends.EInvalid {
			t.Errorf("parseWhen(%q) = %v, want invalid", bad, err)
		}
	}
	if got, _ := parseWhen("at", "", now, loc); got != nil {
		t.Error("empty means not given")
	}
}

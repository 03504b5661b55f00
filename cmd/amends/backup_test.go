package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends/amendstest"
)

// These tests follow the backup and restore procedure of docs/OPERATIONS.md step by step with
// the real program: build a data set through the API of a running server, back it up while it
// runs, restore it into a fresh data directory (SQLite) or a fresh database (PostgreSQL), start
// a server on the copy and compare what both servers answer.

// serveData runs `amends serve` in-process on a free port with the given data directory.
func serveData(t *testing.T, data, db string) *Main {
	t.Helper()
	m := &Main{Config: config{Addr: "127.0.0.1:0", Data: data, DB: db, Workers: 10, RescueAfter: time.Minute},
		Notice: io.Discard, Logger: quietLogger()}
	if err := m.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

// call sends one API request with a bearer token and returns the status and body.
func call(t *testing.T, base, token, method, path, contentType string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

// must sends a JSON request and fails the test unless the answer has the wanted status.
func must(t *testing.T, base, token, method, path string, body any, want int) []byte {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	code, out := call(t, base, token, method, path, "application/json", b)
	if code != want {
		t.Fatalf("%s %s: %d, want %d: %s", method, path, code, want, out)
	}
	return out
}

// dataSet is what a team has after an afternoon: incidents with timelines, a message, customers,
// promises and supporting files.
type dataSet struct {
	refs        []string
	attachments map[string][]byte // API path of the download → the bytes uploaded
}

func makeDataSet(t *testing.T, base, token, db string) dataSet {
	t.Helper()
	for _, name := range []string{"ana", "bo"} {
		if code, _, stderr := cli(t, "user", "add", name, "--role", "responder", "--db", db); code != 0 {
			t.Fatalf("user add %s: %d %s", name, code, stderr)
		}
	}
	ds := dataSet{attachments: map[string][]byte{}}
	for i, title := range []string{"Renewal email sent to the wrong list", "Invoices for 40 accounts showed the wrong amounts"} {
		var inc struct{ Ref string }
		json.Unmarshal(must(t, base, token, "POST", "/api/v1/incidents", map[string]any{
			"title": title, "summary": "Some customers were told the wrong thing.", "severity": i + 3,
			// Noticed minutes ago, so no time-to-own nudge or escalation (the first is due after
			// 48 minutes at severity 3) adds to a timeline while the test compares them.
			"noticed_at": time.Now().Add(-5 * time.Minute).UTC().Format(time.RFC3339),
		}, 201), &inc)
		ds.refs = append(ds.refs, inc.Ref)
		for k, ev := range []map[string]any{
			{"kind": "note", "body": "Support has three tickets about it."},
			{"kind": "root_cause", "body": "The segment filter was inverted."},
			{"kind": "note", "body": "We have stopped the send and are writing to everyone who got it.", "visibility": "public"},
		} {
			ev["at"] = time.Now().Add(time.Duration(k-4) * time.Minute).UTC().Format(time.RFC3339)
			must(t, base, token, "POST", "/api/v1/incidents/"+inc.Ref+"/events", ev, 201)
		}
	}
	ref := ds.refs[0]
	must(t, base, token, "POST", "/api/v1/incidents/"+ref+"/messages", map[string]any{
		"kind": "acknowledgement", "subject": "We sent you a renewal email by mistake",
		"body": "This morning we sent you a renewal email for a plan you had cancelled. That was our mistake, and we are sorry.",
	}, 201)
	for i, email := range []string{"ana@example.com", "bo@example.net", "chidi@example.org"} {
		must(t, base, token, "POST", "/api/v1/customers", map[string]any{
			"email": email, "name": fmt.Sprintf("Customer %d", i), "account": "acct-" + email[:2], "segments": []string{"renewals"},
		}, 201)
	}
	must(t, base, token, "POST", "/api/v1/incidents/"+ref+"/actions", map[string]any{
		"title": "Refuse a send whose list changed by more than a tenth", "kind": "prevention", "owner": "ana",
		"due": time.Now().AddDate(0, 0, 14).Format("2006-01-02"), "public": true,
	}, 201)
	must(t, base, token, "POST", "/api/v1/incidents/"+ref+"/actions", map[string]any{
		"title": "Write to every customer who got the email", "kind": "communication", "owner": "bo",
		"due": time.Now().AddDate(0, 0, 2).Format("2006-01-02"),
	}, 201)

	var img bytes.Buffer
	pic := image.NewRGBA(image.Rect(0, 0, 16, 16))
	for x := range 16 {
		pic.Set(x, x, color.RGBA{200, 0, 0, 255})
	}
	png.Encode(&img, pic)
	files := []struct {
		name, ctype string
		body        []byte
	}{
		{"affected.csv", "text/csv", []byte("email,plan\nana@example.com,cancelled\nbo@example.net,cancelled\n")},
		{"screenshot.png", "image/png", img.Bytes()},
	}
	for _, f := range files {
		code, out := call(t, base, token, "POST", "/api/v1/incidents/"+ref+"/attachments?name="+url.QueryEscape(f.name), f.ctype, f.body)
		if code != 201 {
			t.Fatalf("attach %s: %d %s", f.name, code, out)
		}
		var att struct{ ID int64 }
		json.Unmarshal(out, &att)
		ds.attachments[fmt.Sprintf("/api/v1/incidents/%s/attachments/%d", ref, att.ID)] = f.body
	}
	return ds
}

// snapshot is what a server answers about the data set, with its own address taken out.
func snapshot(t *testing.T, base, token string, ds dataSet) map[string]string {
	t.Helper()
	paths := []string{"/api/v1/incidents", "/api/v1/customers", "/api/v1/actions?owner=ana", "/api/v1/actions?owner=bo"}
	for _, ref := range ds.refs {
		for _, p := range []string{"", "/timeline", "/messages", "/actions", "/attachments", "/checklist"} {
			paths = append(paths, "/api/v1/incidents/"+ref+p)
		}
	}
	for p := range ds.attachments {
		paths = append(paths, p)
	}
	got := map[string]string{}
	for _, p := range paths {
		code, b := call(t, base, token, "GET", p, "", nil)
		if code != 200 {
			t.Fatalf("GET %s: %d %s", p, code, b)
		}
		got[p] = strings.ReplaceAll(string(b), base, "BASE")
	}
	return got
}

// checkSameAnswers compares the restored server's answers with the original's, and the
// attachments with the bytes uploaded.
func checkSameAnswers(t *testing.T, want, got map[string]string, ds dataSet) {
	t.Helper()
	for p, w := range want {
		if got[p] != w {
			i := 0
			for i < len(w) && i < len(got[p]) && w[i] == got[p][i] {
				i++
			}
			from := max(0, i-80)
			t.Errorf("GET %s differs after restore from byte %d:\n got …%.200s\nwant …%.200s", p, i, got[p][from:], w[from:])
		}
	}
	for p, body := range ds.attachments {
		if got[p] != string(body) {
			t.Errorf("attachment %s: %d bytes after restore, want the %d uploaded", p, len(got[p]), len(body))
		}
	}
	// The comparison means something only if the data set is in the answers.
	for _, s := range []string{"segment filter was inverted", "hash"} {
		if !strings.Contains(want["/api/v1/incidents/"+ds.refs[0]+"/timeline"], s) {
			t.Errorf("the timeline before the backup lacks %q", s)
		}
	}
	for p, s := range map[string]string{"/api/v1/customers": "chidi@example.org", "/api/v1/actions?owner=ana": "Refuse a send",
		"/api/v1/incidents/" + ds.refs[0] + "/messages":    "renewal email by mistake",
		"/api/v1/incidents/" + ds.refs[0] + "/attachments": "screenshot.png"} {
		if !strings.Contains(want[p], s) {
			t.Errorf("GET %s before the backup lacks %q", p, s)
		}
	}
}

// copyTree copies the files under src to dst, as `cp -a` or rsync would.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o700)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o600)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestBackupRestoreSQLite(t *testing.T) {
	data := t.TempDir()
	db := "sqlite:" + filepath.Join(data, "amends.db")
	m := serveData(t, data, db)
	code, token, stderr := cli(t, "token", "create", "--db", db, "--role", "admin", "--name", "backup-test")
	token = strings.TrimSpace(token)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, stderr)
	}
	ds := makeDataSet(t, m.URL(), token, db)
	want := snapshot(t, m.URL(), token, ds)

	// Back up while the server runs: the database first, then the attachments.
	backups := t.TempDir()
	file := filepath.Join(backups, "amends.db")
	if code, out, stderr := cli(t, "backup", "--data", data, file); code != 0 || !strings.Contains(out, file) {
		t.Fatalf("backup: %d %q %q", code, out, stderr)
	}
	copyTree(t, filepath.Join(data, "attachments"), filepath.Join(backups, "attachments"))

	// A second backup to the same file is refused and leaves the first one as it was.
	before, _ := os.ReadFile(file)
	if code, _, stderr := cli(t, "backup", "--data", data, file); code == 0 || !strings.Contains(stderr, "exists") {
		t.Errorf("backup over an existing file: %d %q", code, stderr)
	}
	if after, _ := os.ReadFile(file); !bytes.Equal(before, after) {
		t.Error("a refused backup changed the existing file")
	}
	// Changes after the backup must not be in the restored copy.
	must(t, m.URL(), token, "POST", "/api/v1/incidents", map[string]any{"title": "After the backup", "severity": 4}, 201)
	m.Close()

	// Restore into a fresh data directory: the file becomes DATA/amends.db, the attachments
	// DATA/attachments.
	restored := t.TempDir()
	copyTree(t, backups, restored)
	if code, out, _ := cli(t, "verify", "--data", restored); code != 0 || !strings.Contains(out, "all 2 incidents check out") {
		t.Fatalf("verify the restored copy: %d %q", code, out)
	}
	r := serveData(t, restored, "")
	got := snapshot(t, r.URL(), token, ds)
	checkSameAnswers(t, want, got, ds)
	if code, b := call(t, r.URL(), token, "GET", "/api/v1/incidents/INC-3", "", nil); code != 404 {
		t.Errorf("an incident declared after the backup is in the restored copy: %d %s", code, b)
	}
	r.Close()

	// Restoring the database without the attachments leaves every row readable and says which
	// file is missing instead of failing the whole incident.
	bare := t.TempDir()
	b, _ := os.ReadFile(file)
	os.WriteFile(filepath.Join(bare, "amends.db"), b, 0o600)
	r = serveData(t, bare, "")
	for p := range ds.attachments {
		if code, out := call(t, r.URL(), token, "GET", p, "", nil); code != 404 || !strings.Contains(string(out), "backup") {
			t.Errorf("an attachment whose file was not restored: %d %s", code, out)
		}
	}
	if code, _ := call(t, r.URL(), token, "GET", "/api/v1/incidents/"+ds.refs[0]+"/timeline", "", nil); code != 200 {
		t.Errorf("timeline without the attachments: %d", code)
	}
}

func TestBackupRestorePostgres(t *testing.T) {
	db := amendstest.DatabaseURL(t, "postgres")
	for _, tool := range []string{"pg_dump", "pg_restore", "psql"} {
		_, err := exec.LookPath(tool)
		amendstest.Require(t, err == nil, tool+" (apt-get install postgresql-client)")
	}
	data := t.TempDir()
	m := serveData(t, data, db)
	code, token, stderr := cli(t, "token", "create", "--db", db, "--role", "admin", "--name", "backup-test")
	token = strings.TrimSpace(token)
	if code != 0 {
		t.Fatalf("token create: %d %s", code, stderr)
	}
	ds := makeDataSet(t, m.URL(), token, db)
	want := snapshot(t, m.URL(), token, ds)

	// `amends backup` is for SQLite and says what to use instead.
	if code, _, stderr := cli(t, "backup", "--db", db, filepath.Join(t.TempDir(), "x.db")); code == 0 || !strings.Contains(stderr, "pg_dump") {
		t.Errorf("backup of PostgreSQL: %d %q", code, stderr)
	}

	// pg_dump while the server runs, then the attachments. The test database holds every test's
	// schema, so the dump names this one; a real deployment dumps its whole database.
	u, _ := url.Parse(db)
	schema := u.Query().Get("search_path")
	conn := *u
	conn.RawQuery = ""
	dump := filepath.Join(t.TempDir(), "amends.dump")
	if out, err := exec.Command("pg_dump", "-Fc", "--no-owner", "-n", schema, "-f", dump, conn.String()).CombinedOutput(); err != nil {
		t.Fatalf("pg_dump: %v\n%s", err, out)
	}
	backups := t.TempDir()
	copyTree(t, filepath.Join(data, "attachments"), filepath.Join(backups, "attachments"))
	m.Close()

	// Restore into a new, empty database.
	name := "restore_" + schema
	admin := conn
	if out, err := exec.Command("psql", admin.String(), "-c", "CREATE DATABASE "+name).CombinedOutput(); err != nil {
		t.Fatalf("create database: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		exec.Command("psql", admin.String(), "-c", "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)").Run()
	})
	target := conn
	target.Path = "/" + name
	if out, err := exec.Command("pg_restore", "--no-owner", "-d", target.String(), dump).CombinedOutput(); err != nil {
		t.Fatalf("pg_restore: %v\n%s", err, out)
	}
	q := u.Query()
	target.RawQuery = q.Encode()
	restoredDB := target.String()
	if code, out, _ := cli(t, "verify", "--db", restoredDB); code != 0 || !strings.Contains(out, "all 2 incidents check out") {
		t.Fatalf("verify the restored copy: %d %q", code, out)
	}
	restored := t.TempDir()
	copyTree(t, backups, restored)
	r := serveData(t, restored, restoredDB)
	checkSameAnswers(t, want, snapshot(t, r.URL(), token, ds), ds)
}

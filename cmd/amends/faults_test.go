//go:build linux

package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// answer is one HTTP answer as a test reads it.
type answer struct {
	status      int
	contentType string
	body        string
}

// patient is the client of the fault tests: a server that hangs instead of answering fails the
// test with a timeout rather than holding it up.
var patient = &http.Client{Timeout: 15 * time.Second}

func ask(t *testing.T, method, url, body string, header ...string) answer {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := patient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return answer{res.StatusCode, res.Header.Get("Content-Type"), string(b)}
}

// TestDatabaseGoneAnswers503AndRecovers puts a TCP proxy between the server and PostgreSQL and
// cuts it, as a restart of PostgreSQL looks to the server: every connection is closed and new
// ones are refused. The API answers 503 problems, a signed-in page is the 503 error page,
// /readyz says 503, and nothing is half-written. When the proxy is back the server recovers by
// itself: /readyz says 200, requests work and the job queue sends again, without a restart.
func TestDatabaseGoneAnswers503AndRecovers(t *testing.T) {
	direct := amendstest.DatabaseURL(t, "postgres")
	proxy, viaProxy := amendstest.ProxyURL(t, direct)
	f := newFanout(t, 0)
	token := setupFanout(t, direct, f, 3)
	cookie := webSession(t, direct)
	p := startProcess(t, viaProxy, "--workers", "4")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("server log:\n%s", p.logs.String())
		}
	})

	auth := []string{"Authorization", "Bearer " + token}
	readyz := func() int { return ask(t, "GET", p.url+"/readyz", "").status }
	incidents := func() answer { return ask(t, "GET", p.url+"/api/v1/incidents", "", auth...) }
	page := func() answer { return ask(t, "GET", p.url+"/incidents", "", "Cookie", "amends_session="+cookie) }
	declareVia := func(title string) answer {
		return ask(t, "POST", p.url+"/api/v1/incidents", fmt.Sprintf(`{"title":%q,"severity":2}`, title),
			append(auth, "Content-Type", "application/json")...)
	}

	if code := readyz(); code != 200 {
		t.Fatalf("readyz before the cut: %d", code)
	}
	if a := declareVia("Invoices doubled"); a.status != 201 {
		t.Fatalf("declare before the cut: %d %s", a.status, a.body)
	}
	if a := page(); a.status != 200 || !strings.Contains(a.body, "Invoices doubled") {
		t.Fatalf("incident list before the cut: %d", a.status)
	}
	eventually(t, "the first briefs", func() bool { _, _, n := f.stats(); return n == 3 })

	// Requests at once fill the pool with connections that were just used: pgx checks a pooled
	// connection before reuse only once it has been idle a second, so right after the cut each
	// of them first fails under its query, then new ones are refused. Both must read 503.
	const together = 8
	answers := make(chan answer, together)
	asAll := func() []answer {
		for range together {
			go func() { answers <- incidents() }()
		}
		var out []answer
		for range together {
			out = append(out, <-answers)
		}
		return out
	}
	for _, a := range asAll() {
		if a.status != 200 {
			t.Fatalf("incidents before the cut: %d %s", a.status, a.body)
		}
	}
	proxy.Cut()
	cut := time.Now()
	for _, a := range asAll() {
		var prob struct {
			Status int    `json:"status"`
			Code   string `json:"code"`
		}
		json.Unmarshal([]byte(a.body), &prob)
		if a.status != 503 || a.contentType != "application/problem+json" || prob.Code != amends.EUnavailable || prob.Status != 503 {
			t.Errorf("API with the database gone: %d %s %s", a.status, a.contentType, a.body)
		}
	}
	if code := readyz(); code != 503 {
		t.Errorf("readyz with the database gone: %d", code)
	}
	if a := declareVia("Declared while the database is gone"); a.status != 503 {
		t.Errorf("declare with the database gone: %d %s", a.status, a.body)
	}
	if a := page(); a.status != 503 || !strings.Contains(a.body, "The database is not answering") || strings.Contains(a.body, "dial") {
		t.Errorf("web page with the database gone: %d\n%s", a.status, a.body)
	}
	if code := readyz(); code != 503 {
		t.Errorf("readyz still with the database gone: %d", code)
	}

	t.Logf("with the database gone, %d requests answered in %s", together+4, time.Since(cut).Round(time.Millisecond))
	proxy.Restore(t)
	back := time.Now()
	eventually(t, "readyz after the database is back", func() bool { return readyz() == 200 })
	t.Logf("ready again %s after the database came back", time.Since(back).Round(time.Millisecond))
	if a := declareVia("Export sent to the wrong account"); a.status != 201 {
		t.Fatalf("declare after the database is back: %d %s", a.status, a.body)
	}
	a := incidents()
	var list struct {
		Incidents []amends.Incident `json:"incidents"`
	}
	json.Unmarshal([]byte(a.body), &list)
	var titles []string
	for _, inc := range list.Incidents {
		titles = append(titles, inc.Title)
	}
	if a.status != 200 || len(titles) != 2 || strings.Contains(a.body, "while the database is gone") {
		t.Errorf("incidents after the database is back: %d %q", a.status, titles)
	}
	if a := page(); a.status != 200 || !strings.Contains(a.body, "Export sent to the wrong account") {
		t.Errorf("incident list after the database is back: %d", a.status)
	}
	// The job queue has its own connections; it recovers too and sends the new incident's brief.
	eventually(t, "the briefs of the incident declared after the database came back", func() bool { _, _, n := f.stats(); return n == 6 })
	t.Logf("the queue sent again %s after the database came back", time.Since(back).Round(time.Millisecond))
	if _, maxRepeat, _ := f.stats(); maxRepeat != 1 {
		t.Errorf("a brief arrived %d times", maxRepeat)
	}
}

// webSession makes a responder who is signed in and returns the session cookie's value.
func webSession(t *testing.T, db string) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.CreateUser(ctx, "ines", amends.Responder, "a long enough password", amends.Actor{Name: "test", Role: amends.Admin})
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := st.CreateSession(ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setFileSizeLimit sets the largest file process pid may write (RLIMIT_FSIZE), so that its
// writes past that size fail as on a full disk (EFBIG instead of ENOSPC: Go ignores SIGXFSZ,
// and SQLite reports either as a failed write). It is the honest way to fill a disk here: the
// tests may run as root, where permissions do not stop writes, and cannot mount a small disk.
func setFileSizeLimit(t *testing.T, pid int, limit uint64) {
	t.Helper()
	lim := syscall.Rlimit{Cur: limit, Max: limit}
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRLIMIT64, uintptr(pid), uintptr(syscall.RLIMIT_FSIZE),
		uintptr(unsafe.Pointer(&lim)), 0, 0, 0); errno != 0 {
		t.Fatalf("prlimit: %v", errno)
	}
}

// sqliteIntact checks a SQLite database file the way a person would after a fault: SQLite's
// own integrity check says ok, and `amends verify` passes.
func sqliteIntact(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil || res != "ok" {
		t.Errorf("integrity_check: %q %v", res, err)
	}
	if code, out, stderr := cli(t, "verify", "--db", "sqlite:"+path); code != 0 {
		t.Errorf("verify: %s%s", out, stderr)
	}
}

// TestSQLiteDiskFull fills the disk under a running server (see setFileSizeLimit): a write that
// does not fit answers 503 with a problem a person can read, logs why once, and leaves nothing
// behind; reads still work; after the server is killed the database is intact; with room again,
// a restarted server writes and the timeline holds exactly what was accepted.
func TestSQLiteDiskFull(t *testing.T) {
	path := filepath.Join(t.TempDir(), "full.db")
	db := "sqlite:" + path
	token := setupFanout(t, db, newFanout(t, 0), 0)
	p := startProcess(t, db, "--workers", "2")
	ref := declare(t, p.url, token, "Invoices doubled")
	auth := []string{"Authorization", "Bearer " + token, "Content-Type", "application/json"}
	note := func(p *proc, i int) answer {
		// A body of 16 KB that is different each time, so no page compresses it away.
		body := fmt.Sprintf("note %d: %s", i, strings.Repeat(strconv.Itoa(i%10), 16000))
		return ask(t, "POST", p.url+"/api/v1/incidents/"+ref+"/events", fmt.Sprintf(`{"kind":"note","body":%q}`, body), auth...)
	}
	var largest int64
	for _, suffix := range []string{"", "-wal"} {
		if fi, err := os.Stat(path + suffix); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	setFileSizeLimit(t, p.cmd.Process.Pid, uint64(largest)+256<<10)

	accepted, refused := 0, answer{}
	for i := range 1000 {
		a := note(p, i)
		if a.status == 201 {
			accepted++
			continue
		}
		refused = a
		break
	}
	var prob struct {
		Status int    `json:"status"`
		Code   string `json:"code"`
		Detail string `json:"detail"`
	}
	json.Unmarshal([]byte(refused.body), &prob)
	if refused.status != 503 || prob.Code != amends.EUnavailable || strings.Contains(prob.Detail, "SQLITE") {
		t.Fatalf("after %d notes, a note that does not fit: %d %s\n%s", accepted, refused.status, refused.body, p.logs.String())
	}
	// The server writes its log line as it answers; the pipe reaches p.logs a moment later.
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(p.logs.String(), "database cannot be written"); {
		if time.Now().After(deadline) {
			t.Errorf("the log does not say why:\n%s", p.logs.String())
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if a := ask(t, "GET", p.url+"/api/v1/incidents/"+ref+"/timeline", "", auth...); a.status != 200 {
		t.Errorf("reading with the disk full: %d", a.status)
	}
	t.Logf("the disk filled after %d notes of 16 KB", accepted)
	p.kill(t)
	sqliteIntact(t, path)

	p = startProcess(t, db, "--workers", "2")
	if a := note(p, 5000); a.status != 201 {
		t.Fatalf("a note with room again: %d %s", a.status, a.body)
	}
	a := ask(t, "GET", p.url+"/api/v1/incidents/"+ref+"/timeline", "", auth...)
	if got, want := strings.Count(a.body, `"kind":"note"`), accepted+1; got != want {
		t.Errorf("the timeline holds %d notes, want the %d accepted", got, want)
	}
	if strings.Contains(a.body, fmt.Sprintf("note %d:", accepted)) {
		t.Errorf("the refused note is on the timeline")
	}
	p.kill(t)
	sqliteIntact(t, path)
}

// TestSQLiteReadOnlyDataDirectory starts the server on a data directory it cannot write: it
// stops at once with an error that names the database, and the database is untouched. As root,
// whom permissions do not stop, the server runs as the user nobody.
func TestSQLiteReadOnlyDataDirectory(t *testing.T) {
	// A directory of our own: the test's temporary directories are closed to other users.
	dir, err := os.MkdirTemp("", "amends-ro")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755); os.RemoveAll(dir) })
	data := filepath.Join(dir, "data")
	path := filepath.Join(data, "amends.db")
	ctx := context.Background()
	st, err := store.Open(ctx, "", data, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 2}, amends.Actor{Name: "test", Role: amends.Responder}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	files, _ := filepath.Glob(filepath.Join(data, "*"))
	for _, f := range files {
		os.Chmod(f, 0o444)
	}
	os.Chmod(data, 0o555)
	os.Chmod(dir, 0o755)
	t.Cleanup(func() { os.Chmod(data, 0o755) })
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}

	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn")
	if os.Geteuid() == 0 {
		os.Chmod(filepath.Dir(bin), 0o755)
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	}
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &out
	done := make(chan error, 1)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("the server did not stop on a read-only data directory:\n%s", out.String())
	}
	if err == nil || !strings.Contains(out.String(), path) || !strings.Contains(out.String(), "cannot be written") {
		t.Errorf("start on a read-only data directory: %v\n%s", err, out.String())
	}
	t.Logf("%s", strings.TrimSpace(out.String()))
	after, err := os.ReadFile(path)
	if err != nil || string(after) != string(before) {
		t.Errorf("the database file changed (%v)", err)
	}
	os.Chmod(data, 0o755)
	os.Chmod(path, 0o644)
	sqliteIntact(t, path)
}

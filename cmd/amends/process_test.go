package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

// buildBinary compiles amends once per test run, for tests that kill and restart it.
var buildBinary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "amends-bin")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "amends")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
})

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// proc is a running `amends serve` process.
type proc struct {
	cmd  *exec.Cmd
	url  string
	logs *bytes.Buffer
}

func startProcess(t *testing.T, db string, extra ...string) *proc {
	t.Helper()
	bin, err := buildBinary()
	if err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	args := append([]string{"serve", "--addr", addr, "--db", db, "--data", t.TempDir(), "--log-level", "warn"}, extra...)
	cmd := exec.Command(bin, args...)
	var logs bytes.Buffer
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: "http://" + addr, logs: &logs}
	t.Cleanup(func() { p.cmd.Process.Kill(); p.cmd.Wait() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		res, err := http.Get(p.url + "/readyz")
		if err == nil {
			res.Body.Close()
			if res.StatusCode == 200 {
				return p
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("amends did not become ready: %v\n%s", err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (p *proc) kill(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// fanout is a set of webhook receivers on loopback, one URL each, that verify signatures and
// count each idempotency key they receive.
type fanout struct {
	srv   *httptest.Server
	mu    sync.Mutex
	got   map[string]map[string]int // receiver path → delivery key → count
	delay time.Duration
	bad   int
}

func newFanout(t *testing.T, delay time.Duration) *fanout {
	f := &fanout{got: map[string]map[string]int{}, delay: delay}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !channel.VerifySignature("fan-secret", body, r.Header.Get("X-Amends-Signature")) {
			f.mu.Lock()
			f.bad++
			f.mu.Unlock()
			http.Error(w, "bad signature", 401)
			return
		}
		time.Sleep(f.delay)
		f.mu.Lock()
		if f.got[r.URL.Path] == nil {
			f.got[r.URL.Path] = map[string]int{}
		}
		f.got[r.URL.Path][r.Header.Get("X-Amends-Delivery")]++
		f.mu.Unlock()
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// stats returns how many receivers got something, and the most times one key arrived.
func (f *fanout) stats() (receivers, maxRepeat, total int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, keys := range f.got {
		receivers++
		for _, n := range keys {
			total += n
			maxRepeat = max(maxRepeat, n)
		}
	}
	return
}

// setupFanout adds a group with n webhook receivers and returns a responder token.
func setupFanout(t *testing.T, db string, f *fanout, n int) string {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin := amends.Actor{Name: "test", Role: amends.Admin}
	g, err := st.CreateGroup(ctx, amends.Group{Name: "Support"}, admin)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if _, err := st.AddContact(ctx, g.ID, amends.Contact{Name: fmt.Sprintf("agent %d", i), Kind: amends.ChannelWebhook,
			Address: fmt.Sprintf("%s/r/%d", f.srv.URL, i), Secret: "fan-secret"}, admin); err != nil {
			t.Fatal(err)
		}
	}
	token, err := st.CreateToken(ctx, "fanout", amends.Responder, admin)
	if err != nil {
		t.Fatal(err)
	}
	return token
}

func declare(t *testing.T, url, token, title string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url+"/api/v1/incidents", strings.NewReader(fmt.Sprintf(`{"title":%q,"severity":2}`, title)))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var inc amends.Incident
	json.NewDecoder(res.Body).Decode(&inc)
	if res.StatusCode != 201 {
		t.Fatalf("declare: %s", res.Status)
	}
	return inc.Ref
}

// TestCrashMidFanoutLosesNothing kills the server with SIGKILL while it fans a brief out to 200
// receivers, restarts it, and checks every receiver got the brief at least once, none more
// than twice, and the timeline still verifies.
func TestCrashMidFanoutLosesNothing(t *testing.T) {
	db := "sqlite:" + filepath.Join(t.TempDir(), "crash.db")
	f := newFanout(t, 30*time.Millisecond)
	token := setupFanout(t, db, f, 200)
	p := startProcess(t, db, "--workers", "10", "--rescue-after", "2s")
	declare(t, p.url, token, "Renewal email sent to the wrong list")
	deadline := time.Now().Add(20 * time.Second)
	for {
		if n, _, _ := f.stats(); n >= 30 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the fan-out did not start\n%s", p.logs.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
	p.kill(t)
	before, _, _ := f.stats()
	if before >= 200 {
		t.Fatalf("the fan-out finished before the kill (%d); the test proves nothing", before)
	}
	p = startProcess(t, db, "--workers", "10", "--rescue-after", "2s")
	deadline = time.Now().Add(60 * time.Second)
	for {
		if n, _, _ := f.stats(); n == 200 {
			break
		}
		if time.Now().After(deadline) {
			n, _, _ := f.stats()
			t.Fatalf("after restart only %d of 200 receivers got the brief\n%s", n, p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill(t)
	n, maxRepeat, total := f.stats()
	t.Logf("killed after %d receivers; after restart %d receivers, %d requests, max %d of one key", before, n, total, maxRepeat)
	if maxRepeat > 2 || f.bad != 0 {
		t.Errorf("a key arrived %d times (bad signatures %d)", maxRepeat, f.bad)
	}
	if code, out, stderr := cli(t, "verify", "--db", db); code != 0 {
		t.Errorf("verify after the crash: %s%s", out, stderr)
	}
}

// TestTwoServersShareOnePostgres runs two amends processes on one PostgreSQL database and
// declares through both at once: references never collide and every brief arrives once.
func TestTwoServersShareOnePostgres(t *testing.T) {
	db := amendstest.DatabaseURL(t, "postgres")
	f := newFanout(t, 0)
	token := setupFanout(t, db, f, 25)
	a := startProcess(t, db, "--workers", "20")
	b := startProcess(t, db, "--workers", "20")
	var wg sync.WaitGroup
	refs := make(chan string, 20)
	for i := 0; i < 10; i++ {
		for _, p := range []*proc{a, b} {
			wg.Add(1)
			go func(url string, i int) {
				defer wg.Done()
				refs <- declare(t, url, token, fmt.Sprintf("incident %d via %s", i, url))
			}(p.url, i)
		}
	}
	wg.Wait()
	close(refs)
	seen := map[string]bool{}
	for ref := range refs {
		if seen[ref] {
			t.Errorf("reference %s given twice", ref)
		}
		seen[ref] = true
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		if _, _, total := f.stats(); total >= 20*25 {
			break
		}
		if time.Now().After(deadline) {
			_, _, total := f.stats()
			t.Fatalf("%d of %d briefs arrived", total, 20*25)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond)
	receivers, maxRepeat, total := f.stats()
	if receivers != 25 || total != 500 || maxRepeat != 1 {
		t.Errorf("%d receivers, %d briefs, max %d of one key; want 25, 500, 1", receivers, total, maxRepeat)
	}
}

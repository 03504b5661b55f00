package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
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
	logs *logBuffer
}

// logBuffer keeps a process's output; a test may read it while the process writes.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
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
	logs := &logBuffer{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, url: "http://" + addr, logs: logs}
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

// keys returns how many times each delivery key has arrived, over every receiver.
func (f *fanout) keys() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[string]int{}
	for _, keys := range f.got {
		for k, n := range keys {
			out[k] += n
		}
	}
	return out
}

// mailbox is a real SMTP server on loopback that counts customer mail per recipient and per
// delivery key (the X-Amends-Delivery header), and checks that a repeat carries the Message-ID
// of the first copy, so a mail client can drop it. Each mail takes delay to accept.
type mailbox struct {
	sink  *amendstest.SMTPSink
	delay time.Duration
	mu    sync.Mutex
	to    map[string]int    // recipient → mails
	got   map[string]int    // delivery key → mails
	ids   map[string]string // delivery key → the Message-ID of its first copy
	bad   []string
}

func newMailbox(t *testing.T, delay time.Duration) *mailbox {
	m := &mailbox{delay: delay, to: map[string]int{}, got: map[string]int{}, ids: map[string]string{}}
	m.sink = amendstest.NewSMTPSink(t, amendstest.SinkConfig{Received: func(e amendstest.Envelope) error {
		time.Sleep(m.delay) // each connection on its own, as a real server's
		msg, err := mail.ReadMessage(bytes.NewReader(e.Data))
		m.mu.Lock()
		defer m.mu.Unlock()
		if err != nil || len(e.To) != 1 {
			m.bad = append(m.bad, fmt.Sprintf("to %v: %v", e.To, err))
			return nil
		}
		key, id := msg.Header.Get("X-Amends-Delivery"), msg.Header.Get("Message-Id")
		if first, ok := m.ids[key]; ok && first != id {
			m.bad = append(m.bad, fmt.Sprintf("%s arrived as %s and as %s", key, first, id))
		}
		m.ids[key] = id
		m.got[key]++
		m.to[e.To[0]]++
		return nil
	}})
	return m
}

// keys returns how many times each delivery key has arrived.
func (m *mailbox) keys() map[string]int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.got)
}

// apiCall sends a JSON (or, with a contentType, raw) request to the API and decodes the answer.
func apiCall(t *testing.T, base, token, method, path, body, contentType string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, base+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	var out map[string]any
	json.NewDecoder(res.Body).Decode(&out)
	return res.StatusCode, out
}

// customers holds what sending a customer message through the API needs: the reply-to
// address set and two approvers' tokens (a severity 2 message needs two approvals).
type customers struct {
	approvers [2]string
}

func setupCustomers(t *testing.T, db string) customers {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin := amends.Actor{Name: "test", Role: amends.Admin}
	if err := st.SetReplyTo(ctx, "care@acme.example", admin); err != nil {
		t.Fatal(err)
	}
	var c customers
	for i := range c.approvers {
		if c.approvers[i], err = st.CreateToken(ctx, fmt.Sprintf("approver-%d", i+1), amends.Responder, admin); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// send gives incident ref an uploaded audience of n customers (prefix0000@customers.example
// and on), writes a message to them with token, has it approved twice and sends it. It returns
// the message's id.
func (c customers) send(t *testing.T, base, token, ref, prefix string, n int) int {
	t.Helper()
	var list strings.Builder
	list.WriteString("email,name\n")
	for i := range n {
		fmt.Fprintf(&list, "%s%04d@customers.example,Customer %d\n", prefix, i, i)
	}
	if code, out := apiCall(t, base, token, "POST", "/api/v1/incidents/"+ref+"/audience/list", list.String(), "text/csv"); code != 200 {
		t.Fatalf("upload the audience: %d %v", code, out)
	}
	code, m := apiCall(t, base, token, "POST", "/api/v1/incidents/"+ref+"/messages", `{"kind":"acknowledgement",`+
		`"subject":"We sent your renewal notice to the wrong list",`+
		`"body":"Hello {{name}},\n\nWe sent your renewal notice to another customer's list today. We made this mistake, and we are sorry. We fixed the list at 14:55 and we are adding a check so it cannot happen again.\n\nReply to this email with any question."}`, "")
	if code != 201 {
		t.Fatalf("create the message: %d %v", code, m)
	}
	id := int(m["id"].(float64))
	path := fmt.Sprintf("/api/v1/messages/%d", id)
	for _, a := range c.approvers {
		if code, out := apiCall(t, base, a, "POST", path+"/approve", `{"version":1}`, ""); code != 200 {
			t.Fatalf("approve: %d %v", code, out)
		}
	}
	if code, out := apiCall(t, base, token, "POST", path+"/send", `{"override":"Checked by two people; the wording owns the mistake."}`, ""); code != 200 {
		t.Fatalf("send: %d %v", code, out)
	}
	return id
}

// deliveryStates returns the state of every delivery in the database by its key ("d" and id,
// as receivers see it in X-Amends-Delivery).
func deliveryStates(t *testing.T, st *store.Store) map[string]string {
	t.Helper()
	rows, err := st.DB().Query("SELECT id, state FROM deliveries")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var id int64
		var state string
		if err := rows.Scan(&id, &state); err != nil {
			t.Fatal(err)
		}
		out["d"+strconv.FormatInt(id, 10)] = state
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

var crashSeed = flag.Uint64("crash-seed", 0, "seed of TestCrashTenTimesLosesNothing's kill points; 0 picks one (the test logs it)")

// TestCrashTenTimesLosesNothing declares an incident briefed to 500 webhook receivers and sends
// a customer message to 2,000 customers over SMTP, and kills the server with SIGKILL while it
// sends, each time after a random number of arrivals, restarting it at once. Then it lets the
// server finish: every receiver and every customer got the message, none more than twice (a
// repeat carries the same key), and the timeline still verifies.
//
// On SQLite it kills ten times in a row: a restarted server resumes the jobs of the one that died
// at once. On PostgreSQL, where other replicas may be running those jobs, a job is rescued only
// after --rescue-after, once the dead process's leader lease (15 s) has run out and River's
// rescuer looks (every 30 s): each crash costs half a minute there, so it kills once, which
// proves the rescue path, and the whole test stays under two minutes.
//
// At-least-once delivery repeats what was sent but not yet recorded when the process died. A
// kill is therefore placed after the restarted server has recorded everything that arrived
// before the previous kill (the crashes are separate, not a loop inside the re-send, which
// could repeat a send a third time), and then after a random number of further arrivals.
func TestCrashTenTimesLosesNothing(t *testing.T) {
	seed := *crashSeed
	if seed == 0 {
		seed = uint64(time.Now().UnixNano())
	}
	t.Logf("kill points from seed %d (rerun with -crash-seed %d)", seed, seed)
	for _, c := range []struct {
		engine string
		kills  int
		extra  []string
	}{
		{"sqlite", 10, nil},
		{"postgres", 1, []string{"--rescue-after", "10s"}},
	} {
		t.Run(c.engine, func(t *testing.T) { crashAndCount(t, c.engine, c.kills, seed, c.extra) })
	}
}

func crashAndCount(t *testing.T, engine string, kills int, seed uint64, extra []string) {
	const receivers, recipients = 500, 2000
	rng := rand.New(rand.NewPCG(seed, 0))
	db := amendstest.DatabaseURL(t, engine)
	f := newFanout(t, 40*time.Millisecond)
	box := newMailbox(t, 40*time.Millisecond)
	token := setupFanout(t, db, f, receivers)
	cust := setupCustomers(t, db)
	// Two sends at a time per job (two SMTP connections) keep the work long enough for ten
	// kills to land in it.
	args := append([]string{"--smtp-url", box.sink.URL(), "--smtp-from", "Acme <care@acme.example>"}, extra...)
	p := startProcess(t, db, append(args, "--workers", "2")...)
	ref := declare(t, p.url, token, "Renewal email sent to the wrong list")
	cust.send(t, p.url, token, ref, "c", recipients)

	st, err := store.Open(context.Background(), db, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	// arrivals returns how often each key arrived, over webhooks and mail (their keys are
	// distinct delivery ids), and how many arrivals there were in all.
	arrivals := func() (all map[string]int, total int) {
		all = f.keys()
		maps.Copy(all, box.keys())
		for _, n := range all {
			total += n
		}
		return all, total
	}
	var atKill map[string]int
	for i := range kills {
		start := time.Now()
		if i > 0 {
			// Separate crashes: first the restarted server records what arrived before the last kill.
			deadline := time.Now().Add(90 * time.Second)
			for {
				states := deliveryStates(t, st)
				missing := 0
				for k := range atKill {
					if states[k] != amends.DeliveryDone {
						missing++
					}
				}
				if missing == 0 {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("after kill %d the restarted server did not record %d sends that had arrived\n%s", i, missing, p.logs.String())
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
		recovered := time.Since(start)
		all, total := arrivals()
		left := 0
		for k := range deliveryStates(t, st) {
			if all[k] == 0 {
				left++
			}
		}
		if left == 0 {
			t.Fatalf("everything arrived before kill %d; the remaining kills would prove nothing", i+1)
		}
		n := 1 + rng.IntN(max(1, min(150, left/(kills-i+1))))
		deadline := time.Now().Add(30 * time.Second)
		for {
			if _, now := arrivals(); now >= total+n {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: %d more arrivals did not come\n%s", i+1, n, p.logs.String())
			}
			time.Sleep(time.Millisecond)
		}
		p.kill(t)
		atKill, total = arrivals()
		t.Logf("kill %d after %d more arrivals (recovery took %s): %d keys arrived, %d arrivals", i+1, n,
			recovered.Round(time.Millisecond), len(atKill), total)
		if i < kills-1 {
			p = startProcess(t, db, append(args, "--workers", "2")...)
		} else {
			p = startProcess(t, db, append(args, "--workers", "10")...) // the rest at full speed
		}
	}

	// Then the server finishes: every delivery recorded delivered, and every one arrived.
	deadline := time.Now().Add(90 * time.Second)
	var states map[string]string
	for {
		states = deliveryStates(t, st)
		all, _ := arrivals()
		done := 0
		for k, state := range states {
			if state == amends.DeliveryDone && all[k] > 0 {
				done++
			}
		}
		if done == len(states) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after the last restart %d of %d deliveries are delivered and arrived\n%s", done, len(states), p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.kill(t)

	all, _ := arrivals()
	for k, n := range all {
		if states[k] == "" {
			t.Errorf("%s arrived %d times but is no delivery of the database", k, n)
		}
	}
	got, maxRepeat, requests := f.stats()
	if got != receivers || maxRepeat > 2 || f.bad != 0 {
		t.Errorf("webhooks: %d of %d receivers, a key arrived %d times, %d bad signatures", got, receivers, maxRepeat, f.bad)
	}
	mails, twice := 0, 0
	for key, n := range box.keys() {
		mails += n
		if n > 2 {
			t.Errorf("mail %s arrived %d times", key, n)
		}
		if n == 2 {
			twice++
		}
	}
	box.mu.Lock()
	if len(box.to) != recipients || len(box.bad) > 0 {
		t.Errorf("mail reached %d of %d customers; problems: %v", len(box.to), recipients, box.bad)
	}
	box.mu.Unlock()
	t.Logf("%d deliveries: %d webhook requests to %d receivers; %d mails to %d customers, %d of them twice", len(states), requests, receivers, mails, recipients, twice)
	if code, out, stderr := cli(t, "verify", "--db", db); code != 0 {
		t.Errorf("verify after the crashes: %s%s", out, stderr)
	}
}

// TestTwoServersShareOnePostgres runs two amends processes on one PostgreSQL database, declares
// incidents through both at once and sends customer messages through both at once: references
// never collide, every brief arrives once and every customer gets their mail once (that is the
// normal case; after a crash, see TestCrashTenTimesLosesNothing, a send may repeat).
func TestTwoServersShareOnePostgres(t *testing.T) {
	const incidents, receivers, messages, recipients = 20, 25, 4, 250
	db := amendstest.DatabaseURL(t, "postgres")
	f := newFanout(t, 0)
	box := newMailbox(t, 0)
	token := setupFanout(t, db, f, receivers)
	cust := setupCustomers(t, db)
	args := []string{"--workers", "20", "--smtp-url", box.sink.URL(), "--smtp-from", "Acme <care@acme.example>"}
	a := startProcess(t, db, args...)
	b := startProcess(t, db, args...)
	var wg sync.WaitGroup
	refs := make(chan string, incidents)
	for i := range incidents / 2 {
		for j, p := range []*proc{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ref := declare(t, p.url, token, fmt.Sprintf("incident %d via %s", i, p.url))
				refs <- ref
				// The first incidents declared through each server also tell their customers,
				// through that same server, while the other declares and sends.
				if i < messages/2 {
					cust.send(t, p.url, token, ref, fmt.Sprintf("m%d-%d-", j, i), recipients)
				}
			}()
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
	// Each declare briefs every receiver, and so does each send: colleagues hear the wording
	// customers were sent.
	briefs, mails := (incidents+messages)*receivers, messages*recipients
	deadline := time.Now().Add(60 * time.Second)
	for {
		_, _, total := f.stats()
		if total >= briefs && int(box.sink.Count.Load()) >= mails {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d briefs and %d of %d mails arrived", total, briefs, box.sink.Count.Load(), mails)
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Whatever would arrive twice has had time to.
	time.Sleep(500 * time.Millisecond)
	n, maxRepeat, total := f.stats()
	if n != receivers || total != briefs || maxRepeat != 1 {
		t.Errorf("%d receivers, %d briefs, max %d of one key; want %d, %d, 1", n, total, maxRepeat, receivers, briefs)
	}
	box.mu.Lock()
	defer box.mu.Unlock()
	if len(box.to) != mails || len(box.got) != mails || len(box.bad) > 0 {
		t.Errorf("%d customers, %d keys; want %d each; problems %v", len(box.to), len(box.got), mails, box.bad)
	}
	for to, k := range box.to {
		if k != 1 {
			t.Errorf("%s got %d mails", to, k)
		}
	}
}

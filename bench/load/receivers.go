package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"
)

// receivers are the webhook endpoints of the briefed group: one path per contact, one server.
// Each checks the signature the way a real receiver should and notes when the brief of each
// incident reached it.
type receivers struct {
	secret string
	n      int
	srv    *http.Server
	ln     net.Listener

	mu      sync.Mutex
	arrived map[string]*arrival // incident ref → who has its brief
	keys    map[string]int      // X-Amends-Delivery → times received
	bad     int                 // requests with a wrong signature or an unreadable body
}

type arrival struct {
	who  map[int]bool
	last time.Time
}

// declare is one fan-out the load started: the incident and when its declare was sent.
type declare struct {
	ref string
	at  time.Time
}

// fanout is how one declare's brief spread: to how many receivers, and when the last got it.
type fanout struct {
	declare
	got  int
	took time.Duration // declare sent → last receiver has the brief; 0 when not all got it
}

func newReceivers(secret string, n int) *receivers {
	return &receivers{secret: secret, n: n, arrived: map[string]*arrival{}, keys: map[string]int{}}
}

func (rc *receivers) start() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	rc.ln = ln
	mux := http.NewServeMux()
	mux.HandleFunc("POST /r/{i}", rc.receive)
	rc.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go rc.srv.Serve(ln)
	return "http://" + ln.Addr().String(), nil
}

func (rc *receivers) close() { rc.srv.Close() }

func (rc *receivers) receive(w http.ResponseWriter, r *http.Request) {
	now := time.Now()
	body, err := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, []byte(rc.secret))
	mac.Write(body)
	want := "sha256=" + hex.EncodeToString(mac.Sum(nil))
	var brief struct{ Ref string }
	i, ierr := strconv.Atoi(r.PathValue("i"))
	if err != nil || ierr != nil || !hmac.Equal([]byte(want), []byte(r.Header.Get("X-Amends-Signature"))) ||
		json.Unmarshal(body, &brief) != nil || brief.Ref == "" {
		rc.mu.Lock()
		rc.bad++
		rc.mu.Unlock()
		http.Error(w, "bad signature or body", http.StatusUnauthorized)
		return
	}
	rc.mu.Lock()
	a := rc.arrived[brief.Ref]
	if a == nil {
		a = &arrival{who: map[int]bool{}}
		rc.arrived[brief.Ref] = a
	}
	a.who[i] = true
	if now.After(a.last) {
		a.last = now
	}
	rc.keys[r.Header.Get("X-Amends-Delivery")]++
	rc.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// wait returns how each declare's brief spread, waiting until every receiver has each brief or
// deadline has passed since that declare.
func (rc *receivers) wait(ctx context.Context, declared []declare, deadline time.Duration) ([]fanout, int) {
	for {
		done := true
		rc.mu.Lock()
		for _, d := range declared {
			if a := rc.arrived[d.ref]; (a == nil || len(a.who) < rc.n) && time.Since(d.at) < deadline {
				done = false
			}
		}
		rc.mu.Unlock()
		if done || ctx.Err() != nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	var out []fanout
	errors := 0
	for _, d := range declared {
		f := fanout{declare: d}
		if a := rc.arrived[d.ref]; a != nil {
			f.got = len(a.who)
			if f.got == rc.n {
				f.took = a.last.Sub(d.at)
			}
		}
		if f.got < rc.n {
			errors++
		}
		out = append(out, f)
	}
	return out, errors
}

// repeats returns how many delivery keys arrived more than once, and the bad requests.
func (rc *receivers) repeats() (repeated, bad int) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	for _, n := range rc.keys {
		if n > 1 {
			repeated++
		}
	}
	return repeated, rc.bad
}

func reportFanouts(out io.Writer, fanouts []fanout, incomplete, n int, rc *receivers) bool {
	var took []time.Duration
	for _, f := range fanouts {
		if f.took > 0 {
			took = append(took, f.took)
		}
	}
	slices.Sort(took)
	repeated, bad := rc.repeats()
	fmt.Fprintf(out, "\nfan-out to %d webhook receivers: %d declared, %d complete, %d incomplete; bad signatures %d, delivery keys received twice %d\n",
		n, len(fanouts), len(took), incomplete, bad, repeated)
	if len(took) > 0 {
		fmt.Fprintf(out, "  declare sent → last receiver has the brief: min %s  p50 %s  max %s\n",
			ms(took[0]), ms(took[len(took)/2]), ms(took[len(took)-1]))
	}
	for _, f := range fanouts {
		if f.got < n {
			fmt.Fprintf(out, "  %s: only %d of %d receivers got the brief\n", f.ref, f.got, n)
		}
	}
	return incomplete == 0 && bad == 0 && len(fanouts) > 0
}

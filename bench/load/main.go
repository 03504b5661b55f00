// Command load puts a running `amends serve` under a mixed load for a while and reports, per
// route, the requests, errors and latency percentiles, and the server's resident memory over time.
//
// The load, all at once, each at a paced rate:
//   - status page readers: GET /status and GET /status.json, half of them revalidating with
//     If-None-Match the way a browser or CDN does (a 304 counts as a success);
//   - API writers: POST /api/v1/incidents/{ref}/events on a few open incidents, with a bearer
//     token, one event in twenty public by default (each republishes the status page, which
//     lists every public update of an open incident, so the page grows during the run);
//   - a fan-out every 30 s: a declare (POST /api/v1/incidents) briefs a group of 200 webhook
//     contacts that point at receivers in this process, which check each signature and note when
//     the last one has the brief;
//   - the live ownership check: POST /api/v1/lint with 300-word texts.
//
// It is a Go program rather than a wrk script because the fan-out needs receivers and the memory
// needs sampling in the same run as the requests, and one report should hold all of them.
// It uses only the standard library. Any answer outside 2xx/3xx, any transport error, a bad
// signature, a repeated delivery or a fan-out that does not finish is an error: the exit status
// is then 1.
//
//	load -url http://127.0.0.1:18095 -token amends_… -pid 1234 -duration 5m
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"time"
)

type options struct {
	url, token     string
	pid            int
	duration       time.Duration
	readers        int
	readRate       float64
	revalidate     float64
	writers        int
	writeRate      float64
	incidents      int
	linters        int
	lintRate       float64
	fanoutEvery    time.Duration
	receivers      int
	sample         time.Duration
	fanoutDeadline time.Duration
	summary        string
	publicShare    float64
}

func main() {
	var o options
	flag.StringVar(&o.url, "url", "", "base URL of a running amends serve (required)")
	flag.StringVar(&o.token, "token", os.Getenv("AMENDS_TOKEN"), "admin API token (env AMENDS_TOKEN); it creates the webhook group")
	flag.IntVar(&o.pid, "pid", 0, "process id of the server, for its resident memory (VmRSS); 0 skips it")
	flag.DurationVar(&o.duration, "duration", 5*time.Minute, "how long the load runs")
	flag.IntVar(&o.readers, "readers", 16, "status page readers (concurrent clients)")
	flag.Float64Var(&o.readRate, "read-rate", 1000, "status page requests per second, all readers together")
	flag.Float64Var(&o.revalidate, "revalidate", 0.5, "share of status page requests sent with If-None-Match")
	flag.IntVar(&o.writers, "writers", 8, "API writers (concurrent clients)")
	flag.Float64Var(&o.writeRate, "write-rate", 200, "timeline events per second, all writers together")
	flag.IntVar(&o.incidents, "incidents", 8, "open incidents the writers append to")
	flag.IntVar(&o.linters, "linters", 2, "people typing in the message editor (concurrent clients)")
	flag.Float64Var(&o.lintRate, "lint-rate", 20, "ownership checks per second, all linters together")
	flag.DurationVar(&o.fanoutEvery, "fanout-every", 30*time.Second, "declare an incident that briefs the receivers this often (0: never)")
	flag.IntVar(&o.receivers, "receivers", 200, "webhook receivers in the briefed group")
	flag.DurationVar(&o.sample, "sample", time.Minute, "how often to print memory and progress")
	flag.DurationVar(&o.fanoutDeadline, "fanout-deadline", 60*time.Second, "a fan-out not finished this long after its declare is an error")
	flag.Float64Var(&o.publicShare, "public", 0.05, "share of the writers' events that are public (each republishes the status page)")
	flag.StringVar(&o.summary, "summary", "", "also write the results to this file as tab-separated lines, for bench/run")
	flag.Parse()
	if o.url == "" || o.token == "" {
		fmt.Fprintln(os.Stderr, "load: -url and -token are required")
		flag.Usage()
		os.Exit(2)
	}
	o.url = strings.TrimRight(o.url, "/")
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	ok, err := run(ctx, o, os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(1)
	}
	if !ok {
		os.Exit(1)
	}
}

// client sends the load's requests with enough idle connections that every worker keeps one.
type client struct {
	base, token string
	http        *http.Client
}

func newClient(base, token string, conns int) *client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConns = conns * 2
	tr.MaxIdleConnsPerHost = conns * 2
	return &client{base: base, token: token, http: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// do sends one request and returns the status and body; a transport error is status 0.
func (c *client) do(ctx context.Context, method, path string, body any, header http.Header) (int, http.Header, []byte, error) {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, nil, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, nil, nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" && strings.HasPrefix(path, "/api/") {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, b, err
}

// setup creates the incidents the writers append to (before the group exists, so they brief
// nobody) and the group of webhook contacts that every later declare briefs.
func setup(ctx context.Context, c *client, o options, hookURL, secret string) ([]string, error) {
	var refs []string
	for i := range o.incidents {
		code, _, b, err := c.do(ctx, "POST", "/api/v1/incidents", map[string]any{
			"title":    fmt.Sprintf("Load: invoices run %d charged some accounts twice", i+1),
			"summary":  "Some accounts were charged twice for one invoice.",
			"severity": 3,
		}, nil)
		if err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("declare for the writers: %d %v %s", code, err, b)
		}
		var inc struct{ Ref string }
		json.Unmarshal(b, &inc)
		refs = append(refs, inc.Ref)
	}
	if o.fanoutEvery <= 0 {
		return refs, nil
	}
	code, _, b, err := c.do(ctx, "POST", "/api/v1/groups", map[string]any{
		"name": fmt.Sprintf("Load colleagues %d", time.Now().UnixNano()), "events": []string{"declared"},
	}, nil)
	if err != nil || code != http.StatusCreated {
		return nil, fmt.Errorf("create group (the token must be an admin's): %d %v %s", code, err, b)
	}
	var g struct{ ID int64 }
	json.Unmarshal(b, &g)
	for i := range o.receivers {
		code, _, b, err := c.do(ctx, "POST", fmt.Sprintf("/api/v1/groups/%d/contacts", g.ID), map[string]any{
			"name": fmt.Sprintf("agent %d", i), "kind": "webhook",
			"address": fmt.Sprintf("%s/r/%d", hookURL, i), "secret": secret,
		}, nil)
		if err != nil || code != http.StatusCreated {
			return nil, fmt.Errorf("add contact %d: %d %v %s", i, code, err, b)
		}
	}
	return refs, nil
}

// pace runs fn every interval until ctx ends, catching up after a slow call but never by more
// than a second's worth (the shortfall then shows as a lower achieved rate).
func pace(ctx context.Context, interval time.Duration, fn func(i int)) {
	next := time.Now()
	for i := 0; ; i++ {
		if interval > 0 {
			if d := time.Until(next); d > 0 {
				select {
				case <-ctx.Done():
					return
				case <-time.After(d):
				}
			} else if d < -time.Second {
				next = time.Now()
			}
			next = next.Add(interval)
		}
		if ctx.Err() != nil {
			return
		}
		fn(i)
	}
}

// every returns the interval between one worker's requests for a total rate shared by n workers.
func every(rate float64, n int) time.Duration {
	if rate <= 0 {
		return 0
	}
	return time.Duration(float64(n) / rate * float64(time.Second))
}

func run(ctx context.Context, o options, out io.Writer) (bool, error) {
	const secret = "load-webhook-secret-0123456789"
	recv := newReceivers(secret, o.receivers)
	hooks, err := recv.start()
	if err != nil {
		return false, err
	}
	defer recv.close()
	c := newClient(o.url, o.token, o.readers+o.writers+o.linters+2)
	refs, err := setup(ctx, c, o, hooks, secret)
	if err != nil {
		return false, err
	}
	st := newStats()
	pageSize := &sizes{}
	mem := &memory{pid: o.pid, base: o.url, http: c.http}
	start := time.Now()
	fmt.Fprintf(out, "== mixed load on %s for %s: %d readers at %.0f req/s (%.0f%% revalidating), %d writers at %.0f events/s on %d incidents,\n",
		o.url, o.duration, o.readers, o.readRate, o.revalidate*100, o.writers, o.writeRate, o.incidents)
	fmt.Fprintf(out, "   %d linters at %.0f checks/s (300 words), a declare briefing %d webhook receivers every %s\n",
		o.linters, o.lintRate, o.receivers, o.fanoutEvery)
	mem.sample(ctx, out, 0)

	// load ends the pacing; the requests themselves run on ctx, so the last ones finish
	// instead of being cut off (a cut request would show as an error on both sides).
	load, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var wg sync.WaitGroup
	for w := range o.readers {
		wg.Go(func() { reader(ctx, load, c, st, o, w, pageSize) })
	}
	for w := range o.writers {
		wg.Go(func() { writer(ctx, load, c, st, o, refs, w) })
	}
	texts := lintTexts()
	for w := range o.linters {
		wg.Go(func() {
			pace(load, every(o.lintRate, o.linters), func(i int) {
				t0 := time.Now()
				code, _, _, err := c.do(ctx, "POST", "/api/v1/lint", map[string]string{"text": texts[(i*o.linters+w)%len(texts)], "mode": "customer"}, nil)
				st.add(ctx, "POST /api/v1/lint (300 words)", code, err, time.Since(t0))
			})
		})
	}
	var declared []declare
	var dmu sync.Mutex
	if o.fanoutEvery > 0 {
		wg.Go(func() {
			pace(load, o.fanoutEvery, func(i int) {
				t0 := time.Now()
				code, _, b, err := c.do(ctx, "POST", "/api/v1/incidents", map[string]any{
					"title": fmt.Sprintf("Load: renewal email %d went to the wrong list", i+1), "severity": 2,
				}, nil)
				st.add(ctx, "POST /api/v1/incidents (declare, fan-out)", code, err, time.Since(t0))
				var inc struct{ Ref string }
				if json.Unmarshal(b, &inc) == nil && inc.Ref != "" {
					dmu.Lock()
					declared = append(declared, declare{ref: inc.Ref, at: t0})
					dmu.Unlock()
				}
			})
		})
	}
	wg.Go(func() {
		tick := time.NewTicker(o.sample)
		defer tick.Stop()
		for {
			select {
			case <-load.Done():
				return
			case <-tick.C:
				mem.sample(ctx, out, time.Since(start))
				fmt.Fprintf(out, "   %s\n", st.progress())
			}
		}
	})
	wg.Wait()
	elapsed := time.Since(start)
	fanouts, fanErrors := recv.wait(ctx, declared, o.fanoutDeadline)
	mem.sample(ctx, out, time.Since(start))

	fmt.Fprintf(out, "\n== results after %s\n", elapsed.Round(time.Second))
	okAll := st.report(out, elapsed)
	if o.fanoutEvery > 0 {
		okAll = reportFanouts(out, fanouts, fanErrors, o.receivers, recv) && okAll
	}
	mem.report(out)
	pageSize.report(out)
	if o.summary != "" {
		if err := writeSummary(o.summary, st, fanouts, fanErrors, mem); err != nil {
			return false, err
		}
	}
	return okAll, nil
}

func reader(ctx, load context.Context, c *client, st *stats, o options, w int, size *sizes) {
	paths := []string{"/status", "/status.json"}
	etags := map[string]string{}
	pace(load, every(o.readRate, o.readers), func(i int) {
		p := paths[(i+w)%2]
		h := http.Header{}
		// A deterministic share revalidates: request i of every 100 does if its place is under it.
		if float64((i*37+w*11)%100) < o.revalidate*100 && etags[p] != "" {
			h.Set("If-None-Match", etags[p])
		}
		t0 := time.Now()
		code, hdr, body, err := c.do(ctx, "GET", p, nil, h)
		name := "GET " + p
		if h.Get("If-None-Match") != "" {
			name += " (If-None-Match)"
		}
		st.add(ctx, name, code, err, time.Since(t0))
		if code == http.StatusOK && hdr.Get("ETag") != "" {
			etags[p] = hdr.Get("ETag")
			size.saw(p, len(body))
		}
	})
}

func writer(ctx, load context.Context, c *client, st *stats, o options, refs []string, w int) {
	pace(load, every(o.writeRate, o.writers), func(i int) {
		ref := refs[(i*o.writers+w)%len(refs)]
		vis := "internal"
		if n := i*o.writers + w; o.publicShare > 0 && n%int(1/o.publicShare+0.5) == 0 {
			vis = "public"
		}
		body := map[string]string{"kind": "note", "visibility": vis,
			"body": fmt.Sprintf("Writer %d, note %d: checked another batch of invoices; %d accounts still to correct.", w, i, 1000-i%1000)}
		t0 := time.Now()
		code, _, _, err := c.do(ctx, "POST", "/api/v1/incidents/"+ref+"/events", body, nil)
		st.add(ctx, "POST /api/v1/incidents/{ref}/events", code, err, time.Since(t0))
	})
}

// lintTexts returns a few different 300-word customer messages, some owning the mistake and
// some not, so the check does real work on each.
func lintTexts() []string {
	sentences := []string{
		"We sent this morning's renewal email to the wrong list of customers, and that was our mistake.",
		"Mistakes were made during a routine update by our email provider.",
		"We are sorry for any inconvenience this may have caused to a small number of users.",
		"About 4,200 of you received a renewal notice for a plan you had already cancelled, and some of you worried you would be charged again.",
		"Nobody was charged, and nobody will be: we stopped the send at 14:55 and checked every account by hand.",
		"We apologize if anyone was confused by the message.",
		"The segment filter in our renewal job was inverted by a change we made on Monday, and our review did not catch it.",
		"We have corrected the filter and added a check that refuses any send whose list differs from the day before by more than a tenth.",
		"By Friday we will review every scheduled campaign against the same check, and we will write to you again when that is done.",
		"Due to unforeseen circumstances beyond our control, an issue occurred briefly.",
		"If you have questions, reply to this email or call us on 0800 123 456; a person will answer.",
		"Tell us how we handled this: the short survey linked below goes straight to the team that made the mistake.",
	}
	var texts []string
	for k := range 8 {
		var b strings.Builder
		words := 0
		for i := k; words < 300; i += k%3 + 1 {
			s := sentences[i%len(sentences)]
			b.WriteString(s)
			b.WriteString(" ")
			words += len(strings.Fields(s))
		}
		texts = append(texts, strings.TrimSpace(b.String()))
	}
	return texts
}

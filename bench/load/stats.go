package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// stats collects every request's outcome and latency per route.
type stats struct {
	mu     sync.Mutex
	routes map[string]*route
}

type route struct {
	took   []time.Duration
	codes  map[int]int
	errors int
	first  string // the first error, to show what went wrong
}

func newStats() *stats { return &stats{routes: map[string]*route{}} }

// add records one request. A request cut short because the load ended is not counted.
func (s *stats) add(ctx context.Context, name string, code int, err error, took time.Duration) {
	if ctx.Err() != nil && (err != nil || code == 0) {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.routes[name]
	if r == nil {
		r = &route{codes: map[int]int{}}
		s.routes[name] = r
	}
	r.took = append(r.took, took)
	r.codes[code]++
	if err != nil || code < 200 || code > 399 {
		r.errors++
		if r.first == "" {
			r.first = fmt.Sprintf("status %d %v", code, err)
		}
	}
}

// progress is one line of counts so far.
func (s *stats) progress() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var parts []string
	for _, name := range s.names() {
		r := s.routes[name]
		parts = append(parts, fmt.Sprintf("%s %d (%d errors)", name, len(r.took), r.errors))
	}
	return strings.Join(parts, "; ")
}

func (s *stats) names() []string {
	names := make([]string, 0, len(s.routes))
	for n := range s.routes {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// report prints the table and says whether there were no errors.
func (s *stats) report(out io.Writer, elapsed time.Duration) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(out, "%-46s %8s %8s %7s %9s %9s %9s  %s\n", "route", "requests", "req/s", "errors", "p50", "p99", "max", "status codes")
	ok := true
	for _, name := range s.names() {
		r := s.routes[name]
		slices.Sort(r.took)
		var codes []string
		for _, c := range slices.Sorted(maps.Keys(r.codes)) {
			codes = append(codes, fmt.Sprintf("%d×%d", c, r.codes[c]))
		}
		fmt.Fprintf(out, "%-46s %8d %8.1f %7d %9s %9s %9s  %s\n", name, len(r.took), float64(len(r.took))/elapsed.Seconds(), r.errors,
			ms(pct(r.took, 0.50)), ms(pct(r.took, 0.99)), ms(r.took[len(r.took)-1]), strings.Join(codes, " "))
		if r.errors > 0 {
			ok = false
			fmt.Fprintf(out, "    first error: %s\n", r.first)
		}
	}
	return ok
}

// pct returns the q-quantile of sorted durations (nearest rank).
func pct(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(q*float64(len(sorted))+0.5) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }

// memory samples the server's resident set (from /proc) and Go heap (from /metrics) with the
// machine's load average.
type memory struct {
	pid     int
	base    string
	http    *http.Client
	samples []sample
}

type sample struct {
	at        time.Duration
	rss, heap int64 // bytes; -1 when unknown
	load      string
}

func (m *memory) sample(ctx context.Context, out io.Writer, at time.Duration) {
	s := sample{at: at, rss: -1, heap: -1, load: loadavg()}
	if m.pid > 0 {
		s.rss = vmRSS(m.pid)
	}
	s.heap = m.heapInuse(ctx)
	m.samples = append(m.samples, s)
	fmt.Fprintf(out, "-- %4.0fs  server RSS %s  Go heap in use %s  load average %s\n", at.Seconds(), mib(s.rss), mib(s.heap), s.load)
}

func (m *memory) report(out io.Writer) {
	if len(m.samples) < 2 {
		return
	}
	first, last := m.samples[0], m.samples[len(m.samples)-1]
	var rss []string
	for _, s := range m.samples {
		rss = append(rss, mib(s.rss))
	}
	fmt.Fprintf(out, "\nserver RSS: start %s, end %s (each sample: %s)\n", mib(first.rss), mib(last.rss), strings.Join(rss, ", "))
	fmt.Fprintf(out, "Go heap in use: start %s, end %s; load average at start %s, at end %s\n", mib(first.heap), mib(last.heap), first.load, last.load)
}

func mib(b int64) string {
	if b < 0 {
		return "?"
	}
	return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
}

// vmRSS reads VmRSS of a process, or -1.
func vmRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				return -1
			}
			return kb << 10
		}
	}
	return -1
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// heapInuse reads go_memstats_heap_inuse_bytes from the server's /metrics, or -1.
func (m *memory) heapInuse(ctx context.Context) int64 {
	req, err := http.NewRequestWithContext(ctx, "GET", m.base+"/metrics", nil)
	if err != nil {
		return -1
	}
	res, err := m.http.Do(req)
	if err != nil {
		return -1
	}
	defer res.Body.Close()
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "go_memstats_heap_inuse_bytes "); ok {
			v, err := strconv.ParseFloat(strings.TrimSpace(rest), 64)
			if err != nil {
				return -1
			}
			return int64(v)
		}
	}
	return -1
}

// writeSummary writes one line per figure: "route<TAB>NAME<TAB>requests<TAB>errors<TAB>p50 ms<TAB>p99 ms",
// "fanout<TAB>declared<TAB>incomplete<TAB>p50 ms<TAB>max ms" and "rss<TAB>start MiB<TAB>end MiB".
func writeSummary(path string, s *stats, fanouts []fanout, incomplete int, m *memory) error {
	var b strings.Builder
	s.mu.Lock()
	for _, name := range s.names() {
		r := s.routes[name]
		slices.Sort(r.took)
		fmt.Fprintf(&b, "route\t%s\t%d\t%d\t%.1f\t%.1f\n", name, len(r.took), r.errors, msf(pct(r.took, 0.5)), msf(pct(r.took, 0.99)))
	}
	s.mu.Unlock()
	var took []time.Duration
	for _, f := range fanouts {
		if f.took > 0 {
			took = append(took, f.took)
		}
	}
	slices.Sort(took)
	if len(took) > 0 {
		fmt.Fprintf(&b, "fanout\t%d\t%d\t%.1f\t%.1f\n", len(fanouts), incomplete, msf(took[len(took)/2]), msf(took[len(took)-1]))
	}
	if n := len(m.samples); n > 0 {
		fmt.Fprintf(&b, "rss\t%.1f\t%.1f\n", float64(m.samples[0].rss)/(1<<20), float64(m.samples[n-1].rss)/(1<<20))
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

func msf(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// sizes remembers the first and the latest size of each status page document (uncompressed),
// since the page grows as the writers publish.
type sizes struct {
	mu          sync.Mutex
	first, last map[string]int
}

func (z *sizes) saw(path string, n int) {
	z.mu.Lock()
	defer z.mu.Unlock()
	if z.first == nil {
		z.first, z.last = map[string]int{}, map[string]int{}
	}
	if _, ok := z.first[path]; !ok {
		z.first[path] = n
	}
	z.last[path] = n
}

func (z *sizes) report(out io.Writer) {
	z.mu.Lock()
	defer z.mu.Unlock()
	for _, p := range slices.Sorted(maps.Keys(z.first)) {
		fmt.Fprintf(out, "%s: %d bytes at the start, %d at the end\n", p, z.first[p], z.last[p])
	}
}

package api_test

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// Benchmarks of the HTTP API on loopback, on both databases. Rerun with:
//
//	AMENDS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./api -run XXX -bench . -benchtime 2000x
//
// Results and the peers measured beside them are in docs/BENCHMARKS.md.

func post(b *testing.B, h *harness, path, body string) {
	req, _ := http.NewRequest("POST", h.srv.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+h.tokens[amends.Responder])
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 201 {
		b.Fatalf("POST %s: %s", path, res.Status)
	}
}

func BenchmarkDeclare(b *testing.B) {
	for _, engine := range amendstest.Databases {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				post(b, h, "/api/v1/incidents", `{"title":"Invoices doubled","severity":2}`)
			}
		})
	}
}

// BenchmarkAddEvent appends notes to one incident from 8 concurrent clients and reports
// events per second; BenchmarkRawInsert beside it is the database's own limit for the same
// rows without the API, the hash chain or the lock.
func BenchmarkAddEvent(b *testing.B) {
	for _, engine := range amendstest.Databases {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			post(b, h, "/api/v1/incidents", `{"title":"busy","severity":1}`)
			b.SetParallelism(4) // 4 × GOMAXPROCS clients
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					post(b, h, "/api/v1/incidents/INC-1/events", `{"kind":"note","body":"still looking"}`)
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
		})
	}
}

func BenchmarkRawInsert(b *testing.B) {
	for _, engine := range amendstest.Databases {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			db := h.store.DB()
			if _, err := db.Exec(`CREATE TABLE raw_events (id BIGINT, incident_id BIGINT, seq BIGINT, kind TEXT, body TEXT,
				at BIGINT, recorded_at BIGINT, actor TEXT, visibility TEXT, prev_hash TEXT, hash TEXT)`); err != nil {
				b.Fatal(err)
			}
			var seq atomic.Int64
			b.SetParallelism(4)
			start := time.Now()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := seq.Add(1)
					if _, err := db.Exec(`INSERT INTO raw_events VALUES ($1, 1, $1, 'note', 'still looking', $2, $2, 'a', 'internal', 'x', 'y')`, n, time.Now().UnixMicro()); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "rows/s")
		})
	}
}

// BenchmarkTimelineRead1000 reads a timeline of 1,000 events over HTTP and reports the p99.
func BenchmarkTimelineRead1000(b *testing.B) {
	for _, engine := range amendstest.Databases {
		b.Run(engine, func(b *testing.B) {
			h := newHarness(b, engine)
			ctx := context.Background()
			inc, _ := h.store.CreateIncident(ctx, amends.NewIncident{Title: "long", Severity: 2}, amends.Actor{Name: "b"})
			for i := 0; i < 999; i++ {
				if _, err := h.store.AddEvent(ctx, inc.Ref, amends.NewEvent{Body: fmt.Sprintf("note %d with some words in it", i)}, amends.Actor{Name: "b"}); err != nil {
					b.Fatal(err)
				}
			}
			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				t0 := time.Now()
				req, _ := http.NewRequest("GET", h.srv.URL+"/api/v1/incidents/"+inc.Ref+"/timeline", nil)
				req.Header.Set("Authorization", "Bearer "+h.tokens[amends.Viewer])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				var buf [32 << 10]byte
				for {
					if _, err := res.Body.Read(buf[:]); err != nil {
						break
					}
				}
				res.Body.Close()
				lat = append(lat, time.Since(t0))
			}
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds())/1000, "p99-ms")
		})
	}
}

package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/delivery"
	"github.com/amends/amends/store"
)

// The fan-out benchmark: from declare to the brief received by 1,000 webhook receivers on
// loopback, beside a bare Go loop posting the same 1,000 requests with the same concurrency.
// The queue runs with the defaults amends serve uses (100 workers, SQLite polling every 50 ms).
// Rerun with:
//
//	AMENDS_TEST_POSTGRES=postgres://postgres@127.0.0.1:5432/test?sslmode=disable \
//	  go test ./delivery -run XXX -bench Fanout -benchtime 3x
const (
	fanoutReceivers = 1000
	fanoutWorkers   = 100
)

type countingReceiver struct {
	srv   *httptest.Server
	n     atomic.Int64
	first atomic.Int64 // when the first request of a round arrived, in Unix nanoseconds
	done  chan struct{}
	want  int64
}

func newCountingReceiver(b *testing.B) *countingReceiver {
	r := &countingReceiver{done: make(chan struct{}, 1)}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		io.Copy(io.Discard, req.Body)
		n := r.n.Add(1)
		if n == 1 {
			r.first.Store(time.Now().UnixNano())
		}
		if n == r.want {
			r.done <- struct{}{}
		}
	}))
	r.srv.Config.SetKeepAlivesEnabled(true)
	b.Cleanup(r.srv.Close)
	return r
}

func BenchmarkFanout1000(b *testing.B) {
	for _, engine := range amendstest.Databases {
		b.Run(engine, func(b *testing.B) {
			ctx := context.Background()
			url := amendstest.DatabaseURL(b, engine)
			s, err := store.Open(ctx, url, "", store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			rcv := newCountingReceiver(b)
			g, _ := s.CreateGroup(ctx, amends.Group{Name: "Everyone"}, responder)
			for i := 0; i < fanoutReceivers; i++ {
				if _, err := s.AddContact(ctx, g.ID, amends.Contact{Name: fmt.Sprintf("r%d", i), Kind: amends.ChannelWebhook,
					Address: fmt.Sprintf("%s/r/%d", rcv.srv.URL, i), Secret: "k"}, responder); err != nil {
					b.Fatal(err)
				}
			}
			client := channel.NewHTTPClient(10 * time.Second)
			q, err := delivery.New(ctx, delivery.Config{Store: s, DBURL: url, BaseURL: "http://amends.test", Workers: fanoutWorkers,
				Senders: channel.Senders{channel.KindWebhook: channel.NewWebhook(client)},
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			s.SetEnqueuer(q)
			q.Start(ctx)
			defer q.Stop(ctx)
			var total, declare, first time.Duration
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				rcv.n.Store(0)
				rcv.want = fanoutReceivers
				start := time.Now()
				if _, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3}, responder); err != nil {
					b.Fatal(err)
				}
				declare += time.Since(start)
				select {
				case <-rcv.done:
				case <-time.After(2 * time.Minute):
					b.Fatalf("only %d of %d received", rcv.n.Load(), fanoutReceivers)
				}
				total += time.Since(start)
				first += time.Unix(0, rcv.first.Load()).Sub(start)
			}
			b.ReportMetric(total.Seconds()/float64(b.N), "s-to-last")
			b.ReportMetric(first.Seconds()/float64(b.N), "s-to-first")
			b.ReportMetric(declare.Seconds()/float64(b.N), "s-declare")
		})
	}
}

// BenchmarkFanoutBareLoop is the peer: the same 1,000 signed JSON posts with the same
// concurrency, from a plain loop with no database, queue or records.
func BenchmarkFanoutBareLoop(b *testing.B) {
	rcv := newCountingReceiver(b)
	client := channel.NewHTTPClient(10 * time.Second)
	body := bytes.Repeat([]byte("x"), 1200) // about the size of a brief
	var total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rcv.n.Store(0)
		rcv.want = fanoutReceivers
		start := time.Now()
		jobs := make(chan int)
		var wg sync.WaitGroup
		for w := 0; w < fanoutWorkers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for j := range jobs {
					req, _ := http.NewRequest("POST", fmt.Sprintf("%s/r/%d", rcv.srv.URL, j), bytes.NewReader(body))
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("X-Amends-Signature", "sha256=00")
					res, err := client.Do(req)
					if err != nil {
						b.Error(err)
						continue
					}
					io.Copy(io.Discard, res.Body)
					res.Body.Close()
				}
			}()
		}
		for j := 0; j < fanoutReceivers; j++ {
			jobs <- j
		}
		close(jobs)
		wg.Wait()
		<-rcv.done
		total += time.Since(start)
	}
	b.ReportMetric(total.Seconds()/float64(b.N), "s-to-last")
}

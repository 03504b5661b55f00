package delivery_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
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

var responder = amends.Actor{Name: "ana", Role: amends.Responder}

// receiver is a webhook receiver on loopback that verifies signatures and counts what arrives
// per idempotency key. fail makes it answer with that status for the first n requests.
type receiver struct {
	srv      *httptest.Server
	secret   string
	mu       sync.Mutex
	keys     map[string]int
	bodies   []map[string]any
	badSig   atomic.Int64
	failWith int
	failN    atomic.Int64
}

func newReceiver(t *testing.T, secret string) *receiver {
	r := &receiver{secret: secret, keys: map[string]int{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		if !channel.VerifySignature(r.secret, body, req.Header.Get("X-Amends-Signature")) {
			r.badSig.Add(1)
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if r.failWith != 0 && r.failN.Add(-1) >= 0 {
			http.Error(w, "not now", r.failWith)
			return
		}
		var m map[string]any
		json.Unmarshal(body, &m)
		r.mu.Lock()
		r.keys[req.Header.Get("X-Amends-Delivery")]++
		r.bodies = append(r.bodies, m)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, v := range r.keys {
		n += v
	}
	return n
}

func startQueue(t *testing.T, engine string, fast bool) (*store.Store, *delivery.Queue) {
	t.Helper()
	ctx := context.Background()
	url := amendstest.DatabaseURL(t, engine)
	s, err := store.Open(ctx, url, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	client := channel.NewHTTPClient(5 * time.Second)
	cfg := delivery.Config{Store: s, DBURL: url, BaseURL: "http://amends.test",
		Senders:      channel.Senders{channel.KindWebhook: channel.NewWebhook(client), channel.KindSlack: channel.NewSlack(client)},
		PollInterval: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if fast {
		cfg.NextDelay = func(err error, attempt int) (time.Duration, bool) {
			return 50 * time.Millisecond, !channel.IsPermanent(err) && attempt < 4
		}
	}
	q, err := delivery.New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	s.SetEnqueuer(q)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		q.Stop(ctx)
	})
	return s, q
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestDeclareReachesEveryReceiver(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			s, _ := startQueue(t, engine, true)
			g, err := s.CreateGroup(ctx, amends.Group{Name: "Support"}, responder)
			if err != nil {
				t.Fatal(err)
			}
			var receivers []*receiver
			for i := 0; i < 20; i++ {
				r := newReceiver(t, "shh")
				receivers = append(receivers, r)
				if _, err := s.AddContact(ctx, g.ID, amends.Contact{Name: "agent", Kind: amends.ChannelWebhook, Address: r.srv.URL + "/hook", Secret: "shh"}, responder); err != nil {
					t.Fatal(err)
				}
			}
			inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 2, Summary: "Every invoice of November was sent twice"}, responder)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range receivers {
				waitFor(t, "every receiver", func() bool { return r.count() >= 1 })
			}
			waitFor(t, "every delivery recorded", func() bool {
				ds, _ := s.Deliveries(ctx, inc.Ref)
				for _, d := range ds {
					if d.State != amends.DeliveryDone {
						return false
					}
				}
				return len(ds) == 20
			})
			waitFor(t, "colleagues told", func() bool {
				got, _ := s.Incident(ctx, inc.Ref)
				return got.ColleaguesToldAt != nil
			})
			for i, r := range receivers {
				if r.badSig.Load() != 0 {
					t.Errorf("receiver %d saw bad signatures", i)
				}
				b := r.bodies[0]
				if b["ref"] != inc.Ref || b["link"] != "http://amends.test/incidents/"+inc.Ref || b["ack_link"] == "" {
					t.Errorf("receiver %d got %v", i, b)
				}
			}
			ds, _ := s.Deliveries(ctx, inc.Ref)
			for _, d := range ds {
				if d.State != amends.DeliveryDone || d.Attempts != 1 {
					t.Errorf("delivery %d: %s after %d attempts", d.ID, d.State, d.Attempts)
				}
			}
		})
	}
}

func TestRetriesThenDeadAndRedrive(t *testing.T) {
	ctx := context.Background()
	s, _ := startQueue(t, "sqlite", true)
	g, _ := s.CreateGroup(ctx, amends.Group{Name: "Success"}, responder)
	flaky := newReceiver(t, "k")
	flaky.failWith = http.StatusServiceUnavailable
	flaky.failN.Store(2)
	gone := newReceiver(t, "k")
	gone.failWith = http.StatusGone
	gone.failN.Store(1)
	down := newReceiver(t, "k")
	down.failWith = http.StatusBadGateway
	down.failN.Store(1000)
	for name, r := range map[string]*receiver{"flaky": flaky, "gone": gone, "down": down} {
		s.AddContact(ctx, g.ID, amends.Contact{Name: name, Kind: amends.ChannelWebhook, Address: r.srv.URL, Secret: "k"}, responder)
	}
	inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Export sent to the wrong account", Severity: 1}, responder)
	state := func(name string) *amends.Delivery {
		ds, _ := s.Deliveries(ctx, inc.Ref)
		for _, d := range ds {
			if d.Name == name && d.Purpose == amends.PurposeBrief {
				return d
			}
		}
		return nil
	}
	waitFor(t, "flaky delivered", func() bool { return state("flaky").State == amends.DeliveryDone })
	waitFor(t, "gone dead", func() bool { return state("gone").State == amends.DeliveryDead })
	waitFor(t, "down dead", func() bool { return state("down").State == amends.DeliveryDead })
	if d := state("flaky"); d.Attempts != 3 || flaky.count() != 1 {
		t.Errorf("flaky: %d attempts, %d received", d.Attempts, flaky.count())
	}
	if d := state("gone"); d.Attempts != 1 || d.LastError == "" {
		t.Errorf("a 410 is not retried: %d attempts, error %q", d.Attempts, d.LastError)
	}
	if d := state("down"); d.Attempts != 4 {
		t.Errorf("down: %d attempts, want the 4 allowed", d.Attempts)
	}
	// The receiver comes back; an admin re-drives the dead delivery with the same key.
	down.failN.Store(0)
	dead := state("down")
	if err := s.Redrive(ctx, dead.ID, responder); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "re-driven delivery", func() bool { return state("down").State == amends.DeliveryDone })
	if down.keys["d"+strconv.FormatInt(dead.ID, 10)] != 1 {
		t.Errorf("re-driven delivery arrived under keys %v", down.keys)
	}
}

func TestRolledBackChangeSendsNothing(t *testing.T) {
	ctx := context.Background()
	s, _ := startQueue(t, "sqlite", true)
	g, _ := s.CreateGroup(ctx, amends.Group{Name: "Sales"}, responder)
	r := newReceiver(t, "k")
	s.AddContact(ctx, g.ID, amends.Contact{Name: "rep", Kind: amends.ChannelWebhook, Address: r.srv.URL, Secret: "k"}, responder)
	// Invalid input fails inside the transaction after nothing was written: no job, no send.
	if _, err := s.CreateIncident(ctx, amends.NewIncident{Title: "", Severity: 2}, responder); err == nil {
		t.Fatal("an empty title was accepted")
	}
	if _, err := s.CreateIncident(ctx, amends.NewIncident{Title: "real", Severity: 2}, responder); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the real brief", func() bool { return r.count() == 1 })
	time.Sleep(300 * time.Millisecond)
	if r.count() != 1 {
		t.Errorf("%d briefs arrived, want 1", r.count())
	}
}

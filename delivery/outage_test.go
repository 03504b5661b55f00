package delivery

import (
	"context"
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
	"github.com/amends/amends/store"
)

// timeScale compresses the real retry schedule (channel.NextDelay: twelve tries over 18 to 37
// minutes) a hundredfold, so an outage of minutes takes seconds of the test. Which errors are
// retried, and how many times, is the schedule's own decision.
const timeScale = 100

// hook is a webhook receiver that counts each delivery key that reaches it; while refusing is
// set it answers 503, as a receiver behind a load balancer with no healthy backend does.
type hook struct {
	srv      *httptest.Server
	refusing atomic.Bool
	refused  atomic.Int64
	mu       sync.Mutex
	keys     map[string]int
}

func newHook(t *testing.T) *hook {
	h := &hook{keys: map[string]int{}}
	h.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !channel.VerifySignature("k", body, r.Header.Get("X-Amends-Signature")) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		if h.refusing.Load() {
			h.refused.Add(1)
			http.Error(w, "no healthy upstream", http.StatusServiceUnavailable)
			return
		}
		h.mu.Lock()
		h.keys[r.Header.Get("X-Amends-Delivery")]++
		h.mu.Unlock()
	}))
	t.Cleanup(h.srv.Close)
	return h
}

func (h *hook) counts() map[string]int {
	h.mu.Lock()
	defer h.mu.Unlock()
	out := make(map[string]int, len(h.keys))
	for k, n := range h.keys {
		out[k] = n
	}
	return out
}

// TestReceiversDownThenBack takes the mail server and two webhook receivers away while an
// incident is declared and a customer message is sent: the mail server and one receiver stop
// listening (connections refused), the other answers 503. Briefs to colleagues and the mail to
// customers keep trying on the real schedule (compressed in time) and nothing is lost or dead.
// When all three are back, every delivery arrives exactly once and ends delivered.
func TestReceiversDownThenBack(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			ctx := context.Background()
			sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
			mailProxy := amendstest.NewProxy(t, sink.Addr)
			gone := newHook(t)
			goneProxy, goneURL := amendstest.ProxyURL(t, gone.srv.URL)
			busy := newHook(t)
			mailProxy.Cut()
			goneProxy.Cut()
			busy.refusing.Store(true)

			url := amendstest.DatabaseURL(t, engine)
			s, err := store.Open(ctx, url, "", store.Options{})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			email, err := channel.NewEmail(channel.SMTPConfig{URL: "smtp://" + mailProxy.Addr, From: "Acme <care@acme.example>"}, channel.WithTimeout(2*time.Second))
			if err != nil {
				t.Fatal(err)
			}
			client := channel.NewHTTPClient(2 * time.Second)
			q, err := New(ctx, Config{Store: s, DBURL: url, BaseURL: "https://amends.example.com", PollInterval: 20 * time.Millisecond,
				Senders: channel.Senders{channel.KindEmail: email, channel.KindWebhook: channel.NewWebhook(client)},
				Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
				NextDelay: func(err error, attempt int) (time.Duration, bool) {
					wait, retry := channel.NextDelay(err, attempt, nil)
					return wait / timeScale, retry
				}})
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

			g, err := s.CreateGroup(ctx, amends.Group{Name: "Support"}, ana)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []amends.Contact{
				{Name: "gone", Kind: amends.ChannelWebhook, Address: goneURL + "/hook", Secret: "k"},
				{Name: "busy", Kind: amends.ChannelWebhook, Address: busy.srv.URL + "/hook", Secret: "k"},
				{Name: "desk", Kind: amends.ChannelEmail, Address: "support-desk@acme.example"},
			} {
				if _, err := s.AddContact(ctx, g.ID, c, ana); err != nil {
					t.Fatal(err)
				}
			}
			const customers = 40
			m := sendToList(t, s, customers, "")

			// Down for a while: every colleague's delivery has failed and been retried a few
			// times (a minute or two of real time), and the customer message waits with the reason recorded.
			deliveries := func() []*amends.Delivery {
				ds, err := s.Deliveries(ctx, m.Ref)
				if err != nil {
					t.Fatal(err)
				}
				return ds
			}
			waitUntil(t, "several failed tries of every colleague's delivery", 30*time.Second, func() bool {
				for _, d := range deliveries() {
					if d.Purpose != amends.PurposeCustomer && d.Attempts < 6 {
						return false
					}
				}
				page, _ := s.MessageDeliveries(ctx, m.ID, amends.DeliveryPending, "", 1)
				return len(page.Deliveries) == 1 && page.Deliveries[0].LastError != ""
			})
			outage := map[string]int{}
			for _, d := range deliveries() {
				outage[d.State]++
				if d.State == amends.DeliveryDead {
					t.Errorf("during the outage, delivery %d (%s to %s) is dead: %s", d.ID, d.Purpose, d.Name, d.LastError)
				}
			}
			if n := sink.Count.Load() + int64(len(gone.counts())+len(busy.counts())); n != 0 || busy.refused.Load() == 0 {
				t.Fatalf("during the outage %d arrived and the busy receiver refused %d", n, busy.refused.Load())
			}

			mailProxy.Restore(t)
			goneProxy.Restore(t)
			busy.refusing.Store(false)
			waitUntil(t, "every delivery delivered", 60*time.Second, func() bool {
				for _, d := range deliveries() {
					if d.State != amends.DeliveryDone {
						return false
					}
				}
				return true
			})

			ds := deliveries()
			var colleagues, mails int
			tries := map[string]int{}
			for _, d := range ds {
				if d.Purpose == amends.PurposeCustomer {
					mails++
				} else {
					colleagues++
					tries[d.Name] = max(tries[d.Name], d.Attempts)
				}
			}
			// The declaration's brief and the customer message's brief, to three colleagues.
			if mails != customers || colleagues != 6 {
				t.Fatalf("%d customer deliveries and %d to colleagues; want %d and 6", mails, colleagues, customers)
			}
			for name, h := range map[string]*hook{"gone": gone, "busy": busy} {
				got := h.counts()
				if len(got) != 2 {
					t.Errorf("%s received %d briefs, want 2", name, len(got))
				}
				for key, n := range got {
					if n != 1 {
						t.Errorf("%s received %s %d times", name, key, n)
					}
				}
			}
			perTo := map[string]int{}
			for _, e := range sink.Mails() {
				perTo[e.To[0]]++
			}
			if len(perTo) != customers+1 || perTo["support-desk@acme.example"] != 2 {
				t.Errorf("mail reached %d addresses (want %d customers and the desk), the desk got %d", len(perTo), customers, perTo["support-desk@acme.example"])
			}
			for to, n := range perTo {
				if n != 1 && to != "support-desk@acme.example" {
					t.Errorf("%s got %d mails", to, n)
				}
			}
			t.Logf("during the outage %v; most tries per colleague %v; the busy receiver refused %d requests", outage, tries, busy.refused.Load())
		})
	}
}

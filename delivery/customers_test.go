package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/store"
)

var (
	ana = amends.Actor{Name: "ana", Role: amends.Responder}
	bo  = amends.Actor{Name: "bo", Role: amends.Responder}
)

// customerQueue opens a store of the engine and a queue whose email goes to smtpURL. The
// queue is started only when start is set; otherwise a test works the jobs itself.
func customerQueue(t testing.TB, engine, smtpURL string, start bool) (*store.Store, *Queue) {
	t.Helper()
	ctx := context.Background()
	url := amendstest.DatabaseURL(t, engine)
	s, err := store.Open(ctx, url, "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	email, err := channel.NewEmail(channel.SMTPConfig{URL: smtpURL, From: "Acme <care@acme.example>"}, channel.WithTimeout(2*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	q, err := New(ctx, Config{Store: s, DBURL: url, BaseURL: "https://amends.example.com", PollInterval: 20 * time.Millisecond,
		Senders: channel.Senders{channel.KindEmail: email}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		NextDelay: func(err error, attempt int) (time.Duration, bool) {
			return 50 * time.Millisecond, !channel.IsPermanent(err) && attempt < 4
		}})
	if err != nil {
		t.Fatal(err)
	}
	s.SetEnqueuer(q)
	if start {
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			q.Stop(ctx)
		})
	}
	return s, q
}

// sendToList declares a sev3 incident, uploads a list of n recipients with an orders_affected
// column (recipient i has 7i+1 orders), and writes, approves and sends a message that tells each
// of them their own number. It returns the sent message.
func sendToList(t testing.TB, s *store.Store, n int, extra string) *amends.Message {
	t.Helper()
	ctx := context.Background()
	if err := s.SetReplyTo(ctx, "maria@acme.example", ana); err != nil {
		t.Fatal(err)
	}
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3, Owner: "maria"}, ana)
	if err != nil {
		t.Fatal(err)
	}
	var list strings.Builder
	list.WriteString("email,name,orders_affected\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&list, "r%05d@customers.example,Customer <b>%d</b>,%d\n", i, i, 7*i+1)
	}
	list.WriteString(extra)
	rep, err := s.UploadAudience(ctx, inc.Ref, strings.NewReader(list.String()), ana)
	if err != nil || rep.ProblemCount() > 0 {
		t.Fatalf("upload: %+v %v", rep, err)
	}
	body := "Hello {{name}},\n\nWe charged you twice for {{orders_affected}} orders on your November invoice. We made this mistake, and we are sorry.\n\n" +
		"<script>alert(1)</script> is how this text would look if we did not escape it.\n\nReply to this email with any question."
	m, err := s.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We charged you twice for {{orders_affected}} orders", body, true, 90, `{"owns":true}`, ana)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApproveMessage(ctx, m.ID, m.Version, bo); err != nil {
		t.Fatal(err)
	}
	if m, err = s.SendMessage(ctx, m.ID, "", bo); err != nil {
		t.Fatal(err)
	}
	return m
}

func waitUntil(t testing.TB, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func counts(t testing.TB, s *store.Store, id int64) map[string]int {
	t.Helper()
	page, err := s.MessageDeliveries(context.Background(), id, "", "", 1)
	if err != nil {
		t.Fatal(err)
	}
	return page.Counts
}

// work runs the customers job of message id once, as River would.
func work(q *Queue, id int64, attempt int) error {
	return (&customersWorker{q: q}).Work(context.Background(), &river.Job[CustomersArgs]{
		JobRow: &rivertype.JobRow{Attempt: attempt}, Args: CustomersArgs{MessageID: id}})
}

// TestCustomerMessageReachesEveryRecipient sends one message to 300 customers of an uploaded
// list through the running queue and reads every mail back from a real SMTP server: exactly
// one each, with their own value in both parts, the incident's reference in the subject,
// replies going to the owner, and markup escaped. Running the job again sends nothing.
func TestCustomerMessageReachesEveryRecipient(t *testing.T) {
	for _, engine := range amendstest.Databases {
		t.Run(engine, func(t *testing.T) {
			sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
			s, q := customerQueue(t, engine, sink.URL(), true)
			const n = 300
			m := sendToList(t, s, n, "")
			if m.Recipients != n {
				t.Fatalf("%d recipients", m.Recipients)
			}
			waitUntil(t, "every delivery recorded", 30*time.Second, func() bool { return counts(t, s, m.ID)[amends.DeliveryDone] == n })
			mails := sink.Mails()
			if len(mails) != n {
				t.Fatalf("%d mails for %d recipients", len(mails), n)
			}
			if conns := sink.Conns.Load(); conns > n/emailBatch+4 {
				t.Errorf("%d SMTP connections for %d mails: batches are not sharing connections", conns, n)
			}
			seen := map[string]bool{}
			for _, env := range mails {
				if len(env.To) != 1 || seen[env.To[0]] {
					t.Fatalf("envelope %v (seen before: %v)", env.To, seen[env.To[0]])
				}
				seen[env.To[0]] = true
				var i int
				if _, err := fmt.Sscanf(env.To[0], "r%05d@customers.example", &i); err != nil {
					t.Fatalf("recipient %q", env.To[0])
				}
				checkCustomerMail(t, env.Data, m.Ref, i)
			}
			// A crash-like re-run of the job: everything delivered is recorded, so nothing goes twice.
			if err := work(q, m.ID, 2); err != nil {
				t.Fatal(err)
			}
			time.Sleep(100 * time.Millisecond)
			if got := sink.Count.Load(); got != n {
				t.Errorf("a re-run sent again: %d mails", got)
			}
		})
	}
}

func checkCustomerMail(t testing.TB, data []byte, ref string, i int) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	orders := fmt.Sprint(7*i + 1)
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if want := "[" + ref + "] We charged you twice for " + orders + " orders"; subject != want {
		t.Errorf("subject %q, want %q", subject, want)
	}
	if got := msg.Header.Get("Reply-To"); got != "<maria@acme.example>" && got != "maria@acme.example" {
		t.Errorf("Reply-To %q", got)
	}
	to, err := mail.ParseAddress(msg.Header.Get("To"))
	if err != nil || to.Name != fmt.Sprintf("Customer <b>%d</b>", i) {
		t.Errorf("To %q: %v", msg.Header.Get("To"), err)
	}
	_, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	parts := multipart.NewReader(msg.Body, params["boundary"])
	var types []string
	for {
		p, err := parts.NextPart()
		if err != nil {
			break
		}
		body, _ := io.ReadAll(p)
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body, _ = io.ReadAll(quotedprintable.NewReader(bytes.NewReader(body)))
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		text := string(body)
		if !strings.Contains(text, "for "+orders+" orders on your November invoice") {
			t.Errorf("%s part for recipient %d does not carry their %s orders:\n%s", ct, i, orders, text)
		}
		if strings.Contains(text, "/incidents/") {
			t.Errorf("%s part links a customer to the internal incident page", ct)
		}
		if strings.Contains(text, "single source of truth") || !strings.Contains(text, "/status#") {
			t.Errorf("%s part speaks to colleagues, not to the customer, about its link:\n%s", ct, text)
		}
		if ct == "text/html" && (strings.Contains(text, "<script>alert") || !strings.Contains(text, "&lt;script&gt;")) {
			t.Error("markup in the message reached the HTML part unescaped")
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v", types)
	}
}

// TestCustomerMessageSurvivesAnOutage sends while the mail server is down: nothing is lost,
// every delivery stays pending with the reason, and the job waits. When the server is back,
// the next try sends each mail once; a recipient the server refuses for good is dead.
func TestCustomerMessageSurvivesAnOutage(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "smtp://" + l.Addr().String()
	l.Close()
	s, q := customerQueue(t, "sqlite", down, false)
	const n = 120
	m := sendToList(t, s, n, "bounce@customers.example,Bounce,0\n")
	err = work(q, m.ID, 1)
	var snooze *rivertype.JobSnoozeError
	if !errors.As(err, &snooze) || snooze.Duration <= 0 {
		t.Fatalf("the job did not wait for the server: %v", err)
	}
	page, _ := s.MessageDeliveries(context.Background(), m.ID, amends.DeliveryPending, "", 1)
	if page.Counts[amends.DeliveryPending] != n+1 || page.Deliveries[0].LastError == "" || page.Deliveries[0].NextTryAt == nil || page.Deliveries[0].Attempts != 0 {
		t.Fatalf("during the outage: %v %+v", page.Counts, page.Deliveries[0])
	}
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{Rcpt: func(to string) error {
		if strings.HasPrefix(to, "bounce@") {
			return amendstest.SMTPError(550, "no such user")
		}
		return nil
	}})
	email, err := channel.NewEmail(channel.SMTPConfig{URL: sink.URL(), From: "care@acme.example"})
	if err != nil {
		t.Fatal(err)
	}
	q.cfg.Senders = channel.Senders{channel.KindEmail: email}
	if err := work(q, m.ID, 2); err != nil {
		t.Fatal(err)
	}
	c := counts(t, s, m.ID)
	if c[amends.DeliveryDone] != n || c[amends.DeliveryDead] != 1 || c[amends.DeliveryPending] != 0 || int(sink.Count.Load()) != n {
		t.Fatalf("after the outage: %v, %d mails", c, sink.Count.Load())
	}
	if err := work(q, m.ID, 3); err != nil || int(sink.Count.Load()) != n {
		t.Errorf("a third run: %v, %d mails", err, sink.Count.Load())
	}
	seen := map[string]int{}
	for _, env := range sink.Mails() {
		seen[env.To[0]]++
	}
	for to, k := range seen {
		if k != 1 {
			t.Errorf("%s got %d mails", to, k)
		}
	}
}

// TestCustomerReplyToCannotAddAHeader checks that a reply-to address is one bare address or
// nothing: anything else makes the message invalid, so it can never carry a header of its own.
func TestCustomerReplyToCannotAddAHeader(t *testing.T) {
	q := &Queue{cfg: Config{BaseURL: "https://amends.example.com"}}
	d := &amends.Delivery{ID: 7, Ref: "INC-4", Subject: "We charged you twice", Body: "We are sorry."}
	if err := q.customerMessage(d, "maria@acme.example").Validate(); err != nil {
		t.Fatal(err)
	}
	if err := q.customerMessage(d, "").Validate(); err != nil {
		t.Fatalf("no reply-to: %v", err)
	}
	for _, bad := range []string{"maria@acme.example\r\nBcc: all@example.com", "Maria <maria@acme.example>", "a@b.example, c@d.example", "not an address"} {
		err := q.customerMessage(d, bad).Validate()
		if e := amends.ErrorOf(err); e == nil || e.Field != "reply_to" {
			t.Errorf("reply-to %q: %v", bad, err)
		}
	}
}

// TestCustomerRetryIsTheSameMail checks a recipient the server asks to try again later: the
// retry goes as its own deliver job and is the same mail, reply-to and all.
func TestCustomerRetryIsTheSameMail(t *testing.T) {
	var refused atomic.Bool
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{Rcpt: func(to string) error {
		if to == "r00001@customers.example" && refused.CompareAndSwap(false, true) {
			return amendstest.SMTPError(451, "greylisted, try again later")
		}
		return nil
	}})
	s, _ := customerQueue(t, "sqlite", sink.URL(), true)
	m := sendToList(t, s, 3, "")
	waitUntil(t, "every delivery recorded", 20*time.Second, func() bool { return counts(t, s, m.ID)[amends.DeliveryDone] == 3 })
	if !refused.Load() {
		t.Fatal("the server never refused")
	}
	n := 0
	for _, env := range sink.Mails() {
		if env.To[0] == "r00001@customers.example" {
			n++
			checkCustomerMail(t, env.Data, m.Ref, 1)
		}
	}
	if n != 1 {
		t.Errorf("the greylisted recipient got %d mails", n)
	}
	page, _ := s.MessageDeliveries(context.Background(), m.ID, "", "", 10)
	for _, d := range page.Deliveries {
		if d.Address == "r00001@customers.example" && d.Attempts != 2 {
			t.Errorf("attempts %d, want 2", d.Attempts)
		}
	}
}

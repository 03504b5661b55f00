package delivery

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
)

// The customer-message benchmark: from SendMessage (render for every recipient, write 10,000
// deliveries and the job, in one transaction) to all 10,000 recorded as delivered by an
// in-process SMTP sink that reads and discards each mail, on SQLite, with the queue's defaults
// (100 workers, batches of 50 mails per SMTP connection, successes recorded 100 at a time).
// Its peer is the channel's bare net/smtp rate, measured right after in the same run. Rerun
// with:
//
//	go test ./delivery -run XXX -bench SendToCustomers10k -benchtime 1x
//	go test ./channel -run XXX -bench BareSMTP -benchtime 1x
const customersBench = 10000

func BenchmarkSendToCustomers10k(b *testing.B) {
	ctx := context.Background()
	sink := amendstest.NewSMTPSink(b, amendstest.SinkConfig{Discard: true})
	s, _ := customerQueue(b, "sqlite", sink.URL(), true)
	s.SetReplyTo(ctx, "maria@acme.example", ana)
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3, Owner: "maria"}, ana)
	if err != nil {
		b.Fatal(err)
	}
	var list strings.Builder
	list.WriteString("email,name,orders_affected,refund_amount\n")
	for i := 0; i < customersBench; i++ {
		fmt.Fprintf(&list, "r%05d@customers.example,Customer %d,%d,€%d.00\n", i, i, i%9+1, 10*(i%9+1))
	}
	if rep, err := s.UploadAudience(ctx, inc.Ref, strings.NewReader(list.String()), ana); err != nil || rep.Members != customersBench {
		b.Fatalf("upload: %+v %v", rep, err)
	}
	tmpl, err := s.Templates(ctx, inc.Ref)
	if err != nil {
		b.Fatal(err)
	}
	t := tmpl[amends.MessageAcknowledgement]
	var total, inTx time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		m, err := s.CreateMessage(ctx, inc.Ref, amends.MessageUpdate, t.Subject, t.Body, true, 90, `{"owns":true}`, ana)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := s.ApproveMessage(ctx, m.ID, m.Version, bo); err != nil {
			b.Fatal(err)
		}
		sent := sink.Count.Load()
		b.StartTimer()
		start := time.Now()
		if _, err := s.SendMessage(ctx, m.ID, "", bo); err != nil {
			b.Fatal(err)
		}
		inTx += time.Since(start)
		deadline := start.Add(10 * time.Minute)
		for {
			var done int
			if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM deliveries WHERE message_id = $1 AND state = 'delivered'", m.ID).Scan(&done); err != nil {
				b.Fatal(err)
			}
			if done == customersBench {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d of %d delivered after 10 minutes", done, customersBench)
			}
			time.Sleep(20 * time.Millisecond)
		}
		total += time.Since(start)
		if got := sink.Count.Load() - sent; got != customersBench {
			b.Fatalf("the sink received %d mails for %d recipients", got, customersBench)
		}
	}
	b.StopTimer()
	secs := total.Seconds() / float64(b.N)
	b.ReportMetric(secs, "s/send")
	b.ReportMetric(inTx.Seconds()/float64(b.N), "s/send-tx")
	b.ReportMetric(customersBench/secs, "msgs/s")
}

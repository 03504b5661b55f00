package channel

import (
	"bytes"
	"context"
	"fmt"
	"github.com/amends/amends/amendstest"
	"net/smtp"
	"testing"
)

// benchMessages is the number of emails each benchmark iteration sends.
const benchMessages = 10_000

func benchItems() []EmailItem {
	items := make([]EmailItem, benchMessages)
	for i := range items {
		m := sampleMessage()
		m.DeliveryID = fmt.Sprintf("del-%d", i)
		items[i] = EmailItem{Destination: emailTo(fmt.Sprintf("user%d@example.com", i), fmt.Sprintf("User %d", i)), Message: m}
	}
	return items
}

// BenchmarkEmailBatch sends 10,000 notifications to an in-process SMTP sink with SendBatch:
// rendering both parts, building the MIME message and the SMTP dialogue, over one connection.
func BenchmarkEmailBatch(b *testing.B) {
	s := amendstest.NewSMTPSink(b, amendstest.SinkConfig{Discard: true})
	e, err := NewEmail(SMTPConfig{URL: s.URL(), From: "Example Incidents <incidents@example.com>"}, WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	defer e.Close()
	items := benchItems()
	b.ResetTimer()
	for b.Loop() {
		for i, err := range e.SendBatch(context.Background(), items) {
			if err != nil {
				b.Fatalf("item %d: %v", i, err)
			}
		}
	}
	b.StopTimer()
	reportRate(b, s)
}

// BenchmarkBareSMTP10000 is the peer: the standard library's net/smtp sends the same 10,000
// messages, already rendered to bytes, over one connection. The ratio of the two rates is what
// rendering, go-mail and our classification cost.
func BenchmarkBareSMTP10000(b *testing.B) {
	s := amendstest.NewSMTPSink(b, amendstest.SinkConfig{Discard: true})
	e, err := NewEmail(SMTPConfig{URL: s.URL(), From: "Example Incidents <incidents@example.com>"}, WithClock(clock))
	if err != nil {
		b.Fatal(err)
	}
	items := benchItems()
	raw := make([][]byte, len(items))
	for i, it := range items {
		m := it.Message.clean()
		text, html, err := renderEmail(m)
		if err != nil {
			b.Fatal(err)
		}
		msg := e.build(it.Destination, m, text, html)
		var buf bytes.Buffer
		if _, err := msg.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
		raw[i] = buf.Bytes()
	}
	b.ResetTimer()
	for b.Loop() {
		c, err := smtp.Dial(s.Addr)
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Hello("localhost"); err != nil {
			b.Fatal(err)
		}
		for i, it := range items {
			if err := c.Mail("incidents@example.com"); err != nil {
				b.Fatal(err)
			}
			if err := c.Rcpt(it.Destination.Address); err != nil {
				b.Fatal(err)
			}
			w, err := c.Data()
			if err != nil {
				b.Fatal(err)
			}
			if _, err := w.Write(raw[i]); err != nil {
				b.Fatal(err)
			}
			if err := w.Close(); err != nil {
				b.Fatal(err)
			}
		}
		if err := c.Quit(); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	reportRate(b, s)
}

func reportRate(b *testing.B, s *amendstest.SMTPSink) {
	b.Helper()
	if got, want := s.Count.Load(), int64(benchMessages*b.N); got != want {
		b.Fatalf("sink received %d messages, want %d", got, want)
	}
	b.ReportMetric(float64(benchMessages*b.N)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op") // one op is 10,000 messages: msgs/s is the figure to read
}

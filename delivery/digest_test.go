package delivery_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/delivery"
	"github.com/amends/amends/store"
)

// TestWeeklyDigestByEmail starts the queue with digests on: the week's digest is written at
// start (the server may have been down on Monday), reaches the owner by email with a link to
// what they owe, and a restart in the same week sends nothing more.
func TestWeeklyDigestByEmail(t *testing.T) {
	ctx := context.Background()
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.CreateUser(ctx, "Ines", amends.Responder, "correct horse battery staple", responder); err != nil {
		t.Fatal(err)
	}
	g, _ := s.CreateGroup(ctx, amends.Group{Name: "Engineering", Severities: []amends.Severity{1}}, responder)
	if _, err := s.AddContact(ctx, g.ID, amends.Contact{Name: "Ines", Kind: amends.ChannelEmail, Address: "ines@example.com"}, responder); err != nil {
		t.Fatal(err)
	}
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3}, responder)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateActionItem(ctx, inc.Ref, amends.NewActionItem{Title: "Refund the doubled invoices", Kind: amends.ActionFix,
		Owner: "Ines", Due: time.Now().Add(72 * time.Hour), Public: true}, responder); err != nil {
		t.Fatal(err)
	}
	email, err := channel.NewEmail(channel.SMTPConfig{URL: sink.URL(), From: "Amends <incidents@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	run := func() {
		q, err := delivery.New(ctx, delivery.Config{Store: s, BaseURL: "https://amends.example.com", PollInterval: 20 * time.Millisecond,
			Senders: channel.Senders{channel.KindEmail: email}, Digests: true, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
		if err != nil {
			t.Fatal(err)
		}
		s.SetEnqueuer(q)
		if err := q.Start(ctx); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the digest job to run", func() bool {
			var n int
			s.DB().QueryRowContext(ctx, "SELECT count(*) FROM river_job WHERE kind = 'digest' AND state = 'completed'").Scan(&n)
			return n >= 1
		})
		stop, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		q.Stop(stop)
	}
	run()
	waitFor(t, "the digest mail", func() bool { return len(sink.Mails()) >= 1 })
	run() // a restart in the same week
	mails := sink.Mails()
	if len(mails) != 1 || len(mails[0].To) != 1 || mails[0].To[0] != "ines@example.com" {
		t.Fatalf("%d mails (want one digest to ines@example.com): %+v", len(mails), mails)
	}
	msg, err := mail.ReadMessage(bytes.NewReader(mails[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if subject != "This week: 1 item due" {
		t.Errorf("subject %q", subject)
	}
	body := string(mails[0].Data)
	for _, want := range []string{"Refund the doubled invoices", inc.Ref, "promised to customers", "https://amends.example.com/owe"} {
		if !strings.Contains(body, want) {
			t.Errorf("digest lacks %q:\n%s", want, body)
		}
	}
}

package delivery_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
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

// TestBriefByEmail declares an incident whose group is reached by email and reads every
// message back from a real SMTP server: one per colleague, sent in batches over few
// connections, each a real message with both parts and the incident's link.
func TestBriefByEmail(t *testing.T) {
	ctx := context.Background()
	sink := amendstest.NewSMTPSink(t, amendstest.SinkConfig{})
	s, err := store.Open(ctx, amendstest.DatabaseURL(t, "sqlite"), "", store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	email, err := channel.NewEmail(channel.SMTPConfig{URL: sink.URL(), From: "Amends <incidents@example.com>"})
	if err != nil {
		t.Fatal(err)
	}
	q, err := delivery.New(ctx, delivery.Config{Store: s, BaseURL: "https://amends.example.com", PollInterval: 20 * time.Millisecond,
		Senders: channel.Senders{channel.KindEmail: email}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	s.SetEnqueuer(q)
	q.Start(ctx)
	defer q.Stop(ctx)
	g, _ := s.CreateGroup(ctx, amends.Group{Name: "Support"}, responder)
	const n = 120
	for i := 0; i < n; i++ {
		if _, err := s.AddContact(ctx, g.ID, amends.Contact{Name: fmt.Sprintf("Agent %d", i), Kind: amends.ChannelEmail,
			Address: fmt.Sprintf("agent%d@example.com", i)}, responder); err != nil {
			t.Fatal(err)
		}
	}
	inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices <b>doubled</b>\r\nBcc: evil@example.com", Severity: 2}, responder)
	if err == nil {
		t.Fatal("a two-line title was accepted")
	}
	inc, err = s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices <b>doubled</b>", Severity: 2, Summary: "Every November invoice went out twice."}, responder)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "every mail", func() bool { return len(sink.Mails()) >= n })
	mails := sink.Mails()
	if len(mails) != n {
		t.Fatalf("%d mails, want %d", len(mails), n)
	}
	if conns := sink.Conns.Load(); conns > n/50+2 {
		t.Errorf("%d SMTP connections for %d mails: batches are not sharing connections", conns, n)
	}
	seen := map[string]bool{}
	for _, m := range mails {
		if len(m.To) != 1 || seen[m.To[0]] {
			t.Fatalf("envelope recipients %v (seen before: %v)", m.To, seen[m.To[0]])
		}
		seen[m.To[0]] = true
	}
	msg, err := mail.ReadMessage(bytes.NewReader(mails[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if !strings.Contains(subject, "["+inc.Ref+"]") || !strings.Contains(subject, "Invoices <b>doubled</b>") {
		t.Errorf("subject %q", subject)
	}
	if msg.Header.Get("Date") == "" || !strings.HasPrefix(msg.Header.Get("Message-Id"), "<d") || msg.Header.Get("X-Amends-Delivery") == "" {
		t.Errorf("headers: %v", msg.Header)
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
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		types = append(types, ct)
		text := string(body)
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			text = decodeQP(body)
		}
		if !strings.Contains(text, "https://amends.example.com/incidents/"+inc.Ref) {
			t.Errorf("%s part does not link to the incident page", ct)
		}
		if ct == "text/html" && strings.Contains(text, "<b>doubled</b>") {
			t.Error("the title's markup reached the HTML part unescaped")
		}
	}
	if strings.Join(types, ",") != "text/plain,text/html" {
		t.Errorf("parts %v", types)
	}
	waitFor(t, "colleagues told", func() bool {
		got, _ := s.Incident(ctx, inc.Ref)
		return got.ColleaguesToldAt != nil
	})
}
func decodeQP(b []byte) string {
	out, _ := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(b)))
	return string(out)
}

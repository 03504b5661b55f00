package channel

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/mail"
	"strings"
	"testing"
	"time"
)

// testNow is the clock every sender reads in the tests: 14:43, when colleagues were told.
var testNow = time.Date(2025, 3, 4, 14, 43, 0, 0, time.UTC)

func clock() time.Time { return testNow }

// sampleMessage is the afternoon of DESIGN.md as a notification.
func sampleMessage() Message {
	return Message{
		DeliveryID: "del-42",
		Event:      "incident.declared",
		Ref:        "INC-4",
		Title:      "Renewal email sent to the wrong list",
		Severity:   "SEV2",
		Status:     "investigating",
		Subject:    "Renewal email sent to the wrong list",
		Text:       "We sent this morning's renewal reminder to customers who had already cancelled.\n\nTell customers: we made a mistake; nothing will be charged.",
		Link:       "https://amends.example.com/incidents/INC-4",
		AckLink:    "https://amends.example.com/incidents/INC-4/ack?t=abc",
		Fields: []Field{
			{"Severity", "SEV2"},
			{"Status", "investigating"},
			{"Owner", "Dana Okafor"},
			{"Impact", "1,204 customers received a wrong renewal notice"},
		},
		At: time.Date(2025, 3, 4, 14, 39, 0, 0, time.UTC),
	}
}

// readMail parses raw message data the way a mail client would: the top-level header and each
// part of a multipart/alternative body by content type, transfer encoding undone.
func readMail(t *testing.T, data []byte) (mail.Header, map[string]string, []textprotoHeader) {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, data)
	}
	mediaType, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type %q: %v", msg.Header.Get("Content-Type"), err)
	}
	if got, want := mediaType, "multipart/alternative"; got != want {
		t.Fatalf("Content-Type = %q, want %q", got, want)
	}
	parts := map[string]string{}
	var headers []textprotoHeader
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("next part: %v", err)
		}
		ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, err := io.ReadAll(p)
		if err != nil {
			t.Fatalf("read part %s: %v", ct, err)
		}
		parts[ct] = string(b)
		headers = append(headers, textprotoHeader(p.Header))
	}
	return msg.Header, parts, headers
}

type textprotoHeader map[string][]string

// decodeHeader undoes RFC 2047 encoded words.
func decodeHeader(t *testing.T, v string) string {
	t.Helper()
	s, err := new(mime.WordDecoder).DecodeHeader(v)
	if err != nil {
		t.Fatalf("decode %q: %v", v, err)
	}
	return s
}

// headerSection returns the raw header lines of data, up to the first empty line.
func headerSection(data []byte) string {
	s := strings.ReplaceAll(string(data), "\r\n", "\n")
	if i := strings.Index(s, "\n\n"); i >= 0 {
		return s[:i]
	}
	return s
}

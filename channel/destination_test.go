package channel

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/amends/amends"
)

func TestParseKind(t *testing.T) {
	tests := []struct {
		in      string
		want    Kind
		wantErr bool
	}{
		{"email", KindEmail, false},
		{"slack", KindSlack, false},
		{"teams", KindTeams, false},
		{"webhook", KindWebhook, false},
		{" Slack ", KindSlack, false},
		{"WEBHOOK", KindWebhook, false},
		{"", "", true},
		{"sms", "", true},
		{"mattermost", "", true}, // reached through kind slack
		{"e-mail", "", true},
	}
	for _, tt := range tests {
		got, err := ParseKind(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseKind(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
		if err != nil {
			var ae *amends.Error
			if !errors.As(err, &ae) || ae.Code != amends.EInvalid || ae.Field != "kind" || !strings.Contains(err.Error(), "email, slack, teams or webhook") {
				t.Errorf("ParseKind(%q) error = %v, want an invalid error on kind listing the kinds", tt.in, err)
			}
		}
	}
}

func TestDestinationValidate(t *testing.T) {
	tests := []struct {
		name      string
		d         Destination
		wantField string // "" when valid
		wantText  string
	}{
		{"email", Destination{Kind: KindEmail, Address: "dana@example.com"}, "", ""},
		{"email with name field", Destination{Kind: KindEmail, Address: "dana@example.com", Name: "Dana \r\nBcc: x"}, "", ""},
		{"email, unicode local part", Destination{Kind: KindEmail, Address: "josé@example.com"}, "", ""},
		{"slack https", Destination{Kind: KindSlack, Address: "https://hooks.slack.com/services/T0/B0/X"}, "", ""},
		{"mattermost over http on a LAN", Destination{Kind: KindSlack, Address: "http://chat.internal:8065/hooks/abc"}, "", ""},
		{"teams", Destination{Kind: KindTeams, Address: "https://example.webhook.office.com/webhookb2/x"}, "", ""},
		{"webhook on loopback", Destination{Kind: KindWebhook, Address: "http://127.0.0.1:9000/amends", Secret: "s"}, "", ""},
		{"webhook on IPv6 loopback", Destination{Kind: KindWebhook, Address: "http://[::1]:9000/amends", Secret: "s"}, "", ""},

		{"no kind", Destination{Address: "dana@example.com"}, "kind", "unknown channel kind"},
		{"unknown kind", Destination{Kind: "sms", Address: "+15551234"}, "kind", `"sms"`},
		{"upper-case kind", Destination{Kind: "Email", Address: "dana@example.com"}, "kind", "unknown channel kind"},

		{"email empty", Destination{Kind: KindEmail}, "address", "required"},
		{"not an email", Destination{Kind: KindEmail, Address: "not an email"}, "address", "not an email address"},
		{"email CR/LF Bcc", Destination{Kind: KindEmail, Address: "a@b\r\nBcc: c@d"}, "address", "one line"},
		{"email LF", Destination{Kind: KindEmail, Address: "a@b\nc"}, "address", "one line"},
		{"email list", Destination{Kind: KindEmail, Address: "a@example.com, b@example.com"}, "address", "not an email address"},
		{"email with display name", Destination{Kind: KindEmail, Address: "Dana <dana@example.com>"}, "address", "bare email address"},
		{"email in brackets", Destination{Kind: KindEmail, Address: "<dana@example.com>"}, "address", "bare email address"},
		{"email no domain", Destination{Kind: KindEmail, Address: "dana@"}, "address", "not an email address"},
		{"email too long", Destination{Kind: KindEmail, Address: strings.Repeat("a", 250) + "@example.com"}, "address", "longer than"},

		{"url empty", Destination{Kind: KindSlack}, "address", "required"},
		{"ftp", Destination{Kind: KindSlack, Address: "ftp://files.example.com/hook"}, "address", "not ftp:"},
		{"javascript", Destination{Kind: KindTeams, Address: "javascript:alert(1)"}, "address", "not javascript:"},
		{"file", Destination{Kind: KindWebhook, Address: "file:///etc/passwd", Secret: "s"}, "address", "not file:"},
		{"relative path", Destination{Kind: KindSlack, Address: "/hooks/abc"}, "address", "absolute"},
		{"no scheme", Destination{Kind: KindSlack, Address: "hooks.slack.com/services/x"}, "address", "absolute"},
		{"scheme-relative", Destination{Kind: KindSlack, Address: "//hooks.slack.com/services/x"}, "address", "absolute"},
		{"no host", Destination{Kind: KindSlack, Address: "https:///services/x"}, "address", "host"},
		{"opaque", Destination{Kind: KindSlack, Address: "https:hooks.slack.com"}, "address", "host"},
		{"port only", Destination{Kind: KindSlack, Address: "http://:8080/x"}, "address", "host"},
		{"userinfo", Destination{Kind: KindSlack, Address: "https://user:pass@hooks.example.com/x"}, "address", "user name or password"},
		{"space", Destination{Kind: KindSlack, Address: "https://hooks.example.com/a b"}, "address", "spaces or control"},
		{"CR/LF", Destination{Kind: KindSlack, Address: "https://hooks.example.com/a\r\nX-Evil: 1"}, "address", "spaces or control"},
		{"bad port", Destination{Kind: KindSlack, Address: "https://hooks.example.com:99999/x"}, "address", "port"},
		{"too long", Destination{Kind: KindSlack, Address: "https://hooks.example.com/" + strings.Repeat("a", 2100)}, "address", "longer than"},
		{"webhook without secret", Destination{Kind: KindWebhook, Address: "https://hooks.example.com/x"}, "secret", "required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.d.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatalf("Validate = %v, want nil", err)
				}
				return
			}
			var ae *amends.Error
			if !errors.As(err, &ae) || ae.Code != amends.EInvalid || ae.Field != tt.wantField {
				t.Fatalf("Validate = %v, want an invalid error on %q", err, tt.wantField)
			}
			if !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("Validate = %q, want it to say %q", err, tt.wantText)
			}
		})
	}
}

func TestSendersRouteByKind(t *testing.T) {
	r := newReceiver(t, "s")
	senders := Senders{KindWebhook: NewWebhook(nil)}
	if err := senders.Send(context.Background(), Destination{Kind: KindWebhook, Address: r.URL, Secret: "s"}, sampleMessage()); err != nil {
		t.Fatalf("Send to webhook: %v", err)
	}
	tests := []struct {
		name  string
		d     Destination
		field string
	}{
		{"unknown kind", Destination{Kind: "pager", Address: r.URL}, "kind"},
		{"kind without a sender", Destination{Kind: KindSlack, Address: r.URL}, "kind"},
		{"invalid destination", Destination{Kind: KindWebhook, Address: "ftp://x"}, "address"},
	}
	for _, tt := range tests {
		err := senders.Send(context.Background(), tt.d, sampleMessage())
		var ae *amends.Error
		if !IsPermanent(err) || !errors.As(err, &ae) || ae.Field != tt.field {
			t.Errorf("%s: Send = %v, want a permanent error on %q", tt.name, err, tt.field)
		}
	}
	// A sender refuses a destination of another kind, whatever routed it there.
	err := NewSlack(nil).Send(context.Background(), Destination{Kind: KindTeams, Address: r.URL}, sampleMessage())
	var ae *amends.Error
	if !IsPermanent(err) || !errors.As(err, &ae) || ae.Field != "kind" {
		t.Errorf("slack sender with a teams destination = %v, want a permanent error on kind", err)
	}
}

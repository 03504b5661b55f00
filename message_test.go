package amends_test

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/ownership"
)

var sampleRecipient = amends.Recipient{Email: "ann@example.com", Name: "Ann Lee", Account: "Acme",
	Fields: map[string]string{"orders_affected": "3", "refund_amount": "€42.00"}}

func sampleIncident() *amends.Incident {
	return &amends.Incident{Ref: "INC-4", Title: "Customer messaging went out wrong", Severity: 2, Owner: "maria",
		NoticedAt: time.Date(2026, 11, 3, 14, 39, 0, 0, time.UTC)}
}

func TestRenderFor(t *testing.T) {
	inc := sampleIncident()
	cases := []struct {
		name, text, want, wantErr string
	}{
		{"plain text", "No placeholders here.", "No placeholders here.", ""},
		{"standard", "Dear {{name}} of {{account}} ({{email}}): {{ref}} {{title}}, from {{owner}}",
			"Dear Ann Lee of Acme (ann@example.com): INC-4 Customer messaging went out wrong, from maria", ""},
		{"uploaded columns", "You had {{orders_affected}} orders; we refund {{ refund_amount }}.", "You had 3 orders; we refund €42.00.", ""},
		{"case and spaces", "{{ Name }}", "Ann Lee", ""},
		{"fallback unused", "Hello {{name|there}}", "Hello Ann Lee", ""},
		{"unknown", "You lost {{orders_lost}} orders", "", "{{orders_lost}}"},
		{"malformed", "Order {{Order ID}}", "", "not a placeholder"},
		{"unclosed", "Hello {{name", "", "never closed"},
		{"markup is text", "<b>{{name}}</b><script>x</script>", "<b>Ann Lee</b><script>x</script>", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := amends.RenderFor(c.text, sampleRecipient, inc)
			if c.wantErr != "" {
				if amends.ErrorCode(err) != amends.EInvalid || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want EInvalid mentioning %q", err, c.wantErr)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("got %q, %v; want %q", got, err, c.want)
			}
		})
	}
	// An unknown placeholder's error lists the ones this recipient has.
	_, err := amends.RenderFor("{{nope}}", sampleRecipient, inc)
	for _, p := range []string{"{{name}}", "{{ref}}", "{{orders_affected}}", "{{refund_amount}}"} {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not list %s", err, p)
		}
	}
	// An empty value takes the fallback.
	got, _ := amends.RenderFor("Hello {{name|there}},", amends.Recipient{Email: "x@example.com"}, inc)
	if got != "Hello there," {
		t.Errorf("fallback: %q", got)
	}
}

func TestValidateMessage(t *testing.T) {
	long := strings.Repeat("é", amends.MaxMessageSubject+1)
	cases := []struct {
		name, subject, body, field string
	}{
		{"fine", "We charged you twice", "We are sorry.", ""},
		{"markup is allowed text", "<b>We</b> <script>alert(1)</script>", "<img src=x onerror=alert(1)>", ""},
		{"subject over 200 characters", long, "b", "subject"},
		{"subject of 200 characters", long[:len(long)-2], "b", ""},
		{"header injection CRLF", "Sorry\r\nBcc: all@example.com", "b", "subject"},
		{"header injection LF", "Sorry\nBcc: all@example.com", "b", "subject"},
		{"header injection line separator", "Sorry\u2028Bcc: all@example.com", "b", "subject"},
		{"control character in subject", "Sorry\x07", "b", "subject"},
		{"empty subject", "  ", "b", "subject"},
		{"empty body", "s", "\n\n", "body"},
		{"body over 50,000 bytes", "s", strings.Repeat("a", amends.MaxMessageBody+1), "body"},
		{"body of 50,000 bytes", "s", strings.Repeat("a", amends.MaxMessageBody), ""},
		{"NUL in body", "s", "a\x00b", "body"},
		{"invalid UTF-8 body", "s", "a\xffb", "body"},
		{"invalid UTF-8 subject", "s\xff", "b", "subject"},
		{"malformed placeholder", "s", "Hello {{first name}}", "body"},
		{"body keeps line breaks and tabs", "s", "a\r\nb\tc\n", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := amends.ValidateMessage(c.subject, c.body)
			if c.field == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			e := amends.ErrorOf(err)
			if e == nil || e.Code != amends.EInvalid || e.Field != c.field {
				t.Fatalf("err %v, want EInvalid on %s", err, c.field)
			}
		})
	}
}

func TestRenderedSubjectStaysOneLine(t *testing.T) {
	inc := sampleIncident()
	r := sampleRecipient
	r.Fields = map[string]string{"note": strings.Repeat("x", 190)}
	if _, _, err := amends.RenderMessage("About {{note}} and more", "b", r, inc); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("a subject rendered past 200 characters: %v", err)
	}
	r.Fields = map[string]string{"note": "a\r\nBcc: x@example.com"}
	if _, _, err := amends.RenderMessage("About {{note}}", "b", r, inc); amends.ErrorCode(err) != amends.EInvalid {
		t.Errorf("a value with a line break made it into a subject: %v", err)
	}
}

func TestRequiredApprovals(t *testing.T) {
	for sev, want := range map[amends.Severity]int{1: 2, 2: 2, 3: 1, 4: 1} {
		if got := amends.RequiredApprovals(sev); got != want {
			t.Errorf("sev%d: %d, want %d", sev, got, want)
		}
	}
}

func TestMessageApprovedCountsLatestVersion(t *testing.T) {
	m := amends.Message{Version: 3, Approvals: []amends.Approval{{By: "a", Version: 2}, {By: "b", Version: 3}, {By: "c", Version: 3}}}
	if m.Approved() != 2 || !m.ApprovedBy("b") || m.ApprovedBy("a") {
		t.Errorf("approved %d", m.Approved())
	}
	m.Report = `{"owns":true}`
	b, err := json.Marshal(m)
	if err != nil || !strings.Contains(string(b), `"report":{"owns":true}`) || !strings.Contains(string(b), `"approved":2`) {
		t.Errorf("json: %s %v", b, err)
	}
}

func TestAudienceColumn(t *testing.T) {
	for in, want := range map[string]string{"orders_affected": "orders_affected", "Orders affected": "orders_affected", "refund-amount": "refund_amount"} {
		if got, err := amends.AudienceColumn(in); err != nil || got != want {
			t.Errorf("%q: %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"ref", "title", "owner", "9lives", "a{b}", "ümlaut", strings.Repeat("a", 41)} {
		if _, err := amends.AudienceColumn(bad); amends.ErrorCode(err) != amends.EInvalid {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestValidateRecipient(t *testing.T) {
	ok := amends.Recipient{Email: "ann@example.com", Name: "Ann <b>Lee</b>", Fields: map[string]string{"x": "1"}}
	if err := amends.ValidateRecipient(ok); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]amends.Recipient{
		"bad email":          {Email: "ann"},
		"display name email": {Email: "Ann <ann@example.com>"},
		"name injects":       {Email: "a@example.com", Name: "Ann\r\nBcc: x@example.com"},
		"value injects":      {Email: "a@example.com", Fields: map[string]string{"x": "1\nBcc: x@example.com"}},
		"value too long":     {Email: "a@example.com", Fields: map[string]string{"x": strings.Repeat("a", amends.MaxFieldValue+1)}},
	} {
		if err := amends.ValidateRecipient(r); amends.ErrorCode(err) != amends.EInvalid {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestDiffLines(t *testing.T) {
	d := amends.DiffLines("a\nb\nc\nd", "a\nc\nx\nd")
	var got []string
	for _, l := range d {
		got = append(got, l.Op+l.Text)
	}
	if want := "=a -b =c +x =d"; strings.Join(got, " ") != want {
		t.Errorf("diff %q, want %q", strings.Join(got, " "), want)
	}
	if d := amends.DiffLines("same", "same"); len(d) != 1 || d[0].Op != "=" {
		t.Errorf("no change: %v", d)
	}
}

// TestDefaultTemplatesOwnTheMistake runs every default template, for incidents of every
// severity, with and without an uploaded list's columns, through the ownership check in
// customer mode: with the placeholders filled for a sample recipient, as written (what the
// server checks), and with the author's [bracketed prompts] left out, so the verdict never
// rests on text the author is asked to replace.
func TestDefaultTemplatesOwnTheMistake(t *testing.T) {
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 3, 15, 0, 0, 0, time.UTC)
	resolved := now.Add(-10 * time.Minute)
	incs := []*amends.Incident{
		{Ref: "INC-4", Title: "Customer messaging went out wrong", Summary: "At 14:30 we emailed the renewal reminder meant for annual customers to monthly customers.",
			Severity: 2, NoticedAt: now.Add(-21 * time.Minute), Owner: "maria"},
		{Ref: "INC-5", Title: "Invoices doubled", Severity: 1, NoticedAt: now.Add(-time.Hour), Components: []string{"billing"}, ResolvedAt: &resolved},
		{Ref: "INC-6", Title: "Login outage.", Severity: 3, NoticedAt: now.Add(-time.Hour), Owner: "ana"},
		{Ref: "INC-7", Title: "SSO promise missed", Severity: 4, NoticedAt: now.Add(-48 * time.Hour), Owner: "bo"},
		{Ref: "INC-8", Title: strings.Repeat("Data export sent to the wrong account ", 6), Severity: 3, NoticedAt: now, Owner: "bo"},
		{Ref: "INC-9", Title: "Coupon {{code}} applied twice", Summary: "Every {{ order }} got it.", Severity: 3, NoticedAt: now, Owner: "{{x}}"},
	}
	prompts := regexp.MustCompile(`\[[^\]]*\]`)
	for _, inc := range incs {
		for _, cols := range [][]string{nil, {"orders_affected", "refund_amount"}} {
			ts := amends.DefaultTemplates(inc, inc.Owner, now, time.UTC, cols...)
			if len(ts) != len(amends.MessageKinds) {
				t.Fatalf("%d templates, want one per kind", len(ts))
			}
			for _, kind := range amends.MessageKinds {
				tp := ts[kind]
				if err := amends.ValidateMessage(tp.Subject, tp.Body); err != nil {
					t.Fatalf("%s %s: the template itself is invalid: %v", inc.Ref, kind, err)
				}
				subject, body, err := amends.RenderMessage(tp.Subject, tp.Body, sampleRecipient, inc)
				if err != nil {
					t.Fatalf("%s %s: %v", inc.Ref, kind, err)
				}
				if len(cols) > 0 && !strings.Contains(body, "Orders affected: 3") {
					t.Errorf("%s %s: the per-recipient impact is missing:\n%s", inc.Ref, kind, body)
				}
				for what, text := range map[string]string{
					"rendered":        amends.CheckedText(subject, body),
					"as written":      amends.CheckedText(tp.Subject, tp.Body),
					"without prompts": amends.CheckedText(subject, prompts.ReplaceAllString(body, "")),
				} {
					rep := checker.Check(text, ownership.Customer)
					if !rep.Owns {
						b, _ := json.MarshalIndent(rep, "", " ")
						t.Errorf("%s %s (%s, columns %v) does not own the mistake:\n%s\n%s", inc.Ref, kind, what, cols, text, b)
					}
				}
			}
			if next := now.Add(amends.UpdateCadence(inc.Severity)).Format("15:04"); !strings.Contains(ts[amends.MessageUpdate].Body, "by "+next) {
				t.Errorf("the update does not say when the next one comes:\n%s", ts[amends.MessageUpdate].Body)
			}
		}
	}
}

// TestFollowupCarriesThePublicPromises fills the follow-up's list of changes with the public
// promises, each with its date and without its owner's name, and the message still owns the
// mistake.
func TestFollowupCarriesThePublicPromises(t *testing.T) {
	inc := sampleIncident()
	done := time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC)
	promises := []*amends.ActionItem{
		{Title: "Test every renewal segment against renewed accounts before a send", Owner: "dana",
			Due: time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC), State: amends.ActionOpen, Public: true},
		{Title: "Two people approve every segment change", Owner: "sam",
			Due: time.Date(2026, 11, 12, 23, 59, 0, 0, time.UTC), State: amends.ActionDone, DoneAt: &done, Public: true},
	}
	base := amends.DefaultTemplates(inc, inc.Owner, inc.NoticedAt, time.UTC)[amends.MessageFollowup]
	got := amends.WithPromises(base, promises, time.UTC)
	for _, want := range []string{
		"- Test every renewal segment against renewed accounts before a send, done by 20 November 2026\n",
		"- Two people approve every segment change: done on 10 November 2026\n",
	} {
		if !strings.Contains(got.Body, want) {
			t.Errorf("follow-up lacks %q:\n%s", want, got.Body)
		}
	}
	if strings.Contains(got.Body, "[the change]") || strings.Contains(got.Body, "dana") || strings.Contains(got.Body, "sam,") {
		t.Errorf("the prompt line or an owner's name is left in:\n%s", got.Body)
	}
	if same := amends.WithPromises(base, nil, time.UTC); same.Body != base.Body {
		t.Error("without promises the template must keep its prompt")
	}
	checker, err := ownership.New()
	if err != nil {
		t.Fatal(err)
	}
	body, err := amends.RenderFor(got.Body, sampleRecipient, inc)
	if err != nil {
		t.Fatal(err)
	}
	if r := checker.Check(amends.CheckedText(got.Subject, body), ownership.Customer); !r.Owns {
		t.Errorf("the follow-up with promises does not own the mistake: %+v", r.Findings)
	}
}

package store_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

var (
	bo  = amends.Actor{Name: "bo", Role: amends.Responder}
	cai = amends.Actor{Name: "cai", Role: amends.Responder}
)

const owningBody = "Hello {{name|there}},\n\nWe charged your card twice on 3 November. We made this mistake, and we are sorry.\n\nReply to this email with any question."

// addCustomers adds n customers c0…c(n-1)@example.com: even ones in account Acme with segment
// eu, odd ones in account Globex with segment us.
func addCustomers(t *testing.T, s *store.Store, n int) {
	t.Helper()
	var b strings.Builder
	b.WriteString("email,name,account,segments\n")
	for i := 0; i < n; i++ {
		acc, seg := "Acme", "eu"
		if i%2 == 1 {
			acc, seg = "Globex", "us"
		}
		fmt.Fprintf(&b, "c%03d@example.com,Customer %d,%s,%s\n", i, i, acc, seg)
	}
	rep, err := s.ImportCustomers(context.Background(), strings.NewReader(b.String()), store.ImportOptions{}, responder)
	if err != nil || rep.Imported != n {
		t.Fatalf("import: %+v %v", rep, err)
	}
}

func TestAudienceKinds(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		addCustomers(t, s, 10)
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3}, responder)
		if err != nil {
			t.Fatal(err)
		}
		a, err := s.Audience(ctx, inc.Ref)
		if err != nil || a.Kind != amends.AudienceNone || a.Size != 0 {
			t.Fatalf("before choosing: %+v %v", a, err)
		}
		for _, c := range []struct {
			set  amends.Audience
			size int
		}{
			{amends.Audience{Kind: "all"}, 10},
			{amends.Audience{Kind: "accounts", Accounts: []string{"Acme", " Acme "}}, 5},
			{amends.Audience{Kind: "accounts", Accounts: []string{"Acme", "Globex", "Nobody"}}, 10},
			{amends.Audience{Kind: "segments", Segments: []string{"US"}}, 5},
		} {
			a, err := s.SetAudience(ctx, inc.Ref, c.set, responder)
			if err != nil || a.Size != c.size {
				t.Fatalf("%+v: size %v, %v; want %d", c.set, a, err, c.size)
			}
		}
		for _, bad := range []amends.Audience{{Kind: "everyone"}, {Kind: "accounts"}, {Kind: "segments", Segments: []string{"a b"}}, {Kind: "list"}} {
			if _, err := s.SetAudience(ctx, inc.Ref, bad, responder); code(err) != amends.EInvalid {
				t.Errorf("%+v: %v, want invalid", bad, err)
			}
		}
		if _, err := s.SetAudience(ctx, "INC-99", amends.Audience{Kind: "all"}, responder); code(err) != amends.ENotFound {
			t.Errorf("unknown incident: %v", err)
		}
		// Pages in email order.
		s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "all"}, responder)
		var all []string
		after := ""
		for {
			page, next, err := s.AudienceRecipients(ctx, inc.Ref, after, 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range page {
				all = append(all, r.Email)
			}
			if next == "" {
				break
			}
			after = next
		}
		if len(all) != 10 || all[0] != "c000@example.com" || all[9] != "c009@example.com" {
			t.Errorf("pages: %v", all)
		}
		r, err := s.AudienceRecipient(ctx, inc.Ref, "C003@example.com")
		if err != nil || r.Name != "Customer 3" || r.Account != "Globex" {
			t.Errorf("one recipient: %+v %v", r, err)
		}
		if _, err := s.AudienceRecipient(ctx, inc.Ref, "stranger@example.com"); code(err) != amends.ENotFound {
			t.Errorf("stranger: %v", err)
		}
	})
}

func TestUploadAudience(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		addCustomers(t, s, 2)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3}, responder)
		bad := "Email,Orders affected,Refund amount\n" +
			"ann@example.com,3,€42.00\n" +
			"not-an-address,1,€1.00\n" +
			"ANN@example.com,2,€2.00\n" +
			"bo@example.com,\"1\nBcc: all@example.com\",€3.00\n" +
			"cy@example.com,4\n"
		rep, err := s.UploadAudience(ctx, inc.Ref, strings.NewReader(bad), responder)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, p := range rep.Problems {
			lines = append(lines, fmt.Sprintf("%d:%s", p.Line, p.Field))
		}
		if got, want := strings.Join(lines, " "), "3:email 4:email 5:orders_affected 7:refund amount"; got != want || rep.Members != 0 {
			t.Errorf("problems %q, want %q (%+v)", got, want, rep)
		}
		if a, _ := s.Audience(ctx, inc.Ref); a.Kind != amends.AudienceNone {
			t.Errorf("a bad file changed the audience: %+v", a)
		}
		for name, file := range map[string]string{
			"no email column":   "name,orders\nAnn,3\n",
			"reserved column":   "email,title\nann@example.com,x\n",
			"same column twice": "email,orders affected,orders_affected\nann@example.com,1,2\n",
			"header only":       "email,orders\n",
			"UTF-16":            "\xff\xfee\x00m\x00",
			"column not a name": "email,{{x}}\nann@example.com,1\n",
		} {
			rep, err := s.UploadAudience(ctx, inc.Ref, strings.NewReader(file), responder)
			if err != nil || rep.ProblemCount() == 0 || rep.Members != 0 {
				t.Errorf("%s: %+v %v", name, rep, err)
			}
		}
		good := "email,name,orders_affected,Refund amount\n" +
			"C001@example.com,,2,€20.00\n" +
			"new@example.com,New <b>Person</b>,5,€50.00\n"
		rep, err = s.UploadAudience(ctx, inc.Ref, strings.NewReader(good), responder)
		if err != nil || rep.Members != 2 || strings.Join(rep.Columns, ",") != "orders_affected,refund_amount" || rep.ProblemCount() != 0 {
			t.Fatalf("good file: %+v %v", rep, err)
		}
		a, _ := s.Audience(ctx, inc.Ref)
		if a.Kind != amends.AudienceList || a.Size != 2 || strings.Join(a.Columns, ",") != "orders_affected,refund_amount" {
			t.Errorf("audience %+v", a)
		}
		r, err := s.AudienceRecipient(ctx, inc.Ref, "c001@example.com")
		if err != nil || r.Name != "Customer 1" || r.Account != "Globex" || r.Fields["orders_affected"] != "2" || r.Fields["refund_amount"] != "€20.00" {
			t.Errorf("a list without names takes the customer's: %+v %v", r, err)
		}
		// Choosing all customers keeps the list; choosing the list again brings it back.
		if a, _ := s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "all"}, responder); a.Size != 2 || len(a.Columns) != 0 {
			t.Errorf("all: %+v", a)
		}
		if a, err := s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "list"}, responder); err != nil || a.Size != 2 || len(a.Columns) != 2 {
			t.Errorf("list again: %+v %v", a, err)
		}
		// A new upload replaces the list.
		if rep, err := s.UploadAudience(ctx, inc.Ref, strings.NewReader("email\nz@example.com\n"), responder); err != nil || rep.Members != 1 {
			t.Fatalf("replace: %+v %v", rep, err)
		}
		if a, _ := s.Audience(ctx, inc.Ref); a.Size != 1 || len(a.Columns) != 0 {
			t.Errorf("after replacing: %+v", a)
		}
	})
}

// approvedMessage writes a message as ana and has it approved by bo and cai as the incident's
// severity requires.
func approvedMessage(t *testing.T, s *store.Store, ref, body string, owns bool) *amends.Message {
	t.Helper()
	ctx := context.Background()
	m, err := s.CreateMessage(ctx, ref, amends.MessageAcknowledgement, "We charged you twice", body, owns, 80, `{"owns":true}`, responder)
	if err != nil {
		t.Fatal(err)
	}
	for _, who := range []amends.Actor{bo, cai}[:m.RequiredApprovals] {
		if m, err = s.ApproveMessage(ctx, m.ID, m.Version, who); err != nil {
			t.Fatal(err)
		}
	}
	if m.State != amends.MessageApproved {
		t.Fatalf("state %s", m.State)
	}
	return m
}

func TestApprovalRules(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 2}, responder)
		m, err := s.CreateMessage(ctx, inc.Ref, amends.MessageAcknowledgement, "We charged you twice", owningBody, true, 90, `{"owns":true,"score":90}`, responder)
		if err != nil {
			t.Fatal(err)
		}
		if m.State != amends.MessageDraft || m.Version != 1 || m.Author != "ana" || m.RequiredApprovals != 2 || !m.Owns || m.Score != 90 {
			t.Fatalf("created %+v", m)
		}
		if _, err := s.ApproveMessage(ctx, m.ID, 1, responder); code(err) != amends.EForbidden {
			t.Errorf("the author approved her own message: %v", err)
		}
		if _, err := s.SendMessage(ctx, m.ID, "", responder); code(err) != amends.EConflict {
			t.Errorf("a draft was sent: %v", err)
		}
		m, err = s.ApproveMessage(ctx, m.ID, 1, bo)
		if err != nil || m.State != amends.MessageDraft || m.Approved() != 1 {
			t.Fatalf("one approval of two: %+v %v", m, err)
		}
		if m, err = s.ApproveMessage(ctx, m.ID, 1, bo); err != nil || m.Approved() != 1 {
			t.Errorf("approving twice counts once: %d %v", m.Approved(), err)
		}
		if _, err := s.SendMessage(ctx, m.ID, "", responder); code(err) != amends.EConflict {
			t.Errorf("sent with one approval of two: %v", err)
		}
		// An edit is a new version: bo's approval of v1 no longer counts.
		clock.Advance(time.Minute)
		m, err = s.UpdateMessage(ctx, m.ID, "We charged you twice", owningBody+"\n\nWe refunded the second charge.", true, 95, `{"owns":true}`, cai)
		if err != nil || m.Version != 2 || m.Author != "cai" || m.Approved() != 0 || m.State != amends.MessageDraft {
			t.Fatalf("edit: %+v %v", m, err)
		}
		if same, err := s.UpdateMessage(ctx, m.ID, m.Subject, m.Body, true, 95, "", bo); err != nil || same.Version != 2 {
			t.Errorf("saving the same text made a version: %v %v", same.Version, err)
		}
		if _, err := s.ApproveMessage(ctx, m.ID, 1, bo); code(err) != amends.EConflict {
			t.Errorf("approving a stale version: %v", err)
		}
		if _, err := s.ApproveMessage(ctx, m.ID, 2, cai); code(err) != amends.EForbidden {
			t.Errorf("cai wrote v2 and approved it: %v", err)
		}
		m, _ = s.ApproveMessage(ctx, m.ID, 2, responder) // ana wrote v1, not v2
		m, err = s.ApproveMessage(ctx, m.ID, 2, bo)
		if err != nil || m.State != amends.MessageApproved || m.Approved() != 2 || len(m.Approvals) != 3 {
			t.Fatalf("two approvals: %+v %v", m, err)
		}
		versions, err := s.MessageVersions(ctx, m.ID)
		if err != nil || len(versions) != 2 || versions[0].Author != "ana" || versions[1].Score != 95 || versions[0].Diff != nil {
			t.Fatalf("versions %+v %v", versions, err)
		}
		var added []string
		for _, l := range versions[1].Diff {
			if l.Op == "+" {
				added = append(added, l.Text)
			}
		}
		if strings.Join(added, "|") != "|We refunded the second charge." {
			t.Errorf("diff adds %q", added)
		}
		// Approvals are on the timeline.
		events, _ := s.Timeline(ctx, inc.Ref, false)
		notes := 0
		for _, e := range events {
			if e.Kind == amends.KindNote && strings.Contains(e.Body, "approved the customer message v") {
				notes++
				if e.Visibility != amends.Internal {
					t.Errorf("an approval is public: %+v", e)
				}
			}
		}
		if notes != 3 || !strings.Contains(events[len(events)-1].Body, "bo approved the customer message v2") {
			t.Errorf("%d approval notes; last %q", notes, events[len(events)-1].Body)
		}
		// The severity rises: the approval is no longer enough.
		sev := amends.Severity(1)
		s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Severity: &sev}, responder)
		if got, _ := s.Message(ctx, m.ID); got.State != amends.MessageApproved || got.RequiredApprovals != 2 {
			t.Errorf("after sev1: %s, %d required", got.State, got.RequiredApprovals)
		}
		if _, err := s.ApproveMessage(ctx, 999, 1, bo); code(err) != amends.ENotFound {
			t.Errorf("unknown message: %v", err)
		}
	})
}

func TestSendMessage(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		addCustomers(t, s, 30)
		g, _ := s.CreateGroup(ctx, amends.Group{Name: "Support"}, responder)
		s.AddContact(ctx, g.ID, amends.Contact{Name: "maria", Kind: amends.ChannelEmail, Address: "maria@example.com"}, responder)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3, Owner: "maria", NoticedAt: at("14:39")}, responder)
		m := approvedMessage(t, s, inc.Ref, owningBody, true)
		if _, err := s.SendMessage(ctx, m.ID, "", responder); code(err) != amends.EInvalid {
			t.Errorf("sent with no audience: %v", err)
		}
		s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "accounts", Accounts: []string{"Acme"}}, responder)
		clock.Advance(5 * time.Minute)
		sent, err := s.SendMessage(ctx, m.ID, "ignored: it owns the mistake", bo)
		if err != nil {
			t.Fatal(err)
		}
		if sent.State != amends.MessageSent || sent.Recipients != 15 || sent.SentBy != "bo" || sent.SentAt == nil || sent.OverrideReason != "" {
			t.Fatalf("sent %+v", sent)
		}
		if _, err := s.SendMessage(ctx, m.ID, "", bo); code(err) != amends.EConflict {
			t.Errorf("sent twice: %v", err)
		}
		if _, err := s.UpdateMessage(ctx, m.ID, "x", "y", true, 1, "", bo); code(err) != amends.EConflict {
			t.Errorf("edited after sending: %v", err)
		}
		if _, err := s.ApproveMessage(ctx, m.ID, sent.Version, bo); code(err) != amends.EConflict {
			t.Errorf("approved after sending: %v", err)
		}
		pending, err := s.PendingMessageDeliveries(ctx, m.ID)
		if err != nil || len(pending) != 15 {
			t.Fatalf("%d pending, %v", len(pending), err)
		}
		d := pending[0]
		if d.Purpose != amends.PurposeCustomer || d.Kind != amends.ChannelEmail || d.Address != "c000@example.com" || d.Name != "Customer 0" ||
			!strings.HasPrefix(d.Body, "Hello Customer 0,") || d.Subject != "We charged you twice" || d.BriefID != nil {
			t.Errorf("delivery %+v", d)
		}
		if reply, _ := s.MessageReplyTo(ctx, m.ID); reply != "maria@example.com" {
			t.Errorf("reply-to %q: the owner's email", reply)
		}
		if reply, _ := s.DeliveryReplyTo(ctx, d.ID); reply != "maria@example.com" {
			t.Errorf("delivery reply-to %q", reply)
		}
		if k := rec.kinds(); k[store.JobCustomers] != 1 {
			t.Errorf("jobs %v: want one customers job", k)
		}
		got, _ := s.Incident(ctx, inc.Ref)
		if got.CustomersToldAt == nil || !got.CustomersToldAt.Equal(clock.Now()) {
			t.Errorf("customers told at %v", got.CustomersToldAt)
		}
		events, _ := s.Timeline(ctx, inc.Ref, false)
		var told *amends.Event
		for i, e := range events {
			if e.Kind == amends.KindCustomersTold {
				told = &events[i]
			}
		}
		if told == nil || told.Body != "Sent “We charged you twice” to 15 customers." || told.Visibility != amends.Internal || told.Actor != "bo" {
			t.Errorf("customers told event %+v", told)
		}
		page, err := s.MessageDeliveries(ctx, m.ID, "", "", 10)
		if err != nil || len(page.Deliveries) != 10 || page.Next == "" || page.Counts[amends.DeliveryPending] != 15 {
			t.Fatalf("deliveries page %+v %v", page, err)
		}
		if err := s.DeliveriesDelivered(ctx, []int64{pending[0].ID, pending[1].ID}); err != nil {
			t.Fatal(err)
		}
		page, _ = s.MessageDeliveries(ctx, m.ID, amends.DeliveryDone, "", 10)
		if len(page.Deliveries) != 2 || page.Counts[amends.DeliveryDone] != 2 || page.Counts[amends.DeliveryPending] != 13 {
			t.Errorf("after two delivered: %+v", page.Counts)
		}
		if left, _ := s.PendingMessageDeliveries(ctx, m.ID); len(left) != 13 {
			t.Errorf("%d still pending", len(left))
		}
	})
}

func TestSendOverride(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		addCustomers(t, s, 3)
		s.SetReplyTo(ctx, "Support@Example.com", responder)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 4}, responder)
		s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "all"}, responder)
		m := approvedMessage(t, s, inc.Ref, "Mistakes were made. We apologize for any inconvenience.", false)
		_, err := s.SendMessage(ctx, m.ID, "  ", bo)
		if e := amends.ErrorOf(err); e == nil || e.Code != amends.EInvalid || e.Field != "override" || !strings.Contains(e.Message, "give a reason") {
			t.Fatalf("no override: %v", err)
		}
		if _, err := s.SendMessage(ctx, m.ID, strings.Repeat("x", amends.MaxOverride+1), bo); code(err) != amends.EInvalid {
			t.Errorf("an override of a novel: %v", err)
		}
		if got, _ := s.Incident(ctx, inc.Ref); got.CustomersToldAt != nil {
			t.Fatal("a refused send told customers")
		}
		sent, err := s.SendMessage(ctx, m.ID, "Legal approved this exact wording", bo)
		if err != nil || sent.OverrideReason != "Legal approved this exact wording" || sent.Recipients != 3 {
			t.Fatalf("override: %+v %v", sent, err)
		}
		events, _ := s.Timeline(ctx, inc.Ref, false)
		last := events[len(events)-1]
		if last.Body != "Sent although the ownership check said it does not own the mistake. Reason: Legal approved this exact wording" || last.Visibility != amends.Internal {
			t.Errorf("override note %+v", last)
		}
		if reply, _ := s.MessageReplyTo(ctx, m.ID); reply != "support@example.com" {
			t.Errorf("reply-to %q: the setting, when the owner has no email", reply)
		}
		if err := s.SetReplyTo(ctx, "Name <x@example.com>", responder); code(err) != amends.EInvalid {
			t.Errorf("reply-to with a name: %v", err)
		}
	})
}

func TestSendWritesNothingWhenARecipientCannotBeRendered(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3}, responder)
		s.UploadAudience(ctx, inc.Ref, strings.NewReader("email,orders_affected\na@example.com,1\nb@example.com,2\n"), responder)
		m := approvedMessage(t, s, inc.Ref, owningBody+"\n\nOrders affected: {{orders_affected}}.", true)
		before, _ := s.Timeline(ctx, inc.Ref, false)
		jobs := len(rec.jobs)
		// The list is replaced by customers without the column: {{orders_affected}} cannot be filled.
		s.CreateCustomer(ctx, amends.Customer{Email: "c@example.com"}, responder)
		s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "all"}, responder)
		_, err := s.SendMessage(ctx, m.ID, "", bo)
		if e := amends.ErrorOf(err); e == nil || e.Code != amends.EInvalid || !strings.Contains(e.Message, "{{orders_affected}}") || !strings.Contains(e.Message, "c@example.com") {
			t.Fatalf("render failure: %v", err)
		}
		after, _ := s.Timeline(ctx, inc.Ref, false)
		got, _ := s.Message(ctx, m.ID)
		ds, _ := s.Deliveries(ctx, inc.Ref)
		if len(after) != len(before) || got.State != amends.MessageApproved || len(ds) != 0 || len(rec.jobs) != jobs {
			t.Errorf("a refused send left traces: %d→%d events, state %s, %d deliveries, %d→%d jobs", len(before), len(after), got.State, len(ds), jobs, len(rec.jobs))
		}
		// Back to the list: each recipient gets their own value.
		s.SetAudience(ctx, inc.Ref, amends.Audience{Kind: "list"}, responder)
		p, err := s.PreviewMessage(ctx, m.ID, "B@example.com")
		if err != nil || !strings.Contains(p.Body, "Orders affected: 2.") || p.Recipient.Email != "b@example.com" {
			t.Fatalf("preview %+v %v", p, err)
		}
		if p, err := s.PreviewMessage(ctx, m.ID, ""); err != nil || p.Recipient.Email != "a@example.com" {
			t.Errorf("preview of anyone: %+v %v", p, err)
		}
		if _, err := s.PreviewMessage(ctx, m.ID, "c@example.com"); code(err) != amends.ENotFound {
			t.Errorf("preview for someone outside the audience: %v", err)
		}
		if _, err := s.SendMessage(ctx, m.ID, "", bo); err != nil {
			t.Fatal(err)
		}
		pending, _ := s.PendingMessageDeliveries(ctx, m.ID)
		if len(pending) != 2 || !strings.Contains(pending[0].Body, "Orders affected: 1.") || !strings.Contains(pending[1].Body, "Orders affected: 2.") {
			t.Errorf("rendered bodies: %d", len(pending))
		}
	})
}

// TestApprovedWordingReachesTheNextBrief checks that colleagues are told what customers are
// told: the next brief carries the latest approved wording.
func TestApprovedWordingReachesTheNextBrief(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		s.SetEnqueuer(&recorder{})
		setupGroups(t, s)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 3}, responder)
		if w, err := s.LatestApprovedWording(ctx, inc.ID); err != nil || w != "" {
			t.Fatalf("wording before any message: %q %v", w, err)
		}
		// A newer draft is not approved wording.
		approvedMessage(t, s, inc.Ref, owningBody, true)
		s.CreateMessage(ctx, inc.Ref, amends.MessageUpdate, "Draft", "Not approved yet, we are sorry.", true, 50, "", responder)
		if w, _ := s.LatestApprovedWording(ctx, inc.ID); w != owningBody {
			t.Fatalf("wording %q", w)
		}
		clock.Advance(time.Minute)
		status := amends.Identified
		if _, err := s.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &status}, responder); err != nil {
			t.Fatal(err)
		}
		ds, _ := s.Deliveries(ctx, inc.Ref)
		if len(ds) == 0 {
			t.Fatal("no brief after the status change")
		}
		if !strings.Contains(ds[0].Body, "What to tell customers: "+owningBody) {
			t.Errorf("the brief after approval does not carry the wording:\n%s", ds[0].Body)
		}
	})
}

// TestFollowupTemplateListsPublicPromises: the follow-up template is prefilled with the
// incident's public promises, not its internal action items.
func TestFollowupTemplateListsPublicPromises(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		if _, err := s.CreateUser(ctx, "dana", amends.Responder, "correct horse battery", responder); err != nil {
			t.Fatal(err)
		}
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "Invoices doubled", Severity: 2}, responder)
		due := clock.Now().Add(14 * 24 * time.Hour)
		for _, n := range []amends.NewActionItem{
			{Title: "Check every invoice run against the previous month", Kind: amends.ActionPrevention, Owner: "dana", Due: due, Public: true},
			{Title: "Rotate the on-call runbook owner", Kind: amends.ActionProcess, Owner: "dana", Due: due},
		} {
			if _, err := s.CreateActionItem(ctx, inc.Ref, n, responder); err != nil {
				t.Fatal(err)
			}
		}
		ts, err := s.Templates(ctx, inc.Ref)
		if err != nil {
			t.Fatal(err)
		}
		body := ts[amends.MessageFollowup].Body
		if !strings.Contains(body, "Check every invoice run against the previous month, done by") || strings.Contains(body, "runbook") {
			t.Errorf("follow-up template:\n%s", body)
		}
	})
}

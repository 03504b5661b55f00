package store_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/amends/amends"
	"github.com/amends/amends/amendstest"
	"github.com/amends/amends/store"
)

// recorder is an Enqueuer that keeps the jobs of committed transactions only, the way a
// transactional queue would.
type recorder struct {
	mu   sync.Mutex
	jobs []store.Job
	fail bool
}

func (r *recorder) Enqueue(ctx context.Context, tx *store.Tx, jobs []store.Job) error {
	if r.fail {
		return amends.Errorf(amends.EUnavailable, "", "queue down")
	}
	r.mu.Lock()
	r.jobs = append(r.jobs, jobs...)
	r.mu.Unlock()
	return nil
}

func (r *recorder) kinds() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := map[string]int{}
	for _, j := range r.jobs {
		m[j.Kind]++
	}
	return m
}

func setupGroups(t *testing.T, s *store.Store) {
	t.Helper()
	ctx := context.Background()
	support, err := s.CreateGroup(ctx, amends.Group{Name: "Support"}, responder)
	if err != nil {
		t.Fatal(err)
	}
	sales, err := s.CreateGroup(ctx, amends.Group{Name: "Sales", Severities: []amends.Severity{1}, Events: []string{amends.EventDeclared}}, responder)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		g    int64
		name string
		kind string
		addr string
	}{
		{support.ID, "Ines", amends.ChannelEmail, "ines@example.com"},
		{support.ID, "Ines", amends.ChannelSlack, "http://127.0.0.1:1/slack"},
		{support.ID, "Omar", amends.ChannelEmail, "omar@example.com"},
		{sales.ID, "Pia", amends.ChannelWebhook, "http://127.0.0.1:1/hook"},
	} {
		if _, err := s.AddContact(ctx, c.g, amends.Contact{Name: c.name, Kind: c.kind, Address: c.addr, Secret: "s"}, responder); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDeclareSendsTheBriefToTheGroupsThatHearIt(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		setupGroups(t, s)
		// SEV2: Support hears it, Sales (SEV1 only) does not.
		inc, err := s.CreateIncident(ctx, amends.NewIncident{Title: "Wrong renewal email sent", Severity: 2, Summary: "Renewal mail went to renewed customers"}, responder)
		if err != nil {
			t.Fatal(err)
		}
		ds, err := s.Deliveries(ctx, inc.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 3 {
			t.Fatalf("%d deliveries, want 3 (Ines twice, Omar)", len(ds))
		}
		for _, d := range ds {
			if d.State != amends.DeliveryPending || d.Event != amends.EventDeclared || d.Subject != ds[0].Subject || d.Body != ds[0].Body {
				t.Errorf("every colleague gets the same brief: %+v", d)
			}
		}
		// Two clock checks per target (nudge, escalate) × two targets, one fan-out of the three
		// deliveries, one unread reminder.
		if got := rec.kinds(); got[store.JobFanout] != 1 || got[store.JobDeliver] != 0 || got[store.JobClock] != 4 || got[store.JobUnread] != 1 {
			t.Errorf("jobs %v", got)
		}
		// A failing queue rolls the declaration back: nothing half-written.
		rec.fail = true
		if _, err := s.CreateIncident(ctx, amends.NewIncident{Title: "x", Severity: 1}, responder); err == nil {
			t.Fatal("declare succeeded although its jobs could not be enqueued")
		}
		page, _ := s.Incidents(ctx, amends.IncidentFilter{})
		if len(page.Incidents) != 1 {
			t.Errorf("%d incidents after a failed declaration, want 1", len(page.Incidents))
		}
		rec.fail = false

		// The first delivered brief records "colleagues told"; a second does not move it.
		clock.Advance(3 * time.Minute)
		if err := s.DeliveryDelivered(ctx, ds[2].ID); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Minute)
		s.DeliveryDelivered(ctx, ds[1].ID)
		s.DeliveryDelivered(ctx, ds[1].ID)
		got, _ := s.Incident(ctx, inc.Ref)
		if got.ColleaguesToldAt == nil || !got.ColleaguesToldAt.Equal(inc.NoticedAt.Add(3*time.Minute)) {
			t.Errorf("colleagues told at %v", got.ColleaguesToldAt)
		}
		readers, _ := s.Readers(ctx, inc.Ref)
		if len(readers) != 2 || readers[0].ReadAt != nil {
			t.Fatalf("readers %+v", readers)
		}
		var omar int64
		for _, d := range ds {
			if d.Name == "Omar" {
				omar = d.ID
			}
		}
		ref, err := s.Ack(ctx, omar)
		if err != nil || ref != inc.Ref {
			t.Fatalf("ack: %v %v", ref, err)
		}
		s.Ack(ctx, omar)
		events, _ := s.Timeline(ctx, inc.Ref, false)
		reads := 0
		for _, e := range events {
			if e.Kind == amends.KindBriefRead {
				reads++
			}
		}
		if reads != 1 {
			t.Errorf("%d read events, want 1 for two clicks", reads)
		}
		// Only whoever has not read gets the reminder.
		n, err := s.RemindUnread(ctx, inc.ID)
		if err != nil {
			t.Fatal(err)
		}
		readers, _ = s.Readers(ctx, inc.Ref)
		var unread []string
		for _, r := range readers {
			if r.ReadAt == nil {
				unread = append(unread, r.Name)
			}
		}
		// Ines has not read it and is reached two ways: two reminders, one unread reader.
		if n != 2 || len(unread) != 1 || unread[0] != "Ines" {
			t.Errorf("reminders %d (want 2), unread %v", n, unread)
		}
	})
}

func TestDeadDeliveriesAreVisibleAndRedriven(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		rec := &recorder{}
		s.SetEnqueuer(rec)
		setupGroups(t, s)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "t", Severity: 3}, responder)
		ds, _ := s.Deliveries(ctx, inc.Ref)
		next := clock.Now().Add(time.Minute)
		if err := s.DeliveryFailed(ctx, ds[0].ID, "503 from receiver", &next, false); err != nil {
			t.Fatal(err)
		}
		d, _ := s.Delivery(ctx, ds[0].ID)
		if d.State != amends.DeliveryRetrying || d.Attempts != 1 || d.NextTryAt == nil || d.LastError != "503 from receiver" {
			t.Errorf("retrying: %+v", d)
		}
		if err := s.Redrive(ctx, d.ID, responder); amends.ErrorCode(err) != amends.EConflict {
			t.Errorf("re-driving a live delivery: %v", err)
		}
		s.DeliveryFailed(ctx, d.ID, "410 gone", nil, true)
		before := rec.kinds()[store.JobDeliver]
		if err := s.Redrive(ctx, d.ID, responder); err != nil {
			t.Fatal(err)
		}
		d, _ = s.Delivery(ctx, d.ID)
		if d.State != amends.DeliveryPending || d.Attempts != 0 || rec.kinds()[store.JobDeliver] != before+1 {
			t.Errorf("re-driven: %+v", d)
		}
	})
}

func TestClockNudgesAndEscalates(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		s.SetEnqueuer(&recorder{})
		setupGroups(t, s)
		s.SetEscalationContact(ctx, amends.Contact{Name: "Head of Support", Kind: amends.ChannelEmail, Address: "head@example.com"}, responder)
		inc, _ := s.CreateIncident(ctx, amends.NewIncident{Title: "t", Severity: 1, Owner: "Omar"}, responder)
		if err := s.ClockDue(ctx, inc.ID, "colleagues_told:nudge"); err != nil {
			t.Fatal(err)
		}
		if err := s.ClockDue(ctx, inc.ID, "colleagues_told:escalate"); err != nil {
			t.Fatal(err)
		}
		ds, _ := s.Deliveries(ctx, inc.Ref)
		purposes := map[string][]string{}
		for _, d := range ds {
			purposes[d.Purpose] = append(purposes[d.Purpose], d.Name)
		}
		if len(purposes[amends.PurposeNudge]) != 1 || purposes[amends.PurposeNudge][0] != "Omar" {
			t.Errorf("nudge went to %v, want the owner", purposes[amends.PurposeNudge])
		}
		if len(purposes[amends.PurposeEscalation]) != 1 || purposes[amends.PurposeEscalation][0] != "Head of Support" {
			t.Errorf("escalation went to %v", purposes[amends.PurposeEscalation])
		}
		events, _ := s.Timeline(ctx, inc.Ref, false)
		if last := events[len(events)-1]; last.Kind != amends.KindEscalation {
			t.Errorf("escalation not on the timeline: %+v", last)
		}
		// Once colleagues are told, the checks do nothing.
		s.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: amends.KindColleaguesTold, Body: "told"}, responder)
		s.ClockDue(ctx, inc.ID, "colleagues_told:escalate")
		after, _ := s.Deliveries(ctx, inc.Ref)
		if len(after) != len(ds) {
			t.Errorf("a check after the fact sent %d more", len(after)-len(ds))
		}
		if err := s.ClockDue(ctx, inc.ID, "lunch:nudge"); err == nil {
			t.Error("an unknown clock note was accepted")
		}
	})
}

func TestAlertGroupsMakeOneIncident(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		started := clock.Now().Add(-7 * time.Minute)
		a := store.Alert{Source: "alertmanager", GroupKey: `{}:{alertname="CheckoutErrors"}`, Firing: true,
			Title: "CheckoutErrors", Severity: 1, StartedAt: started, Detail: "CheckoutErrors on web-1"}
		res, err := s.IngestAlert(ctx, a, responder)
		if err != nil || !res.Created || res.Ref != "INC-1" {
			t.Fatalf("first: %+v %v", res, err)
		}
		inc, _ := s.Incident(ctx, res.Ref)
		if !inc.NoticedAt.Equal(started) {
			t.Errorf("noticed %v, want the alert's start %v", inc.NoticedAt, started)
		}
		for i := 0; i < 3; i++ {
			res, err = s.IngestAlert(ctx, a, responder)
			if err != nil || res.Created || res.Ref != "INC-1" {
				t.Fatalf("repeat %d: %+v %v", i, res, err)
			}
		}
		a.Firing, a.EndedAt = false, clock.Now()
		res, _ = s.IngestAlert(ctx, a, responder)
		if res.Action != "resolved" {
			t.Errorf("resolved: %+v", res)
		}
		page, _ := s.Incidents(ctx, amends.IncidentFilter{})
		if len(page.Incidents) != 1 {
			t.Errorf("%d incidents from one alert group", len(page.Incidents))
		}
		// Once people resolve the incident, the group firing again is a new occurrence.
		resolved := amends.Resolved
		s.UpdateIncident(ctx, "INC-1", amends.IncidentUpdate{Status: &resolved}, responder)
		a.Firing = true
		res, _ = s.IngestAlert(ctx, a, responder)
		if !res.Created || res.Ref != "INC-2" {
			t.Errorf("after resolution: %+v", res)
		}
		unknown := store.Alert{Source: "alertmanager", GroupKey: "never-seen", Firing: false}
		if res, err := s.IngestAlert(ctx, unknown, responder); err != nil || res.Action != "ignored" {
			t.Errorf("resolved unknown group: %+v %v", res, err)
		}
	})
}

// TestAlertTextNeverRefusesAnAlert sends an alert whose wording no incident could hold as it
// is: it still declares one, its text made to fit, and its repeats group with it.
func TestAlertTextNeverRefusesAnAlert(t *testing.T) {
	forEachDB(t, func(t *testing.T, s *store.Store, clock *amendstest.Clock) {
		ctx := context.Background()
		key := `{}:{alertname="Checkout", instance="` + strings.Repeat("web-", 400) + `"}`
		a := store.Alert{Source: "alertmanager", GroupKey: key, Firing: true, Severity: 2,
			Title:   "Checkout\nerrors\x00 " + strings.Repeat("é", 300),
			Summary: strings.Repeat("d", amends.MaxSummary+50) + "\x00",
			Detail:  "Checkout on web-1\x07 \xff"}
		res, err := s.IngestAlert(ctx, a, responder)
		if err != nil || !res.Created {
			t.Fatalf("an alert with unfit wording: %+v %v", res, err)
		}
		inc, err := s.Incident(ctx, res.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(inc.Title, "Checkout errors ") || utf8.RuneCountInString(inc.Title) != amends.MaxTitle || !strings.HasSuffix(inc.Title, "…") {
			t.Errorf("title %q (%d characters)", inc.Title, utf8.RuneCountInString(inc.Title))
		}
		if utf8.RuneCountInString(inc.Summary) != amends.MaxSummary || strings.ContainsRune(inc.Summary, 0) {
			t.Errorf("summary of %d characters", utf8.RuneCountInString(inc.Summary))
		}
		again, err := s.IngestAlert(ctx, a, responder)
		if err != nil || again.Created || again.Ref != res.Ref {
			t.Errorf("a repeat of the long group key: %+v %v, want an update of %s", again, err, res.Ref)
		}
		events, _ := s.Timeline(ctx, res.Ref, false)
		last := events[len(events)-1]
		if last.Body != "Firing: Checkout on web-1  \uFFFD" {
			t.Errorf("alert detail on the timeline: %q", last.Body)
		}
	})
}

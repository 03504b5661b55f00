package main

import (
	"context"
	"crypto/rand"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// afternoon is the sample story from DESIGN.md, as it is recorded on a timeline.
var afternoon = []struct {
	hhmm   string
	kind   amends.EventKind
	status amends.Status
	body   string
	public bool
}{
	{"14:43", amends.KindColleaguesTold, "", "Support, Customer Success and Sales told what is known: yesterday's renewal reminder went to customers on annual plans who had already renewed; likely impact about 2,300 customers who may think they will be charged twice.", false},
	{"14:48", amends.KindNote, "", "Troubleshooting starts: comparing the send list with the segment definition.", false},
	{"14:55", amends.KindRootCause, "", "Root cause: the renewal segment's filter on renewal date was inverted in Monday's change, so renewed accounts matched. Filter corrected and the scheduled resend cancelled.", false},
	{"14:55", amends.KindMitigated, "", "Corrected: no further reminder can go to renewed accounts.", false},
	{"14:55", "", amends.Monitoring, "Watching the next scheduled batch.", false},
	{"15:03", amends.KindNote, "", "Two colleagues agree on the customer-facing response: we say what we sent, that nobody will be charged twice, and what we changed.", false},
	{"15:03", amends.KindNote, "", "We sent a renewal reminder to customers who had already renewed. Nobody will be charged twice. We have corrected the list and will write to everyone affected today.", true},
	{"18:14", amends.KindPostmortem, "", "Internal write-up shared: status, cause, solution, impact.", false},
	{"18:39", amends.KindCustomersTold, "", "The response was emailed to the 2,300 impacted customers.", true},
	{"18:39", "", amends.Resolved, "No customer was charged twice; the segment now has a test for renewed accounts.", false},
	{"18:45", amends.KindNote, "", "The write-up is updated with a copy of that email: the loop is closed.", false},
	{"18:45", "", amends.Closed, "Loop closed.", false},
}

// demoPostmortem is the afternoon's write-up as it stood at 18:45, with the email's copy in it.
var demoPostmortem = []struct {
	name     amends.SectionName
	markdown string
}{
	{amends.SectionSolution, "We corrected the renewal segment's filter on renewal date and cancelled the scheduled resend at 14:55. Nobody was charged twice."},
	{amends.SectionLearned, "- A change to a customer segment went out without a check of who it matched.\n- Support heard within four minutes, which let them answer the first calls with facts."},
	{amends.SectionPrevention, "The renewal segment already has a test for renewed accounts (dana, the same day)."},
	{amends.SectionSupport, "Reply to the email we sent, or write to support@example.com; a person answers within one working day."},
	{amends.SectionApology, "We are sorry. We sent a renewal reminder to customers who had already renewed. Nobody will be charged twice. We have corrected the list and will write to everyone affected today.\n\n> Copy of the email sent at 18:39: We sent a renewal reminder to customers who had already renewed. Nobody will be charged twice. We have corrected the list and will write to everyone affected today."},
}

// lastAfternoon returns the date of the most recent afternoon whose 18:45 has passed.
func lastAfternoon(now time.Time, loc *time.Location) time.Time {
	n := now.In(loc)
	day := time.Date(n.Year(), n.Month(), n.Day(), 0, 0, 0, 0, loc)
	if !day.Add(18*time.Hour + 46*time.Minute).Before(n) {
		day = day.AddDate(0, 0, -1)
	}
	return day
}

// loadDemo records the sample afternoon as a real incident with its back-dated timeline.
func loadDemo(ctx context.Context, st *store.Store, day time.Time) (*amends.Incident, error) {
	at := func(hhmm string) *time.Time {
		var h, m int
		fmt.Sscanf(hhmm, "%d:%d", &h, &m)
		t := day.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
		return &t
	}
	actor := amends.Actor{Name: "demo", Role: amends.Responder}
	inc, err := st.CreateIncident(ctx, amends.NewIncident{
		Title:      "Renewal reminder emailed to customers who had already renewed",
		Summary:    "We emailed a renewal reminder to customers on annual plans who had already renewed, which made many of them think they would be charged twice.",
		Severity:   2,
		NoticedAt:  at("14:39"),
		Components: []string{"Customer messaging", "Billing"},
	}, actor)
	if err != nil {
		return nil, err
	}
	lead, comms := "dana", "sam"
	if _, err := st.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Lead: &lead, Comms: &comms, At: at("14:43")}, actor); err != nil {
		return nil, err
	}
	for _, step := range afternoon {
		if step.status == amends.Closed {
			if err := demoPrevention(ctx, st, inc.Ref, day, actor); err != nil {
				return nil, err
			}
			// 18:45: the write-up is updated with a copy of the email, which closes the loop.
			for _, sec := range demoPostmortem {
				if _, err := st.SaveSection(ctx, inc.Ref, sec.name, sec.markdown, sec.name != amends.SectionLearned, 0, actor); err != nil {
					return nil, fmt.Errorf("postmortem %s: %w", sec.name, err)
				}
			}
		}
		if step.status != "" {
			s := step.status
			if _, err := st.UpdateIncident(ctx, inc.Ref, amends.IncidentUpdate{Status: &s, Note: step.body, At: at(step.hhmm)}, actor); err != nil {
				return nil, fmt.Errorf("%s %s: %w", step.hhmm, s, err)
			}
			continue
		}
		vis := amends.Internal
		if step.public {
			vis = amends.Public
		}
		if _, err := st.AddEvent(ctx, inc.Ref, amends.NewEvent{Kind: step.kind, Body: step.body, At: at(step.hhmm), Visibility: vis}, actor); err != nil {
			return nil, fmt.Errorf("%s %s: %w", step.hhmm, step.kind, err)
		}
	}
	return st.Incident(ctx, inc.Ref)
}

// demoPrevention adds the afternoon's prevention action item, owned by sam (created as a
// responder with a random password when missing). Its due date is two weeks after the
// afternoon, which is ahead of the store's clock whenever the afternoon is recent.
func demoPrevention(ctx context.Context, st *store.Store, ref string, day time.Time, actor amends.Actor) error {
	if _, err := st.CreateUser(ctx, "sam", amends.Responder, rand.Text(), actor); err != nil && amends.ErrorCode(err) != amends.EConflict {
		return fmt.Errorf("demo user sam: %w", err)
	}
	due := day.AddDate(0, 0, 14).Add(23*time.Hour + 59*time.Minute + 59*time.Second)
	if _, err := st.CreateActionItem(ctx, ref, amends.NewActionItem{Title: "Every segment change shows a sample of matched accounts before it is saved",
		Kind: amends.ActionPrevention, Owner: "sam", Due: due, Public: true}, actor); err != nil {
		return fmt.Errorf("prevention action item: %w", err)
	}
	return nil
}

func runDemo(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	dbFlags(fs, &c)
	if _, err := parseArgs(fs, args); err != nil {
		return fail(stderr, err)
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	inc, err := loadDemo(ctx, st, lastAfternoon(time.Now(), time.Local))
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "loaded the sample afternoon as %s: %s\n", inc.Ref, inc.Title)
	events, err := st.Timeline(ctx, inc.Ref, false)
	if err != nil {
		return fail(stderr, err)
	}
	writeTimeline(stdout, events, time.Local)
	fmt.Fprintf(stdout, "\nOpen /incidents/%s on the server to see it.\n", inc.Ref)
	return 0
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/client"
)

// clientFlags registers --url and --token (AMENDS_URL, AMENDS_TOKEN) and returns a function
// that makes the client once flags are parsed.
func clientFlags(fs *flag.FlagSet) func() *client.Client {
	base := fs.String("url", env("AMENDS_URL", "http://127.0.0.1:8080"), "amends server (env AMENDS_URL)")
	token := fs.String("token", "", "API token (env AMENDS_TOKEN; prefer the environment: flags show in ps)")
	return func() *client.Client {
		t := *token
		if t == "" {
			t = env("AMENDS_TOKEN", "")
		}
		return client.New(*base, t)
	}
}

type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	for _, s := range strings.Split(v, ",") {
		*l = append(*l, strings.TrimSpace(s))
	}
	return nil
}

func runDeclare(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("declare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	sev := fs.String("severity", "", "1 (highest) to 4")
	summary := fs.String("summary", "", "customer-safe summary of what is known")
	noticed := fs.String("noticed-at", "", "when it was noticed: 14:39, 2026-11-03 14:39 or RFC 3339 (default now)")
	owner := fs.String("owner", "", "who owns the message (default: you)")
	var components listFlag
	fs.Var(&components, "component", "affected component (repeat or comma-separate)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError(`usage: amends declare "TITLE" --severity N [--noticed-at 14:39] [--summary TEXT]`))
	}
	if *sev == "" {
		return fail(stderr, usageError("--severity is required: 1 (highest) to 4"))
	}
	s, err := amends.ParseSeverity(*sev)
	if err != nil {
		return fail(stderr, err)
	}
	at, err := parseWhen("noticed-at", *noticed, time.Now(), time.Local)
	if err != nil {
		return fail(stderr, err)
	}
	c := mk()
	inc, err := c.Declare(ctx, amends.NewIncident{Title: pos[0], Summary: *summary, Severity: s, NoticedAt: at, Owner: *owner, Components: components})
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%s declared: %s (SEV%d, noticed %s)\n", inc.Ref, inc.Title, inc.Severity, inc.NoticedAt.Local().Format("2006-01-02 15:04 MST"))
	return 0
}

func runIncidents(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("incidents", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	status := fs.String("status", "", "only this status")
	sev := fs.String("severity", "", "only this severity")
	open := fs.Bool("open", false, "only open incidents")
	limit := fs.Int("limit", 50, "how many")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := parseArgs(fs, args); err != nil {
		return fail(stderr, err)
	}
	q := url.Values{"limit": {fmt.Sprint(*limit)}}
	if *status != "" {
		q.Set("status", *status)
	}
	if *sev != "" {
		q.Set("severity", *sev)
	}
	if *open {
		q.Set("open", "true")
	}
	page, err := mk().Incidents(ctx, q)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, page)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REF\tSEV\tSTATUS\tNOTICED\tOWNER\tTITLE")
	for _, inc := range page.Incidents {
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\n", inc.Ref, inc.Severity, inc.Status,
			inc.NoticedAt.Local().Format("2006-01-02 15:04"), inc.Owner, inc.Title)
	}
	tw.Flush()
	return 0
}

func runShow(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError("usage: amends show INC-1"))
	}
	inc, err := mk().Incident(ctx, pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	return printJSON(stdout, inc)
}

func runStatus(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	note := fs.String("note", "", "why, recorded on the timeline")
	when := fs.String("at", "", "when it happened, if earlier than now")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 2 {
		return fail(stderr, usageError("usage: amends status INC-1 investigating|identified|monitoring|resolved [--note TEXT]"))
	}
	body := map[string]any{"status": pos[1]}
	if *note != "" {
		body["note"] = *note
	}
	at, err := parseWhen("at", *when, time.Now(), time.Local)
	if err != nil {
		return fail(stderr, err)
	}
	if at != nil {
		body["at"] = at.Format(time.RFC3339)
	}
	inc, err := mk().Update(ctx, pos[0], body)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%s is now %s\n", inc.Ref, inc.Status)
	return 0
}

func runUpdate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("update", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	body := map[string]any{}
	strFlag := func(name, usage string) {
		fs.Func(name, usage, func(v string) error { body[name] = v; return nil })
	}
	strFlag("title", "new title")
	strFlag("summary", "new customer-safe summary")
	strFlag("owner", "who owns the message")
	strFlag("lead", "incident lead")
	strFlag("comms", "communications owner")
	fs.Func("severity", "1 (highest) to 4", func(v string) error {
		s, err := amends.ParseSeverity(v)
		body["severity"] = int(s)
		return err
	})
	fs.Func("components", "affected components, comma-separated (empty clears)", func(v string) error {
		var l listFlag
		if v != "" {
			l.Set(v)
		}
		body["components"] = []string(l)
		return nil
	})
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 || len(body) == 0 {
		return fail(stderr, usageError("usage: amends update INC-1 [--severity N] [--owner NAME] [--lead NAME] [--comms NAME] [--components a,b]"))
	}
	inc, err := mk().Update(ctx, pos[0], body)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "%s updated\n", inc.Ref)
	return 0
}

func runNote(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("note", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	kind := fs.String("kind", "note", "note, root_cause, mitigated, colleagues_told, customers_told, correction, …")
	when := fs.String("at", "", "when it happened (back-dating): 14:39, 2026-11-03 14:39 or RFC 3339")
	public := fs.Bool("public", false, "visible on public surfaces (default internal)")
	corrects := fs.Int64("corrects", 0, "id of the event this corrects (with --kind correction)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 2 {
		return fail(stderr, usageError(`usage: amends note INC-1 "what happened" [--kind K] [--at 14:55] [--public]`))
	}
	at, err := parseWhen("at", *when, time.Now(), time.Local)
	if err != nil {
		return fail(stderr, err)
	}
	n := amends.NewEvent{Kind: amends.EventKind(*kind), Body: pos[1], At: at, Visibility: amends.Internal}
	if *public {
		n.Visibility = amends.Public
	}
	if *corrects != 0 {
		n.Corrects = corrects
		if *kind == "note" {
			n.Kind = amends.KindCorrection
		}
	}
	e, err := mk().AddEvent(ctx, pos[0], n)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "recorded event %d on %s at %s\n", e.ID, pos[0], e.At.Local().Format("2006-01-02 15:04"))
	return 0
}

func runTimeline(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("timeline", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError("usage: amends timeline INC-1"))
	}
	events, err := mk().Timeline(ctx, pos[0])
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, map[string]any{"events": events})
	}
	writeTimeline(stdout, events, time.Local)
	return 0
}

// writeTimeline prints one line per event: when it happened, kind, body, and when it was
// recorded if that was later.
func writeTimeline(w io.Writer, events []amends.Event, loc *time.Location) {
	for _, e := range events {
		line := fmt.Sprintf("%s  %-17s %s", e.At.In(loc).Format("2006-01-02 15:04"), e.Kind.Label(), strings.ReplaceAll(e.Body, "\n", " "))
		if e.BackDated() {
			line += fmt.Sprintf("  (recorded %s)", e.RecordedAt.In(loc).Format("2006-01-02 15:04"))
		}
		if e.Corrects != nil {
			line += fmt.Sprintf("  [corrects event %d]", *e.Corrects)
		}
		fmt.Fprintf(w, "#%-5d %s  — %s\n", e.ID, line, e.Actor)
	}
}

func printJSON(w io.Writer, v any) int {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return 1
	}
	return 0
}

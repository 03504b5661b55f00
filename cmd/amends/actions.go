package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/amends/amends"
)

// runActions lists action items: an incident's (`actions INC-1`), or what one person owes
// across incidents, soonest due first (`actions --mine`). A token is not a person, so "me" is
// --owner NAME or, without it, AMENDS_USER.
func runActions(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("actions", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	mine := fs.Bool("mine", false, "what you owe: open items across incidents, soonest due first")
	owner := fs.String("owner", "", "who you are, for --mine (env AMENDS_USER)")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if (*mine) == (len(pos) == 1) || len(pos) > 1 {
		return fail(stderr, usageError("usage: amends actions INC-1 | amends actions --mine [--owner NAME]"))
	}
	c := mk()
	var items []*amends.ActionItem
	if *mine {
		who := strings.TrimSpace(*owner)
		if who == "" {
			who = strings.TrimSpace(env("AMENDS_USER", ""))
		}
		if who == "" {
			return fail(stderr, usageError("--mine needs to know who you are: --owner NAME or AMENDS_USER=NAME"))
		}
		items, err = c.Owed(ctx, who)
	} else {
		items, err = c.ActionItems(ctx, pos[0])
	}
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, map[string]any{"actions": items})
	}
	if len(items) == 0 {
		fmt.Fprintln(stdout, "No action items.")
		return 0
	}
	now := time.Now()
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tREF\tDUE\tSTATE\tKIND\tOWNER\tPUBLIC\tTITLE")
	for _, a := range items {
		state := string(a.State)
		if a.Overdue(now) {
			state = "OVERDUE"
		}
		public := ""
		if a.Public {
			public = "promise"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, a.Ref, a.DueDate, state, a.Kind, a.Owner, public, a.Title)
	}
	tw.Flush()
	return 0
}

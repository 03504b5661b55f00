package main

import (
	"context"
	"flag"
	"fmt"
	"io"

	"github.com/amends/amends/statuspage"
)

// runStatusCommand is `amends status`: `status export DIR` writes the status page as static
// files; anything else changes an incident's status through the server (runStatus).
func runStatusCommand(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "export" {
		return runStatusExport(ctx, args[1:], stdin, stdout, stderr)
	}
	return runStatus(ctx, args, stdin, stdout, stderr)
}

// runStatusExport writes index.html, status.json and feed.atom into DIR from the database,
// with the renderer the server uses; it needs no running server, so it works when the server
// is down (run it from cron, or let `serve --status-export DIR` do it after each publish).
func runStatusExport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("status export", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	dbFlags(fs, &c)
	exportURL := fs.String("base-url", env("AMENDS_STATUS_EXPORT_URL", ""),
		"URL DIR will be served at, for the links in the feed and the JSON (env AMENDS_STATUS_EXPORT_URL); default AMENDS_BASE_URL/status")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError("usage: amends status export DIR [--db URL | --data DIR] [--base-url URL]"))
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	if err := statuspage.Export(ctx, st, pos[0], statuspage.ExportOptions{ExportURL: *exportURL,
		BaseURL: env("AMENDS_BASE_URL", "")}); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "wrote %s/{index.html,status.json,feed.atom}\n", pos[0])
	return 0
}

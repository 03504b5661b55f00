package main

import (
	"context"
	"flag"
	"io"
	"time"

	"github.com/amends/amends/web"
)

// runPostmortem prints an incident's postmortem as Markdown, or as a standalone print-ready
// HTML page that a browser prints to PDF.
func runPostmortem(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("postmortem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	format := fs.String("format", "md", "md (Markdown) or html (print-ready page)")
	edition := fs.String("edition", "internal", "internal (everything) or public (only what is marked public)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 || (*format != "md" && *format != "html") {
		return fail(stderr, usageError("usage: amends postmortem INC-1 [--format md|html] [--edition internal|public]"))
	}
	c := mk()
	if *format == "md" {
		md, err := c.PostmortemMarkdown(ctx, pos[0], *edition)
		if err != nil {
			return fail(stderr, err)
		}
		io.WriteString(stdout, md)
		return 0
	}
	pm, err := c.Postmortem(ctx, pos[0], *edition)
	if err != nil {
		return fail(stderr, err)
	}
	page, err := web.PostmortemHTML(pm, time.Local)
	if err != nil {
		return fail(stderr, err)
	}
	stdout.Write(page)
	return 0
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/amends/amends/ownership"
)

// maxLintInput is the largest message lint reads; a customer message is far smaller, so
// anything bigger is a mistake on the command line.
const maxLintInput = 10 << 20

// runLint is `amends lint [FILE|-] [--mode customer|blameless] [--format text|json]
// [--rules FILE]`: the ownership check, offline. It exits 0 when the message owns the
// mistake, 1 when it does not, and 2 when the command line or the input is wrong.
func runLint(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("lint", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "Usage: amends lint [FILE|-] [--mode customer|blameless] [--format text|json] [--rules FILE]")
		fmt.Fprintln(stderr, "\nChecks whether a message owns the mistake; reads standard input when FILE is - or absent.")
		fmt.Fprintln(stderr, "Exits 0 when it does, 1 when it does not, 2 on a usage or read error.\n\nFlags:")
		fs.PrintDefaults()
	}
	modeFlag := fs.String("mode", "customer", "customer (a message to customers) or blameless (an internal postmortem)")
	format := fs.String("format", "text", "text (file:line:col: rule: message) or json (the API's report)")
	rules := fs.String("rules", "", "an organisation's rules `file`, added to the built-in rules")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2 // the flag package has printed the error (or -h's help) and the usage
	}
	mode, err := ownership.ParseMode(*modeFlag)
	if err != nil {
		fmt.Fprintln(stderr, "amends lint:", err)
		return 2
	}
	if *format != "text" && *format != "json" {
		fmt.Fprintf(stderr, "amends lint: unknown format %q: want text or json\n", *format)
		return 2
	}
	if len(pos) > 1 {
		fmt.Fprintf(stderr, "amends lint: one file at a time, got %d\n", len(pos))
		return 2
	}
	name := "-"
	if len(pos) == 1 {
		name = pos[0]
	}
	text, display, err := readLintInput(name, stdin)
	if err != nil {
		fmt.Fprintln(stderr, "amends lint:", err)
		return 2
	}
	checker, err := loadChecker(*rules)
	if err != nil {
		fmt.Fprintln(stderr, "amends lint:", err)
		return 2
	}

	report := checker.Check(text, mode)
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		err = enc.Encode(report)
	} else {
		err = ownership.WriteText(stdout, display, text, report)
	}
	if err != nil {
		fmt.Fprintln(stderr, "amends lint:", err)
		return 2
	}
	if !report.Owns {
		return 1
	}
	return 0
}

// readLintInput reads the message from the file called name, or from stdin for "-", and
// returns it with the name to print in findings.
func readLintInput(name string, stdin io.Reader) (text, display string, err error) {
	r, display := stdin, "<stdin>"
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return "", "", err
		}
		defer f.Close()
		r, display = f, name
	}
	b, err := io.ReadAll(io.LimitReader(r, maxLintInput+1))
	if err != nil {
		return "", "", fmt.Errorf("reading %s: %w", display, err)
	}
	if len(b) > maxLintInput {
		return "", "", fmt.Errorf("%s is larger than %d MB; a message to check should be much smaller", display, maxLintInput>>20)
	}
	return string(b), display, nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/amends/amends/client"
)

const customersUsage = "usage: amends customers import FILE.csv [--skip-bad] [--update] | amends customers list [--account A] [--segment S]"

func runCustomers(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "import":
			return runCustomersImport(ctx, args[1:], stdin, stdout, stderr)
		case "list":
			return runCustomersList(ctx, args[1:], stdout, stderr)
		}
	}
	return fail(stderr, usageError(customersUsage))
}

// runCustomersImport streams a CSV file to the server and prints what became of it: one line
// of counts on standard output, and each bad row the way compilers print errors
// (FILE:LINE: field: message) on standard error. It exits 1 when the file's problems kept
// everything out.
func runCustomersImport(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("customers import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	skip := fs.Bool("skip-bad", false, "import the good rows of a file that has bad ones")
	update := fs.Bool("update", false, "change customers the server has (by email) instead of reporting them as duplicates")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError("usage: amends customers import FILE.csv [--skip-bad] [--update] (FILE - reads standard input); "+
			"the first row names the columns: email (required), name, account, segments (separated by ;)"))
	}
	name, file, size := pos[0], stdin, int64(-1)
	if name == "-" {
		name = "stdin"
	} else {
		f, err := os.Open(name)
		if err != nil {
			return fail(stderr, err)
		}
		defer f.Close()
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
		file = f
	}
	rep, err := mk().ImportCustomers(ctx, file, size, client.ImportOptions{SkipBad: *skip, Update: *update})
	if err != nil {
		return fail(stderr, err)
	}
	for _, p := range rep.Problems {
		if p.Field != "" {
			fmt.Fprintf(stderr, "%s:%d: %s: %s\n", name, p.Line, p.Field, p.Message)
		} else {
			fmt.Fprintf(stderr, "%s:%d: %s\n", name, p.Line, p.Message)
		}
	}
	if rep.MoreProblems > 0 {
		fmt.Fprintf(stderr, "%s: %d more problems not listed\n", name, rep.MoreProblems)
	}
	if len(rep.IgnoredColumns) > 0 {
		fmt.Fprintf(stderr, "%s: ignored columns: %s\n", name, strings.Join(rep.IgnoredColumns, ", "))
	}
	counts := fmt.Sprintf("imported %d, updated %d, skipped %d", rep.Imported, rep.Updated, rep.Skipped)
	if rep.Unchanged > 0 {
		counts += fmt.Sprintf(", unchanged %d", rep.Unchanged)
	}
	fmt.Fprintln(stdout, counts)
	if rep.Refused() {
		hint := ""
		if !*skip {
			hint = " (or import the good rows with --skip-bad)"
		}
		fmt.Fprintf(stderr, "amends: nothing was imported: fix the rows above and import the file again%s\n", hint)
		return 1
	}
	return 0
}

func runCustomersList(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("customers list", flag.ContinueOnError)
	fs.SetOutput(stderr)
	mk := clientFlags(fs)
	account := fs.String("account", "", "only this account")
	segment := fs.String("segment", "", "only customers with this segment tag")
	limit := fs.Int("limit", 50, "how many (at most 500)")
	after := fs.String("after", "", "the page after this cursor (printed at the end of a page)")
	asJSON := fs.Bool("json", false, "print JSON")
	if pos, err := parseArgs(fs, args); err != nil {
		return fail(stderr, err)
	} else if len(pos) > 0 {
		return fail(stderr, usageError(customersUsage))
	}
	q := url.Values{"limit": {fmt.Sprint(*limit)}}
	for k, v := range map[string]string{"account": *account, "segment": *segment, "after": *after} {
		if v != "" {
			q.Set(k, v)
		}
	}
	page, err := mk().Customers(ctx, q)
	if err != nil {
		return fail(stderr, err)
	}
	if *asJSON {
		return printJSON(stdout, page)
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tEMAIL\tNAME\tACCOUNT\tSEGMENTS")
	for _, c := range page.Customers {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.Email, c.Name, c.Account, strings.Join(c.Segments, ";"))
	}
	tw.Flush()
	if page.Next != "" {
		fmt.Fprintf(stdout, "next page: --after %s\n", page.Next)
	}
	return 0
}

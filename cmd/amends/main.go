// Command amends is the amends server, worker and command-line tool in one binary.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"

	"github.com/amends/amends"
)

// command is one subcommand: what it is for and how to run it.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int
}

var commands = map[string]command{
	"serve":      {"run the server (web app, API, status page)", runServe},
	"demo":       {"load the sample afternoon from DESIGN.md as an incident", runDemo},
	"lint":       {"check whether a message owns the mistake (works offline)", runLint},
	"migrate":    {"apply pending database migrations", runMigrate},
	"backup":     {"copy a live SQLite database to FILE", runBackup},
	"verify":     {"check every incident's hash-chained timeline", runVerify},
	"token":      {"manage API tokens: token create --role ROLE --name NAME", runToken},
	"user":       {"manage people: user add NAME --role ROLE | user reset-password NAME", runUser},
	"declare":    {"declare an incident: declare TITLE --severity N [--noticed-at 14:39]", runDeclare},
	"incidents":  {"list incidents, open first", runIncidents},
	"show":       {"show one incident: show INC-1", runShow},
	"status":     {"change status: status INC-1 identified [--note TEXT] [--at TIME]; or status export DIR", runStatusCommand},
	"note":       {"add a timeline event: note INC-1 TEXT [--kind K] [--at TIME] [--public]", runNote},
	"update":     {"change severity, owner, roles, components: update INC-1 --severity 1", runUpdate},
	"timeline":   {"print an incident's timeline: timeline INC-1", runTimeline},
	"postmortem": {"print an incident's postmortem: postmortem INC-1 [--format md|html] [--edition public]", runPostmortem},
	"customers":  {"import customers from CSV or list them: customers import FILE.csv [--skip-bad] [--update]", runCustomers},
	"actions":    {"list action items: actions INC-1 | actions --mine [--owner NAME] (or AMENDS_USER)", runActions},
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return 0
	}
	cmd, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "amends: unknown command %q\n\n", args[0])
		usage(stderr)
		return 2
	}
	return cmd.run(ctx, args[1:], stdin, stdout, stderr)
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "amends — own a mistake that hurt customers, from the minute it is noticed to the promise kept.")
	fmt.Fprintln(w, "\nUsage: amends COMMAND [arguments]\n\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-10s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun `amends COMMAND -h` for a command's flags. Client commands talk to a server named by")
	fmt.Fprintln(w, "AMENDS_URL (default http://127.0.0.1:8080) with the token in AMENDS_TOKEN.")
}

// parseArgs parses flags that may come before, between or after positional arguments and
// returns the positional ones.
func parseArgs(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		if args[0] == "--" {
			return append(pos, args[1:]...), nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

// fail prints err for a person and returns the exit code: 2 for usage errors, 1 otherwise.
func fail(stderr io.Writer, err error) int {
	if errors.Is(err, flag.ErrHelp) {
		return 2
	}
	if e := amends.ErrorOf(err); e != nil {
		msg := e.Message
		if e.Field != "" {
			msg = e.Field + ": " + msg
		}
		fmt.Fprintln(stderr, "amends:", msg)
		if e.Code == amends.EInvalid {
			return 2
		}
		return 1
	}
	fmt.Fprintln(stderr, "amends:", strings.TrimSpace(err.Error()))
	return 1
}

func usageError(format string, args ...any) error {
	return amends.Errorf(amends.EInvalid, "", format, args...)
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"path/filepath"

	"github.com/amends/amends"
	"github.com/amends/amends/store"
)

// openStore opens the database named by the common flags, applying migrations.
func openStore(ctx context.Context, c config) (*store.Store, error) {
	return store.Open(ctx, c.DB, c.Data, store.Options{Files: filepath.Join(c.Data, "attachments")})
}

// cliActor is who the audit log names for commands run on the server's machine.
var cliActor = amends.Actor{Name: "cli", Role: amends.Admin}

func runMigrate(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	dbFlags(fs, &c)
	if _, err := parseArgs(fs, args); err != nil {
		return fail(stderr, err)
	}
	st, err := store.OpenNoMigrate(c.DB, c.Data, store.Options{})
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	applied, err := st.MigrateReport(ctx)
	if err != nil {
		return fail(stderr, err)
	}
	v, _ := st.SchemaVersion(ctx)
	for _, name := range applied {
		fmt.Fprintln(stdout, "applied", name)
	}
	fmt.Fprintf(stdout, "schema is at version %d\n", v)
	return 0
}

func runBackup(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("backup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	dbFlags(fs, &c)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError("usage: amends backup [--data DIR | --db sqlite:PATH] FILE"))
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	if err := st.Backup(ctx, pos[0]); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "backed up to %s; to restore, start amends with --db sqlite:%s\n", pos[0], pos[0])
	return 0
}

func runVerify(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
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
	problems, n, err := st.Verify(ctx)
	if err != nil {
		return fail(stderr, err)
	}
	for _, p := range problems {
		fmt.Fprintf(stdout, "%s: event %d: %s\n", p.Ref, p.Seq, p.Problem)
	}
	if len(problems) > 0 {
		fmt.Fprintf(stdout, "%d of %d incidents have a timeline that does not check out\n", len(problems), n)
		return 1
	}
	fmt.Fprintf(stdout, "all %d incidents check out\n", n)
	return 0
}

func runToken(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] != "create" {
		return fail(stderr, usageError("usage: amends token create [--data DIR | --db URL] --role admin|responder|viewer --name NAME"))
	}
	fs := flag.NewFlagSet("token create", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	dbFlags(fs, &c)
	role := fs.String("role", "", "admin, responder or viewer")
	name := fs.String("name", "", "what the token is for, e.g. ci-bot")
	if pos, err := parseArgs(fs, args[1:]); err != nil {
		return fail(stderr, err)
	} else if len(pos) > 0 {
		return fail(stderr, usageError("token create takes no arguments, got %q", pos))
	}
	r, err := amends.ParseRole(*role)
	if err != nil {
		return fail(stderr, err)
	}
	if *name == "" {
		return fail(stderr, usageError("--name is required"))
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	secret, err := st.CreateToken(ctx, *name, r, cliActor)
	if err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintln(stdout, secret)
	return 0
}

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 || (args[0] != "add" && args[0] != "reset-password") {
		return fail(stderr, usageError("usage: amends user add NAME --role admin|responder|viewer | amends user reset-password NAME"))
	}
	verb := args[0]
	fs := flag.NewFlagSet("user "+verb, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	dbFlags(fs, &c)
	role := fs.String("role", "viewer", "admin, responder or viewer")
	pos, err := parseArgs(fs, args[1:])
	if err != nil {
		return fail(stderr, err)
	}
	if len(pos) != 1 {
		return fail(stderr, usageError("give exactly one user name"))
	}
	st, err := openStore(ctx, c)
	if err != nil {
		return fail(stderr, err)
	}
	defer st.Close()
	password := store.RandomSecret(15)
	if verb == "add" {
		r, err := amends.ParseRole(*role)
		if err != nil {
			return fail(stderr, err)
		}
		if _, err := st.CreateUser(ctx, pos[0], r, password, cliActor); err != nil {
			return fail(stderr, err)
		}
	} else if err := st.SetPassword(ctx, pos[0], password, cliActor); err != nil {
		return fail(stderr, err)
	}
	fmt.Fprintf(stdout, "user %s, password %s (shown once)\n", pos[0], password)
	return 0
}

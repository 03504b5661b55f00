package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/amends/amends"
	"github.com/amends/amends/channel"
	"github.com/amends/amends/delivery"
	"github.com/amends/amends/ownership"
	"github.com/amends/amends/server"
	"github.com/amends/amends/statuspage"
	"github.com/amends/amends/store"
)

// Main is the running program of `amends serve`. Tests start it on port 0 with Run and stop
// it with Close, exactly as the command does.
type Main struct {
	Config config
	Logger *slog.Logger
	// Notice receives what a person starting the server must read (the first admin's password).
	Notice io.Writer
	// Now is the clock; time.Now when nil.
	Now func() time.Time

	Store  *store.Store
	queue  *delivery.Queue
	status *statuspage.Publisher
	server *server.Server
	ln     net.Listener
	done   chan error
	unlock func() // releases the SQLite database file for another server
}

// Run opens the database (applying migrations), makes the first admin on first start and
// starts serving in the background. It returns once the server is listening.
func (m *Main) Run(ctx context.Context) error {
	if m.Logger == nil {
		m.Logger = slog.Default()
	}
	if m.Notice == nil {
		m.Notice = os.Stderr
	}
	proxies, err := server.ParseTrustedProxies(m.Config.TrustedProxies)
	if err != nil {
		return err
	}
	st, err := store.Open(ctx, m.Config.DB, m.Config.Data, store.Options{Now: m.Now, Files: filepath.Join(m.Config.Data, "attachments")})
	if err != nil {
		return fmt.Errorf("open database: %w", err)
	}
	m.Store = st
	if file := st.File(); file != "" {
		if m.unlock, err = lockDatabaseFile(file); err != nil {
			return err
		}
	}
	checker, err := loadChecker(m.Config.Rules)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", m.Config.Addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Addr, err)
	}
	m.ln = ln
	if m.Config.BaseURL == "" {
		m.Config.BaseURL = "http://" + ln.Addr().String()
	}
	m.Config.BaseURL = strings.TrimRight(m.Config.BaseURL, "/")
	if err := m.firstAdmin(ctx); err != nil {
		return err
	}
	if err := m.startQueue(ctx); err != nil {
		return err
	}
	if m.status, err = statuspage.New(statuspage.Config{Store: st, BaseURL: m.Config.BaseURL, Logger: m.Logger,
		ExportDir: m.Config.StatusExport, ExportURL: m.Config.StatusExportURL}); err != nil {
		return err
	}
	m.status.Start(ctx)
	srv, err := server.New(server.Config{Store: st, Checker: checker, Logger: m.Logger, BaseURL: m.Config.BaseURL, Now: m.Now,
		Status: m.status, TrustedProxies: proxies})
	if err != nil {
		return err
	}
	m.server = srv
	m.done = make(chan error, 1)
	go func() { m.done <- srv.Serve(ln) }()
	m.Logger.Info("amends is serving", "addr", ln.Addr().String(), "url", m.Config.BaseURL, "db", string(st.Dialect()))
	return nil
}

// URL returns the base URL the server answers on.
func (m *Main) URL() string { return m.Config.BaseURL }

// Done is closed with the serve error when the server stops by itself.
func (m *Main) Done() <-chan error { return m.done }

// Close stops the server, letting requests in flight finish, and closes the database.
func (m *Main) Close() error {
	var errs []error
	if m.queue != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.queue.Stop(ctx))
		cancel()
	}
	if m.server != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.server.Shutdown(ctx))
		cancel()
	} else if m.ln != nil {
		errs = append(errs, m.ln.Close())
	}
	if m.status != nil {
		m.status.Stop()
	}
	if m.Store != nil {
		errs = append(errs, m.Store.Close())
	}
	if m.unlock != nil {
		m.unlock()
	}
	return errors.Join(errs...)
}

// startQueue starts the job queue that sends deliveries, with a sender for every channel
// kind (email only when an SMTP server is configured).
func (m *Main) startQueue(ctx context.Context) error {
	client := channel.NewHTTPClient(10 * time.Second)
	senders := channel.Senders{
		channel.KindSlack:   channel.NewSlack(client),
		channel.KindTeams:   channel.NewTeams(client),
		channel.KindWebhook: channel.NewWebhook(client),
	}
	if m.Config.SMTPURL != "" {
		email, err := channel.NewEmail(channel.SMTPConfig{URL: m.Config.SMTPURL, From: m.Config.SMTPFrom})
		if err != nil {
			return fmt.Errorf("smtp: %w", err)
		}
		senders[channel.KindEmail] = email
	}
	q, err := delivery.New(ctx, delivery.Config{Store: m.Store, DBURL: m.Config.DB, Senders: senders,
		BaseURL: m.Config.BaseURL, Logger: m.Logger, Workers: m.Config.Workers, RescueAfter: m.Config.RescueAfter,
		Digests: m.Config.Digests})
	if err != nil {
		return err
	}
	m.Store.SetEnqueuer(q)
	if err := q.Start(ctx); err != nil {
		return fmt.Errorf("start job queue: %w", err)
	}
	m.queue = q
	return nil
}

// firstAdmin creates the user "admin" with a random password when there are no users yet
// and tells the person starting the server, once.
func (m *Main) firstAdmin(ctx context.Context) error {
	n, err := m.Store.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	password := store.RandomSecret(15)
	if _, err := m.Store.CreateUser(ctx, "admin", amends.Admin, password, amends.Actor{Name: "amends", Role: amends.Admin}); err != nil {
		return fmt.Errorf("create the first admin: %w", err)
	}
	fmt.Fprintf(m.Notice, "\n  First start: sign in at %s/login\n  user:     admin\n  password: %s\n  This password is shown once. Reset it with `amends user reset-password admin`.\n\n",
		m.Config.BaseURL, password)
	return nil
}

func loadChecker(rulesFile string) (*ownership.Checker, error) {
	if rulesFile == "" {
		return ownership.New()
	}
	f, err := os.Open(rulesFile)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer f.Close()
	extra, err := ownership.LoadRules(f)
	if err != nil {
		return nil, fmt.Errorf("rules %s: %w", rulesFile, err)
	}
	return ownership.New(extra)
}

func newLogger(w io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, usageError("log-level must be debug, info, warn or error")
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l})), nil
}

func runServe(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var c config
	serveFlags(fs, &c)
	if pos, err := parseArgs(fs, args); err != nil {
		return fail(stderr, err)
	} else if len(pos) > 0 {
		return fail(stderr, usageError("serve takes no arguments, got %q", pos))
	}
	log, err := newLogger(stderr, c.LogLevel)
	if err != nil {
		return fail(stderr, err)
	}
	m := &Main{Config: c, Logger: log, Notice: stderr}
	if err := m.Run(ctx); err != nil {
		m.Close()
		return fail(stderr, err)
	}
	select {
	case <-ctx.Done():
		log.Info("shutting down")
	case err := <-m.Done():
		if err != nil {
			log.Error("server stopped", "err", err)
			m.Close()
			return 1
		}
	}
	if err := m.Close(); err != nil {
		log.Error("shutdown", "err", err)
		return 1
	}
	return 0
}

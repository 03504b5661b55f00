package main

import (
	"flag"
	"os"
	"strconv"
	"time"
)

// config is every setting of amends, read once here from flags with AMENDS_* fallbacks and
// passed down as a struct.
type config struct {
	Addr     string
	Data     string
	DB       string
	BaseURL  string
	SMTPURL  string
	SMTPFrom string
	Rules    string
	LogLevel string
	// Workers is how many jobs (deliveries) run at once.
	Workers int
	// RescueAfter is how long a job may look running before another worker retries it.
	RescueAfter time.Duration
	// StatusExport is a directory the status page is written to after each publish, and
	// StatusExportURL where that directory is served.
	StatusExport, StatusExportURL string
	// Digests sends everyone who owes action items a weekly digest on Monday at 08:00.
	Digests bool
	// TrustedProxies lists the reverse proxies (addresses, CIDR prefixes) whose
	// X-Forwarded-For is believed, comma-separated.
	TrustedProxies string
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

// dbFlags registers the flags that say where the database is.
func dbFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.Data, "data", env("AMENDS_DATA", "amends-data"), "data directory (env AMENDS_DATA)")
	fs.StringVar(&c.DB, "db", env("AMENDS_DB", ""), "database: postgres://… or sqlite:PATH; default sqlite at DATA/amends.db (env AMENDS_DB)")
}

// serveFlags registers the flags of `amends serve`.
func serveFlags(fs *flag.FlagSet, c *config) {
	dbFlags(fs, c)
	fs.StringVar(&c.Addr, "addr", env("AMENDS_ADDR", "127.0.0.1:8080"), "listen address HOST:PORT (env AMENDS_ADDR)")
	fs.StringVar(&c.BaseURL, "base-url", env("AMENDS_BASE_URL", ""), "public URL of this server, used in links and to decide Secure cookies (env AMENDS_BASE_URL); default http://ADDR")
	fs.StringVar(&c.SMTPURL, "smtp-url", env("AMENDS_SMTP_URL", ""), "mail server smtp://user:pass@host:port (env AMENDS_SMTP_URL)")
	fs.StringVar(&c.SMTPFrom, "smtp-from", env("AMENDS_SMTP_FROM", ""), "sender address of mail (env AMENDS_SMTP_FROM)")
	fs.StringVar(&c.Rules, "rules", env("AMENDS_RULES", ""), "extra ownership-check rules file (env AMENDS_RULES)")
	fs.IntVar(&c.Workers, "workers", envInt("AMENDS_WORKERS", 100), "deliveries sent at once (env AMENDS_WORKERS)")
	fs.DurationVar(&c.RescueAfter, "rescue-after", envDuration("AMENDS_RESCUE_AFTER", time.Minute), "retry a job that looks stuck this long, e.g. after a crash (env AMENDS_RESCUE_AFTER)")
	fs.StringVar(&c.StatusExport, "status-export", env("AMENDS_STATUS_EXPORT", ""), "write the status page as static files into DIR after each publish (env AMENDS_STATUS_EXPORT)")
	fs.StringVar(&c.StatusExportURL, "status-export-url", env("AMENDS_STATUS_EXPORT_URL", ""), "URL the --status-export directory is served at, for its links (env AMENDS_STATUS_EXPORT_URL); default this server's /status")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", env("AMENDS_TRUSTED_PROXIES", ""), "reverse proxies whose X-Forwarded-For names the client, e.g. 10.0.0.0/8,127.0.0.1 (env AMENDS_TRUSTED_PROXIES); default none")
	fs.BoolVar(&c.Digests, "digests", envBool("AMENDS_DIGESTS", true), "send each owner a weekly digest of their action items, Mondays at 08:00 server time (env AMENDS_DIGESTS)")
	fs.StringVar(&c.LogLevel, "log-level", env("AMENDS_LOG_LEVEL", "info"), "debug, info, warn or error (env AMENDS_LOG_LEVEL)")
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

func envDuration(name string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(name)); err == nil {
		return d
	}
	return def
}

func envBool(name string, def bool) bool {
	if b, err := strconv.ParseBool(os.Getenv(name)); err == nil {
		return b
	}
	return def
}

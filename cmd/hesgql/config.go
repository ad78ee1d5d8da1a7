package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/devdb"
)

// dbConfig is how to reach the database, shared by every subcommand.
type dbConfig struct {
	DSN              string
	Database         string
	DataDir          string
	StatementTimeout time.Duration
	CursorKey        string
	LogLevel         string
	LogFormat        string
	// Read replicas: registered by serve only (see registerReplicas).
	ReplicaDSN    string
	ReplicaMaxLag time.Duration
	ReplicaCheck  time.Duration
}

// registerReplicas registers the read-replica settings, which only serve
// uses: loads and migrations always go to the primary.
func (c *dbConfig) registerReplicas(s *settings) {
	s.fs.StringVar(&c.ReplicaDSN, "replica-dsn", s.env.getenv("HES_REPLICA_DSN"), "comma-separated DSNs of read replicas of HES_DSN; reads go to healthy ones [HES_REPLICA_DSN]")
	s.Duration(&c.ReplicaMaxLag, "replica-max-lag", "HES_REPLICA_MAX_LAG", db.DefaultReplicaMaxLag, "a replica further behind than this serves no reads [HES_REPLICA_MAX_LAG]")
	s.Duration(&c.ReplicaCheck, "replica-check-interval", "HES_REPLICA_CHECK_INTERVAL", db.DefaultReplicaCheckInterval, "how often replicas are checked [HES_REPLICA_CHECK_INTERVAL]")
}

func (c *dbConfig) register(s *settings) {
	fs, env := s.fs, s.env
	fs.StringVar(&c.DSN, "dsn", env.getenv("HES_DSN"), "MySQL/MariaDB DSN (go-sql-driver form); empty starts a private MariaDB under the data dir [HES_DSN]")
	fs.StringVar(&c.Database, "database", envOr(env, "HES_DATABASE", "hesgql"), "database to use on the private server [HES_DATABASE]")
	fs.StringVar(&c.DataDir, "data-dir", env.getenv("HES_DATA_DIR"), "where the private MariaDB keeps its files (default .data at the module root) [HES_DATA_DIR]")
	s.Duration(&c.StatementTimeout, "statement-timeout", "HES_STATEMENT_TIMEOUT", 10*time.Second, "server-side limit per SQL statement; 0 for none [HES_STATEMENT_TIMEOUT]")
	fs.StringVar(&c.CursorKey, "cursor-key", env.getenv("HES_CURSOR_KEY"), "secret that signs pagination cursors [HES_CURSOR_KEY]")
	s.Choice(&c.LogLevel, "log-level", "HES_LOG_LEVEL", "info", []string{"debug", "info", "warn", "error"}, "debug, info, warn or error [HES_LOG_LEVEL]")
	s.Choice(&c.LogFormat, "log-format", "HES_LOG_FORMAT", "text", []string{"text", "json"}, "text or json [HES_LOG_FORMAT]")
}

func (c *dbConfig) logger(w io.Writer) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.LogLevel)); err != nil {
		return nil, fmt.Errorf("log level: %w", err)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch c.LogFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("log format %q: want text or json", c.LogFormat)
}

// open connects to the configured database, starting the private server
// when no DSN is set, and applies migrations.
func (c *dbConfig) open(ctx context.Context, log *slog.Logger) (*db.DB, error) {
	dsn := c.DSN
	if dsn == "" {
		server, err := devdb.Ensure(ctx, devdb.Options{Dir: c.DataDir, Logger: log, Install: true})
		if err != nil {
			return nil, err
		}
		cfg, err := mysql.ParseDSN(server)
		if err != nil {
			return nil, err
		}
		cfg.DBName = c.Database
		dsn = cfg.FormatDSN()
	}
	if err := db.EnsureDatabase(ctx, dsn); err != nil {
		return nil, err
	}
	key := []byte(c.CursorKey)
	if len(key) == 0 {
		log.Warn("HES_CURSOR_KEY is not set: cursors are signed with a development key")
	}
	d, err := db.Open(ctx, dsn, db.Options{Logger: log, CursorKey: key, StatementTimeout: c.StatementTimeout,
		Replicas: splitList(c.ReplicaDSN), ReplicaMaxLag: c.ReplicaMaxLag, ReplicaCheckInterval: c.ReplicaCheck})
	if err != nil {
		return nil, err
	}
	if err := d.Migrate(ctx); err != nil {
		d.Close()
		return nil, err
	}
	return d, nil
}

func envOr(env *environment, name, def string) string {
	if v := env.getenv(name); v != "" {
		return v
	}
	return def
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// isTerminal reports whether f is an interactive terminal, for progress bars.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

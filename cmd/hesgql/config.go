package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
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
}

func (c *dbConfig) register(fs *flag.FlagSet, env *environment) {
	fs.StringVar(&c.DSN, "dsn", env.getenv("HES_DSN"), "MySQL/MariaDB DSN (go-sql-driver form); empty starts a private MariaDB under the data dir [HES_DSN]")
	fs.StringVar(&c.Database, "database", envOr(env, "HES_DATABASE", "hesgql"), "database to use on the private server [HES_DATABASE]")
	fs.StringVar(&c.DataDir, "data-dir", env.getenv("HES_DATA_DIR"), "where the private MariaDB keeps its files (default .data at the module root) [HES_DATA_DIR]")
	fs.DurationVar(&c.StatementTimeout, "statement-timeout", envDuration(env, "HES_STATEMENT_TIMEOUT", 10*time.Second), "server-side limit per SQL statement [HES_STATEMENT_TIMEOUT]")
	fs.StringVar(&c.CursorKey, "cursor-key", env.getenv("HES_CURSOR_KEY"), "secret that signs pagination cursors [HES_CURSOR_KEY]")
	fs.StringVar(&c.LogLevel, "log-level", envOr(env, "HES_LOG_LEVEL", "info"), "debug, info, warn or error [HES_LOG_LEVEL]")
	fs.StringVar(&c.LogFormat, "log-format", envOr(env, "HES_LOG_FORMAT", "text"), "text or json [HES_LOG_FORMAT]")
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
	d, err := db.Open(ctx, dsn, db.Options{Logger: log, CursorKey: key, StatementTimeout: c.StatementTimeout})
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

func envDuration(env *environment, name string, def time.Duration) time.Duration {
	if v := env.getenv(name); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			return d
		}
	}
	return def
}

func envInt(env *environment, name string, def int) int {
	if v := env.getenv(name); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func envBool(env *environment, name string) bool {
	b, _ := strconv.ParseBool(env.getenv(name))
	return b
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

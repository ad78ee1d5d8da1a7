// Package db is the only place that speaks SQL: it opens and migrates the
// MySQL/MariaDB store, loads HES extracts into it and answers the API's
// queries, building statements with squirrel.
package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-sql-driver/mysql"
)

// Flavor is the server family, which decides a few dialect details such as
// the statement time limit variable.
type Flavor int

// Server families.
const (
	FlavorMySQL Flavor = iota
	FlavorMariaDB
)

func (f Flavor) String() string {
	if f == FlavorMariaDB {
		return "MariaDB"
	}
	return "MySQL"
}

// Options configure Open.
type Options struct {
	Logger *slog.Logger
	// CursorKey signs pagination cursors; cursors made with another key are rejected.
	CursorKey []byte
	// StatementTimeout bounds each statement on the server (0 = no limit).
	StatementTimeout time.Duration
	// MaxOpenConns caps the connection pool (0 = 64), of the primary and
	// of each replica.
	MaxOpenConns int
	// Replicas are DSNs of read replicas of the primary (see replicas.go);
	// one that names no database reads the primary's database.
	Replicas []string
	// ReplicaMaxLag takes a replica further behind than this out of
	// rotation (0 = 30s).
	ReplicaMaxLag time.Duration
	// ReplicaCheckInterval is how often replicas are checked (0 = 1s).
	ReplicaCheckInterval time.Duration
	// StatisticsCacheSize bounds the tabulations kept in process
	// (0 = DefaultStatisticsCacheSize; negative = no cache).
	StatisticsCacheSize int
}

// DB is the HES store.
type DB struct {
	sql       *sql.DB
	killer    *sql.DB // KILL QUERY for statements whose context ended
	flavor    Flavor
	version   string
	log       *slog.Logger
	cursorKey []byte
	macs      sync.Pool // of hash.Hash keyed with cursorKey (keyset.go)
	stats     statementStats
	timeout   time.Duration // the pool's statement timeout (0 = none)
	agg       *aggregates   // published tables and the statistics cache
	primary   *backend      // d.sql and d.killer, as a read backend
	replicas  *replicaSet   // nil without replicas
}

// DevCursorKey signs cursors when no key is configured. It is public, so
// serve refuses it outside development mode.
const DevCursorKey = "hesgql-development-cursor-key"

// builder produces MySQL-style placeholders.
var builder = sq.StatementBuilder.PlaceholderFormat(sq.Question)

// Open connects to the database named in dsn (go-sql-driver format),
// detects the server flavour and applies the session settings the queries
// rely on. It does not migrate.
func Open(ctx context.Context, dsn string, opts Options) (*DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse DSN: %w", err)
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("the DSN names no database")
	}
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	cfg.Logger = newDriverLog(log)
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.InterpolateParams = true // one round trip per statement instead of prepare+execute+close
	cfg.MultiStatements = false
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	cfg.Params["time_zone"] = "'+00:00'"
	cfg.Params["sql_mode"] = "'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION,ONLY_FULL_GROUP_BY'"

	flavor, version, err := probe(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if opts.StatementTimeout > 0 {
		// Each flavour names its per-statement limit differently (GUIDE §3).
		if flavor == FlavorMariaDB {
			cfg.Params["max_statement_time"] = fmt.Sprintf("%.3f", opts.StatementTimeout.Seconds())
		} else {
			cfg.Params["max_execution_time"] = fmt.Sprint(opts.StatementTimeout.Milliseconds())
		}
	}
	pool, conn, err := openPool(cfg, opts.MaxOpenConns)
	if err != nil {
		return nil, err
	}
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	key := opts.CursorKey
	if len(key) == 0 {
		key = []byte(DevCursorKey)
	}
	killer := newKiller(conn)
	// Open the kill connection now, so that the first kill does not wait
	// for a handshake.
	if err := killer.PingContext(ctx); err != nil {
		pool.Close()
		killer.Close()
		return nil, fmt.Errorf("connect: %w", err)
	}
	d := &DB{sql: pool, killer: killer, flavor: flavor, version: version, log: log, cursorKey: key,
		primary: &backend{name: "primary", addr: cfg.Addr, pool: pool, killer: killer},
		timeout: opts.StatementTimeout, agg: newAggregates(opts.StatisticsCacheSize)}
	if len(opts.Replicas) > 0 {
		if d.replicas, err = openReplicas(d, cfg, opts); err != nil {
			d.Close()
			return nil, err
		}
	}
	return d, nil
}

// openPool makes the connection pool for cfg; each connection knows its
// server thread id, for KILL QUERY.
func openPool(cfg *mysql.Config, maxOpen int) (*sql.DB, driver.Connector, error) {
	cfg = cfg.Clone()
	cfg.DialFunc = dialSocket
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, nil, err
	}
	pool := sql.OpenDB(threadConnector{conn})
	if maxOpen <= 0 {
		maxOpen = 64
	}
	pool.SetMaxOpenConns(maxOpen)
	pool.SetMaxIdleConns(maxOpen)
	pool.SetConnMaxLifetime(30 * time.Minute)
	return pool, conn, nil
}

// probe opens one short-lived connection to learn the server flavour.
func probe(ctx context.Context, cfg *mysql.Config) (Flavor, string, error) {
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return 0, "", err
	}
	pool := sql.OpenDB(conn)
	defer pool.Close()
	var version string
	if err := pool.QueryRowContext(ctx, "SELECT VERSION()").Scan(&version); err != nil {
		return 0, "", fmt.Errorf("connect to database: %w", err)
	}
	if strings.Contains(strings.ToLower(version), "mariadb") {
		return FlavorMariaDB, version, nil
	}
	return FlavorMySQL, version, nil
}

// Close closes the connection pools.
func (d *DB) Close() error {
	var errs []error
	if d.replicas != nil {
		errs = append(errs, d.replicas.close())
	}
	return errors.Join(append(errs, d.sql.Close(), d.killer.Close())...)
}

// Flavor reports the server family.
func (d *DB) Flavor() Flavor { return d.flavor }

// Version reports the server's version string.
func (d *DB) Version() string { return d.version }

// Ping checks that the database answers.
func (d *DB) Ping(ctx context.Context) error { return d.sql.PingContext(ctx) }

// EnsureDatabase creates the database named in dsn if it does not exist,
// connecting without selecting it.
func EnsureDatabase(ctx context.Context, dsn string) error {
	return onServer(ctx, dsn, func(name string) string {
		return "CREATE DATABASE IF NOT EXISTS `" + name + "` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"
	})
}

// DropDatabase removes the database named in dsn; tests use it to clean up.
func DropDatabase(ctx context.Context, dsn string) error {
	return onServer(ctx, dsn, func(name string) string { return "DROP DATABASE IF EXISTS `" + name + "`" })
}

// onServer runs one statement about the database named in dsn, over a
// connection that selects no database (it may not exist yet).
func onServer(ctx context.Context, dsn string, statement func(name string) string) error {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return fmt.Errorf("parse DSN: %w", err)
	}
	name := cfg.DBName
	if name == "" {
		return fmt.Errorf("the DSN names no database")
	}
	if strings.ContainsAny(name, "`\x00") {
		return fmt.Errorf("invalid database name %q", name)
	}
	cfg.DBName = ""
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return err
	}
	pool := sql.OpenDB(conn)
	defer pool.Close()
	if _, err := pool.ExecContext(ctx, statement(name)); err != nil {
		return fmt.Errorf("database %s: %w", name, err)
	}
	return nil
}

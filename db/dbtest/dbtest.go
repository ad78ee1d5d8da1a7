// Package dbtest gives tests a real, freshly migrated MariaDB/MySQL database.
// It uses the server named by HES_TEST_DSN, or else the private server of
// internal/devdb (installing MariaDB when it must and may). It never skips: a
// test that needs a database fails loudly when none can be had.
package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/devdb"
)

// ServerDSN returns the DSN of the test server, with no database selected.
func ServerDSN(tb testing.TB) string {
	tb.Helper()
	if dsn := os.Getenv("HES_TEST_DSN"); dsn != "" {
		return dsn
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	dsn, err := devdb.Ensure(ctx, devdb.Options{Install: true, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))})
	if err != nil {
		tb.Fatalf("no test database server: %v (set HES_TEST_DSN to use an existing one)", err)
	}
	return dsn
}

// NewDSN creates an empty database for this test and returns its DSN; the
// database is dropped when the test ends.
func NewDSN(tb testing.TB) string {
	tb.Helper()
	cfg, err := mysql.ParseDSN(ServerDSN(tb))
	if err != nil {
		tb.Fatalf("parse test DSN: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	name := strings.ToLower(strings.NewReplacer("/", "_", " ", "_", "#", "_").Replace(tb.Name()))
	if len(name) > 30 {
		name = name[:30]
	}
	cfg.DBName = "t_" + name + "_" + hex.EncodeToString(b[:])
	dsn := cfg.FormatDSN()
	ctx := context.Background()
	if err := db.EnsureDatabase(ctx, dsn); err != nil {
		tb.Fatalf("create test database: %v", err)
	}
	tb.Cleanup(func() {
		if err := db.DropDatabase(context.Background(), dsn); err != nil {
			tb.Errorf("drop test database: %v", err)
		}
	})
	return dsn
}

// New returns a migrated store on a fresh database.
func New(tb testing.TB) *db.DB {
	tb.Helper()
	return Open(tb, NewDSN(tb))
}

// Open opens and migrates the database at dsn, closing it at cleanup.
func Open(tb testing.TB, dsn string) *db.DB {
	tb.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, dsn, db.Options{
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		CursorKey: []byte("test-cursor-key"),
	})
	if err != nil {
		tb.Fatalf("open test database: %v", err)
	}
	tb.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		tb.Fatalf("migrate test database: %v", err)
	}
	return d
}

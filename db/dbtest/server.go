package dbtest

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
)

// Timing of a cancellation test over a lock wait. Left alone, a statement
// waiting for a table lock notices that its client has gone only at the
// wait's next connection check, once a second from the start of the wait
// (MariaDB 10.11: a statement cancelled 200 ms in stayed 790-810 ms more).
// Cancelling just after the first check leaves it ~950 ms without a kill;
// a KILL QUERY ends it in 3-60 ms measured on a loaded machine, so the
// statement must be gone within KillWithin.
const (
	CancelAfter = 1050 * time.Millisecond
	KillWithin  = 600 * time.Millisecond
)

// LockTables holds LOCK TABLES locks (e.g. "episodes WRITE, patients
// WRITE") on the database of dsn from a connection of its own until the
// test ends, so that other statements on those tables wait. It returns a
// pool for watching the server with Running.
func LockTables(tb testing.TB, dsn, locks string) *sql.DB {
	tb.Helper()
	raw, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	conn, err := raw.Conn(context.Background())
	if err != nil {
		tb.Fatal(err)
	}
	// Cleanups run last-in first-out: unlock before the pool closes.
	tb.Cleanup(func() {
		_, _ = conn.ExecContext(context.Background(), "UNLOCK TABLES")
		conn.Close()
	})
	if _, err := conn.ExecContext(context.Background(), "LOCK TABLES "+locks); err != nil {
		tb.Fatal(err)
	}
	return raw
}

// Running lists the statements the server is executing on the database of
// dsn, other than the watcher's own, from information_schema.PROCESSLIST.
func Running(tb testing.TB, watch *sql.DB, dsn string) []string {
	tb.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatal(err)
	}
	return Strings(tb, watch, `SELECT INFO FROM information_schema.PROCESSLIST
		WHERE DB = ? AND COMMAND <> 'Sleep' AND INFO IS NOT NULL AND ID <> CONNECTION_ID()`, cfg.DBName)
}

// WaitRunning polls until some statement runs on the database of dsn and
// returns them, failing after limit.
func WaitRunning(tb testing.TB, watch *sql.DB, dsn string, limit time.Duration) []string {
	tb.Helper()
	start := time.Now()
	for {
		if got := Running(tb, watch, dsn); len(got) > 0 {
			return got
		}
		if time.Since(start) > limit {
			tb.Fatalf("no statement started on the server within %v", limit)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// WaitIdle polls until no statement runs on the database of dsn and
// returns how long that took, failing after limit.
func WaitIdle(tb testing.TB, watch *sql.DB, dsn string, limit time.Duration) time.Duration {
	tb.Helper()
	start := time.Now()
	for {
		got := Running(tb, watch, dsn)
		if len(got) == 0 {
			return time.Since(start)
		}
		if time.Since(start) > limit {
			tb.Fatalf("%v on, the server still runs %q", limit, got)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

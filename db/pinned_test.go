package db_test

import (
	"context"
	"database/sql"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
)

// A caller that gives up gets its answer at once even when the statement
// cannot be killed: its socket is closed, as go-sql-driver's own
// cancellation would. Without that, it would wait for the table lock.
func TestCancelledCallerReturnsWithoutTheKill(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	db.BreakKillerForTest(d)
	watch := dbtest.LockTables(t, dsn, "episodes WRITE")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := d.EpisodeCount(ctx); done <- err }()
	dbtest.WaitRunning(t, watch, dsn, 5*time.Second)
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want the context's cancellation", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the caller still waits for the locked table 5 s after its cancellation")
	}
}

// The API's reads start no goroutine per statement: cancellation is
// watched once per connection taken (pinOn), not by database/sql and the
// driver per statement, whose hand-offs cost more CPU than the statement's
// own work on a small read.
func TestReadStartsNoGoroutinePerStatement(t *testing.T) {
	d := dbtest.New(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	scan := func(during *int) func(*sql.Rows) error {
		return func(r *sql.Rows) error {
			*during = runtime.NumGoroutine()
			var one int
			return r.Scan(&one)
		}
	}
	var warm, during int
	// The first read opens the connection, and with it the driver's
	// watcher, which lives as long as the connection.
	if err := db.ScanForTest(ctx, d, "SELECT 1", scan(&warm)); err != nil {
		t.Fatal(err)
	}
	before := settledGoroutines()
	if err := db.ScanForTest(ctx, d, "SELECT 1", scan(&during)); err != nil {
		t.Fatal(err)
	}
	if during > before {
		t.Errorf("%d goroutines while the rows were read, %d before the statement", during, before)
	}
}

// settledGoroutines waits for goroutines ending after the last statement
// to be gone and returns how many remain.
func settledGoroutines() int {
	n := runtime.NumGoroutine()
	for range 50 {
		time.Sleep(10 * time.Millisecond)
		m := runtime.NumGoroutine()
		if m == n {
			break
		}
		n = m
	}
	return n
}

package db_test

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
)

// A statement whose caller gives up is stopped on the server at once, and
// the pool it came from stays sound. go-sql-driver's own cancellation only
// closes the socket: a waiting statement then lingers until the server's
// next connection check, a computing one runs to its end.
func TestCancelledStatementIsKilled(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	watch := dbtest.LockTables(t, dsn, "episodes WRITE")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { _, err := d.EpisodeCount(ctx); done <- err }()
	dbtest.WaitRunning(t, watch, dsn, 5*time.Second)
	time.Sleep(dbtest.CancelAfter)
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want the context's cancellation", err)
	}
	took := dbtest.WaitIdle(t, watch, dsn, dbtest.KillWithin)
	t.Logf("statement gone %v after cancellation", took)
}

// Kills that race with the end of their statements never reach a later
// caller's statement: a connection whose kill may still land is not reused.
func TestCancellationDoesNotLeakIntoThePool(t *testing.T) {
	d := dbtest.New(t)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := range 40 {
				ctx, cancel := context.WithTimeout(context.Background(), time.Duration(rand.IntN(3000))*time.Microsecond)
				_, _ = d.EpisodeCount(ctx)
				cancel()
				if _, err := d.EpisodeCount(context.Background()); err != nil {
					t.Errorf("worker %d, round %d: a statement after a cancelled one failed: %v", i, j, err)
					return
				}
			}
		}()
	}
	wg.Wait()
}

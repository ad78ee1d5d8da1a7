package app_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/devdb"
)

// Reads go to a real GTID replica while it is healthy and holds the
// primary's latest data release; a replica behind on releases, or stopped,
// is left for the primary without failing requests, and is used again
// once it has caught up or been started again.
func TestReadReplicaRoutingAndFailover(t *testing.T) {
	ctx := context.Background()
	begun := time.Now()
	pair, err := devdb.StartReplicated(ctx, t.TempDir(), devdb.Options{Install: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pair.Close() })
	primaryDSN := pair.Primary.DSN("hesgql")
	if err := db.EnsureDatabase(ctx, primaryDSN); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, primaryDSN, db.Options{
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		CursorKey: []byte("replica-test-key"), Replicas: []string{pair.Replica.DSN("")},
		ReplicaCheckInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	if err := d.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	srv := apptest.Start(t, d, app.Options{})
	replica := func() db.BackendState { return d.Backends()[1] }
	primary := func() db.BackendState { return d.Backends()[0] }
	waitFor := func(what string, ok func(db.BackendState) bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(replica()); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("replica never %s: %+v", what, replica())
			}
		}
	}
	inRotation := func(b db.BackendState) bool { return b.InRotation && b.Release == primary().Release }
	const releasesQuery = `{ dataReleases { id } }`
	releases := func() []string {
		t.Helper()
		var out struct{ DataReleases []struct{ ID string } }
		srv.Query(t, releasesQuery, nil, &out)
		var ids []string
		for _, r := range out.DataReleases {
			ids = append(ids, r.ID)
		}
		return ids
	}

	// 1. A load on the primary is read through the replica.
	apptest.LoadGenerated(t, d, 300, 1)
	waitFor("took the first release", inRotation)
	before, beforePrimary := replica().Reads, primary().Reads
	for range 10 {
		if got := releases(); len(got) != 1 {
			t.Fatalf("releases = %v, want the one loaded", got)
		}
	}
	if n := replica().Reads - before; n < 10 {
		t.Errorf("the replica served %d of 10 reads", n)
	}
	if n := primary().Reads - beforePrimary; n != 0 {
		t.Errorf("the primary served %d reads while the replica was in rotation", n)
	}
	body := get(t, srv.URL+"/readyz")
	if !strings.Contains(body, "replica1 "+replica().Addr+" in-rotation lag=0s") {
		t.Errorf("/readyz does not show the replica in rotation:\n%s", body)
	}
	if m := get(t, srv.URL+"/metrics"); !strings.Contains(m, `hesgql_db_backend_in_rotation{addr="`+replica().Addr+`",backend="replica1"} 1`) ||
		!strings.Contains(m, "hesgql_db_replica_lag_seconds{") {
		t.Errorf("/metrics lacks the replica's state")
	}

	// 2. A release the replica has not applied is never read from it: hold
	// its SQL thread with a read lock, load, and every read goes to the
	// primary until the lock goes.
	lock := lockReplica(t, pair.Replica.DSN(""))
	apptest.LoadGenerated(t, d, 50, 2)
	before = replica().Reads
	for range 10 {
		if got := releases(); len(got) != 2 {
			t.Fatalf("releases = %v: a reader saw a replica without the new release", got)
		}
	}
	if n := replica().Reads - before; n != 0 {
		t.Errorf("the replica behind on releases served %d reads", n)
	}
	if body := get(t, srv.URL+"/readyz"); !strings.Contains(body, "replica1 "+replica().Addr+" out-of-rotation") ||
		!strings.Contains(body, "has data release") {
		t.Errorf("/readyz does not show the replica behind:\n%s", body)
	}
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	waitFor("caught up with the second release", inRotation)

	// 3. Stop the replica under traffic, then start it again.
	var (
		stop       atomic.Bool
		wg         sync.WaitGroup
		mu         sync.Mutex
		ok, failed int
		failures   []string
	)
	const workers = 4
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				status, codes := postCodes(srv.URL, srv.Token(t, []model.Role{model.RoleResearcher}),
					`{ dataReleases { id } episodes(first: 5) { edges { node { episodeKey } } } }`)
				mu.Lock()
				if status == http.StatusOK && codes == "" {
					ok++
				} else {
					failed++
					failures = append(failures, http.StatusText(status)+" "+codes)
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(300 * time.Millisecond)
	if err := pair.Replica.Stop(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("left rotation", func(b db.BackendState) bool { return !b.InRotation })
	beforePrimary = primary().Reads
	time.Sleep(500 * time.Millisecond)
	if n := primary().Reads - beforePrimary; n == 0 {
		t.Error("the primary served no reads with the replica stopped")
	}
	if err := pair.Replica.Start(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor("came back", inRotation)
	before = replica().Reads
	time.Sleep(300 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if n := replica().Reads - before; n == 0 {
		t.Error("the replica serves no reads after it came back")
	}
	t.Logf("traffic: %d answered, %d failed %v; whole test %s", ok, failed, failures, time.Since(begun))
	for _, f := range failures {
		if !strings.HasSuffix(f, " UNAVAILABLE") {
			t.Errorf("a request failed without the retryable code: %s", f)
		}
	}
	if failed > workers {
		t.Errorf("%d requests failed; only the %d in flight when the replica stopped may", failed, workers)
	}
	if ok == 0 {
		t.Error("no traffic answered")
	}

	// 4. A replica further behind than the allowed lag leaves rotation and
	// returns once it catches up: a process allowing 1 s watches while the
	// replica's SQL thread is held behind a write that is not a release.
	strict, err := db.Open(ctx, primaryDSN, db.Options{
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
		CursorKey: []byte("replica-test-key"), Replicas: []string{pair.Replica.DSN("")},
		ReplicaMaxLag: time.Second, ReplicaCheckInterval: 100 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer strict.Close()
	watch := func(what string, ok func(db.BackendState) bool) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); !ok(strict.Backends()[1]); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("replica never %s: %+v", what, strict.Backends()[1])
			}
		}
	}
	watch("in rotation for the strict process", func(b db.BackendState) bool { return b.InRotation })
	lock = lockReplica(t, pair.Replica.DSN(""))
	if _, err := rawExec(t, pair.Primary.DSN("hesgql"), "CREATE TABLE lag_probe (id INT PRIMARY KEY)"); err != nil {
		t.Fatal(err)
	}
	watch("left rotation for lag", func(b db.BackendState) bool {
		return !b.InRotation && strings.Contains(b.Reason, "lag") && b.Lag > time.Second
	})
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	watch("came back after catching up", func(b db.BackendState) bool { return b.InRotation && b.Lag <= time.Second })
}

// rawExec runs one statement on the server at dsn, outside the store.
func rawExec(t *testing.T, dsn, stmt string) (sql.Result, error) {
	t.Helper()
	pool, err := rawPool(dsn)
	if err != nil {
		return nil, err
	}
	defer pool.Close()
	return pool.ExecContext(context.Background(), stmt)
}

// rawPool opens a pool on the server at dsn, outside the store.
func rawPool(dsn string) (*sql.DB, error) {
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, err
	}
	return sql.OpenDB(conn), nil
}

// lockReplica holds a global read lock on the replica, which stops its SQL
// thread applying events (it stays running) until UNLOCK TABLES.
func lockReplica(t *testing.T, dsn string) *sql.Conn {
	t.Helper()
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := mysql.NewConnector(cfg)
	if err != nil {
		t.Fatal(err)
	}
	pool := sql.OpenDB(conn)
	t.Cleanup(func() { pool.Close() })
	c, err := pool.Conn(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if _, err := c.ExecContext(context.Background(), "FLUSH TABLES WITH READ LOCK"); err != nil {
		t.Fatal(err)
	}
	return c
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}

// postCodes sends a GraphQL query and returns the status and the error codes
// (space separated, "" for none); a transport failure is status 0.
func postCodes(url, token, query string) (int, string) {
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, url+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "transport: " + err.Error()
	}
	defer resp.Body.Close()
	var out struct{ Errors []apptest.Error }
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		return resp.StatusCode, "undecodable"
	}
	var codes []string
	for _, e := range out.Errors {
		codes = append(codes, e.Code())
	}
	return resp.StatusCode, strings.Join(codes, " ")
}

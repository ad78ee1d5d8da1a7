//go:build ha

package app_test

import (
	"context"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/devdb"
)

// TestHAGalera is the high-availability check (go test -tags ha): a
// three-node MariaDB Galera Cluster, hesgql writing through node 1 and
// reading from nodes 2 and 3; node 3 is killed under traffic and rejoins.
// No row is lost, no request fails but those in flight on the killed node
// (with UNAVAILABLE), and the rejoined node serves again.
func TestHAGalera(t *testing.T) {
	ctx := context.Background()
	begun := time.Now()
	g, err := devdb.StartGalera(ctx, devdb.GaleraDir(t), 3, devdb.Options{Install: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { g.Close() })
	clusterUp := time.Since(begun)
	primaryDSN := g.Nodes[0].DSN("hesgql")
	if err := db.EnsureDatabase(ctx, primaryDSN); err != nil {
		t.Fatal(err)
	}
	d, err := db.Open(ctx, primaryDSN, db.Options{
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		CursorKey: []byte("ha-test-key"), Replicas: []string{g.Nodes[1].DSN(""), g.Nodes[2].DSN("")},
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
	const episodes = 5000
	loadBegun := time.Now()
	apptest.LoadGenerated(t, d, episodes, 1)
	loadTook := time.Since(loadBegun)
	node := func(i int) db.BackendState { return d.Backends()[i] }
	waitFor := func(i int, what string, ok func(db.BackendState) bool) time.Duration {
		t.Helper()
		start := time.Now()
		for deadline := start.Add(60 * time.Second); !ok(node(i)); time.Sleep(20 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("node %d never %s: %+v", i+1, what, node(i))
			}
		}
		return time.Since(start)
	}
	serving := func(b db.BackendState) bool { return b.InRotation && b.Release == node(0).Release }
	waitFor(1, "served", serving)
	waitFor(2, "served", serving)

	var (
		stop       atomic.Bool
		wg         sync.WaitGroup
		mu         sync.Mutex
		ok, failed int
		failures   []string
	)
	const workers = 4
	token := srv.Token(t, []model.Role{model.RoleResearcher})
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				status, codes := postCodes(srv.URL, token,
					`{ dataReleases { id } episodes(first: 5) { edges { node { episodeKey } } } statistics(groupBy: [FINANCIAL_YEAR]) { rows { keys } } }`)
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
	time.Sleep(500 * time.Millisecond)
	before := node(2).Reads
	if before == 0 {
		t.Error("node 3 served no reads before it was killed")
	}
	if err := g.Nodes[2].Kill(); err != nil {
		t.Fatal(err)
	}
	outAfter := waitFor(2, "left rotation", func(b db.BackendState) bool { return !b.InRotation })
	time.Sleep(time.Second)
	rejoinBegun := time.Now()
	if err := g.Rejoin(ctx, g.Nodes[2]); err != nil {
		t.Fatal(err)
	}
	waitFor(2, "came back", serving)
	rejoined := time.Since(rejoinBegun)
	back := node(2).Reads
	time.Sleep(500 * time.Millisecond)
	stop.Store(true)
	wg.Wait()
	if node(2).Reads == back {
		t.Error("node 3 serves no reads after it rejoined")
	}
	for _, f := range failures {
		if !strings.HasSuffix(f, " UNAVAILABLE") {
			t.Errorf("a request failed without the retryable code: %s", f)
		}
	}
	if failed > workers {
		t.Errorf("%d requests failed; only the %d in flight when the node died may", failed, workers)
	}
	// No lost rows: every node holds every episode loaded.
	for i, n := range g.Nodes {
		var got int
		if err := rawQueryRow(t, n.DSN("hesgql"), "SELECT COUNT(*) FROM episodes", &got); err != nil {
			t.Fatal(err)
		}
		if got != episodes {
			t.Errorf("node %d holds %d episodes, want %d", i+1, got, episodes)
		}
	}
	t.Logf("cluster up %s; load of %d episodes through node 1 %s; node 3 out of rotation %s after SIGKILL; rejoined and serving %s after restart; traffic %d answered, %d failed %v; whole test %s",
		clusterUp.Round(time.Millisecond), episodes, loadTook.Round(time.Millisecond), outAfter.Round(time.Millisecond),
		rejoined.Round(time.Millisecond), ok, failed, failures, time.Since(begun).Round(time.Millisecond))
}

// rawQueryRow reads one row from the server at dsn, outside the store.
func rawQueryRow(t *testing.T, dsn, query string, dest ...any) error {
	t.Helper()
	res, err := rawPool(dsn)
	if err != nil {
		return err
	}
	defer res.Close()
	return res.QueryRowContext(context.Background(), query).Scan(dest...)
}

package db_test

import (
	"context"
	"database/sql"
	"slices"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
)

// The deferred indexes of different tables are built at the same time:
// while the build of episodes waits (here on a table lock another session
// holds), the indexes of diagnoses are built, and once the lock goes
// every index is back and no record is left.
func TestRestoreIndexesBuildsTablesConcurrently(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	ctx := context.Background()
	raw, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	// While the ALTER of episodes waits for its lock, reading the metadata
	// of episodes, or of patients (whose ALTER waits too, episodes
	// referring to it), would wait behind it, so the watch names diagnoses
	// alone.
	indexes := func(tables string) []string {
		return dbtest.Strings(t, raw, `SELECT DISTINCT CONCAT(TABLE_NAME, '.', INDEX_NAME) FROM information_schema.STATISTICS
			WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME IN (`+tables+`) ORDER BY 1`)
	}
	const all, others = "'patients', 'episodes', 'diagnoses', 'procedures'", "'diagnoses'"
	want := indexes(all)
	if deferred, err := d.DeferIndexes(ctx); err != nil || !deferred {
		t.Fatalf("DeferIndexes = %v, %v", deferred, err)
	}
	if got := indexes(all); slices.Contains(got, "diagnoses.diagnoses_code") || slices.Contains(got, "episodes.episodes_fyear") {
		t.Fatalf("indexes not deferred: %v", got)
	}

	lock, err := raw.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if _, err := lock.ExecContext(ctx, "LOCK TABLES episodes READ"); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- d.RestoreIndexes(ctx) }()
	built := []string{"diagnoses.diagnoses_code"}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := indexes(others)
		if !slices.ContainsFunc(built, func(x string) bool { return !slices.Contains(got, x) }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("while episodes waited, diagnoses was not built: %v", got)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if _, err := lock.ExecContext(ctx, "UNLOCK TABLES"); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := indexes(all); !slices.Equal(got, want) {
		t.Errorf("indexes after the restore:\n got %v\nwant %v", got, want)
	}
	var left int
	if err := raw.QueryRow("SELECT COUNT(*) FROM deferred_indexes").Scan(&left); err != nil || left != 0 {
		t.Errorf("%d deferred index records left, %v", left, err)
	}
}

package load_test

import (
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/load"
)

// indexSet lists the indexes of the clinical tables with their columns.
func indexSet(t *testing.T, dsn string) []string {
	t.Helper()
	return queryStrings(t, dsn, `SELECT CONCAT(TABLE_NAME, '.', INDEX_NAME, '(', GROUP_CONCAT(COLUMN_NAME ORDER BY SEQ_IN_INDEX), ')', NON_UNIQUE)
		FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = DATABASE()
		AND TABLE_NAME IN ('patients', 'episodes', 'diagnoses', 'procedures') GROUP BY TABLE_NAME, INDEX_NAME, NON_UNIQUE ORDER BY 1`)
}

// A first load into an empty store that defers its indexes ends with the
// same indexes and the same data as one that maintains them.
func TestBulkLoadDefersAndRebuildsIndexes(t *testing.T) {
	plainDSN := dbtest.NewDSN(t)
	plain := dbtest.Open(t, plainDSN)
	if _, err := load.File(context.Background(), plain, samplePath, load.Options{BulkBytes: -1, RejectsPath: filepath.Join(t.TempDir(), "r.csv")}); err != nil {
		t.Fatal(err)
	}
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	want := indexSet(t, dsn)
	if len(want) < 15 {
		t.Fatalf("only %d indexes: %v", len(want), want)
	}
	sum, err := load.File(context.Background(), d, samplePath, load.Options{BulkBytes: 1, RejectsPath: filepath.Join(t.TempDir(), "r.csv")})
	if err != nil || sum.Loaded != 1384 {
		t.Fatalf("bulk load: %+v %v", sum, err)
	}
	if got := indexSet(t, dsn); !slices.Equal(got, want) {
		t.Errorf("indexes after a bulk load:\n got %v\nwant %v", got, want)
	}
	if a, b := fingerprint(t, plainDSN), fingerprint(t, dsn); !maps.Equal(a, b) {
		t.Errorf("bulk load stored other data:\nplain %v\nbulk  %v", a, b)
	}
	if left := queryStrings(t, dsn, "SELECT index_name FROM deferred_indexes"); len(left) != 0 {
		t.Errorf("deferred indexes left recorded: %v", left)
	}

	// The store is no longer empty: a second load keeps its indexes.
	deferred, err := d.DeferIndexes(context.Background())
	if err != nil || deferred {
		t.Errorf("DeferIndexes on a full store = %v, %v; want false", deferred, err)
	}
}

// A bulk load that fails, or is killed between dropping and rebuilding the
// indexes, leaves them rebuilt: at once on failure, by the next migrate
// after a kill.
func TestBulkLoadIndexesSurviveFailureAndKill(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	want := indexSet(t, dsn)

	var b strings.Builder
	b.WriteString("EPIKEY|PSEUDO_HESID|FYEAR|EPISTART\n")
	for i := 0; i < 3000; i++ {
		fmt.Fprintf(&b, "2000000%05d|P%d|0102|2001-04-01\n", i, i%700)
	}
	r := io.MultiReader(strings.NewReader(b.String()), errReader{})
	if _, err := load.Stream(context.Background(), d, "broken.txt", r, 1<<30, load.Options{BatchSize: 500, BulkBytes: 1}); err == nil {
		t.Fatal("want an error from the broken stream")
	}
	if got := indexSet(t, dsn); !slices.Equal(got, want) {
		t.Errorf("indexes after a failed bulk load:\n got %v\nwant %v", got, want)
	}

	// A kill after the drop: the indexes are missing until the next migrate.
	deferred, err := d.DeferIndexes(context.Background())
	if err != nil || !deferred {
		t.Fatalf("DeferIndexes on an empty store = %v, %v", deferred, err)
	}
	missing := indexSet(t, dsn)
	if len(missing) >= len(want) || len(queryStrings(t, dsn, "SELECT index_name FROM deferred_indexes")) != len(want)-len(missing) {
		t.Fatalf("after the drop %d of %d indexes, recorded %v", len(missing), len(want), queryStrings(t, dsn, "SELECT index_name FROM deferred_indexes"))
	}
	if err := d.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := indexSet(t, dsn); !slices.Equal(got, want) {
		t.Errorf("indexes after migrate:\n got %v\nwant %v", got, want)
	}
}

// In a first load the episodes already written are known without looking
// them up: an EPIKEY repeated in a later batch still replaces its episode.
func TestFirstLoadRepeatedKeyAcrossBatches(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	body := "EPIKEY|PSEUDO_HESID|FYEAR|EPISTART|DIAG_4_01|DIAG_4_02\n" +
		"100000000001|P1|0102|2001-04-01|L400|I10X\n" +
		"100000000002|P2|0102|2001-04-02|L400|\n" +
		"100000000003|P3|0102|2001-04-03|L400|\n" +
		"100000000001|P1|0102|2001-05-01|L209|\n"
	sum, err := load.Stream(context.Background(), d, "repeat.txt", strings.NewReader(body), 0, load.Options{BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 4 || sum.Updated != 1 {
		t.Errorf("summary %+v, want loaded 4 updated 1", sum)
	}
	if got := queryStrings(t, dsn, "SELECT CONCAT(e.epikey, ' ', e.epistart, ' ', GROUP_CONCAT(x.code ORDER BY x.position)) FROM episodes e JOIN diagnoses x ON x.episode_id = e.id GROUP BY e.id, e.epikey, e.epistart ORDER BY e.epikey"); !slices.Equal(got, []string{
		"100000000001 2001-05-01 L209", "100000000002 2001-04-02 L400", "100000000003 2001-04-03 L400"}) {
		t.Errorf("stored %v", got)
	}
}

package load_test

import (
	"context"
	"io"
	"maps"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/load"
)

// codeRows repeat an EPIKEY in a later batch with other diagnoses and
// procedures, and give episodes of every batch codes of both kinds.
const codeRows = "EPIKEY|PSEUDO_HESID|FYEAR|EPISTART|DIAG_4_01|DIAG_4_02|OPERTN_4_01|OPDATE_01\n" +
	"400000000001|CA|1920|2019-05-01|L400||S061|2019-05-01\n" +
	"400000000002|CB|1920|2019-05-02|L409|C443||\n" +
	"400000000003|CA|1920|2019-05-03|C430||S062|2019-05-03\n" +
	"400000000001|CA|1920|2019-05-01|L401|L402||\n" +
	"400000000004|CC|1920|2019-05-04|||S063|\n" +
	"400000000002|CB|1920|2019-05-02|L409|C443|S064|2019-05-02\n"

// loadFresh loads rows, in batches of two, into a new database: as the
// first load of a large file (bulk) or one that keeps its indexes. plant
// are statements run on the new database first, with foreign key checks
// off.
func loadFresh(t *testing.T, rows string, bulk bool, progress io.Writer, plant ...string) (string, *db.DB, load.Summary) {
	t.Helper()
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	if len(plant) > 0 {
		dbtest.ExecUnchecked(t, dsn, plant...)
	}
	size, bulkBytes := int64(0), int64(-1)
	if bulk {
		size, bulkBytes = 1<<30, 1
	}
	sum, err := load.Stream(context.Background(), d, "rows.txt", strings.NewReader(rows), size,
		load.Options{BulkBytes: bulkBytes, BatchSize: 2, RejectsPath: filepath.Join(t.TempDir(), "r.csv"), Progress: progress})
	if err != nil {
		t.Fatal(err)
	}
	return dsn, d, sum
}

// sameData fails the test unless the databases at want and got store the
// same data.
func sameData(t *testing.T, want, got string) map[string]string {
	t.Helper()
	w, g := fingerprint(t, want), fingerprint(t, got)
	if !maps.Equal(g, w) {
		t.Errorf("stored other data:\nwant %v\ngot  %v", w, g)
	}
	return w
}

// A bulk load writes its codes on a connection of its own, ahead of its
// episodes' commit: what it stores is what a load on one connection
// stores, repeated EPIKEYs whose codes change included.
func TestBulkLoadCodesMatchPlainLoad(t *testing.T) {
	plain, _, _ := loadFresh(t, codeRows, false, nil)
	bulk, _, sum := loadFresh(t, codeRows, true, nil)
	if sum.Loaded != 6 || sum.Updated != 2 {
		t.Errorf("loaded %d, updated %d; want 6 and 2", sum.Loaded, sum.Updated)
	}
	want := sameData(t, plain, bulk)
	// 01's later diagnoses replace its earlier ones and its procedure;
	// 02's later row adds one.
	if !strings.HasPrefix(want["diagnoses"], "5 rows,") || !strings.HasPrefix(want["procedures"], "3 rows,") {
		t.Errorf("crafted rows: diagnoses %s, procedures %s; want 5 and 3", want["diagnoses"], want["procedures"])
	}
}

// Codes left without episodes in a store that holds none, as a bulk load
// whose episodes' commit failed after its codes' leaves them, are cleared
// by the next load: they would otherwise collide with its codes.
func TestLoadClearsOrphanCodes(t *testing.T) {
	clean, _, _ := loadFresh(t, codeRows, true, nil)
	orphaned, _, _ := loadFresh(t, codeRows, true, nil,
		"INSERT INTO diagnoses (episode_id, position, code, classification) VALUES (1, 1, 'Z999', 'ICD10'), (7, 1, 'Z998', 'ICD10')",
		"INSERT INTO procedures (episode_id, position, code) VALUES (1, 1, 'X999')")
	sameData(t, clean, orphaned)
}

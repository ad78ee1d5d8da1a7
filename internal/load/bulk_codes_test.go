package load_test

import (
	"context"
	"maps"
	"path/filepath"
	"strings"
	"testing"

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

// A bulk load writes its codes on a connection of its own, ahead of its
// episodes' commit: what it stores is what a load on one connection
// stores, repeated EPIKEYs whose codes change included.
func TestBulkLoadCodesMatchPlainLoad(t *testing.T) {
	ctx := context.Background()
	plainDSN := dbtest.NewDSN(t)
	plain := dbtest.Open(t, plainDSN)
	if _, err := load.Stream(ctx, plain, "codes.txt", strings.NewReader(codeRows), 0,
		load.Options{BulkBytes: -1, BatchSize: 2, RejectsPath: filepath.Join(t.TempDir(), "r.csv")}); err != nil {
		t.Fatal(err)
	}
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	sum, err := load.Stream(ctx, d, "codes.txt", strings.NewReader(codeRows), 1<<30,
		load.Options{BulkBytes: 1, BatchSize: 2, RejectsPath: filepath.Join(t.TempDir(), "r.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 6 || sum.Updated != 2 {
		t.Errorf("loaded %d, updated %d; want 6 and 2", sum.Loaded, sum.Updated)
	}
	want, got := fingerprint(t, plainDSN), fingerprint(t, dsn)
	if !maps.Equal(got, want) {
		t.Errorf("bulk load stored other data:\nplain %v\nbulk  %v", want, got)
	}
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
	ctx := context.Background()
	cleanDSN := dbtest.NewDSN(t)
	clean := dbtest.Open(t, cleanDSN)
	if _, err := load.Stream(ctx, clean, "codes.txt", strings.NewReader(codeRows), 1<<30,
		load.Options{BulkBytes: 1, BatchSize: 2, RejectsPath: filepath.Join(t.TempDir(), "r.csv")}); err != nil {
		t.Fatal(err)
	}
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	dbtest.ExecUnchecked(t, dsn,
		"INSERT INTO diagnoses (episode_id, position, code, classification) VALUES (1, 1, 'Z999', 'ICD10'), (7, 1, 'Z998', 'ICD10')",
		"INSERT INTO procedures (episode_id, position, code) VALUES (1, 1, 'X999')")
	if _, err := load.Stream(ctx, d, "codes.txt", strings.NewReader(codeRows), 1<<30,
		load.Options{BulkBytes: 1, BatchSize: 2, RejectsPath: filepath.Join(t.TempDir(), "r.csv")}); err != nil {
		t.Fatal(err)
	}
	if want, got := fingerprint(t, cleanDSN), fingerprint(t, dsn); !maps.Equal(got, want) {
		t.Errorf("load after orphan codes stored other data:\nclean %v\ngot   %v", want, got)
	}
}

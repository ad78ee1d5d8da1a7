package load_test

import (
	"context"
	"database/sql"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/load"
)

const craftedPath = "../../testdata/crafted_rows.csv"

// craftedColumns counts the warnings testdata/crafted_rows.csv must give,
// one per broken field.
var craftedColumns = map[string]int{
	"ADMIDATE": 2, "EPISTART": 1, "OPDATE_02": 1, "DOB": 2, "STARTAGE": 2, "EPIDUR": 1, "SPELDUR": 1,
	"NEWNHSNO": 2, "DIAG_4_01": 1, "DIAG_4_02": 1, "DIAG_4_03": 1, "OPERTN_4_01": 1, "MYDOB": 2, "EPIORDER": 1,
}

// restrictedInCrafted are the restricted values of the fixture, valid and
// invalid: none may reach the quality report.
var restrictedInCrafted = []string{"9434765919", "9434765918", "12345", "1968-04-15", "1968-04-31", "1968-02-30",
	"041968", "131968", "001968", "LS6", "4ZZ", "ZZ99"}

func queryStrings(t *testing.T, dsn, q string) []string {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	return dbtest.Strings(t, conn, q)
}

func TestLoadCraftedRows(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	dir := t.TempDir()
	sum, err := load.File(context.Background(), d, craftedPath, load.Options{RejectsPath: filepath.Join(dir, "rejects.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Read != 24 || sum.Loaded != 18 || sum.Rejected != 6 {
		t.Errorf("read %d loaded %d rejected %d, want 24, 18, 6", sum.Read, sum.Loaded, sum.Rejected)
	}
	if !maps.Equal(sum.Warnings, craftedColumns) {
		t.Errorf("warnings %v, want %v", sum.Warnings, craftedColumns)
	}

	// Every row with a usable EPIKEY, patient and FYEAR is an episode.
	keys := queryStrings(t, dsn, "SELECT epikey FROM episodes ORDER BY epikey")
	var want []string
	for _, n := range []string{"01", "02", "03", "04", "05", "10", "11", "12", "13", "14", "15", "16", "17", "18", "19", "21", "22", "23"} {
		want = append(want, "9000000000"+n)
	}
	if !slices.Equal(keys, want) {
		t.Errorf("episodes %v, want %v", keys, want)
	}
	// Invalid codes are not stored; the valid ones beside them are.
	codes := queryStrings(t, dsn, "SELECT code FROM diagnoses UNION ALL SELECT code FROM procedures")
	for _, c := range codes {
		if c != "L400" && c != "I10X" && c != "S068" {
			t.Errorf("stored code %q", c)
		}
	}
	if n := len(queryStrings(t, dsn, "SELECT 1 FROM diagnoses WHERE code = 'I10X'")); n != 17 {
		t.Errorf("%d I10X diagnoses, want 17 (all but the row whose DIAG_4_02 is broken)", n)
	}

	// The quality report: one line per problem, naming its column, never a
	// restricted value, private to its owner.
	if sum.WarningsPath != filepath.Join(dir, "crafted_rows.csv.warnings.csv") {
		t.Errorf("quality report at %q", sum.WarningsPath)
	}
	st, err := os.Stat(sum.WarningsPath)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("quality report mode %v, want 0600", st.Mode().Perm())
	}
	rows := readCSV(t, sum.WarningsPath)
	if !slices.Equal(rows[0], []string{"line", "epikey", "column", "rule", "value"}) {
		t.Errorf("header %v", rows[0])
	}
	got := map[string]int{}
	for _, r := range rows[1:] {
		got[r[2]]++
		if r[0] == "" || r[1] == "" || r[3] == "" {
			t.Errorf("incomplete warning %v", r)
		}
	}
	if !maps.Equal(got, craftedColumns) {
		t.Errorf("report has %v, want %v", got, craftedColumns)
	}
	raw, err := os.ReadFile(sum.WarningsPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range restrictedInCrafted {
		if strings.Contains(string(raw), v) {
			t.Errorf("quality report holds restricted value %q", v)
		}
	}

	// The release carries the counts.
	rels, err := d.DataReleases(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	byCol := map[string]int{}
	for _, w := range rels[0].Warnings {
		byCol[w.Column] = w.Count
	}
	if !maps.Equal(byCol, craftedColumns) || rels[0].WarningCount != 19 || rels[0].RowsRejected != 6 {
		t.Errorf("release warnings %v (total %d)", byCol, rels[0].WarningCount)
	}
}

// --strict rejects what loads used to reject: every crafted row with any
// problem. The expected lines were found by running the reader as it was
// before field problems became warnings.
func TestLoadCraftedRowsStrict(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	rejects := filepath.Join(t.TempDir(), "rejects.csv")
	sum, err := load.File(context.Background(), d, craftedPath, load.Options{Strict: true, RejectsPath: rejects})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 2 || sum.Rejected != 22 || len(sum.Warnings) != 0 || sum.WarningsPath != "" {
		t.Errorf("strict: %+v", sum)
	}
	var lines []string
	for _, r := range readCSV(t, rejects)[1:] {
		lines = append(lines, r[0])
	}
	want := strings.Fields("3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 25")
	if !slices.Equal(lines, want) {
		t.Errorf("strict rejected lines %v, want %v", lines, want)
	}
	if keys := queryStrings(t, dsn, "SELECT epikey FROM episodes ORDER BY epikey"); !slices.Equal(keys, []string{"900000000001", "900000000023"}) {
		t.Errorf("episodes %v", keys)
	}

	// The shared sample loses the same two rows it always lost.
	s2, err := load.File(context.Background(), d, samplePath, load.Options{Strict: true, RejectsPath: rejects})
	if err != nil {
		t.Fatal(err)
	}
	lines = nil
	for _, r := range readCSV(t, rejects)[1:] {
		lines = append(lines, r[0])
	}
	if s2.Loaded != 1382 || !slices.Equal(lines, []string{"1084", "1133"}) {
		t.Errorf("strict sample: loaded %d, rejected lines %v", s2.Loaded, lines)
	}
}

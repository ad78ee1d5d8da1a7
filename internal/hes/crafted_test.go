package hes

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

const craftedPath = "../../testdata/crafted_rows.csv"

// craftedWarnings are the columns each row of testdata/crafted_rows.csv
// breaks, in the order the reader checks them.
var craftedWarnings = map[int][]string{
	3: {"ADMIDATE"}, 4: {"EPISTART"}, 5: {"OPDATE_02"}, 6: {"DOB"},
	11: {"STARTAGE"}, 12: {"STARTAGE"}, 13: {"EPIDUR"}, 14: {"SPELDUR"}, 15: {"NEWNHSNO"},
	16: {"DIAG_4_02"}, 17: {"DIAG_4_01"}, 18: {"OPERTN_4_01"}, 19: {"MYDOB"}, 20: {"EPIORDER"},
	22: {"ADMIDATE", "DIAG_4_03"}, 23: {"DOB", "MYDOB", "NEWNHSNO"},
}

// craftedRejected are the rows that cannot be episodes: bad EPIKEY (7, 8),
// no patient (9), bad FYEAR (10), a missing field (21), an unterminated
// quote (25).
var craftedRejected = []int{7, 8, 9, 10, 21, 25}

// craftedStrictRejected are the rows rejected before field problems became
// warnings, found by running that reader over the fixture: every row but the
// two clean ones (2 and 24).
var craftedStrictRejected = []int{3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 25}

func rejectedLines(rejs []*RowError) []int {
	var out []int
	for _, e := range rejs {
		out = append(out, e.Line)
	}
	return out
}

func TestReaderCraftedRows(t *testing.T) {
	f, err := os.Open(craftedPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, rejs, st := readAll(t, f, ReaderOptions{})
	if got := rejectedLines(rejs); !reflect.DeepEqual(got, craftedRejected) {
		t.Errorf("rejected lines %v, want %v", got, craftedRejected)
	}
	if len(recs) != 18 || st.Rows != 24 {
		t.Errorf("%d records of %d rows, want 18 of 24", len(recs), st.Rows)
	}
	total := 0
	for _, rec := range recs {
		checkRecord(t, rec)
		var cols []string
		for _, w := range rec.Warnings {
			cols = append(cols, w.Column)
			if w.Line != rec.Line || w.EpiKey != rec.EpiKey || w.Rule == "" {
				t.Errorf("line %d: incomplete warning %+v", rec.Line, w)
			}
			switch w.Column {
			case "NEWNHSNO", "DOB", "MYDOB", "HOMEADD":
				if w.Value != "" {
					t.Errorf("line %d: restricted %s value %q in a warning", rec.Line, w.Column, w.Value)
				}
			default:
				if w.Value == "" {
					t.Errorf("line %d: warning on %s without the value", rec.Line, w.Column)
				}
			}
		}
		total += len(cols)
		if want := craftedWarnings[rec.Line]; !reflect.DeepEqual(cols, want) {
			t.Errorf("line %d: warnings on %v, want %v", rec.Line, cols, want)
		}
	}
	if st.Warnings != total || total != 19 {
		t.Errorf("%d warnings (stats %d), want 19", total, st.Warnings)
	}

	// The values concerned are not known; the rest of the row is kept.
	byLine := map[int]Record{}
	for _, r := range recs {
		byLine[r.Line] = r
	}
	if r := byLine[3]; !r.AdmissionDate.IsZero() || r.EpisodeStart.IsZero() {
		t.Errorf("line 3: admission %v start %v", r.AdmissionDate, r.EpisodeStart)
	}
	if r := byLine[5]; len(r.Procedures) != 1 || r.Procedures[0].Code != "S068" {
		t.Errorf("line 5: procedures %+v", r.Procedures)
	}
	if r := byLine[11]; r.StartAge.Valid {
		t.Errorf("line 11: STARTAGE %v kept", r.StartAge)
	}
	if r := byLine[15]; r.NHSNumber != "" || r.Postcode != "LS6 4ZZ" {
		t.Errorf("line 15: NHS number %q postcode %q", r.NHSNumber, r.Postcode)
	}
	if r := byLine[16]; len(r.Diagnoses) != 1 || r.Diagnoses[0].Code != "L400" {
		t.Errorf("line 16: diagnoses %+v", r.Diagnoses)
	}
	if r := byLine[17]; len(r.Diagnoses) != 1 || r.Diagnoses[0].Position != 2 {
		t.Errorf("line 17: diagnoses %+v", r.Diagnoses)
	}
	if r := byLine[18]; len(r.Procedures) != 0 {
		t.Errorf("line 18: procedures %+v", r.Procedures)
	}
	if r := byLine[23]; r.BirthYear.Valid || !r.DateOfBirth.IsZero() {
		t.Errorf("line 23: birth %v %v", r.BirthYear, r.DateOfBirth)
	}
}

// Strict mode rejects exactly the rows the reader rejected before it
// learned to load past field problems.
func TestReaderCraftedRowsStrict(t *testing.T) {
	data, err := os.ReadFile(craftedPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, rejs, st := readAll(t, strings.NewReader(string(data)), ReaderOptions{Strict: true})
	if got := rejectedLines(rejs); !reflect.DeepEqual(got, craftedStrictRejected) {
		t.Errorf("rejected lines %v, want %v", got, craftedStrictRejected)
	}
	if len(recs) != 2 || st.Warnings != 0 {
		t.Errorf("%d records, %d warnings; want 2 and 0", len(recs), st.Warnings)
	}
}

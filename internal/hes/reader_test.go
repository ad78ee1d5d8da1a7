package hes

import (
	"bytes"
	"database/sql"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

const samplePath = "../../testdata/artificial_hes_apc_0102_sample.csv"

// readAll reads every row, failing the test on a fatal error.
func readAll(t testing.TB, in io.Reader, opts ReaderOptions) ([]Record, []*RowError, Stats) {
	t.Helper()
	rd, err := NewReader(in, opts)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var recs []Record
	var rejs []*RowError
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		var re *RowError
		if errors.As(err, &re) {
			rejs = append(rejs, re)
			continue
		}
		if err != nil {
			t.Fatalf("Next: %v", err)
		}
		recs = append(recs, rec)
	}
	return recs, rejs, rd.Stats()
}

var (
	icd10Pattern = regexp.MustCompile(`^[A-Z][0-9]{2}[0-9X]$`)
	opcs4Pattern = regexp.MustCompile(`^[A-Z][0-9]{3}$`)
)

// checkRecord asserts the invariants every cleaned Record holds.
func checkRecord(t testing.TB, rec Record) {
	t.Helper()
	if !isDigits([]byte(rec.EpiKey), 20) {
		t.Errorf("line %d: EpiKey %q is not 1-20 digits", rec.Line, rec.EpiKey)
	}
	if rec.PseudoID == "" {
		t.Errorf("line %d: empty PseudoID", rec.Line)
	}
	if len(rec.FYear) != 4 || !isDigits([]byte(rec.FYear), 4) {
		t.Errorf("line %d: FYear %q", rec.Line, rec.FYear)
	}
	if rec.StartAge.Valid && !validStartAge(rec.StartAge.Int64) {
		t.Errorf("line %d: StartAge %d", rec.Line, rec.StartAge.Int64)
	}
	if rec.NHSNumber != "" && !ValidNHSNumber(rec.NHSNumber) {
		t.Errorf("line %d: NHSNumber %q", rec.Line, rec.NHSNumber)
	}
	prev := 0
	for _, d := range rec.Diagnoses {
		if !icd10Pattern.MatchString(d.Code) || strings.HasPrefix(d.Code, "R69X") {
			t.Errorf("line %d: diagnosis %q at %d", rec.Line, d.Code, d.Position)
		}
		if d.Position <= prev {
			t.Errorf("line %d: diagnosis positions not increasing: %v", rec.Line, rec.Diagnoses)
		}
		prev = d.Position
	}
	prev = 0
	for _, p := range rec.Procedures {
		if !opcs4Pattern.MatchString(p.Code) || p.Code == "X998" || p.Code == "X999" {
			t.Errorf("line %d: procedure %q at %d", rec.Line, p.Code, p.Position)
		}
		if p.Position <= prev {
			t.Errorf("line %d: procedure positions not increasing: %v", rec.Line, rec.Procedures)
		}
		prev = p.Position
	}
}

func TestReaderSample(t *testing.T) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatalf("the shared sample extract is needed: %v", err)
	}
	recs, rejs, st := readAll(t, bytes.NewReader(data), ReaderOptions{})

	if st.Rows != 1384 {
		t.Errorf("Rows = %d, want 1384", st.Rows)
	}
	if len(recs)+len(rejs) != st.Rows || st.Rejected != len(rejs) || st.Accepted() != len(recs) {
		t.Errorf("records %d + rejected %d != rows %d (stats %+v)", len(recs), len(rejs), st.Rows, st)
	}
	for _, e := range rejs {
		if e.Reason == "" || e.Line < 2 || e.Raw == "" || e.EpiKey == "" {
			t.Errorf("incomplete rejection %+v", e)
		}
	}
	// The sample has two damaged codes, "8" as a procedure and "0000" as a
	// diagnosis: their rows load, without the code, each with one warning.
	if len(rejs) != 0 {
		t.Errorf("rejected %d rows, want none: %v", len(rejs), rejs)
	}
	wantWarnings := map[int]Warning{
		1084: {Line: 1084, EpiKey: "", Column: "OPERTN_4_04", Rule: "not an OPCS-4 code", Value: "8"},
		1133: {Line: 1133, EpiKey: "", Column: "DIAG_4_06", Rule: "not an ICD-10 code", Value: "0000"},
	}
	warned := 0
	for _, rec := range recs {
		for _, w := range rec.Warnings {
			warned++
			want, ok := wantWarnings[w.Line]
			want.EpiKey = rec.EpiKey
			if !ok || w != want || w.Line != rec.Line {
				t.Errorf("line %d: warning %+v, want %+v", rec.Line, w, want)
			}
		}
	}
	if warned != len(wantWarnings) || st.Warnings != warned {
		t.Errorf("%d warnings (stats %d), want %d", warned, st.Warnings, len(wantWarnings))
	}
	for _, rec := range recs {
		checkRecord(t, rec)
		if rec.FYear != "0102" {
			t.Errorf("line %d: FYear %q", rec.Line, rec.FYear)
		}
	}

	first := recs[0]
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	want := Record{
		Line: 2, EpiKey: "513700125763", PseudoID: "TESTWn4Rt4ww00zIOJ8rYBMf5fgC4tvI", FYear: "0102",
		Sex: "2", Ethnicity: "Z",
		BirthYear: sql.NullInt64{Int64: 1968, Valid: true}, BirthMonth: sql.NullInt64{Int64: 4, Valid: true},
		Region: "H", ProviderCode: "RTA", SiteCode: "02",
		AdmissionDate: day(2001, 9, 27), EpisodeStart: day(2001, 12, 4), EpisodeEnd: day(2002, 2, 12),
		EpisodeOrder: sql.NullInt64{Int64: 1, Valid: true}, EpisodeStatus: "3", EpisodeType: "1",
		PatientClass: "1", AdmissionMethod: "28", AdmissionSource: "79", DischargeMethod: "1",
		DischargeDestination: "19", AdminCategory: "01", TreatmentSpecialty: "300", MainSpecialty: "430",
		StartAge:        sql.NullInt64{Int64: 34, Valid: true},
		EpisodeDuration: sql.NullInt64{Int64: 1, Valid: true}, SpellDuration: sql.NullInt64{Int64: 0, Valid: true},
		Diagnoses: []Diagnosis{{1, "F321", ICD10}, {2, "Z370", ICD10}, {3, "I500", ICD10}, {4, "Z740", ICD10}, {5, "O721", ICD10}},
	}
	if !reflect.DeepEqual(first, want) {
		t.Errorf("first record:\n got %+v\nwant %+v", first, want)
	}

	// Row 3 has "-" at OPERTN_4_01 and Z942 at OPERTN_4_03: the position
	// survives the skipped placeholder.
	if got := recs[1].Procedures; len(got) != 1 || got[0].Position != 3 || got[0].Code != "Z942" {
		t.Errorf("line 3 procedures = %+v, want Z942 at position 3", got)
	}
	// Line 1296 has 1801-01-01 (invalid date submitted) in all four episode
	// dates: they become NULL and the row is kept.
	found := false
	for _, rec := range recs {
		if rec.Line == 1296 {
			found = true
			if !rec.AdmissionDate.IsZero() || !rec.EpisodeStart.IsZero() || !rec.EpisodeEnd.IsZero() || !rec.DischargeDate.IsZero() {
				t.Errorf("line 1296: null-coded dates kept: %+v", rec)
			}
		}
	}
	if !found {
		t.Error("line 1296 with null-coded dates was not read")
	}
}

// In strict mode the sample loses exactly the two rows that every load lost
// before field problems became warnings.
func TestReaderSampleStrict(t *testing.T) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatalf("the shared sample extract is needed: %v", err)
	}
	recs, rejs, st := readAll(t, bytes.NewReader(data), ReaderOptions{Strict: true})
	wantRejected := map[int]string{
		1084: `OPERTN_4_04: not an OPCS-4 code: "8"`,
		1133: `DIAG_4_06: not an ICD-10 code: "0000"`,
	}
	if len(rejs) != len(wantRejected) || st.Rows != 1384 || len(recs) != 1382 {
		t.Errorf("rejected %d rows of %d, want %d: %v", len(rejs), st.Rows, len(wantRejected), rejs)
	}
	for _, e := range rejs {
		if want := wantRejected[e.Line]; e.Reason != want {
			t.Errorf("line %d rejected for %q, want %q", e.Line, e.Reason, want)
		}
	}
	for _, rec := range recs {
		if len(rec.Warnings) > 0 || st.Warnings != 0 {
			t.Errorf("line %d: strict mode gave warnings %+v", rec.Line, rec.Warnings)
		}
	}
}

// toPipe rewrites a CSV extract as a pipe-delimited one, as NHS England
// supplies them.
func toPipe(t testing.TB, data []byte) []byte {
	t.Helper()
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	var out bytes.Buffer
	for {
		row, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for i, f := range row {
			if strings.ContainsAny(f, "|\n") {
				t.Fatalf("field %q cannot be written unquoted", f)
			}
			if i > 0 {
				out.WriteByte('|')
			}
			out.WriteString(f)
		}
		out.WriteByte('\n')
	}
	return out.Bytes()
}

func TestReaderPipeMatchesCSV(t *testing.T) {
	data, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatalf("the shared sample extract is needed: %v", err)
	}
	pipe := toPipe(t, data)
	csvRecs, csvRejs, csvStats := readAll(t, bytes.NewReader(data), ReaderOptions{})

	rd, err := NewReader(bytes.NewReader(pipe), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rd.Delimiter() != '|' {
		t.Fatalf("delimiter %q, want '|'", rd.Delimiter())
	}
	pipeRecs, pipeRejs, pipeStats := readAll(t, bytes.NewReader(pipe), ReaderOptions{})

	if csvStats != pipeStats {
		t.Errorf("stats differ: csv %+v, pipe %+v", csvStats, pipeStats)
	}
	if !reflect.DeepEqual(csvRecs, pipeRecs) {
		for i := range min(len(csvRecs), len(pipeRecs)) {
			if !reflect.DeepEqual(csvRecs[i], pipeRecs[i]) {
				t.Fatalf("record %d differs:\n csv %+v\npipe %+v", i, csvRecs[i], pipeRecs[i])
			}
		}
		t.Fatalf("%d records from CSV, %d from pipe", len(csvRecs), len(pipeRecs))
	}
	if len(csvRejs) != len(pipeRejs) {
		t.Fatalf("%d rejections from CSV, %d from pipe", len(csvRejs), len(pipeRejs))
	}
	for i := range csvRejs {
		c, p := *csvRejs[i], *pipeRejs[i]
		c.Raw, p.Raw = "", ""
		if c != p {
			t.Errorf("rejection %d: csv %+v, pipe %+v", i, c, p)
		}
	}
}

// testColumns is the header of the crafted extracts below.
var testColumns = []string{
	"FYEAR", "EPIKEY", "PSEUDO_HESID", "NEWNHSNO", "DOB", "MYDOB", "SEX", "ETHNOS", "HOMEADD", "RESGOR",
	"PROCODE3", "SITETRET", "ADMIDATE", "EPISTART", "EPIEND", "DISDATE", "EPIORDER", "EPISTAT", "EPITYPE",
	"CLASSPAT", "ADMIMETH", "ADMISORC", "DISMETH", "DISDEST", "ADMINCAT", "TRETSPEF", "MAINSPEF",
	"STARTAGE", "EPIDUR", "SPELDUR", "DIAG_4_01", "DIAG_4_02", "DIAG_4_03",
	"OPERTN_4_01", "OPERTN_4_02", "OPDATE_01", "OPDATE_02",
}

// goodRow is a valid row for testColumns; cases override fields.
func goodRow() map[string]string {
	return map[string]string{
		"FYEAR": "2021", "EPIKEY": "100000000001", "PSEUDO_HESID": "TESTabc", "NEWNHSNO": "9434765919",
		"DOB": "1968-04-15", "MYDOB": "041968", "SEX": "2", "ETHNOS": "A", "HOMEADD": "LS6  4ZZ",
		"RESGOR": "D", "PROCODE3": "RR8", "SITETRET": "RR801", "ADMIDATE": "2020-05-01",
		"EPISTART": "2020-05-01", "EPIEND": "2020-05-03", "DISDATE": "2020-05-03", "EPIORDER": "01",
		"EPISTAT": "3", "EPITYPE": "1", "CLASSPAT": "1", "ADMIMETH": "21", "ADMISORC": "19",
		"DISMETH": "1", "DISDEST": "19", "ADMINCAT": "01", "TRETSPEF": "330", "MAINSPEF": "330",
		"STARTAGE": "52", "EPIDUR": "2", "SPELDUR": "2", "DIAG_4_01": "L031", "DIAG_4_02": "I10X",
		"DIAG_4_03": "", "OPERTN_4_01": "S571", "OPERTN_4_02": "", "OPDATE_01": "2020-05-02", "OPDATE_02": "",
	}
}

func extract(delim string, cols []string, rows ...map[string]string) string {
	var b strings.Builder
	b.WriteString(strings.Join(cols, delim) + "\n")
	for _, r := range rows {
		vals := make([]string, len(cols))
		for i, c := range cols {
			vals[i] = r[c]
		}
		b.WriteString(strings.Join(vals, delim) + "\n")
	}
	return b.String()
}

// readOne reads an extract of one row made of goodRow with changes applied.
func readOne(t *testing.T, changes map[string]string) (Record, *RowError) {
	t.Helper()
	return readOneWith(t, changes, ReaderOptions{})
}

func readOneWith(t *testing.T, changes map[string]string, opts ReaderOptions) (Record, *RowError) {
	t.Helper()
	row := goodRow()
	for k, v := range changes {
		row[k] = v
	}
	recs, rejs, _ := readAll(t, strings.NewReader(extract("|", testColumns, row)), opts)
	if len(recs)+len(rejs) != 1 {
		t.Fatalf("got %d records and %d rejections, want one row", len(recs), len(rejs))
	}
	if len(rejs) == 1 {
		return Record{}, rejs[0]
	}
	return recs[0], nil
}

func TestReaderGoodRow(t *testing.T) {
	rec, rej := readOne(t, nil)
	if rej != nil {
		t.Fatalf("rejected: %v", rej)
	}
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	n := func(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: true} }
	want := Record{
		Line: 2, EpiKey: "100000000001", PseudoID: "TESTabc", FYear: "2021",
		Sex: "2", Ethnicity: "A", BirthYear: n(1968), BirthMonth: n(4), DateOfBirth: day(1968, 4, 15),
		NHSNumber: "9434765919", Postcode: "LS6 4ZZ", Region: "D", ProviderCode: "RR8", SiteCode: "RR801",
		AdmissionDate: day(2020, 5, 1), EpisodeStart: day(2020, 5, 1), EpisodeEnd: day(2020, 5, 3),
		DischargeDate: day(2020, 5, 3), EpisodeOrder: n(1), EpisodeStatus: "3", EpisodeType: "1",
		PatientClass: "1", AdmissionMethod: "21", AdmissionSource: "19", DischargeMethod: "1",
		DischargeDestination: "19", AdminCategory: "01", TreatmentSpecialty: "330", MainSpecialty: "330",
		StartAge: n(52), EpisodeDuration: n(2), SpellDuration: n(2),
		Diagnoses:  []Diagnosis{{1, "L031", ICD10}, {2, "I10X", ICD10}},
		Procedures: []Procedure{{1, "S571", day(2020, 5, 2)}},
	}
	if !reflect.DeepEqual(rec, want) {
		t.Errorf("\n got %+v\nwant %+v", rec, want)
	}
}

func TestReaderCleaning(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		check   func(Record) bool
	}{
		{"null dates", map[string]string{"ADMIDATE": "1800-01-01", "EPIEND": "1801-01-01", "DISDATE": "", "DOB": "1600-01-01", "OPDATE_01": "1582-10-15"},
			func(r Record) bool {
				return r.AdmissionDate.IsZero() && r.EpisodeEnd.IsZero() && r.DischargeDate.IsZero() &&
					r.DateOfBirth.IsZero() && r.Procedures[0].Date.IsZero()
			}},
		{"null EPISTART is allowed", map[string]string{"EPISTART": "1800-01-01"},
			func(r Record) bool { return r.EpisodeStart.IsZero() }},
		{"EPIORDER 98", map[string]string{"EPIORDER": "98"}, func(r Record) bool { return !r.EpisodeOrder.Valid }},
		{"EPIORDER 99", map[string]string{"EPIORDER": "99"}, func(r Record) bool { return !r.EpisodeOrder.Valid }},
		{"EPIORDER blank", map[string]string{"EPIORDER": ""}, func(r Record) bool { return !r.EpisodeOrder.Valid }},
		{"counts written as decimals", map[string]string{"EPIDUR": "5.0", "SPELDUR": " 7 ", "STARTAGE": "7003"},
			func(r Record) bool {
				return r.EpisodeDuration.Int64 == 5 && r.SpellDuration.Int64 == 7 && r.StartAge.Int64 == 7003
			}},
		{"STARTAGE blank", map[string]string{"STARTAGE": ""}, func(r Record) bool { return !r.StartAge.Valid }},
		{"SEX X", map[string]string{"SEX": "X"}, func(r Record) bool { return r.Sex == "0" }},
		{"specialty not known", map[string]string{"TRETSPEF": "&", "MAINSPEF": " & "},
			func(r Record) bool { return r.TreatmentSpecialty == "" && r.MainSpecialty == "" }},
		{"codes kept as given", map[string]string{"ETHNOS": "99", "ADMIMETH": "2A", "DISMETH": "9"},
			func(r Record) bool {
				return r.Ethnicity == "99" && r.AdmissionMethod == "2A" && r.DischargeMethod == "9"
			}},
		{"blank NHS number", map[string]string{"NEWNHSNO": " "}, func(r Record) bool { return r.NHSNumber == "" }},
		{"spaced NHS number", map[string]string{"NEWNHSNO": "943 476 5919"},
			func(r Record) bool { return r.NHSNumber == "9434765919" }},
		{"birth month from DOB", map[string]string{"MYDOB": ""},
			func(r Record) bool { return r.BirthYear.Int64 == 1968 && r.BirthMonth.Int64 == 4 }},
		{"no birth date", map[string]string{"MYDOB": "", "DOB": "1800-01-01"},
			func(r Record) bool { return !r.BirthYear.Valid && !r.BirthMonth.Valid }},
		{"diagnosis forms", map[string]string{"DIAG_4_01": "L97", "DIAG_4_02": "l40.0", "DIAG_4_03": "I10X-"},
			func(r Record) bool {
				return reflect.DeepEqual(r.Diagnoses, []Diagnosis{{1, "L97X", ICD10}, {2, "L400", ICD10}, {3, "I10X", ICD10}})
			}},
		{"placeholders skipped, positions kept", map[string]string{"DIAG_4_01": "R69X", "DIAG_4_02": "-", "DIAG_4_03": "E119",
			"OPERTN_4_01": "-   ", "OPERTN_4_02": "S065", "OPDATE_02": "2020-05-02"},
			func(r Record) bool {
				return reflect.DeepEqual(r.Diagnoses, []Diagnosis{{3, "E119", ICD10}}) &&
					len(r.Procedures) == 1 && r.Procedures[0].Position == 2 && r.Procedures[0].Code == "S065" &&
					r.Procedures[0].Date.Equal(time.Date(2020, 5, 2, 0, 0, 0, 0, time.UTC))
			}},
		{"more placeholders", map[string]string{"DIAG_4_01": "R69X6", "DIAG_4_02": "&", "DIAG_4_03": "R69X8",
			"OPERTN_4_01": "X998", "OPERTN_4_02": "&   "},
			func(r Record) bool { return r.Diagnoses == nil && r.Procedures == nil }},
		{"X999", map[string]string{"OPERTN_4_01": "X999"}, func(r Record) bool { return r.Procedures == nil }},
		{"postcode", map[string]string{"HOMEADD": "e1   4zz"}, func(r Record) bool { return r.Postcode == "E1 4ZZ" }},
		{"timestamps", map[string]string{"ADMIDATE": "2020-05-01 00:00:00"},
			func(r Record) bool { return r.AdmissionDate.Equal(time.Date(2020, 5, 1, 0, 0, 0, 0, time.UTC)) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec, rej := readOne(t, tt.changes)
			if rej != nil {
				t.Fatalf("rejected: %v", rej)
			}
			checkRecord(t, rec)
			if !tt.check(rec) {
				t.Errorf("unexpected record %+v", rec)
			}
		})
	}
}

// TestReaderRejections checks strict mode, where any field problem rejects
// the row with a reason naming the column.
func TestReaderRejections(t *testing.T) {
	tests := []struct {
		name    string
		changes map[string]string
		reason  string // substring of the reason
		hidden  string // must not appear in the reason
	}{
		{"invalid date", map[string]string{"ADMIDATE": "2001-13-45"}, `ADMIDATE: invalid date "2001-13-45"`, ""},
		{"impossible EPISTART", map[string]string{"EPISTART": "2001-02-30"}, `EPISTART: invalid date "2001-02-30"`, ""},
		{"invalid OPDATE", map[string]string{"OPDATE_02": "yesterday"}, `OPDATE_02: invalid date "yesterday"`, ""},
		{"restricted date", map[string]string{"DOB": "1968-04-31"}, "DOB: invalid date", "1968-04-31"},
		{"EPIKEY letters", map[string]string{"EPIKEY": "12AB"}, `EPIKEY: must be 1 to 20 digits, found "12AB"`, ""},
		{"EPIKEY too long", map[string]string{"EPIKEY": "123456789012345678901"}, "EPIKEY: must be 1 to 20 digits", ""},
		{"EPIKEY blank", map[string]string{"EPIKEY": ""}, "EPIKEY: must be 1 to 20 digits", ""},
		{"no patient", map[string]string{"PSEUDO_HESID": "  "}, "PSEUDO_HESID: patient identifier is empty", ""},
		{"FYEAR", map[string]string{"FYEAR": "102"}, `FYEAR: must be 4 digits, found "102"`, ""},
		{"STARTAGE out of range", map[string]string{"STARTAGE": "130"}, "STARTAGE: not an age code", ""},
		{"STARTAGE band", map[string]string{"STARTAGE": "7008"}, "STARTAGE: not an age code", ""},
		{"STARTAGE text", map[string]string{"STARTAGE": "abc"}, "STARTAGE: not a non-negative whole number", ""},
		{"negative EPIDUR", map[string]string{"EPIDUR": "-1"}, `EPIDUR: not a non-negative whole number: "-1"`, ""},
		{"fractional SPELDUR", map[string]string{"SPELDUR": "2.5"}, "SPELDUR: not a non-negative whole number", ""},
		{"NHS number check digit", map[string]string{"NEWNHSNO": "9434765918"}, "NEWNHSNO: not a valid NHS number", "943476"},
		{"NHS number length", map[string]string{"NEWNHSNO": "12345"}, "NEWNHSNO: not a valid NHS number", "12345"},
		{"invalid diagnosis", map[string]string{"DIAG_4_02": "0000"}, `DIAG_4_02: not an ICD-10 code: "0000"`, ""},
		{"invalid procedure", map[string]string{"OPERTN_4_01": "8   "}, `OPERTN_4_01: not an OPCS-4 code: "8"`, ""},
		{"invalid MYDOB", map[string]string{"MYDOB": "131968"}, `MYDOB: not a month and year MMYYYY: "131968"`, ""},
		{"several problems", map[string]string{"ADMIDATE": "x", "DIAG_4_01": "0000"},
			`ADMIDATE: invalid date "x"; DIAG_4_01: not an ICD-10 code: "0000"`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, rej := readOneWith(t, tt.changes, ReaderOptions{Strict: true})
			if rej == nil {
				t.Fatalf("accepted, want rejection %q", tt.reason)
			}
			if !strings.Contains(rej.Reason, tt.reason) {
				t.Errorf("reason %q, want it to contain %q", rej.Reason, tt.reason)
			}
			if tt.hidden != "" && (strings.Contains(rej.Reason, tt.hidden) || strings.Contains(rej.Error(), tt.hidden)) {
				t.Errorf("reason %q reveals the restricted value", rej.Reason)
			}
			if rej.Line != 2 || rej.Raw == "" || strings.HasSuffix(rej.Raw, "\n") {
				t.Errorf("rejection %+v: want line 2 and the raw row", rej)
			}
		})
	}
}

func TestReaderHeaderErrors(t *testing.T) {
	tests := []struct {
		name  string
		input string
		want  []string
	}{
		{"unknown delimiter", "EPIKEY;FYEAR;PSEUDO_HESID;EPISTART\n1;0102;X;2001-01-01\n", []string{"unknown delimiter"}},
		{"tab delimited", "EPIKEY\tFYEAR\tPSEUDO_HESID\tEPISTART\n", []string{"unknown delimiter"}},
		{"not HES", "a,b,c\n1,2,3\n", []string{"unknown delimiter"}},
		{"missing columns", "EPIKEY|SEX|DIAG_4_01\n1|1|L400\n",
			[]string{"lacks required column(s)", "FYEAR", "EPISTART", "PSEUDO_HESID", "TOKEN_PERSON_ID"}},
		{"missing EPIKEY", "FYEAR,PSEUDO_HESID,EPISTART\n", []string{"lacks required column(s): EPIKEY"}},
		{"duplicate column", "EPIKEY|FYEAR|PSEUDO_HESID|EPISTART|EPISTART\n", []string{"repeats column(s) EPISTART"}},
		{"empty", "", []string{"no header row"}},
		{"blank lines only", "\n\n  \n", []string{"no header row"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := NewReader(strings.NewReader(tt.input), ReaderOptions{})
			if err == nil {
				t.Fatal("NewReader succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	if _, err := NewReader(strings.NewReader("EPIKEY|FYEAR\n"), ReaderOptions{Delimiter: ';'}); err == nil {
		t.Error("delimiter ';' accepted")
	}
}

// rowLine is goodRow as one pipe-delimited line without its newline.
func rowLine() string {
	return strings.Split(extract("|", testColumns, goodRow()), "\n")[1]
}

func TestReaderTruncatedLastLine(t *testing.T) {
	in := extract("|", testColumns, goodRow(), goodRow())
	in += rowLine()[:len(rowLine())/3] // no newline: the file ends mid-row
	recs, rejs, st := readAll(t, strings.NewReader(in), ReaderOptions{})
	if len(recs) != 2 {
		t.Errorf("%d records before the truncated row, want 2", len(recs))
	}
	if len(rejs) != 1 {
		t.Fatalf("%d rejections, want 1", len(rejs))
	}
	if e := rejs[0]; e.Line != 4 || !strings.HasPrefix(e.Reason, "expected 37 fields, found ") || e.EpiKey != "100000000001" {
		t.Errorf("rejection %+v", e)
	}
	if st.Rows != 3 || st.Rejected != 1 {
		t.Errorf("stats %+v", st)
	}
}

func TestReaderFieldCount(t *testing.T) {
	in := extract("|", testColumns, goodRow()) + "1|2|3\n" + rowLine() + "\n" + rowLine() + "|extra\n"
	recs, rejs, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
	if len(recs) != 2 || len(rejs) != 2 {
		t.Fatalf("%d records, %d rejections; want 2 and 2", len(recs), len(rejs))
	}
	if rejs[0].Line != 3 || rejs[0].Reason != "expected 37 fields, found 3" {
		t.Errorf("short row: %+v", rejs[0])
	}
	if rejs[1].Line != 5 || rejs[1].Reason != "expected 37 fields, found 38" {
		t.Errorf("long row: %+v", rejs[1])
	}
	if recs[1].Line != 4 {
		t.Errorf("second record at line %d, want 4", recs[1].Line)
	}
}

var errBoom = errors.New("boom")

func TestReaderIOError(t *testing.T) {
	in := extract("|", testColumns, goodRow())
	rd, err := NewReader(io.MultiReader(strings.NewReader(in), strings.NewReader("2021|1000"), iotest.ErrReader(errBoom)), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := rd.Next(); err != nil {
		t.Fatalf("first row: %v", err)
	}
	_, err = rd.Next()
	var re *RowError
	if !errors.Is(err, errBoom) || errors.As(err, &re) {
		t.Fatalf("Next = %v, want the I/O error, not a row rejection", err)
	}
	if _, again := rd.Next(); !errors.Is(again, errBoom) {
		t.Errorf("after a fatal error Next = %v, want the same error", again)
	}

	if _, err := NewReader(iotest.ErrReader(errBoom), ReaderOptions{}); !errors.Is(err, errBoom) {
		t.Errorf("NewReader on a failing stream = %v, want %v", err, errBoom)
	}
}

func TestReaderVariants(t *testing.T) {
	row := goodRow()
	base := extract("|", testColumns, row)

	t.Run("CRLF, BOM and blank lines", func(t *testing.T) {
		in := "\xEF\xBB\xBF" + strings.ReplaceAll(base, "\n", "\r\n") + "\r\n\r\n"
		recs, rejs, st := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 || len(rejs) != 0 || st.Rows != 1 {
			t.Fatalf("records %d, rejections %v, stats %+v", len(recs), rejs, st)
		}
		if recs[0].MainSpecialty != "330" || recs[0].Procedures[0].Date.IsZero() {
			t.Errorf("last columns misread: %+v", recs[0])
		}
	})

	t.Run("lowercase header and other patient id", func(t *testing.T) {
		in := "epikey|fyear|token_person_id|epistart|diag_4_01\n1|2021|TOKEN1|2020-05-01|l400\n"
		recs, rejs, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 || recs[0].PseudoID != "TOKEN1" || recs[0].Diagnoses[0].Code != "L400" {
			t.Fatalf("records %+v, rejections %v", recs, rejs)
		}
	})

	t.Run("preferred patient id", func(t *testing.T) {
		in := "HESID|EPIKEY|FYEAR|EPISTART|PSEUDO_HESID\n42|1|0102|2001-05-01|TESTp\n"
		recs, _, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 || recs[0].PseudoID != "TESTp" {
			t.Errorf("records %+v, want PSEUDO_HESID preferred to HESID", recs)
		}
	})

	t.Run("DIAG_nn and OPERTN_nn", func(t *testing.T) {
		in := "EPIKEY|FYEAR|ENCRYPTED_HESID|EPISTART|DIAG_01|DIAG_02|DIAG_03|OPERTN_01|OPERTN_02|OPDATE_02\n" +
			"7|2223|E1|2022-06-01|L400-|L409A|R69X6|-|S065|2022-06-01\n"
		recs, rejs, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 {
			t.Fatalf("rejections %v", rejs)
		}
		want := []Diagnosis{{1, "L400", ICD10}, {2, "L409", ICD10}}
		if !reflect.DeepEqual(recs[0].Diagnoses, want) {
			t.Errorf("diagnoses %+v, want %+v", recs[0].Diagnoses, want)
		}
		if p := recs[0].Procedures; len(p) != 1 || p[0].Position != 2 || p[0].Date.IsZero() {
			t.Errorf("procedures %+v", p)
		}
	})

	t.Run("DIAG_4_nn preferred to DIAG_nn", func(t *testing.T) {
		in := "EPIKEY,FYEAR,PSEUDO_HESID,EPISTART,DIAG_01,DIAG_4_01,OPERTN_01,OPERTN_4_01\n" +
			"7,2223,P,2022-06-01,L40.0A,L400,S06.5,S065\n"
		recs, rejs, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 || recs[0].Diagnoses[0].Code != "L400" || recs[0].Procedures[0].Code != "S065" {
			t.Errorf("records %+v, rejections %v", recs, rejs)
		}
	})

	t.Run("CSV quoting", func(t *testing.T) {
		in := "EPIKEY,FYEAR,PSEUDO_HESID,EPISTART,DIAG_4_CONCAT,SITETRET\n" +
			"1,2021,\"P,1\",2020-05-01,\"L400,I10X\",RR801\n" +
			"2,2021,\"P \"\"2\"\"\",2020-05-01,\"L400\nI10X\",\"RR8\"01\n" +
			"3,2021,P3,2020-05-01,,RR801\n"
		recs, rejs, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 3 || len(rejs) != 0 {
			t.Fatalf("records %+v, rejections %v", recs, rejs)
		}
		if recs[0].PseudoID != "P,1" || recs[1].PseudoID != `P "2"` || recs[1].SiteCode != "RR801" {
			t.Errorf("quoted fields misread: %+v", recs[:2])
		}
		if recs[2].Line != 5 {
			t.Errorf("row after a two-line row at line %d, want 5", recs[2].Line)
		}
	})

	t.Run("unterminated quote", func(t *testing.T) {
		in := "EPIKEY,FYEAR,PSEUDO_HESID,EPISTART\n1,2021,P1,2020-05-01\n2,2021,\"P2,2020-05-01\n"
		recs, rejs, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 || len(rejs) != 1 || rejs[0].Reason != "unterminated quoted field" {
			t.Errorf("records %+v, rejections %+v", recs, rejs)
		}
	})

	t.Run("pipe files are not quoted", func(t *testing.T) {
		in := "EPIKEY|FYEAR|PSEUDO_HESID|EPISTART\n1|2021|\"P1|2020-05-01\n"
		recs, _, _ := readAll(t, strings.NewReader(in), ReaderOptions{})
		if len(recs) != 1 || recs[0].PseudoID != `"P1` {
			t.Errorf("records %+v", recs)
		}
	})

	t.Run("forced delimiter", func(t *testing.T) {
		in := "EPIKEY,FYEAR,PSEUDO_HESID,EPISTART\n1,2021,P1,2020-05-01\n"
		if _, err := NewReader(strings.NewReader(in), ReaderOptions{Delimiter: '|'}); err == nil {
			t.Error("comma header read as pipe-delimited")
		}
		recs, _, _ := readAll(t, strings.NewReader(in), ReaderOptions{Delimiter: ','})
		if len(recs) != 1 {
			t.Errorf("records %+v", recs)
		}
	})

	t.Run("row too long", func(t *testing.T) {
		in := "EPIKEY|FYEAR|PSEUDO_HESID|EPISTART\n1|2021|" + strings.Repeat("P", 5000) + "|2020-05-01\n"
		rd, err := NewReader(strings.NewReader(in), ReaderOptions{MaxRowBytes: 1000})
		if err != nil {
			t.Fatal(err)
		}
		_, err = rd.Next()
		var re *RowError
		if err == nil || errors.As(err, &re) || !strings.Contains(err.Error(), "longer than 1000 bytes") {
			t.Errorf("Next = %v, want a fatal error", err)
		}
	})
}

func TestReaderHeader(t *testing.T) {
	rd, err := NewReader(strings.NewReader("epikey|Fyear|PSEUDO_HESID|EPISTART|OTHER\n"), ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"EPIKEY", "FYEAR", "PSEUDO_HESID", "EPISTART", "OTHER"}
	if got := rd.Header(); !reflect.DeepEqual(got, want) {
		t.Errorf("Header() = %v, want %v", got, want)
	}
	if _, err := rd.Next(); err != io.EOF {
		t.Errorf("Next on a header-only file = %v, want io.EOF", err)
	}
}

func FuzzReader(f *testing.F) {
	f.Add([]byte(extract("|", testColumns, goodRow())))
	f.Add([]byte(extract(",", testColumns, goodRow(), goodRow())))
	f.Add([]byte("EPIKEY,FYEAR,PSEUDO_HESID,EPISTART,DIAG_01\n1,2021,\"P\n1\",2020-05-01,L40.0\n2,21,,x,0000"))
	f.Add([]byte("EPIKEY|FYEAR|TOKEN_PERSON_ID|EPISTART|OPERTN_4_01|OPDATE_01\n1|2021|T|1800-01-01|-   |1801-01-01\n9|"))
	f.Add([]byte("EPIKEY,FYEAR,PSEUDO_HESID,EPISTART\n\"1\"x,\"\",\"\"\"\",\n"))
	f.Add([]byte("\xEF\xBB\xBFEPIKEY|FYEAR|HESID|EPISTART|MYDOB|NEWNHSNO|HOMEADD|STARTAGE\r\n1|0102|H|2001-01-01|131968|943 476 5919|zz99 3wz|7008\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rd, err := NewReader(bytes.NewReader(data), ReaderOptions{MaxRowBytes: 4096})
		if err != nil {
			return
		}
		for range 10_000 {
			rec, err := rd.Next()
			if err == io.EOF {
				return
			}
			var re *RowError
			if errors.As(err, &re) {
				if re.Reason == "" || re.Line < 2 {
					t.Fatalf("incomplete rejection %+v", re)
				}
				continue
			}
			if err != nil {
				return
			}
			checkRecord(t, rec)
		}
		t.Fatal("reader did not reach the end of a short input")
	})
}

func BenchmarkReader(b *testing.B) {
	var buf bytes.Buffer
	const episodes = 20_000
	if err := Generate(&buf, GenerateOptions{Seed: 1, Episodes: episodes}); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rd, err := NewReader(bytes.NewReader(data), ReaderOptions{})
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := rd.Next(); err == io.EOF {
				break
			} else if err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(episodes*b.N)/b.Elapsed().Seconds(), "rows/s")
}

func ExampleNewReader() {
	extract := "FYEAR|EPIKEY|PSEUDO_HESID|EPISTART|DIAG_4_01|DIAG_4_02|OPERTN_4_01\n" +
		"2021|100000000001|TESTabc|2020-05-01|L400|R69X|-   \n" +
		"2021|100000000002|TESTabc|2020-13-01|L97|I10X|S065\n"
	rd, err := NewReader(strings.NewReader(extract), ReaderOptions{})
	if err != nil {
		fmt.Println(err) // unreadable input or a bad header
		return
	}
	for {
		rec, err := rd.Next()
		if err == io.EOF {
			break
		}
		var rejected *RowError
		if errors.As(err, &rejected) {
			fmt.Println("rejected:", rejected)
			continue
		}
		if err != nil {
			fmt.Println(err) // I/O error: stop
			return
		}
		fmt.Println(rec.EpiKey, rec.Diagnoses, rec.Procedures)
	}
	fmt.Printf("%+v\n", rd.Stats())
	// Output:
	// 100000000001 [{1 L400 ICD10}] []
	// 100000000002 [{1 L97X ICD10} {2 I10X ICD10}] [{1 S065 0001-01-01 00:00:00 +0000 UTC}]
	// {Rows:2 Rejected:0 Warnings:1}
}

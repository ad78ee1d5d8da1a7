package hes

import (
	"bytes"
	"encoding/csv"
	"os"
	"reflect"
	"testing"
)

func TestCleanICD9(t *testing.T) {
	good := map[string]string{
		"799": "799", "7999": "7999", "799.9": "7999", " 696.1 ": "6961", "001": "001", "9999": "9999",
		"V27": "V27", "V27.0": "V270", "v270": "V270", "V01": "V01", "V829": "V829",
		"E880": "E880", "E880.9": "E880", "E8809": "E880", "E999": "E999", "799-": "799",
	}
	for in, want := range good {
		code, n, cls, st := cleanDiagnosisIn([]byte(in), true)
		if st != codeOK || cls != ICD9 || string(code[:n]) != want {
			t.Errorf("%q in an ICD-9 year = %q %v %d, want ICD-9 %q", in, code[:n], cls, st, want)
		}
	}
	for _, in := range []string{"000", "0000", "79", "79999", "799A", "V00", "V83", "V8", "E799", "E80", "E88000", "7X99"} {
		if code, n, _, st := cleanDiagnosisIn([]byte(in), true); st != codeInvalid {
			t.Errorf("%q in an ICD-9 year = %q %d, want invalid", in, code[:n], st)
		}
	}
	// Letters ICD-9 does not use are ICD-10 even before 1995; placeholders
	// and blanks are skipped as in any year.
	if code, n, cls, st := cleanDiagnosisIn([]byte("L40.0"), true); st != codeOK || cls != ICD10 || string(code[:n]) != "L400" {
		t.Errorf("L40.0 in an ICD-9 year = %q %v %d", code[:n], cls, st)
	}
	for _, in := range []string{"", "  ", "-", "&", "R69X6"} {
		if _, _, _, st := cleanDiagnosisIn([]byte(in), true); st != codeSkip {
			t.Errorf("%q in an ICD-9 year: status %d, want skipped", in, st)
		}
	}
	// From 1995-96 an ICD-9 shape is not a code.
	if _, _, _, st := cleanDiagnosisIn([]byte("7999"), false); st != codeInvalid {
		t.Errorf("7999 in an ICD-10 year: status %d, want invalid", st)
	}
}

func TestICD9Year(t *testing.T) {
	for fy, want := range map[string]bool{"9394": true, "9495": true, "8990": true, "9596": false, "9900": false, "0102": false, "2324": false, "94": false, "ab12": false} {
		if got := ICD9Year(fy); got != want {
			t.Errorf("ICD9Year(%q) = %v, want %v", fy, got, want)
		}
	}
}

func TestICD9Chapter(t *testing.T) {
	for code, want := range map[string]string{"001": "I", "1739": "II", "6961": "XII", "7999": "XVI", "8500": "XVII", "999": "XVII",
		"V270": "VCODE", "V82": "VCODE", "E880": "ECODE", "E849": "ECODE"} {
		if got, title, ok := ICD9Chapter(code); !ok || got != want || title == "" {
			t.Errorf("ICD9Chapter(%q) = %q %q %v, want %q", code, got, title, ok, want)
		}
	}
	for _, code := range []string{"", "000", "L400", "V83", "E700", "6770"} {
		if _, _, ok := ICD9Chapter(code); ok {
			t.Errorf("ICD9Chapter(%q) ok, want not a chapter", code)
		}
	}
	// The chapters cover 001-999 without overlaps; the only gap is 677-679,
	// which WHO ICD-9 leaves unused after chapter XI.
	prev := 0
	for _, r := range icd9ChapterRanges[:17] {
		first, _ := atoiDigits([]byte(r.first))
		last, _ := atoiDigits([]byte(r.last))
		if prev == 676 {
			prev = 679
		}
		if first != prev+1 || last < first {
			t.Errorf("chapter %s %s-%s does not follow %03d", r.numeral, r.first, r.last, prev)
		}
		prev = last
	}
	if prev != 999 {
		t.Errorf("chapters end at %d, want 999", prev)
	}
}

func TestReaderICD9Rows(t *testing.T) {
	f, err := os.Open("../../testdata/icd9_rows.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, rejs, _ := readAll(t, f, ReaderOptions{})
	if len(rejs) != 0 || len(recs) != 6 {
		t.Fatalf("%d records, rejected %v; want 6 and none", len(recs), rejs)
	}
	want := map[int][]Diagnosis{
		2: {{1, "6961", ICD9}, {2, "V270", ICD9}, {3, "7999", ICD9}},
		3: {{1, "E880", ICD9}, {2, "799", ICD9}, {3, "L400", ICD10}},
		4: {{2, "E880", ICD9}, {3, "1739", ICD9}},
		5: {{1, "E849", ICD9}, {2, "V82", ICD9}},
		6: {{2, "V270", ICD10}, {3, "E849", ICD10}},
		7: {{1, "E849", ICD10}, {2, "L400", ICD10}},
	}
	wantWarn := map[int]Warning{
		4: {Column: "DIAG_4_01", Rule: "not an ICD-9 or ICD-10 code", Value: "0000"},
		5: {Column: "DIAG_4_03", Rule: "not an ICD-9 or ICD-10 code", Value: "V83"},
		6: {Column: "DIAG_4_01", Rule: "not an ICD-10 code", Value: "7999"},
	}
	for _, rec := range recs {
		if !reflect.DeepEqual(rec.Diagnoses, want[rec.Line]) {
			t.Errorf("line %d: diagnoses %v, want %v", rec.Line, rec.Diagnoses, want[rec.Line])
		}
		w, ok := wantWarn[rec.Line]
		w.Line, w.EpiKey = rec.Line, rec.EpiKey
		if ok != (len(rec.Warnings) == 1) || ok && rec.Warnings[0] != w || !ok && len(rec.Warnings) != 0 {
			t.Errorf("line %d: warnings %+v, want %+v", rec.Line, rec.Warnings, w)
		}
	}
}

// db/codes/icd9.csv holds ICD-9 codes in HES form with the chapter
// ICD9Chapter gives them.
func TestCodesICD9CSV(t *testing.T) {
	f, err := os.Open("../../db/codes/icd9.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 2 || !reflect.DeepEqual(rows[0], []string{"code", "description", "chapter"}) {
		t.Fatalf("header %v", rows[0])
	}
	seen := map[string]bool{}
	for _, r := range rows[1:] {
		code, ok := cleanICD9([]byte(r[0]))
		if !ok || code != r[0] || seen[code] || r[1] == "" {
			t.Errorf("row %v: not a unique ICD-9 code in HES form with a description", r)
		}
		seen[code] = true
		if numeral, _, ok := ICD9Chapter(r[0]); !ok || numeral != r[2] {
			t.Errorf("code %s: chapter column %q, ICD9Chapter says %q", r[0], r[2], numeral)
		}
	}
}

// Generated data from 1993 has 1993-94 and 1994-95 episodes coded in ICD-9,
// every code with a description row, and reads without a warning.
func TestGenerateFromYearICD9(t *testing.T) {
	var buf bytes.Buffer
	if err := Generate(&buf, GenerateOptions{Seed: 7, Episodes: 20000, FromYear: 1993}); err != nil {
		t.Fatal(err)
	}
	recs, rejs, st := readAll(t, &buf, ReaderOptions{})
	if len(rejs) != 0 || st.Warnings != 0 {
		t.Fatalf("rejected %d, %d warnings: %v", len(rejs), st.Warnings, rejs)
	}
	described := map[string]bool{}
	f, err := os.Open("../../db/codes/icd9.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, _ := csv.NewReader(f).ReadAll()
	for _, r := range rows[1:] {
		described[r[0]] = true
	}
	years := map[string]int{}
	icd9 := 0
	for _, rec := range recs {
		years[rec.FYear]++
		for _, d := range rec.Diagnoses {
			if want := ICD9Year(rec.FYear); (d.Classification == ICD9) != want {
				t.Fatalf("line %d (FYEAR %s): %s is %v", rec.Line, rec.FYear, d.Code, d.Classification)
			}
			if d.Classification == ICD9 {
				icd9++
				if !described[d.Code] {
					t.Errorf("ICD-9 code %s has no row in db/codes/icd9.csv", d.Code)
				}
			}
		}
	}
	if years["9394"] == 0 || years["9495"] == 0 || years["9596"] == 0 || years["2324"] == 0 || icd9 == 0 {
		t.Errorf("years %v, %d ICD-9 diagnoses", years, icd9)
	}
	for y := range years {
		if y[0] == '9' && y < "9394" || y[0] == '8' {
			t.Errorf("year %s before the first asked for", y)
		}
	}
	if err := Generate(&buf, GenerateOptions{Episodes: 1, FromYear: 1989}); err == nil {
		t.Error("from year 1989 accepted")
	}
}

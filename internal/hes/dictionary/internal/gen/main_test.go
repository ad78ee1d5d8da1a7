package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestGeneratedIsCurrent regenerates the lookup from the committed
// dictionary and compares it with the committed values_gen.go, so that the
// labels cannot drift from their source.
func TestGeneratedIsCurrent(t *testing.T) {
	f, err := os.Open("../../hes_apc_tos_v1.15.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	parsed, groups, err := parse(f)
	if err != nil {
		t.Fatal(err)
	}
	got, err := render("hes_apc_tos_v1.15.csv", parsed, groups)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../../values_gen.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Error("values_gen.go differs from what the dictionary gives: run go generate ./internal/hes/dictionary")
	}
}

func TestLabel(t *testing.T) {
	for _, tt := range []struct{ text, label, period string }{
		{"Male", "Male", ""},
		{"Waiting list. A Patient admitted electively from a waiting list", "Waiting list", ""},
		{"NHS patient, including overseas visitors charged under the National Health Service", "NHS patient", ""},
		{"General Practitioner: after a request for immediate admission", "General Practitioner", ""},
		{"Other means, examples are:", "Other means", ""},
		{"Temporary place of residence when usually resident elsewhere, for example, hotels", "Temporary place of residence when usually resident elsewhere", ""},
		{"Paediatric Dermatology Service (From 2006-07)", "Paediatric Dermatology Service", "From 2006-07"},
		{"NHS run care home (retired in 2022-23)", "NHS run care home", "retired in 2022-23"},
		{"Court (1999-00 to 2006-07 and from 2022-23)", "Court", "1999-00 to 2006-07 and from 2022-23"},
		{"Clinical Cytogenetics and Molecular Genetics (Retired 1 April 2010). National Code 312 is retained", "Clinical Cytogenetics and Molecular Genetics", "Retired 1 April 2010"},
		// A parenthesis that is not a period stays in the label.
		{"Not applicable (other maternity event)", "Not applicable (other maternity event)", ""},
		{"Not applicable - Hospital Provider Spell not finished at episode end (i.e. not discharged)", "Not applicable - Hospital Provider Spell not finished at episode end (i.e. not discharged)", ""},
	} {
		l, p := label(tt.text)
		if l != tt.label || p != tt.period {
			t.Errorf("label(%q) = %q, %q; want %q, %q", tt.text, l, p, tt.label, tt.period)
		}
	}
}

func TestParseValues(t *testing.T) {
	cell := "Elective Admission, when planned:\n11 = Waiting list. Long text\n 12= Booked\n\n" +
		"Emergency Admission, when urgent:\n21 = Emergency Care Department\n28 = Other means, examples are:\n- a transfer\n" +
		"Other Admission not specified above:\n81 = Transfer\n98 = Not applicable\n99 = Not known\nNull = Other maternity event"
	vals, groups := parseValues("ADMIMETH", cell)
	var got []string
	for _, v := range vals {
		got = append(got, v.Code+"/"+v.Group+"/"+v.Label)
	}
	want := "11/ELECTIVE/Waiting list 12/ELECTIVE/Booked 21/EMERGENCY/Emergency Care Department " +
		"28/EMERGENCY/Other means 81/OTHER/Transfer 98/UNKNOWN/Not applicable 99/UNKNOWN/Not known"
	if strings.Join(got, " ") != want {
		t.Errorf("values = %s\nwant     %s", strings.Join(got, " "), want)
	}
	if d := vals[3].Description; d != "Other means, examples are: - a transfer" {
		t.Errorf("28 description = %q; want its continuation line too", d)
	}
	var keys []string
	for _, g := range groups {
		keys = append(keys, g.Key+"="+g.Label)
	}
	if got := strings.Join(keys, ","); got != "ELECTIVE=Elective admission,EMERGENCY=Emergency admission,OTHER=Other admission,UNKNOWN=Not applicable or not known" {
		t.Errorf("groups = %s", got)
	}

	// Eras: the first, newest meaning of a code stands; a code of one era only
	// carries it as its period.
	vals, _ = parseValues("SEX", "From 2022-23 onwards:\n1 = Male\nX = Not Known\nFrom 1996-97 to 2022-23:\n1 = Male (old)\n0 = Not known")
	if len(vals) != 3 || vals[0].Label != "Male" || vals[0].Period != "" || vals[1].Period != "From 2022-23 onwards" || vals[2].Period != "From 1996-97 to 2022-23" {
		t.Errorf("SEX values = %+v", vals)
	}
	// The specialties' & filler and Null are not codes.
	if vals, _ := parseValues("TRETSPEF", "330 = Dermatology Service\nNull = Other Maternity Event\n& = Not known"); len(vals) != 1 {
		t.Errorf("TRETSPEF values = %+v; want 330 only", vals)
	}
}

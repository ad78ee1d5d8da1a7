package dictionary_test

import (
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/internal/hes/dictionary"
)

func TestLabelKnownCodes(t *testing.T) {
	for _, tt := range []struct {
		field       dictionary.Field
		code, label string
	}{
		{dictionary.Sex, "1", "Male"},
		{dictionary.Sex, "2", "Female"},
		{dictionary.Sex, "0", "Not known (not recorded)"},
		{dictionary.EthnicCategory, "A", "British (White)"},
		{dictionary.EthnicCategory, "4", "Indian"},
		{dictionary.Region, "H", "London"},
		{dictionary.EpisodeStatus, "3", "Finished"},
		{dictionary.EpisodeType, "2", "Delivery episode"},
		{dictionary.PatientClassification, "2", "Day case admission"},
		{dictionary.AdmissionMethod, "11", "Waiting list"},
		{dictionary.AdmissionMethod, "21", "Emergency Care Department or acute or emergency dental service"},
		{dictionary.AdmissionMethod, "2B", "Transfer of an admitted patient from another Hospital Provider in an emergency"},
		{dictionary.AdmissionSource, "19", "The usual place of residence"},
		{dictionary.DischargeMethod, "4", "Patient died"},
		{dictionary.DischargeDestination, "79", "PATIENT died or still birth"},
		{dictionary.AdministrativeCategory, "01", "NHS patient"},
		{dictionary.TreatmentSpecialty, "330", "Dermatology Service"},
		{dictionary.TreatmentSpecialty, "257", "Paediatric Dermatology Service"},
		{dictionary.MainSpecialty, "330", "Dermatology"},
		// Borrowed from the field that shares the code list.
		{dictionary.TreatmentSpecialty, "610", "Maternity Function"},
		{dictionary.DischargeDestination, "86", "Non-NHS (other than local authority) run nursing home"},
	} {
		got, ok := dictionary.Label(tt.field, tt.code)
		if !ok || got != tt.label {
			t.Errorf("Label(%s, %q) = %q, %v; want %q, true", tt.field, tt.code, got, ok, tt.label)
		}
	}
}

func TestLabelErrUnknownCode(t *testing.T) {
	for _, tt := range []struct {
		field dictionary.Field
		code  string
	}{
		{dictionary.AdmissionMethod, "7Z"}, {dictionary.AdmissionMethod, ""}, {dictionary.TreatmentSpecialty, "999"},
		{dictionary.TreatmentSpecialty, "&"}, {dictionary.Sex, "MALE"}, {dictionary.Region, "h"}, {"NOFIELD", "1"},
	} {
		if got, ok := dictionary.Label(tt.field, tt.code); ok {
			t.Errorf("Label(%s, %q) = %q, true; want not found", tt.field, tt.code, got)
		}
	}
}

func TestAdmissionMethodGroup(t *testing.T) {
	for code, want := range map[string]string{
		"11": "ELECTIVE", "12": "ELECTIVE", "13": "ELECTIVE",
		"21": "EMERGENCY", "24": "EMERGENCY", "28": "EMERGENCY", "2A": "EMERGENCY", "2D": "EMERGENCY",
		"31": "MATERNITY", "32": "MATERNITY",
		"81": "OTHER", "82": "OTHER", "83": "OTHER", "89": "OTHER",
		"98": "UNKNOWN", "99": "UNKNOWN",
	} {
		g, ok := dictionary.AdmissionMethodGroup(code)
		if !ok || g.Key != want {
			t.Errorf("AdmissionMethodGroup(%q) = %+v, %v; want %s", code, g, ok, want)
		}
	}
	// Codes the dictionary does not list group as the statistics do.
	for code, want := range map[string]string{"7Z": "OTHER", "26": "EMERGENCY", "27": "EMERGENCY"} {
		if g, ok := dictionary.AdmissionMethodGroup(code); !ok || g.Key != want {
			t.Errorf("AdmissionMethodGroup(%q) = %+v, %v; want %s", code, g, ok, want)
		}
	}
	if _, ok := dictionary.AdmissionMethodGroup(""); ok {
		t.Error("an empty admission method has a group")
	}
	var keys []string
	for _, g := range dictionary.AdmissionMethodGroups() {
		keys = append(keys, g.Key)
	}
	if got := strings.Join(keys, " "); got != "ELECTIVE EMERGENCY MATERNITY OTHER UNKNOWN" {
		t.Errorf("groups = %s", got)
	}
}

// TestValuesWellFormed checks every field of the lookup: codes unique within
// a field, every value labelled.
func TestValuesWellFormed(t *testing.T) {
	total := 0
	for _, f := range dictionary.Fields() {
		vals := dictionary.Values(f)
		if len(vals) < 3 || dictionary.Name(f) == "" {
			t.Errorf("%s: %d values, name %q", f, len(vals), dictionary.Name(f))
		}
		seen := map[string]bool{}
		for _, v := range vals {
			if seen[v.Code] || v.Code == "" || v.Label == "" || strings.TrimSpace(v.Label) != v.Label {
				t.Errorf("%s: bad or duplicate value %+v", f, v)
			}
			seen[v.Code] = true
		}
		total += len(vals)
	}
	t.Logf("%d fields, %d coded values", len(dictionary.Fields()), total)
}

// TestSampleCodesLabelled reads every coded field of the artificial HES
// sample: each code the loader keeps has a label.
func TestSampleCodesLabelled(t *testing.T) {
	f, err := os.Open("../../../testdata/artificial_hes_apc_0102_sample.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	for _, field := range dictionary.Fields() {
		i, ok := col[string(field)]
		if !ok {
			t.Errorf("sample has no column %s", field)
			continue
		}
		missing := map[string]bool{}
		for _, rec := range records[1:] {
			code := strings.TrimSpace(rec[i])
			if code == "" || code == "&" { // stored as null
				continue
			}
			if _, ok := dictionary.Label(field, code); !ok {
				missing[code] = true
			}
		}
		for code := range missing {
			t.Errorf("%s code %q in the sample has no label", field, code)
		}
	}
}

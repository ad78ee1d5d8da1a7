package app_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/hes/dictionary"
)

// labelsQuery is one page of episodes with every coded field and its label.
const labelsQuery = `query($after: String) { episodes(first: 100, after: $after) {
  pageInfo { hasNextPage endCursor }
  nodes { id episodeStatus episodeStatusLabel episodeType episodeTypeLabel
    patientClassification patientClassificationLabel
    admissionMethod admissionMethodLabel admissionMethodGroup admissionMethodGroupLabel
    admissionSource admissionSourceLabel dischargeMethod dischargeMethodLabel
    dischargeDestination dischargeDestinationLabel administrativeCategory administrativeCategoryLabel
    treatmentSpecialty treatmentSpecialtyLabel mainSpecialty mainSpecialtyLabel
    patient { sex sexLabel ethnicity ethnicityLabel region regionLabel } } } }`

// labelledPair is a coded field of the API with its label field and the
// dictionary field that labels it.
type labelledPair struct {
	code, label string
	field       dictionary.Field
}

var episodePairs = []labelledPair{
	{"episodeStatus", "episodeStatusLabel", dictionary.EpisodeStatus},
	{"episodeType", "episodeTypeLabel", dictionary.EpisodeType},
	{"patientClassification", "patientClassificationLabel", dictionary.PatientClassification},
	{"admissionMethod", "admissionMethodLabel", dictionary.AdmissionMethod},
	{"admissionSource", "admissionSourceLabel", dictionary.AdmissionSource},
	{"dischargeMethod", "dischargeMethodLabel", dictionary.DischargeMethod},
	{"dischargeDestination", "dischargeDestinationLabel", dictionary.DischargeDestination},
	{"administrativeCategory", "administrativeCategoryLabel", dictionary.AdministrativeCategory},
	{"treatmentSpecialty", "treatmentSpecialtyLabel", dictionary.TreatmentSpecialty},
	{"mainSpecialty", "mainSpecialtyLabel", dictionary.MainSpecialty},
}

var patientPairs = []labelledPair{
	{"ethnicity", "ethnicityLabel", dictionary.EthnicCategory},
	{"region", "regionLabel", dictionary.Region},
}

// allLabelledEpisodes walks every episode of the server with labelsQuery.
func allLabelledEpisodes(t *testing.T, s *apptest.Server) []map[string]any {
	t.Helper()
	var out []map[string]any
	vars := map[string]any{}
	for {
		var data struct {
			Episodes struct {
				PageInfo struct {
					HasNextPage bool
					EndCursor   string
				}
				Nodes []map[string]any
			}
		}
		s.Query(t, labelsQuery, vars, &data)
		out = append(out, data.Episodes.Nodes...)
		if !data.Episodes.PageInfo.HasNextPage {
			return out
		}
		vars["after"] = data.Episodes.PageInfo.EndCursor
	}
}

func codeStr(v any) (string, bool) { s, ok := v.(string); return s, ok }

// TestEpisodeLabelsOverHTTP reads every episode of the artificial sample
// with its labels: every code the sample holds is labelled with the data
// dictionary's label, and known codes read as the dictionary words them.
func TestEpisodeLabelsOverHTTP(t *testing.T) {
	s, conn := statsServer(t)
	nodes := allLabelledEpisodes(t, s)
	if len(nodes) < 1000 {
		t.Fatalf("walked %d episodes; want the whole sample", len(nodes))
	}
	labelled := map[string]int{}
	check := func(obj map[string]any, pairs []labelledPair) {
		for _, p := range pairs {
			code, hasCode := codeStr(obj[p.code])
			label, hasLabel := codeStr(obj[p.label])
			if !hasCode {
				if obj[p.label] != nil {
					t.Errorf("%s is null but %s = %v", p.code, p.label, obj[p.label])
				}
				continue
			}
			want, _ := dictionary.Label(p.field, code)
			if !hasLabel || label != want {
				t.Errorf("%s %q: %s = %v; want %q", p.code, code, p.label, obj[p.label], want)
			}
			labelled[p.label]++
		}
	}
	pinned := map[string]string{}
	for _, n := range nodes {
		check(n, episodePairs)
		patient, _ := n["patient"].(map[string]any)
		check(patient, patientPairs)
		if sex, ok := codeStr(patient["sex"]); ok {
			want := map[string]string{"MALE": "Male", "FEMALE": "Female", "NOT_KNOWN": "Not known (not recorded)"}[sex]
			if got, _ := codeStr(patient["sexLabel"]); got != want {
				t.Errorf("sex %s: sexLabel = %q; want %q", sex, got, want)
			}
			labelled["sexLabel"]++
		}
		method, _ := codeStr(n["admissionMethod"])
		group, _ := dictionary.AdmissionMethodGroup(method)
		if g, _ := codeStr(n["admissionMethodGroup"]); g != group.Key {
			t.Errorf("admissionMethod %q: group %q; want %q", method, g, group.Key)
		}
		if g, _ := codeStr(n["admissionMethodGroupLabel"]); g != group.Label {
			t.Errorf("admissionMethod %q: group label %q; want %q", method, g, group.Label)
		}
		for _, f := range []string{"admissionMethod", "treatmentSpecialty", "dischargeMethod"} {
			code, _ := codeStr(n[f])
			label, _ := codeStr(n[f+"Label"])
			pinned[f+" "+code] = label
		}
	}
	for key, want := range map[string]string{
		"admissionMethod 21":     "Emergency Care Department or acute or emergency dental service",
		"admissionMethod 11":     "Waiting list",
		"treatmentSpecialty 330": "Dermatology Service",
		"dischargeMethod 4":      "Patient died",
	} {
		if got, ok := pinned[key]; !ok || got != want {
			t.Errorf("%s: label %q (seen %v); want %q", key, got, ok, want)
		}
	}
	t.Logf("labelled values read: %v", labelled)

	t.Run("ErrUnknownCode", func(t *testing.T) {
		// Codes the dictionary does not list still read back, with a null label.
		if _, err := conn.Exec(`UPDATE episodes SET admimeth = '7Z', tretspef = '999', disdest = '01' ORDER BY id LIMIT 1`); err != nil {
			t.Fatal(err)
		}
		var data struct {
			Episodes struct{ Nodes []map[string]any }
		}
		s.Query(t, `{ episodes(first: 1, filter: { admissionMethod: { eq: "7Z" } }) { nodes {
			admissionMethod admissionMethodLabel admissionMethodGroup admissionMethodGroupLabel
			treatmentSpecialty treatmentSpecialtyLabel dischargeDestination dischargeDestinationLabel } } }`, nil, &data)
		if len(data.Episodes.Nodes) != 1 {
			t.Fatalf("got %d episodes with the unknown code", len(data.Episodes.Nodes))
		}
		n := data.Episodes.Nodes[0]
		if n["admissionMethod"] != "7Z" || n["treatmentSpecialty"] != "999" || n["dischargeDestination"] != "01" {
			t.Errorf("codes = %v", n)
		}
		for _, f := range []string{"admissionMethodLabel", "treatmentSpecialtyLabel", "dischargeDestinationLabel"} {
			if n[f] != nil {
				t.Errorf("%s = %v for an unknown code; want null", f, n[f])
			}
		}
		// The statistics count an unlisted admission method as OTHER; so does
		// the episode.
		if n["admissionMethodGroup"] != "OTHER" || n["admissionMethodGroupLabel"] != "Other admission" {
			t.Errorf("group of an unknown admission method = %v, %v; want OTHER", n["admissionMethodGroup"], n["admissionMethodGroupLabel"])
		}
	})
}

// TestCodeListOverHTTP lists every coded field without a token: codeList is
// public, and each field lists the dictionary's codes with labels.
func TestCodeListOverHTTP(t *testing.T) {
	s := apptest.New(t)
	type coded struct {
		Code, Label                string
		Description, Period, Group *string
	}
	list := func(t *testing.T, field model.CodedField) []coded {
		t.Helper()
		resp := s.Do(t, apptest.Request{Token: apptest.NoToken,
			Query: fmt.Sprintf(`{ codeList(field: %s) { code label description period group } }`, field)})
		if len(resp.Errors) > 0 {
			t.Fatalf("codeList(%s): %+v", field, resp.Errors)
		}
		var data struct{ CodeList []coded }
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		return data.CodeList
	}
	total := 0
	for _, field := range model.AllCodedField {
		t.Run(string(field), func(t *testing.T) {
			vals := list(t, field)
			if len(vals) < 3 {
				t.Fatalf("%d values", len(vals))
			}
			seen := map[string]bool{}
			for _, v := range vals {
				if v.Code == "" || v.Label == "" || seen[v.Code] {
					t.Errorf("bad or duplicate value %+v", v)
				}
				seen[v.Code] = true
				if (v.Group != nil) != (field == model.CodedFieldAdmissionMethod) {
					t.Errorf("%s: group %v", v.Code, v.Group)
				}
			}
			total += len(vals)
		})
	}
	t.Logf("%d coded fields, %d values", len(model.AllCodedField), total)

	find := func(vals []coded, code string) coded {
		for _, v := range vals {
			if v.Code == code {
				return v
			}
		}
		t.Errorf("code %s not listed", code)
		return coded{}
	}
	if v := find(list(t, model.CodedFieldSex), "2"); v.Label != "Female" {
		t.Errorf("SEX 2 = %+v", v)
	}
	if v := find(list(t, model.CodedFieldAdmissionMethod), "2A"); v.Group == nil || *v.Group != "EMERGENCY" || v.Period == nil {
		t.Errorf("ADMIMETH 2A = %+v; want group EMERGENCY and a period", v)
	}
	if v := find(list(t, model.CodedFieldTreatmentSpecialty), "257"); v.Label != "Paediatric Dermatology Service" {
		t.Errorf("TRETSPEF 257 = %+v", v)
	}
	if v := find(list(t, model.CodedFieldRegion), "H"); v.Label != "London" {
		t.Errorf("RESGOR H = %+v", v)
	}
	var groups []string
	for _, v := range list(t, model.CodedFieldAdmissionMethodGroup) {
		groups = append(groups, v.Code+"="+v.Label)
	}
	if got := strings.Join(groups, ","); got != "ELECTIVE=Elective admission,EMERGENCY=Emergency admission,"+
		"MATERNITY=Maternity admission,OTHER=Other admission,UNKNOWN=Not applicable or not known" {
		t.Errorf("admission method groups = %s", got)
	}

	t.Run("ErrUnknownField", func(t *testing.T) {
		resp := s.Do(t, apptest.Request{Token: apptest.NoToken, Query: `{ codeList(field: POSTCODE) { code } }`})
		if len(resp.Errors) == 0 || resp.Data != nil && string(resp.Data) != "null" {
			t.Fatalf("unknown field: %s", resp.Body)
		}
	})
}

// TestStatisticsKeyLabels tabulates the sample by every labelled dimension:
// each row carries one label per key, and the admission method groups of
// the statistics agree with the dictionary's groups of the sample's codes.
func TestStatisticsKeyLabels(t *testing.T) {
	s, conn := statsServer(t)
	type row struct {
		Keys     []*string
		Labels   []*string
		Episodes struct{ Value *int }
	}
	tabulate := func(t *testing.T, token, groupBy string) []row {
		t.Helper()
		resp := s.Do(t, apptest.Request{Token: token,
			Query: `{ statistics(groupBy: [` + groupBy + `]) { rows { keys labels episodes { value } } } }`})
		if len(resp.Errors) > 0 {
			t.Fatalf("statistics: %+v", resp.Errors)
		}
		var data struct{ Statistics struct{ Rows []row } }
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		if len(data.Statistics.Rows) == 0 {
			t.Fatal("no rows")
		}
		return data.Statistics.Rows
	}
	deref := func(p *string) string {
		if p == nil {
			return "<null>"
		}
		return *p
	}
	seen := map[string]string{}
	for _, groupBy := range []string{
		"TREATMENT_SPECIALTY, SEX, ADMISSION_METHOD_GROUP",
		"FINANCIAL_YEAR, AGE_BAND, PRIMARY_DIAGNOSIS_CHAPTER",
		"PROVIDER, PRIMARY_DIAGNOSIS_3",
	} {
		dims := strings.Split(groupBy, ", ")
		for _, r := range tabulate(t, apptest.NoToken, groupBy) {
			if len(r.Labels) != len(r.Keys) {
				t.Fatalf("%s: %d labels for %d keys", groupBy, len(r.Labels), len(r.Keys))
			}
			for i, k := range r.Keys {
				seen[dims[i]+" "+deref(k)] = deref(r.Labels[i])
				if k == nil && r.Labels[i] != nil {
					t.Errorf("%s: null key labelled %q", dims[i], *r.Labels[i])
				}
			}
		}
	}
	for key, want := range map[string]string{
		"TREATMENT_SPECIALTY 330":          "Dermatology Service",
		"TREATMENT_SPECIALTY 610":          "Maternity Function",
		"SEX FEMALE":                       "Female",
		"SEX MALE":                         "Male",
		"ADMISSION_METHOD_GROUP EMERGENCY": "Emergency admission",
		"ADMISSION_METHOD_GROUP UNKNOWN":   "Not applicable or not known",
		"FINANCIAL_YEAR 0102":              "2001-02",
		"AGE_BAND 0":                       "Under 1 year",
		"AGE_BAND 1-4":                     "Aged 1 to 4",
		"AGE_BAND 90+":                     "Aged 90 and over",
		"PRIMARY_DIAGNOSIS_CHAPTER XII":    "Diseases of the skin and subcutaneous tissue",
	} {
		if got, ok := seen[key]; !ok || got != want {
			t.Errorf("%s: label %q (key seen %v); want %q", key, got, ok, want)
		}
	}
	for key, label := range seen {
		if strings.HasPrefix(key, "PROVIDER ") || strings.HasPrefix(key, "PRIMARY_DIAGNOSIS_3 ") {
			if label != "<null>" {
				t.Errorf("%s: label %q; want null (the key is its own label)", key, label)
			}
		} else if !strings.HasSuffix(key, "<null>") && label == "<null>" {
			t.Errorf("%s has no label", key)
		}
	}

	t.Run("AdmissionMethodGroupsAgree", func(t *testing.T) {
		// Exact counts per group, from the statistics SQL, against the
		// dictionary's group of each finished episode's code.
		want := map[string]int{}
		for _, r := range readFCEs(t, conn) {
			key := "UNKNOWN"
			if r.method.Valid {
				g, ok := dictionary.AdmissionMethodGroup(r.method.String)
				if !ok {
					t.Fatalf("sample admission method %q has no group", r.method.String)
				}
				key = g.Key
			}
			want[key]++
		}
		got := map[string]int{}
		for _, r := range tabulate(t, s.Token(t, []model.Role{model.RoleAdmin}), "ADMISSION_METHOD_GROUP") {
			got[deref(r.Keys[0])] = *r.Episodes.Value
		}
		keys := func(m map[string]int) []string {
			var k []string
			for key := range m {
				k = append(k, key)
			}
			slices.Sort(k)
			return k
		}
		if len(want) < 4 || fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("episodes by group: statistics %v (%v); dictionary %v (%v)", got, keys(got), want, keys(want))
		}
	})
}

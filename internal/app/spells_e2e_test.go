package app_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/load"
)

// spellsExtract has two patients: SPA with four spells (an emergency
// readmission on day 30, none on day 31, an elective next spell, one still
// in hospital) and an episode with no admission date; SPB with one spell.
const spellsExtract = "FYEAR|EPIKEY|PSEUDO_HESID|PROCODE3|ADMIDATE|EPISTART|EPIEND|DISDATE|EPIORDER|EPISTAT|ADMIMETH|DISMETH|DIAG_4_01|OPERTN_4_01\n" +
	"2021|9300000000000000002|SPA|RXX|2021-01-01|2021-01-03|2021-01-05|2021-01-05|2|3|11|1|L400|\n" +
	"2021|9300000000000000001|SPA|RXX|2021-01-01|2021-01-01|2021-01-03||1|3|11||L400|S068\n" +
	"2021|9300000000000000003|SPA|RXX|2021-02-04|2021-02-04|2021-02-04|2021-02-04|1|3|21|1|L401|\n" +
	"2021|9300000000000000004|SPA|RYY|2021-03-07|2021-03-07|2021-03-08|2021-03-08|1|3|22|1|I10X|\n" +
	"2021|9300000000000000005|SPA|RXX|2021-03-20|2021-03-20|||1|1|11|8|L400|\n" +
	"2021|9300000000000000006|SPA|RXX||2021-04-01|2021-04-02||1|3|11|1|L400|\n" +
	"2021|9300000000000000007|SPB|RXX|2021-01-01|2021-01-01|2021-01-01|2021-01-01|1|3|2A|4|C443|\n"

func spellsServer(t *testing.T) *apptest.Server {
	t.Helper()
	s := apptest.New(t)
	sum, err := load.Stream(context.Background(), s.DB, "spells.txt", strings.NewReader(spellsExtract), 0,
		load.Options{RejectsPath: t.TempDir() + "/rejects.csv"})
	if err != nil || sum.Rejected != 0 {
		t.Fatalf("load: %v, %d rejected", err, sum.Rejected)
	}
	return s
}

type spellNode struct {
	ID                               string
	ProviderCode                     string
	AdmissionDate                    string
	DischargeDate                    *string
	AdmissionMethod                  *string
	AdmissionMethodGroup             string
	DischargeMethod                  *string
	LengthOfStay                     *int
	EpisodeCount                     int
	EmergencyReadmissionWithin30Days bool
	Patient                          struct{ PseudoID string }
	Episodes                         []struct{ EpisodeKey string }
	DischargingEpisode               *struct{ EpisodeKey string }
}

const spellFields = `id providerCode admissionDate dischargeDate admissionMethod admissionMethodGroup dischargeMethod
  lengthOfStay episodeCount emergencyReadmissionWithin30Days patient { pseudoId } episodes { episodeKey }
  dischargingEpisode { episodeKey }`

// spellLine shortens a spell for comparison.
func spellLine(s spellNode) string {
	keys := make([]string, len(s.Episodes))
	for i, e := range s.Episodes {
		keys[i] = e.EpisodeKey[len(e.EpisodeKey)-2:]
	}
	by, los := "-", "-"
	if s.DischargingEpisode != nil {
		by = s.DischargingEpisode.EpisodeKey[len(s.DischargingEpisode.EpisodeKey)-2:]
	}
	if s.LengthOfStay != nil {
		los = fmt.Sprint(*s.LengthOfStay)
	}
	return fmt.Sprintf("%s %s %s %s los=%s eps=%s by=%s readmit=%v", s.Patient.PseudoID, s.ProviderCode, s.AdmissionDate,
		s.AdmissionMethodGroup, los, strings.Join(keys, ","), by, s.EmergencyReadmissionWithin30Days)
}

func querySpells(t *testing.T, s *apptest.Server, token, filter string) ([]string, []apptest.Error) {
	t.Helper()
	resp := s.Do(t, apptest.Request{Token: token, Query: `query { spells(first: 50` + filter + `) { nodes { ` + spellFields + ` } } }`})
	var data struct{ Spells *struct{ Nodes []spellNode } }
	if resp.Data != nil {
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
	}
	var out []string
	if data.Spells != nil {
		for _, n := range data.Spells.Nodes {
			out = append(out, spellLine(n))
		}
	}
	return out, resp.Errors
}

func TestSpellsListingAndFilters(t *testing.T) {
	s := spellsServer(t)
	all := []string{
		"SPA RXX 2021-01-01 ELECTIVE los=4 eps=01,02 by=02 readmit=true",
		"SPB RXX 2021-01-01 EMERGENCY los=0 eps=07 by=07 readmit=false",
		"SPA RXX 2021-02-04 EMERGENCY los=0 eps=03 by=03 readmit=false",
		"SPA RYY 2021-03-07 EMERGENCY los=1 eps=04 by=04 readmit=false",
		"SPA RXX 2021-03-20 ELECTIVE los=- eps=05 by=- readmit=false",
	}
	for _, c := range []struct {
		name, filter string
		want         []string
	}{
		{"All", ``, all},
		{"EmergencyGroup", `, filter: {admissionMethodGroup: [EMERGENCY]}`, []string{all[1], all[2], all[3]}},
		{"LengthOfStayRange", `, filter: {lengthOfStay: {gte: 1, lte: 4}}`, []string{all[0], all[3]}},
		{"NotDischarged", `, filter: {lengthOfStay: {isNull: true}}`, []string{all[4]}},
		{"AdmissionDates", `, filter: {admissionDate: {gte: "2021-02-01", lt: "2021-03-20"}}`, []string{all[2], all[3]}},
		{"DischargeDates", `, filter: {dischargeDate: {lte: "2021-01-05"}}`, []string{all[0], all[1]}},
		{"DiagnosisInAnyEpisode", `, filter: {diagnosis: {startsWith: "I10"}}`, []string{all[3]}},
		{"ProcedureInAnyEpisode", `, filter: {procedure: {eq: "S06.8"}}`, []string{all[0]}},
		{"Readmitted", `, filter: {emergencyReadmissionWithin30Days: true}`, []string{all[0]}},
		{"ByLengthOfStayDesc", `, orderBy: [{field: LENGTH_OF_STAY, direction: DESC}]`, []string{all[0], all[3], all[1], all[2], all[4]}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, errs := querySpells(t, s, "", c.filter)
			if len(errs) > 0 {
				t.Fatalf("errors: %+v", errs)
			}
			if !slices.Equal(got, c.want) {
				t.Errorf("got:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
	t.Run("ErrBadCode", func(t *testing.T) {
		_, errs := querySpells(t, s, "", `, filter: {diagnosis: {eq: "nonsense"}}`)
		if len(errs) != 1 || errs[0].Code() != model.ErrBadUserInput || errs[0].Extensions["field"] != "filter.diagnosis.eq" {
			t.Errorf("errors %+v, want one BAD_USER_INPUT on filter.diagnosis.eq", errs)
		}
	})
	t.Run("PatientSpellsAndEpisodeSpell", func(t *testing.T) {
		var data struct {
			Patients struct {
				Nodes []struct {
					PseudoID string
					Spells   struct {
						TotalCount int
						Nodes      []spellNode
						PageInfo   struct{ HasNextPage bool }
					}
					Episodes struct {
						Nodes []struct {
							EpisodeKey string
							Spell      *struct{ AdmissionDate string }
						}
					}
				}
			}
		}
		s.Query(t, `{ patients(first: 10, orderBy: [{field: PSEUDO_ID}]) { nodes { pseudoId
			spells(first: 3) { totalCount pageInfo { hasNextPage } nodes { `+spellFields+` } }
			episodes(first: 10) { nodes { episodeKey spell { admissionDate } } } } } }`, nil, &data)
		a := data.Patients.Nodes[0]
		if a.PseudoID != "SPA" || a.Spells.TotalCount != 4 || !a.Spells.PageInfo.HasNextPage || len(a.Spells.Nodes) != 3 {
			t.Fatalf("SPA spells: %+v", a.Spells)
		}
		if got := spellLine(a.Spells.Nodes[1]); got != all[2] {
			t.Errorf("SPA's second spell %s, want %s", got, all[2])
		}
		for _, e := range a.Episodes.Nodes {
			hasSpell := e.Spell != nil
			if hasSpell != !strings.HasSuffix(e.EpisodeKey, "06") {
				t.Errorf("episode %s: spell %+v (only 06, without admission date, has none)", e.EpisodeKey, e.Spell)
			}
		}
	})
	t.Run("PaginatedWalk", func(t *testing.T) {
		var got []string
		after := ""
		for page := 0; page < 10; page++ {
			var data struct {
				Spells struct {
					Nodes    []spellNode
					PageInfo struct {
						HasNextPage bool
						EndCursor   string
					}
				}
			}
			vars := map[string]any{}
			if after != "" {
				vars["after"] = after
			}
			s.Query(t, `query($after: String) { spells(first: 2, after: $after) { nodes { `+spellFields+` } pageInfo { hasNextPage endCursor } } }`, vars, &data)
			for _, n := range data.Spells.Nodes {
				got = append(got, spellLine(n))
			}
			if !data.Spells.PageInfo.HasNextPage {
				break
			}
			after = data.Spells.PageInfo.EndCursor
		}
		if !slices.Equal(got, all) {
			t.Errorf("walk:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(all, "\n  "))
		}
	})
}

func TestSpellsGovernance(t *testing.T) {
	s := spellsServer(t)
	t.Run("PublicCannotReadSpells", func(t *testing.T) {
		for _, q := range []string{`{ spells(first: 5) { nodes { id } } }`, `{ episodes(first: 5) { nodes { id } } }`} {
			resp := s.Do(t, apptest.Request{Token: apptest.NoToken, Query: q})
			if len(resp.Errors) == 0 || resp.Errors[0].Code() != model.ErrUnauthenticated || strings.Contains(string(resp.Data), "nodes") {
				t.Errorf("%s as public: errors %+v, data %s; want UNAUTHENTICATED and no data", q, resp.Errors, resp.Data)
			}
		}
	})
	t.Run("ClinicianSeesPatientsInScope", func(t *testing.T) {
		got, errs := querySpells(t, s, s.Token(t, []model.Role{model.RoleClinician}, "RYY"), "")
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		// SPA has an episode at RYY, so all of SPA's spells are in scope; SPB's are not.
		if len(got) != 4 || slices.ContainsFunc(got, func(l string) bool { return strings.HasPrefix(l, "SPB") }) {
			t.Errorf("clinician at RYY sees:\n  %s", strings.Join(got, "\n  "))
		}
		got, errs = querySpells(t, s, s.Token(t, []model.Role{model.RoleClinician}, "RZZ"), "")
		if len(errs) > 0 || len(got) != 0 {
			t.Errorf("clinician at RZZ sees %q, errors %+v; want nothing", got, errs)
		}
	})
	t.Run("ClinicianCannotFetchSpellOutOfScope", func(t *testing.T) {
		all, _ := querySpells(t, s, "", "")
		if len(all) != 5 {
			t.Fatalf("researcher sees %d spells", len(all))
		}
		var data struct {
			Spells struct{ Nodes []struct{ ID string } }
		}
		s.Query(t, `{ spells(first: 50, filter: {providerCode: {eq: "RXX"}, admissionMethodGroup: [EMERGENCY], admissionDate: {eq: "2021-01-01"}}) { nodes { id } } }`, nil, &data)
		if len(data.Spells.Nodes) != 1 {
			t.Fatalf("SPB's spell: %+v", data)
		}
		resp := s.Do(t, apptest.Request{Token: s.Token(t, []model.Role{model.RoleClinician}, "RYY"),
			Query: `query($id: ID!) { spell(id: $id) { id } node(id: $id) { id } }`, Variables: map[string]any{"id": data.Spells.Nodes[0].ID}})
		if !strings.Contains(string(resp.Data), `"spell":null`) || !strings.Contains(string(resp.Data), `"node":null`) {
			t.Errorf("out-of-scope spell by id: %s %+v", resp.Data, resp.Errors)
		}
	})
}

func TestSpellStatementCounts(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 3000, 17)
	counts := func(query string) []int64 {
		var out []int64
		for _, n := range []int{3, 40} {
			out = append(out, statements(t, s, strings.ReplaceAll(query, "N", fmt.Sprint(n)), nil, nil))
		}
		return out
	}
	for _, c := range []struct {
		name, query string
		max         int64
	}{
		// listing, patients, episodes of the spells, their diagnoses, discharging episodes
		{"SpellsNested", `{ spells(first: N) { nodes { id patient { sex } episodes { episodeKey diagnoses { code } } dischargingEpisode { episodeKey } } } }`, 5},
		// listing and the spells of the page's episodes
		{"EpisodeSpell", `{ episodes(first: N) { nodes { id spell { admissionDate lengthOfStay } } } }`, 2},
		// patients, their spells (with counts) in one statement, those spells' episodes
		{"PatientSpells", `{ patients(first: N) { nodes { id spells(first: 2) { totalCount nodes { id episodes { episodeKey } } } } } }`, 3},
		// episodes, their patients, those patients' spells
		{"EpisodePatientSpells", `{ episodes(first: N) { nodes { patient { spells(first: 1) { nodes { lengthOfStay } } } } } }`, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := counts(c.query)
			if got[0] != got[1] || got[1] > c.max {
				t.Errorf("statements for pages of 3 and 40: %v; want the same, at most %d", got, c.max)
			}
		})
	}
}

func TestSpellStatisticsDisclosure(t *testing.T) {
	s := spellsServer(t)
	q := `{ statistics(groupBy: [LENGTH_OF_STAY_BAND]) { disclosureControl rows { keys spells { value display suppressed } } } }`
	type row struct {
		Keys   []*string
		Spells struct {
			Value      *int
			Display    string
			Suppressed bool
		}
	}
	run := func(token string) (bool, map[string]string) {
		resp := s.Do(t, apptest.Request{Token: token, Query: q})
		if len(resp.Errors) > 0 {
			t.Fatalf("errors: %+v", resp.Errors)
		}
		var data struct {
			Statistics struct {
				DisclosureControl bool
				Rows              []row
			}
		}
		if err := json.Unmarshal(resp.Data, &data); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range data.Statistics.Rows {
			k := "null"
			if r.Keys[0] != nil {
				k = *r.Keys[0]
			}
			out[k] = fmt.Sprintf("%s/%v", r.Spells.Display, r.Spells.Suppressed)
		}
		return data.Statistics.DisclosureControl, out
	}
	control, got := run(apptest.NoToken)
	want := map[string]string{"null": "0/false", "0": "*/true", "1": "*/true", "4-7": "*/true"}
	if !control || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("public: control %v, spells %v; want %v", control, got, want)
	}
	control, got = run(s.Token(t, []model.Role{model.RoleAdmin}))
	want = map[string]string{"null": "0/false", "0": "2/false", "1": "1/false", "4-7": "1/false"}
	if control || fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("ADMIN: control %v, spells %v; want %v", control, got, want)
	}
}

// The spell queries of the README and docs/spells.md run without errors.
func TestSpellDocQueriesRun(t *testing.T) {
	s := spellsServer(t)
	ran := 0
	for _, path := range []string{"../../README.md", "../../docs/spells.md"} {
		text, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(text), "```graphql\n")
		for _, b := range blocks[1:] {
			q, _, _ := strings.Cut(b, "```")
			if !strings.Contains(q, "spells(") {
				continue
			}
			ran++
			if resp := s.Do(t, apptest.Request{Query: q}); len(resp.Errors) > 0 {
				t.Errorf("%s: %s\nerrors: %+v", path, q, resp.Errors)
			}
		}
	}
	if ran < 2 {
		t.Errorf("ran %d spell queries from the docs, want at least 2", ran)
	}
}

func TestSpellLabels(t *testing.T) {
	s := spellsServer(t)
	var data struct {
		Spells struct {
			Nodes []struct {
				AdmissionMethod, DischargeMethod           *string
				AdmissionMethodLabel, DischargeMethodLabel *string
			}
		}
		Statistics struct {
			Rows []struct{ Keys, Labels []*string }
		}
	}
	s.Query(t, `{ spells(first: 50) { nodes { admissionMethod admissionMethodLabel dischargeMethod dischargeMethodLabel } }
		statistics(groupBy: [LENGTH_OF_STAY_BAND]) { rows { keys labels } } }`, nil, &data)
	for _, n := range data.Spells.Nodes {
		if (n.AdmissionMethod != nil) != (n.AdmissionMethodLabel != nil) || (n.DischargeMethod != nil) != (n.DischargeMethodLabel != nil) {
			t.Errorf("codes and labels disagree: %+v", n)
		}
	}
	got := map[string]string{}
	for _, r := range data.Statistics.Rows {
		if r.Keys[0] != nil && r.Labels[0] != nil {
			got[*r.Keys[0]] = *r.Labels[0]
		}
	}
	want := map[string]string{"0": "Discharged the day of admission", "1": "1 day", "4-7": "4 to 7 days"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("band labels %v, want %v", got, want)
	}
}

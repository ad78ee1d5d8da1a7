package app_test

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"

	"github.com/hesgql/hesgql/internal/apptest"
)

// The benchmark's workload shapes cost a fixed, small number of SQL
// statements whatever the page size: nested data is fetched in one batch
// per level, never once per parent.

const w1Query = `query {
  episodes(first: 50, orderBy: [{field: EPISODE_START, direction: DESC}],
           filter: {treatmentSpecialty: {in: ["330", "257"]}, episodeStart: {gte: "2019-01-01", lte: "2023-12-31"}}) {
    edges { cursor node { id episodeKey episodeStart treatmentSpecialty
      patient { sex birthYear } diagnoses { code description } } }
    pageInfo { hasNextPage endCursor }
  }
}`

const w5Query = `query {
  patients(first: 20) {
    nodes { id pseudoId
      episodes(first: 5) {
        nodes { id episodeKey episodeStart diagnoses { position code } }
        pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
      }
    }
  }
}`

// statements runs query and returns how many SQL statements it cost.
func statements(t *testing.T, s *apptest.Server, query string, vars map[string]any, v any) int64 {
	t.Helper()
	before := s.DB.StatementsTotal()
	s.Query(t, query, vars, v)
	n := s.DB.StatementsTotal() - before
	t.Logf("%d SQL statements", n)
	return n
}

func TestWorkloadStatementCounts(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 3000, 11)

	t.Run("W1Listing", func(t *testing.T) {
		var page struct {
			Episodes struct {
				Edges []struct {
					Node struct {
						TreatmentSpecialty string
						Patient            struct{ Sex string }
						Diagnoses          []struct{ Code, Description *string }
					}
				}
			}
		}
		n := statements(t, s, w1Query, nil, &page)
		if len(page.Episodes.Edges) != 50 {
			t.Fatalf("got %d episodes, want a full page of 50", len(page.Episodes.Edges))
		}
		for _, e := range page.Episodes.Edges {
			if ts := e.Node.TreatmentSpecialty; ts != "330" && ts != "257" {
				t.Errorf("episode with treatmentSpecialty %q in a 330/257 listing", ts)
			}
		}
		if n > 3 {
			t.Errorf("W1 took %d SQL statements, want at most 3", n)
		}
	})

	t.Run("W5NestedEpisodes", func(t *testing.T) {
		var page struct {
			Patients struct {
				Nodes []struct {
					ID       string
					Episodes struct{ Nodes []struct{ ID string } }
				}
			}
		}
		n := statements(t, s, w5Query, nil, &page)
		if len(page.Patients.Nodes) != 20 {
			t.Fatalf("got %d patients, want 20", len(page.Patients.Nodes))
		}
		withEpisodes := 0
		for _, p := range page.Patients.Nodes {
			if len(p.Episodes.Nodes) > 5 {
				t.Errorf("patient %s: %d episodes on a page of 5", p.ID, len(p.Episodes.Nodes))
			}
			if len(p.Episodes.Nodes) > 0 {
				withEpisodes++
			}
		}
		if withEpisodes == 0 {
			t.Fatal("no patient has episodes")
		}
		if n > 4 {
			t.Errorf("W5 took %d SQL statements, want at most 4", n)
		}
	})

	t.Run("W5ThroughEdgesWithTotals", func(t *testing.T) {
		q := `query {
  patients(first: 20) {
    edges { node { id
      episodes(first: 3, orderBy: [{field: EPISODE_START, direction: DESC}]) { totalCount edges { cursor node { id } } }
    } }
  }
}`
		if n := statements(t, s, q, nil, nil); n > 3 {
			t.Errorf("nested listing with totalCount took %d SQL statements, want at most 3", n)
		}
	})

	t.Run("PatientsOfEpisodes", func(t *testing.T) {
		q := `query {
  episodes(first: 30) { nodes { id patient { id episodes(first: 2) { nodes { id } } } } }
}`
		if n := statements(t, s, q, nil, nil); n > 3 {
			t.Errorf("episodes' patients' episodes took %d SQL statements, want at most 3", n)
		}
	})
}

// nestedPage is a nested or single-patient listing as compared below.
type nestedPage struct {
	TotalCount int
	Edges      []struct {
		Cursor string
		Node   struct {
			ID           string
			EpisodeKey   string
			EpisodeStart *string
			StartAge     *int
			Diagnoses    []struct {
				Position int
				Code     string
			}
		}
	}
	PageInfo struct {
		HasNextPage, HasPreviousPage bool
		StartCursor, EndCursor       *string
	}
}

const nestedPageFields = `totalCount
  edges { cursor node { id episodeKey episodeStart startAge diagnoses { position code } } }
  pageInfo { hasNextPage hasPreviousPage startCursor endCursor }`

// Batched nested listings are exactly the single-patient listings: same
// episodes, order, page information and cursors, and the cursors continue
// each patient's own listing.
func TestNestedEpisodesMatchSinglePatientListing(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 2000, 5)

	cases := []struct{ name, args string }{
		{"Default", `first: 3`},
		{"OrderedDesc", `first: 2, orderBy: [{field: EPISODE_START, direction: DESC}]`},
		{"TwoKeys", `first: 2, orderBy: [{field: START_AGE}, {field: EPISODE_END, direction: DESC}]`},
		{"Last", `last: 2`},
		{"Filtered", `first: 4, filter: {episodeStart: {gte: "2020-01-01"}, treatmentSpecialty: {in: ["330", "257"]}}`},
		{"Empty", `first: 0`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var batch struct {
				Patients struct {
					Nodes []struct {
						ID       string
						Episodes nestedPage
					}
				}
			}
			s.Query(t, fmt.Sprintf(`query { patients(first: 25) { nodes { id episodes(%s) { %s } } } }`, c.args, nestedPageFields), nil, &batch)
			if len(batch.Patients.Nodes) < 2 {
				t.Fatalf("only %d patients", len(batch.Patients.Nodes))
			}
			for _, p := range batch.Patients.Nodes {
				var single struct{ Patient struct{ Episodes nestedPage } }
				s.Query(t, fmt.Sprintf(`query($id: ID!) { patient(id: $id) { episodes(%s) { %s } } }`, c.args, nestedPageFields),
					map[string]any{"id": p.ID}, &single)
				if !reflect.DeepEqual(p.Episodes, single.Patient.Episodes) {
					t.Fatalf("patient %s:\nbatched %s\nsingle  %s", p.ID, dump(p.Episodes), dump(single.Patient.Episodes))
				}
			}
		})
	}

	t.Run("CursorContinuesOwnPatient", func(t *testing.T) {
		var batch struct {
			Patients struct {
				Nodes []struct {
					ID       string
					Episodes nestedPage
				}
			}
		}
		s.Query(t, `query { patients(first: 25) { nodes { id episodes(first: 1) { `+nestedPageFields+` } } } }`, nil, &batch)
		checked := 0
		for _, p := range batch.Patients.Nodes {
			if !p.Episodes.PageInfo.HasNextPage {
				continue
			}
			vars := map[string]any{"id": p.ID, "after": *p.Episodes.PageInfo.EndCursor}
			var next, whole struct{ Patient struct{ Episodes nestedPage } }
			s.Query(t, `query($id: ID!, $after: String) { patient(id: $id) { episodes(first: 1, after: $after) { `+nestedPageFields+` } } }`, vars, &next)
			s.Query(t, `query($id: ID!) { patient(id: $id) { episodes(first: 2) { `+nestedPageFields+` } } }`, map[string]any{"id": p.ID}, &whole)
			if got, want := next.Patient.Episodes.Edges[0].Node.ID, whole.Patient.Episodes.Edges[1].Node.ID; got != want {
				t.Errorf("patient %s: page after the batched cursor starts at %s, want %s", p.ID, got, want)
			}
			checked++
		}
		if checked == 0 {
			t.Fatal("no patient has a second episode")
		}
	})

	t.Run("AliasesWithOtherArguments", func(t *testing.T) {
		var got struct {
			Patients struct {
				Nodes []struct {
					First struct{ Nodes []struct{ ID string } }
					Last  struct{ Nodes []struct{ ID string } }
				}
			}
		}
		s.Query(t, `query { patients(first: 10) { nodes {
		  first: episodes(first: 1) { nodes { id } }
		  last: episodes(last: 1) { nodes { id } } } } }`, nil, &got)
		for i, p := range got.Patients.Nodes {
			if len(p.First.Nodes) != 1 || len(p.Last.Nodes) != 1 {
				t.Fatalf("patient %d: first %v last %v", i, p.First.Nodes, p.Last.Nodes)
			}
		}
	})

	t.Run("ErrBadCursorInNestedListing", func(t *testing.T) {
		resp := s.Do(t, apptest.Request{Query: `query { patients(first: 3) { nodes { episodes(after: "bogus") { nodes { id } } } } }`})
		if len(resp.Errors) == 0 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Fatalf("errors = %+v, want BAD_USER_INPUT", resp.Errors)
		}
	})
}

// Reading only the selected columns returns the same values as reading
// them all.
func TestColumnSelectionKeepsValues(t *testing.T) {
	s := apptest.New(t)
	apptest.LoadGenerated(t, s.DB, 500, 3)
	const all = `id episodeKey financialYear providerCode siteCode admissionDate episodeStart episodeEnd dischargeDate
	  episodeOrder episodeStatus episodeType patientClassification admissionMethod admissionSource dischargeMethod
	  dischargeDestination administrativeCategory treatmentSpecialty mainSpecialty startAge episodeDuration spellDuration`
	var full struct {
		Episodes struct{ Nodes []map[string]any }
	}
	s.Query(t, `query { episodes(first: 40, orderBy: [{field: PROVIDER_CODE}]) { nodes { `+all+` } } }`, nil, &full)
	for _, field := range []string{"episodeKey", "episodeStart", "dischargeMethod", "spellDuration", "startAge"} {
		var part struct {
			Episodes struct {
				Nodes    []map[string]any
				PageInfo struct{ EndCursor string }
			}
		}
		s.Query(t, `query { episodes(first: 40, orderBy: [{field: PROVIDER_CODE}]) { nodes { id `+field+` } pageInfo { endCursor } } }`, nil, &part)
		if len(part.Episodes.Nodes) != len(full.Episodes.Nodes) {
			t.Fatalf("%s: %d rows, want %d", field, len(part.Episodes.Nodes), len(full.Episodes.Nodes))
		}
		for i, n := range part.Episodes.Nodes {
			if n["id"] != full.Episodes.Nodes[i]["id"] || !reflect.DeepEqual(n[field], full.Episodes.Nodes[i][field]) {
				t.Fatalf("%s row %d: got %v, want %v", field, i, n, full.Episodes.Nodes[i])
			}
		}
		// The cursor still carries the sort key, which was not selected.
		var next struct {
			Episodes struct{ Nodes []map[string]any }
		}
		s.Query(t, `query($a: String) { episodes(first: 1, after: $a, orderBy: [{field: PROVIDER_CODE}]) { nodes { id } } }`,
			map[string]any{"a": part.Episodes.PageInfo.EndCursor}, &next)
		if len(next.Episodes.Nodes) != 1 {
			t.Fatalf("%s: no episode after the page's end cursor", field)
		}
	}
}

func dump(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

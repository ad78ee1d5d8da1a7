package app_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"testing"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// publicPart is what every caller may read; a denied guarded root field
// beside it must leave it standing.
const publicPart = `statistics(groupBy: [FINANCIAL_YEAR]) { disclosureControl rows { keys episodes { display } } }
	dataReleases { fileName rowsLoaded }`

// TestDeniedRootFieldKeepsTheRest asks, for every guarded root field of the
// schema and every role refused it, for that field beside statistics and
// dataReleases: the response keeps the public data (the same as asked
// alone), and carries one error, on the denied field only.
func TestDeniedRootFieldKeepsTheRest(t *testing.T) {
	f := newGovFixture(t, app.Options{})
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()

	var roots []guarded
	for _, g := range guardedFields(schema) {
		if g.owner == "Query" {
			roots = append(roots, g)
		}
	}
	var names []string
	for _, g := range roots {
		names = append(names, g.field)
		if g.def.Type.NonNull {
			t.Errorf("Query.%s is guarded but non-null: a denial would empty the whole response", g.field)
		}
	}
	// The walk finds what the contract lists (and whatever is added later).
	for _, want := range []string{"node", "patient", "episode", "patients", "episodes", "auditEvents"} {
		if !slices.Contains(names, want) {
			t.Errorf("guarded root fields %v lack %s", names, want)
		}
	}

	for _, role := range matrixRoles {
		alone := f.s.Do(t, apptest.Request{Query: "{ " + publicPart + " }", Token: f.tokens[role]})
		if alone.Status != http.StatusOK || len(alone.Errors) > 0 {
			t.Fatalf("%s: public part alone: %d %s", role, alone.Status, alone.Body)
		}
		var want map[string]json.RawMessage
		if err := json.Unmarshal(alone.Data, &want); err != nil {
			t.Fatal(err)
		}
		var rows []any
		if err := json.Unmarshal(want["statistics"], &struct{ Rows *[]any }{&rows}); err != nil || len(rows) == 0 {
			t.Fatalf("%s: statistics has no rows (%v): %s", role, err, want["statistics"])
		}

		for _, g := range roots {
			allowed, code, _ := expectation(schema, role, nil, g)
			if allowed {
				continue
			}
			t.Run(g.field+"/"+role, func(t *testing.T) {
				query := "query Partial { " + publicPart + " denied: " + f.call(g.def) + selection(schema, g.def.Type) + " }"
				resp := f.s.Do(t, apptest.Request{Query: query, Token: f.tokens[role]})
				if resp.Status != http.StatusOK {
					t.Fatalf("status %d: %s", resp.Status, resp.Body)
				}
				var got map[string]json.RawMessage
				if err := json.Unmarshal(resp.Data, &got); err != nil || got == nil {
					t.Fatalf("data = %s, want the public part and denied: null\nquery: %s", resp.Data, query)
				}
				for _, k := range []string{"statistics", "dataReleases"} {
					if string(got[k]) != string(want[k]) {
						t.Errorf("data.%s = %s, want %s (as asked alone)", k, got[k], want[k])
					}
				}
				if v, ok := got["denied"]; !ok || string(v) != "null" {
					t.Errorf("data.denied = %s, want null", v)
				}
				if len(resp.Errors) != 1 {
					t.Fatalf("errors = %+v, want exactly one, on the denied field", resp.Errors)
				}
				e := resp.Errors[0]
				if e.Code() != code || !slices.Equal(namesOf(e.Path), []string{"denied"}) {
					t.Errorf("error %+v, want %s at path [denied]", e, code)
				}
			})
		}
	}
}

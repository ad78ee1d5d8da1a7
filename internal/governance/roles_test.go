package governance

import (
	"slices"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

func schemaRules(t *testing.T) *Rules {
	t.Helper()
	r, err := NewRules(graph.NewExecutableSchema(graph.Config{}).Schema())
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// The rules give a field the role sets of its own @hasRole and of the
// object type it returns, as gqlgen's OBJECT directives would.
func TestRulesFromSchema(t *testing.T) {
	r := schemaRules(t)
	record := []model.Role{model.RoleResearcher, model.RoleClinician, model.RoleAdmin}
	cases := []struct {
		object, field string
		want          [][]model.Role
	}{
		{"Query", "episodes", [][]model.Role{record}},          // its own
		{"Query", "patient", [][]model.Role{record}},           // Patient's
		{"Episode", "patient", [][]model.Role{record}},         // Patient's
		{"EpisodeEdge", "node", [][]model.Role{record}},        // Episode's
		{"PatientConnection", "nodes", [][]model.Role{record}}, // list of Patient
		{"Query", "statistics", nil},
		{"Patient", "nhsNumber", nil}, // @identifiable decides, not roles
		{"Episode", "diagnoses", nil},
	}
	for _, c := range cases {
		got := r.needs[c.object][c.field]
		if !slices.EqualFunc(got, c.want, slices.Equal) {
			t.Errorf("%s.%s: role sets %v, want %v", c.object, c.field, got, c.want)
		}
	}
	if got := r.possible["Node"]; !slices.Equal(got, []string{"Episode", "Patient"}) {
		t.Errorf("Node's types %v", got)
	}
}

// The operation walk finds a field the caller may not read wherever it is
// (nested, in fragments, behind an interface), and nothing in an operation
// the caller may read in full: then no field is checked on its own.
func TestDeniesSome(t *testing.T) {
	r := schemaRules(t)
	s := graph.NewExecutableSchema(graph.Config{}).Schema()
	researcher := &auth.Viewer{Roles: []model.Role{model.RoleResearcher}, Authenticated: true}
	admin := &auth.Viewer{Roles: []model.Role{model.RoleAdmin}, Authenticated: true}
	public := auth.Public()
	cases := []struct {
		name   string
		query  string
		viewer *auth.Viewer
		want   bool
	}{
		{"listing as researcher", `{ episodes(first: 5) { edges { cursor node { id patient { sex } diagnoses { code } } } } }`, researcher, false},
		{"listing as public", `{ episodes(first: 5) { edges { node { id } } } }`, public, true},
		{"nested type as public", `{ statistics(groupBy: [SEX]) { note } viewer { roles } }`, public, false},
		{"audit as researcher", `{ auditEvents(first: 1) { nodes { subject } } }`, researcher, true},
		{"audit as admin", `{ auditEvents(first: 1) { nodes { subject } } }`, admin, false},
		{"in a fragment", `query { ...F } fragment F on Query { patients(first: 1) { nodes { id } } }`, public, true},
		{"behind an interface", `{ node(id: "x") { ... on Patient { id } } }`, researcher, false},
	}
	for _, c := range cases {
		doc, errs := gqlparser.LoadQuery(s, c.query)
		if errs != nil {
			t.Fatalf("%s: %v", c.name, errs)
		}
		oc := &graphql.OperationContext{Doc: doc, Operation: doc.Operations[0]}
		if got := r.deniesSome(oc, c.viewer); got != c.want {
			t.Errorf("%s: deniesSome = %v, want %v", c.name, got, c.want)
		}
	}
}

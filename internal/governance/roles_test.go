package governance

import (
	"slices"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
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
	if got := r.possible["Node"]; !slices.Equal(got, []string{"Episode", "Patient", "Spell"}) {
		t.Errorf("Node's types %v", got)
	}
}

// Root fields decide, so a schema in which a field below a root needs a
// role the root did not demand is refused rather than under-enforced.
func TestRulesRefuseStricterNestedFields(t *testing.T) {
	const base = `
enum Role { RESEARCHER CLINICIAN ADMIN }
directive @hasRole(roles: [Role!]!) on FIELD_DEFINITION | OBJECT
`
	cases := map[string]struct {
		sdl string
		ok  bool
	}{
		"same roles below": {`type Query { a: A @hasRole(roles: [RESEARCHER, ADMIN]) }
type A @hasRole(roles: [RESEARCHER, ADMIN]) { b: B  self: A }
type B { x: Int }`, true},
		"fewer roles below": {`type Query { a: A @hasRole(roles: [ADMIN]) }
type A { b: B }
type B @hasRole(roles: [RESEARCHER, ADMIN]) { x: Int }`, true},
		"stricter type below": {`type Query { a: A @hasRole(roles: [RESEARCHER, ADMIN]) }
type A { b: B }
type B @hasRole(roles: [ADMIN]) { x: Int }`, false},
		"guarded type below an open root": {`type Query { a: A }
type A { b: [B!]! }
type B @hasRole(roles: [ADMIN]) { x: Int }`, false},
		"stricter field behind an interface": {`type Query { n: N @hasRole(roles: [RESEARCHER]) }
interface N { id: ID }
type P implements N { id: ID  secret: Int @hasRole(roles: [ADMIN]) }`, false},
	}
	for name, c := range cases {
		s, err := gqlparser.LoadSchema(&ast.Source{Input: base + c.sdl})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		_, err = NewRules(s)
		if (err == nil) != c.ok {
			t.Errorf("%s: NewRules error %v, want ok=%v", name, err, c.ok)
		}
	}
}

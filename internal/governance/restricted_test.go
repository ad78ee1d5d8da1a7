package governance

import (
	"slices"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/schema"
)

// The restricted fields are one list, read from the schema's @identifiable
// marks: the directive applies where the compiled schema carries it, db
// withholds exactly those fields from callers who may not read them, and
// the extract treats exactly their columns as identifiable.
func TestRestrictedFieldsAreOneList(t *testing.T) {
	want := schema.Restricted()
	if !slices.Contains(want, schema.Field{Type: "Patient", Name: "nhsNumber"}) || len(want) < 3 {
		t.Fatalf("restricted fields from the SDL: %v", want)
	}
	compiled := schema.RestrictedIn(graph.NewExecutableSchema(graph.Config{}).Schema())
	if !slices.Equal(compiled, want) {
		t.Errorf("@identifiable in the generated schema %v, in the SDL files %v: regenerate", compiled, want)
	}
	if got := db.WithheldFields(); !slices.Equal(got, want) {
		t.Errorf("db withholds %v, the schema restricts %v", got, want)
	}
	var exported []schema.Field
	for _, c := range db.ExportColumnNames() {
		if _, ident := db.ExportColumnInfo(c); ident {
			f, _ := db.ExportColumnField(c)
			exported = append(exported, f)
		}
	}
	slices.SortFunc(exported, func(a, b schema.Field) int { return strings.Compare(a.String(), b.String()) })
	if !slices.Equal(exported, want) {
		t.Errorf("the extract treats %v as identifiable, the schema restricts %v", exported, want)
	}
	for _, c := range db.DefaultExportColumns() {
		if f, _ := db.ExportColumnField(c); slices.Contains(want, f) {
			t.Errorf("default extract columns include restricted %s", f)
		}
	}
}

// The list follows the marks: a field marked @identifiable is on it.
func TestRestrictedInFollowsTheMarks(t *testing.T) {
	s, err := gqlparser.LoadSchema(&ast.Source{Input: `
directive @identifiable on FIELD_DEFINITION
type Query { p: P }
type P { a: Int  b: Int @identifiable }
type E { c: Int @identifiable }`})
	if err != nil {
		t.Fatal(err)
	}
	got := schema.RestrictedIn(s)
	want := []schema.Field{{Type: "E", Name: "c"}, {Type: "P", Name: "b"}}
	if !slices.Equal(got, want) {
		t.Errorf("RestrictedIn = %v, want %v", got, want)
	}
}

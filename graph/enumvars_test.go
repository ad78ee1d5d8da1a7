package graph

import (
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"
)

// Every enum of the schema, present or added later, is checked exactly:
// a value in another case is refused with the variable path and the
// enum's values, alone, in a list and inside an input object, and the
// exact spelling passes.
func TestEveryEnumCheckedExactly(t *testing.T) {
	s := NewExecutableSchema(Config{}).Schema()
	enums := 0
	for _, def := range s.Types {
		if def.Kind != ast.Enum || strings.HasPrefix(def.Name, "__") || len(def.EnumValues) == 0 {
			continue
		}
		enums++
		exact := def.EnumValues[0].Name
		wrong := strings.ToLower(exact)
		if wrong == exact {
			wrong = strings.ToUpper(exact)
		}
		// An input object with a field of this enum, made up for the
		// check: the walk reads types from the schema it is given.
		wrapper := &ast.Definition{Kind: ast.InputObject, Name: "Wrap" + def.Name, Fields: ast.FieldList{{Name: "e", Type: ast.ListType(ast.NonNullNamedType(def.Name, nil), nil)}}}
		withWrapper := &ast.Schema{Types: map[string]*ast.Definition{def.Name: def, wrapper.Name: wrapper}}
		for name, c := range map[string]struct {
			typ       *ast.Type
			bad, good any
			field     string
		}{
			"Alone":  {ast.NamedType(def.Name, nil), wrong, exact, "$v"},
			"List":   {ast.ListType(ast.NonNullNamedType(def.Name, nil), nil), []any{exact, wrong}, []any{exact, exact}, "$v[1]"},
			"Nested": {ast.NamedType(wrapper.Name, nil), map[string]any{"e": []any{wrong}}, map[string]any{"e": []any{exact}}, "$v.e[0]"},
		} {
			t.Run(def.Name+"/"+name, func(t *testing.T) {
				op := &ast.OperationDefinition{VariableDefinitions: ast.VariableDefinitionList{{Variable: "v", Type: c.typ}}}
				err := checkEnumVariables(withWrapper, op, map[string]any{"v": c.bad})
				if err == nil {
					t.Fatalf("%v passed as a %s", c.bad, def.Name)
				}
				if err.Extensions["code"] != "BAD_USER_INPUT" || err.Extensions["field"] != c.field || !strings.HasPrefix(err.Message, c.field+": ") {
					t.Errorf("error %q %v, want BAD_USER_INPUT at %s", err.Message, err.Extensions, c.field)
				}
				for _, v := range def.EnumValues {
					if !strings.Contains(err.Message, v.Name) {
						t.Errorf("message %q does not list %s", err.Message, v.Name)
					}
				}
				if err := checkEnumVariables(withWrapper, op, map[string]any{"v": c.good}); err != nil {
					t.Errorf("exact spelling refused: %v", err)
				}
			})
		}
	}
	if enums == 0 {
		t.Fatal("the schema has no enums")
	}
}

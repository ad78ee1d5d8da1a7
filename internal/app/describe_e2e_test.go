package app_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/internal/apptest"
)

const describeIntrospection = `{ __schema {
  types { name kind description
    fields(includeDeprecated: true) { name description args { name description } }
    inputFields { name description }
    enumValues(includeDeprecated: true) { name description } }
  directives { name description args { name description } } } }`

type introspected struct {
	Schema struct {
		Types []struct {
			Name, Kind, Description string
			Fields                  []struct {
				Name, Description string
				Args              []struct{ Name, Description string }
			}
			InputFields []struct{ Name, Description string }
			EnumValues  []struct{ Name, Description string }
		}
		Directives []struct {
			Name, Description string
			Args              []struct{ Name, Description string }
		}
	} `json:"__schema"`
}

// TestSchemaDescribesItself walks the introspection of a running server:
// every type, field, argument, enum value, input field and directive of
// the project's schema has a description, and the description of every
// guarded type and field states who may read it as its directives say.
func TestSchemaDescribesItself(t *testing.T) {
	s := apptest.New(t)
	resp := s.Do(t, apptest.Request{Query: describeIntrospection, Token: apptest.NoToken})
	if len(resp.Errors) > 0 {
		t.Fatalf("introspection: %+v", resp.Errors)
	}
	var got introspected
	if err := json.Unmarshal(resp.Data, &got); err != nil {
		t.Fatal(err)
	}
	described := map[string]string{} // Type.field etc. → description
	var missing []string
	count := map[string]int{}
	need := func(kind, name, desc string) {
		described[name] = desc
		count[kind]++
		// The access sentence is generated; a description of the element's
		// meaning must be there besides it.
		own, _, _ := strings.Cut(desc, "Access: ")
		if strings.TrimSpace(own) == "" {
			missing = append(missing, kind+" "+name)
		}
	}
	for _, ty := range got.Schema.Types {
		if strings.HasPrefix(ty.Name, "__") {
			continue // the GraphQL specification's own introspection types
		}
		need("type", ty.Name, ty.Description)
		for _, f := range ty.Fields {
			need("field", ty.Name+"."+f.Name, f.Description)
			for _, a := range f.Args {
				need("argument", ty.Name+"."+f.Name+"("+a.Name+")", a.Description)
			}
		}
		for _, f := range ty.InputFields {
			need("input field", ty.Name+"."+f.Name, f.Description)
		}
		for _, v := range ty.EnumValues {
			need("enum value", ty.Name+"."+v.Name, v.Description)
		}
	}
	for _, d := range got.Schema.Directives {
		need("directive", "@"+d.Name, d.Description)
		for _, a := range d.Args {
			need("argument", "@"+d.Name+"("+a.Name+")", a.Description)
		}
	}
	for _, m := range missing {
		t.Errorf("no description: %s", m)
	}
	t.Logf("described schema elements: %v (%d missing)", count, len(missing))

	// The access sentences follow the directives of the schema source.
	schema := graph.NewExecutableSchema(graph.Config{}).Schema()
	roles := func(ds ast.DirectiveList) []string {
		d := ds.ForName("hasRole")
		if d == nil {
			return nil
		}
		var out []string
		for _, c := range d.Arguments.ForName("roles").Value.Children {
			out = append(out, c.Value.Raw)
		}
		return out
	}
	guarded := 0
	for _, def := range schema.Types {
		if def.BuiltIn || strings.HasPrefix(def.Name, "__") {
			continue
		}
		if r := roles(def.Directives); r != nil {
			guarded++
			if want := graph.RoleAccess("type", r); !strings.Contains(described[def.Name], want) {
				t.Errorf("type %s (@hasRole %v): description %q lacks %q", def.Name, r, described[def.Name], want)
			}
		}
		for _, f := range def.Fields {
			name := def.Name + "." + f.Name
			switch {
			case f.Directives.ForName("identifiable") != nil:
				guarded++
				if !strings.Contains(described[name], graph.IdentifiableAccess) || !strings.Contains(described[name], "audited") {
					t.Errorf("%s (@identifiable): description %q does not say who may read it and that reads are audited", name, described[name])
				}
			case roles(f.Directives) != nil:
				guarded++
				if want := graph.RoleAccess("field", roles(f.Directives)); !strings.Contains(described[name], want) {
					t.Errorf("%s (@hasRole): description %q lacks %q", name, described[name], want)
				}
			}
		}
	}
	if guarded < 8 {
		t.Errorf("only %d guarded types and fields found", guarded)
	}
	for name, want := range map[string]string{
		"Patient.nhsNumber": "every read is audited",
		"Query.auditEvents": "only callers holding the role ADMIN may read this field",
		"Patient":           "only callers holding the role RESEARCHER, CLINICIAN or ADMIN may read this type",
		"Query.patient":     "returns Patient, which only callers holding the role RESEARCHER, CLINICIAN or ADMIN may read",
	} {
		if !strings.Contains(strings.ToLower(described[name]), strings.ToLower(want)) {
			t.Errorf("%s: description %q; want it to say %q", name, described[name], want)
		}
	}
	t.Logf("%d guarded types and fields described from their directives", guarded)
}

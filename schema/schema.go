// Package schema holds the GraphQL SDL (the *.graphqls files beside this
// one, from which gqlgen generates graph/) and gives code that cannot
// import graph — db above all — what the SDL declares about data
// governance. The files are the one source: the list of HES restricted
// fields is read from their @identifiable marks, not written out again.
package schema

import (
	"cmp"
	"embed"
	"io/fs"
	"slices"
	"strings"
	"sync"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
)

//go:embed *.graphqls
var files embed.FS

// Parsed returns the schema parsed from the SDL files. The files are the
// ones gqlgen compiled into graph/, so a schema that does not parse cannot
// have been built; Parsed panics on one.
var Parsed = sync.OnceValue(func() *ast.Schema {
	names, err := fs.Glob(files, "*.graphqls")
	if err != nil {
		panic(err)
	}
	slices.Sort(names)
	var sources []*ast.Source
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			panic(err)
		}
		sources = append(sources, &ast.Source{Name: "schema/" + n, Input: string(b)})
	}
	s, err := gqlparser.LoadSchema(sources...)
	if err != nil {
		panic("schema: " + err.Error())
	}
	return s
})

// Field names a field of an object type.
type Field struct{ Type, Name string }

// String is the field as the audit log names it: Type.field.
func (f Field) String() string { return f.Type + "." + f.Name }

// Restricted lists the HES restricted fields — those marked @identifiable
// — sorted by type and name.
var Restricted = sync.OnceValue(func() []Field {
	return RestrictedIn(Parsed())
})

// RestrictedIn lists the fields marked @identifiable in s, sorted.
func RestrictedIn(s *ast.Schema) []Field {
	var out []Field
	for name, def := range s.Types {
		if def.Kind != ast.Object {
			continue
		}
		for _, f := range def.Fields {
			if f.Directives.ForName("identifiable") != nil {
				out = append(out, Field{Type: name, Name: f.Name})
			}
		}
	}
	slices.SortFunc(out, func(a, b Field) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name))
	})
	return out
}

// IsRestricted reports whether typ.field is marked @identifiable.
func IsRestricted(typ, field string) bool {
	return slices.Contains(Restricted(), Field{Type: typ, Name: field})
}

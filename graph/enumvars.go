package graph

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

// enumVariables refuses enum values in variables that are not spelled
// exactly as the schema spells them.
//
// gqlparser coerces variables case-insensitively ("male" passes as a Sex),
// while gqlgen's generated unmarshalling compares exactly, so without this
// check a wrongly cased value got past validation and failed inside the
// executor as an internal error. GraphQL enum values are case-sensitive
// (spec, "Enum Value"), so the caller is told, before anything runs, which
// variable path is wrong and what the values are. The check walks every
// variable against its declared type, so it covers every enum of the
// schema, in arguments and at any depth of an input object or list.
type enumVariables struct{ schema *ast.Schema }

var _ interface {
	graphql.HandlerExtension
	graphql.OperationContextMutator
} = enumVariables{}

func (enumVariables) ExtensionName() string                   { return "EnumVariables" }
func (enumVariables) Validate(graphql.ExecutableSchema) error { return nil }

func (e enumVariables) MutateOperationContext(_ context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil || len(oc.Operation.VariableDefinitions) == 0 {
		return nil
	}
	return checkEnumVariables(e.schema, oc.Operation, oc.Variables)
}

// checkEnumVariables checks the variables of op against their types.
func checkEnumVariables(s *ast.Schema, op *ast.OperationDefinition, vars map[string]any) *gqlerror.Error {
	for _, def := range op.VariableDefinitions {
		v, ok := vars[def.Variable]
		if !ok {
			continue
		}
		if err := checkEnums(s, def.Type, v, ast.Path{ast.PathName("variable"), ast.PathName(def.Variable)}); err != nil {
			return err
		}
	}
	return nil
}

// checkEnums walks v, a coerced variable value of type t, and returns an
// error at the first enum value that the schema does not define exactly.
// Values of the wrong shape were refused by the validator already. The
// validator hands back lists and input objects as slices and maps of
// whatever element type it built (a single value for a list becomes a
// []string, say), hence the reflection.
func checkEnums(s *ast.Schema, t *ast.Type, v any, path ast.Path) *gqlerror.Error {
	if v == nil || t == nil {
		return nil
	}
	rv := reflect.ValueOf(v)
	if t.Elem != nil {
		if rv.Kind() != reflect.Slice {
			return checkEnums(s, t.Elem, v, path)
		}
		for i := range rv.Len() {
			if err := checkEnums(s, t.Elem, rv.Index(i).Interface(), append(path[:len(path):len(path)], ast.PathIndex(i))); err != nil {
				return err
			}
		}
		return nil
	}
	def := s.Types[t.NamedType]
	if def == nil {
		return nil
	}
	switch def.Kind {
	case ast.Enum:
		if rv.Kind() != reflect.String || def.EnumValues.ForName(rv.String()) != nil {
			return nil
		}
		return enumError(def, rv.String(), path)
	case ast.InputObject:
		if rv.Kind() != reflect.Map || rv.Type().Key().Kind() != reflect.String {
			return nil
		}
		for _, f := range def.Fields {
			fv := rv.MapIndex(reflect.ValueOf(f.Name).Convert(rv.Type().Key()))
			if !fv.IsValid() {
				continue
			}
			if err := checkEnums(s, f.Type, fv.Interface(), append(path[:len(path):len(path)], ast.PathName(f.Name))); err != nil {
				return err
			}
		}
	}
	return nil
}

// enumError names the variable path, the value given and the values the
// enum has.
func enumError(def *ast.Definition, got string, path ast.Path) *gqlerror.Error {
	names := make([]string, len(def.EnumValues))
	for i, ev := range def.EnumValues {
		names[i] = ev.Name
	}
	field := variablePath(path)
	hint := ""
	for _, n := range names {
		if strings.EqualFold(n, got) {
			hint = fmt.Sprintf(" (enum values are case-sensitive: did you mean %s?)", n)
		}
	}
	return &gqlerror.Error{
		Message:    fmt.Sprintf("%s: %q is not a valid %s; the values are %s%s", field, got, def.Name, strings.Join(names, ", "), hint),
		Path:       path,
		Extensions: map[string]any{"code": model.ErrBadUserInput, "field": field},
	}
}

// variablePath writes a variable path the way a query refers to it:
// $filter.patient.sex[0].
func variablePath(path ast.Path) string {
	var b strings.Builder
	for i, p := range path {
		switch p := p.(type) {
		case ast.PathIndex:
			fmt.Fprintf(&b, "[%d]", int(p))
		case ast.PathName:
			switch i {
			case 0: // "variable"
			case 1:
				b.WriteString("$" + string(p))
			default:
				b.WriteString("." + string(p))
			}
		}
	}
	return b.String()
}

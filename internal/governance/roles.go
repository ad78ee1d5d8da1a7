package governance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// Rules are the schema's @hasRole declarations, read once: for each field
// of each object type, the role sets a caller must meet to read it (one
// role of each set). A field has a set of its own when it carries the
// directive, and one from its type when the object type it returns (alone
// or as a list) carries it — the meaning gqlgen gives an OBJECT directive.
type Rules struct {
	needs    map[string]map[string][][]model.Role // object → field → role sets
	possible map[string][]string                  // interface or union → object types
}

// NewRules reads the role rules of a schema.
func NewRules(s *ast.Schema) (*Rules, error) {
	r := &Rules{needs: map[string]map[string][][]model.Role{}, possible: map[string][]string{}}
	for name, def := range s.Types {
		if def.Kind == ast.Interface || def.Kind == ast.Union {
			for _, p := range s.GetPossibleTypes(def) {
				r.possible[name] = append(r.possible[name], p.Name)
			}
			slices.Sort(r.possible[name])
		}
		if def.Kind != ast.Object || strings.HasPrefix(name, "__") {
			continue
		}
		for _, f := range def.Fields {
			var sets [][]model.Role
			own, err := rolesOf(f.Directives)
			if err != nil {
				return nil, fmt.Errorf("governance: %s.%s: %w", name, f.Name, err)
			}
			if own != nil {
				sets = append(sets, own)
			}
			if t := s.Types[f.Type.Name()]; t != nil && t.Kind == ast.Object {
				typed, err := rolesOf(t.Directives)
				if err != nil {
					return nil, fmt.Errorf("governance: type %s: %w", t.Name, err)
				}
				if typed != nil {
					sets = append(sets, typed)
				}
			}
			if len(sets) > 0 {
				if r.needs[name] == nil {
					r.needs[name] = map[string][][]model.Role{}
				}
				r.needs[name][f.Name] = sets
			}
		}
	}
	return r, nil
}

// rolesOf returns the roles of a @hasRole among ds, nil without one.
func rolesOf(ds ast.DirectiveList) ([]model.Role, error) {
	d := ds.ForName("hasRole")
	if d == nil {
		return nil, nil
	}
	arg := d.Arguments.ForName("roles")
	if arg == nil || arg.Value == nil || len(arg.Value.Children) == 0 {
		return nil, fmt.Errorf("@hasRole without roles")
	}
	roles := make([]model.Role, 0, len(arg.Value.Children))
	for _, c := range arg.Value.Children {
		role := model.Role(c.Value.Raw)
		if !role.IsValid() {
			return nil, fmt.Errorf("@hasRole names unknown role %q", c.Value.Raw)
		}
		roles = append(roles, role)
	}
	return roles, nil
}

// missing returns a role set of object.field that v does not meet, nil
// when v may read the field.
func (r *Rules) missing(v *auth.Viewer, object, field string) []model.Role {
	for _, set := range r.needs[object][field] {
		if !v.HasAny(set) {
			return set
		}
	}
	return nil
}

// deniesSome reports whether the operation selects, anywhere, a field that
// v's roles do not open. The role alone decides, so this walk of the
// operation (not of the data) is the whole check for the common case of a
// caller asking only for what they may read; otherwise fields are checked
// one by one as they resolve (InterceptField). It errs on the side of
// checking: fragments are followed whatever their @skip/@include, and a
// field of an interface counts as a field of each type implementing it.
func (r *Rules) deniesSome(oc *graphql.OperationContext, v *auth.Viewer) bool {
	if oc.Operation == nil {
		return true
	}
	seen := map[string]bool{}
	var walk func(set ast.SelectionSet) bool
	walk = func(set ast.SelectionSet) bool {
		for _, sel := range set {
			switch s := sel.(type) {
			case *ast.Field:
				if s.ObjectDefinition != nil {
					for _, owner := range r.owners(s.ObjectDefinition) {
						if r.missing(v, owner, s.Name) != nil {
							return true
						}
					}
				}
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.InlineFragment:
				if walk(s.SelectionSet) {
					return true
				}
			case *ast.FragmentSpread:
				if seen[s.Name] || s.Definition == nil {
					continue
				}
				seen[s.Name] = true
				if walk(s.Definition.SelectionSet) {
					return true
				}
			}
		}
		return false
	}
	return walk(oc.Operation.SelectionSet)
}

// owners are the object types whose field a selection on def reads.
func (r *Rules) owners(def *ast.Definition) []string {
	if def.Kind == ast.Object {
		return []string{def.Name}
	}
	return r.possible[def.Name]
}

// InterceptField enforces @hasRole on one field, when the operation's walk
// found that it selects something the caller may not read; a denied field
// resolves to null with its error, and its resolver does not run. For
// clinicians it also primes the per-patient scope check for lists.
func (g *Governance) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	st := governanceFrom(ctx)
	if st == nil || (!st.checkFields && st.inScope == nil) {
		return next(ctx)
	}
	if st.checkFields {
		if fc := graphql.GetFieldContext(ctx); fc != nil && fc.Field.Field != nil {
			if set := g.rules.missing(st.viewer, fc.Object, fc.Field.Name); set != nil {
				return nil, denied(ctx, st.viewer, "one of the roles "+roleList(set))
			}
		}
	}
	res, err := next(ctx)
	if err == nil && st.inScope != nil {
		primeScopeCheck(ctx, st, res)
	}
	return res, err
}

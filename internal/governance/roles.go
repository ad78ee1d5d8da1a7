package governance

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

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
	roots    map[ast.Operation]string             // operation type → root type name
}

// NewRules reads the role rules of a schema.
func NewRules(s *ast.Schema) (*Rules, error) {
	r := &Rules{needs: map[string]map[string][][]model.Role{}, possible: map[string][]string{}, roots: map[ast.Operation]string{}}
	for op, def := range map[ast.Operation]*ast.Definition{ast.Query: s.Query, ast.Mutation: s.Mutation, ast.Subscription: s.Subscription} {
		if def != nil {
			r.roots[op] = def.Name
		}
	}
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
	if err := r.checkNested(s); err != nil {
		return nil, err
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

// checkNested makes sure the root fields decide: every guarded field below
// a root field must need no more than the root fields that lead to it
// already demanded, so that a caller who passed the root may read it. Then
// the role check runs once per root field of an operation, not once per
// object of the response (a page of 50 episodes has 50 Episode.patient
// fields). A schema that breaks this would need per-field checks, which
// this package does not make: it refuses the schema instead.
func (r *Rules) checkNested(s *ast.Schema) error {
	type visit struct{ typ, key string }
	seen := map[visit]bool{}
	var walk func(typ string, established [][]model.Role, via string) error
	walk = func(typ string, established [][]model.Role, via string) error {
		owners := []string{typ}
		if p, ok := r.possible[typ]; ok {
			owners = p
		}
		for _, owner := range owners {
			def := s.Types[owner]
			if def == nil || def.Kind != ast.Object {
				continue
			}
			k := visit{owner, fmt.Sprint(established)}
			if seen[k] {
				continue
			}
			seen[k] = true
			for _, f := range def.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				next := established
				for _, set := range r.needs[owner][f.Name] {
					if !implied(established, set) {
						return fmt.Errorf("governance: %s.%s (reached through %s) needs one of %v, which the root field does not demand; declare it on the root field", owner, f.Name, via, set)
					}
					next = addSet(next, set)
				}
				if err := walk(f.Type.Name(), next, via); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, root := range []*ast.Definition{s.Query, s.Mutation, s.Subscription} {
		if root == nil {
			continue
		}
		for _, f := range root.Fields {
			if strings.HasPrefix(f.Name, "__") {
				continue
			}
			if err := walk(f.Type.Name(), r.needs[root.Name][f.Name], root.Name+"."+f.Name); err != nil {
				return err
			}
		}
	}
	return nil
}

// implied reports whether meeting every set of established means meeting
// set: some established set holds only roles of set.
func implied(established [][]model.Role, set []model.Role) bool {
	for _, e := range established {
		if !slices.ContainsFunc(e, func(r model.Role) bool { return !slices.Contains(set, r) }) {
			return true
		}
	}
	return false
}

func addSet(sets [][]model.Role, set []model.Role) [][]model.Role {
	for _, s := range sets {
		if slices.Equal(s, set) {
			return sets
		}
	}
	return append(slices.Clone(sets), set)
}

// InterceptRootField enforces @hasRole. Only root fields are checked:
// checkNested has made sure that what lies below them needs nothing more.
// A denied root field resolves to null with its error at its path, and its
// resolver does not run; the other root fields are answered.
func (g *Governance) InterceptRootField(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
	rc := graphql.GetRootFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if rc == nil || oc.Operation == nil {
		return next(ctx)
	}
	// rc.Object names the field; the owner is the operation's root type.
	owner := g.rules.roots[oc.Operation.Operation]
	v := auth.FromContext(ctx)
	set := g.rules.missing(v, owner, rc.Field.Name)
	if set == nil {
		return next(ctx)
	}
	err := deniedError(v, owner+"."+rc.Field.Name, "one of the roles "+roleList(set))
	gqlErr := &gqlerror.Error{Err: err, Message: err.Error(), Path: ast.Path{ast.PathName(rc.Field.Alias)}}
	if pos := rc.Field.Position; pos != nil {
		gqlErr.Locations = []gqlerror.Location{{Line: pos.Line, Column: pos.Column}}
	}
	graphql.AddError(ctx, gqlErr)
	return graphql.Null
}

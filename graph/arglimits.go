package graph

import (
	"fmt"
	"strings"

	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

// Arguments are checked on the validated operation, variables applied,
// before its cost and before any resolver: page sizes first, because a
// `first: 2147483647` is a mistake in one argument that the caller should
// hear about as such (API.md: BAD_USER_INPUT), not as the cost it would
// have; then every input-object argument (the filters), whose nesting and
// size reach the database as nested subqueries and expressions. MariaDB refuses a
// `patient.hasEpisode` chain 40 deep ("Too high level of nesting for
// select") and overruns its thread stack on a `not` 1,000 deep; both were
// reachable without a token through `statistics`.

// argWalker visits every field of an operation with fragments expanded.
// The shape check has bounded the expanded fields (MaxFields), so the
// walk is bounded too.
type argWalker struct {
	vars map[string]any
	l    Limits
}

func (w *argWalker) selections(set ast.SelectionSet, path ast.Path) *gqlerror.Error {
	for _, sel := range set {
		var err *gqlerror.Error
		switch x := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(x.Name, "__") {
				continue
			}
			p := append(path[:len(path):len(path)], ast.PathName(x.Alias))
			if err = w.field(x, p); err == nil {
				err = w.selections(x.SelectionSet, p)
			}
		case *ast.InlineFragment:
			err = w.selections(x.SelectionSet, path)
		case *ast.FragmentSpread:
			if x.Definition != nil {
				err = w.selections(x.Definition.SelectionSet, path)
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

func (w *argWalker) field(f *ast.Field, path ast.Path) *gqlerror.Error {
	if f.Definition == nil || len(f.Definition.Arguments) == 0 {
		return nil
	}
	args := f.ArgumentMap(w.vars)
	for _, name := range []string{"first", "last"} {
		if f.Definition.Arguments.ForName(name) == nil {
			continue
		}
		n, ok := toInt(args[name])
		if !ok {
			continue
		}
		switch {
		case n < 0:
			return argError(path, name, "must not be negative")
		case n > model.MaxPageSize:
			return argError(path, name, fmt.Sprintf("must be at most %d", model.MaxPageSize))
		}
	}
	for _, a := range f.Definition.Arguments {
		if v, ok := args[a.Name]; ok && isInputObject(a.Type) {
			if _, err := CheckInput(a.Name, v, w.l); err != nil {
				err.Path = path
				return err
			}
		}
	}
	return nil
}

// argError is a BAD_USER_INPUT refusal of one argument. It carries the
// validation code until presented, so that the answer has the status of
// any other invalid argument (422; 400 for graphql-response+json) and the
// presenter's reason.
func argError(path ast.Path, arg, msg string) *gqlerror.Error {
	return &gqlerror.Error{
		Message:    arg + ": " + msg,
		Path:       path,
		Extensions: map[string]any{"code": errcode.ValidationFailed, "field": arg},
	}
}

// isInputObject reports whether t is an input object or a list of them.
func isInputObject(t *ast.Type) bool {
	for t.Elem != nil {
		t = t.Elem
	}
	def := parsedSchema.Types[t.NamedType]
	return def != nil && def.Kind == ast.InputObject
}

// CheckInput measures an input-object argument named path, as decoded from
// JSON or a GraphQL literal (maps, lists and scalars), against the filter
// limits. It returns the argument's size: every object, list entry and
// field value counts one. Depth counts nested objects; lists add none.
func CheckInput(path string, v any, l Limits) (int, *gqlerror.Error) {
	l = l.withDefaults()
	m := inputMeasure{maxDepth: l.MaxFilterDepth}
	m.walk(v, path, 0)
	if m.depth > l.MaxFilterDepth {
		return m.nodes, inputTooComplex("filterDepth", m.depth, l.MaxFilterDepth, m.deepAt,
			"%s nests %d objects deep; the limit is %d (at %s)", path, m.depth, l.MaxFilterDepth, m.deepAt)
	}
	if m.nodes > l.MaxFilterNodes {
		return m.nodes, inputTooComplex("filterSize", m.nodes, l.MaxFilterNodes, path,
			"%s holds %d values (objects, fields and list entries); the limit is %d", path, m.nodes, l.MaxFilterNodes)
	}
	return m.nodes, nil
}

func inputTooComplex(limit string, got, max int, field, format string, args ...any) *gqlerror.Error {
	err := tooComplex(limit, got, max, format, args...)
	err.Extensions["field"] = field
	return err
}

// inputMeasure walks a value for its depth and size, noting the path of
// the first object nested deeper than the limit.
type inputMeasure struct {
	maxDepth     int
	depth, nodes int
	deepAt       string
}

func (m *inputMeasure) walk(v any, path string, depth int) {
	m.nodes = sat(m.nodes + 1)
	switch x := v.(type) {
	case map[string]any:
		depth++
		m.depth = max(m.depth, depth)
		if depth == m.maxDepth+1 && m.deepAt == "" {
			m.deepAt = path
		}
		for k, e := range x {
			m.walk(e, path+"."+k, depth)
		}
	case []any:
		for i, e := range x {
			m.walk(e, fmt.Sprintf("%s[%d]", path, i), depth)
		}
	}
}

// inputNodes is the cost of a field's input-object arguments: each value of
// a filter becomes SQL to plan and evaluate, and relation filters weigh
// more (filterCost).
func inputNodes(f *ast.Field, args map[string]any) int {
	n := 0
	for _, a := range f.Definition.Arguments {
		if v, ok := args[a.Name]; ok && isInputObject(a.Type) {
			n = sat(n + filterCost(v))
		}
	}
	return n
}

package graph

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph/model"
)

// A plain field's context answers gqlgen's lookups as WithFieldContext's
// would: its own field context, its parent's below it, anything else from
// the context it was made in.
func TestPlainFieldContext(t *testing.T) {
	ctx, oc := responseCtx()
	parent := &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "node"}}}
	ctx = graphql.WithFieldContext(ctx, parent)
	pf := newPlainField(ctx, graphql.CollectedField{Field: &ast.Field{Alias: "id"}}, "Episode", true, false)
	if got := graphql.GetFieldContext(pf); got != &pf.fc || got.Parent != parent {
		t.Fatalf("field context %p (parent %p), want %p (parent %p)", got, got.Parent, &pf.fc, parent)
	}
	if graphql.GetOperationContext(pf) != oc {
		t.Error("operation context not found through a plain field")
	}
	if got := pf.fc.Path().String(); got != "node.id" {
		t.Errorf("path %q", got)
	}
	child := &graphql.FieldContext{}
	graphql.WithFieldContext(pf, child)
	if child.Parent != &pf.fc {
		t.Error("a child's parent is not the plain field")
	}
}

// fieldRun is what one generated field resolver produced.
type fieldRun struct {
	json   string
	errors []string // message at path
}

// runField calls a generated field resolver under an operation whose field
// middleware is gqlgen's pass-through (fast: the plain-field path) or an
// interceptor's, which must see the field.
func runField(t *testing.T, fast bool, resolve func(ec *executionContext, ctx context.Context) graphql.Marshaler) fieldRun {
	t.Helper()
	oc, _ := executor.New(nil).CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{})
	oc.RecoverFunc = func(_ context.Context, v any) error { return fmt.Errorf("internal error: %v", v) }
	intercepted := 0
	if !fast {
		oc.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) {
			intercepted++
			return next(ctx)
		}
	}
	if plainFieldsFast(oc) != fast {
		t.Fatalf("plainFieldsFast = %t, want %t", !fast, fast)
	}
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, oc.RecoverFunc)
	ctx = graphql.WithOperationContext(ctx, oc)
	ctx = graphql.WithFieldContext(ctx, &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "root"}}})
	ec := newExecutionContext(oc, NewExecutableSchema(Config{}).(*executableSchema), nil)
	var buf bytes.Buffer
	resolve(ec, ctx).MarshalGQL(&buf)
	if !fast && intercepted == 0 {
		t.Error("the field interceptor was not called")
	}
	run := fieldRun{json: buf.String()}
	for _, e := range graphql.GetErrors(ctx) {
		run.errors = append(run.errors, e.Message+" at "+e.Path.String())
	}
	return run
}

func collected(name string, sel ...ast.Selection) graphql.CollectedField {
	return graphql.CollectedField{Field: &ast.Field{Name: name, Alias: name, SelectionSet: sel}, Selections: sel}
}

// The plain-field path gives what gqlgen's own gives with a field
// interceptor in place: values, nulls, errors for null non-null fields on
// their paths, and recovered panics.
func TestPlainFieldsAsGqlgen(t *testing.T) {
	code := "A01"
	type resolver = func(ec *executionContext, ctx context.Context) graphql.Marshaler
	cases := map[string]resolver{
		"method": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_id(ctx, collected("id"), &model.Episode{RowID: 7})
		},
		"nullable": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_providerCode(ctx, collected("providerCode"), &model.Episode{})
		},
		"nullableSet": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_providerCode(ctx, collected("providerCode"), &model.Episode{ProviderCode: &code})
		},
		"nonNullObjectNull": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._EpisodeEdge_node(ctx, collected("node"), &model.EpisodeEdge{})
		},
		"object": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			f := collected("node", collected("id").Field, collected("providerCode").Field)
			return ec._EpisodeEdge_node(ctx, f, &model.EpisodeEdge{Node: &model.Episode{RowID: 3}})
		},
		"listWithNull": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			f := collected("edges", collected("cursor").Field)
			return ec._EpisodeConnection_edges(ctx, f, &model.EpisodeConnection{Edges: []*model.EpisodeEdge{{Cursor: "a"}, nil}})
		},
		"panic": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_id(ctx, collected("id"), nil)
		},
	}
	// Fields whose run reports an error, to show the errors are compared.
	failing := map[string]string{
		"nonNullObjectNull": "at root.node",
		"listWithNull":      "at root.edges[1]",
		"panic":             "internal error: runtime error: invalid memory address or nil pointer dereference at root.id",
	}
	for name, resolve := range cases {
		t.Run(name, func(t *testing.T) {
			fast, gqlgen := runField(t, true, resolve), runField(t, false, resolve)
			if fast.json != gqlgen.json || strings.Join(fast.errors, "\n") != strings.Join(gqlgen.errors, "\n") {
				t.Errorf("plain path %s %q, gqlgen %s %q", fast.json, fast.errors, gqlgen.json, gqlgen.errors)
			}
			want := failing[name]
			if (want == "") != (len(fast.errors) == 0) || (want != "" && !strings.HasSuffix(fast.errors[0], want)) {
				t.Errorf("errors %q, want one ending %q", fast.errors, want)
			}
		})
	}
}

package graph

import (
	"bytes"
	"context"
	"errors"
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
	pf := newFieldCtx(ctx, graphql.CollectedField{Field: &ast.Field{Alias: "id"}}, "Episode", true, false)
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
	seen   []string // the field contexts the resolvers saw
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
	stub := &stubResolvers{}
	ec := newExecutionContext(oc, NewExecutableSchema(Config{Resolvers: stub}).(*executableSchema), nil)
	var buf bytes.Buffer
	resolve(ec, ctx).MarshalGQL(&buf)
	if !fast && intercepted == 0 {
		t.Error("the field interceptor was not called")
	}
	run := fieldRun{json: buf.String(), seen: stub.seen}
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
			return ec._Episode_episodeStatusLabel(ctx, collected("episodeStatusLabel"), nil)
		},
		"resolver": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			f := collected("patient", collected("sex").Field)
			return ec._Episode_patient(ctx, f, &model.Episode{RowID: 1, PatientID: 5})
		},
		"resolverError": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_patient(ctx, collected("patient"), &model.Episode{RowID: 2})
		},
		"resolverNull": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_patient(ctx, collected("patient"), &model.Episode{RowID: 3})
		},
		"resolverPanic": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			return ec._Episode_patient(ctx, collected("patient"), &model.Episode{RowID: 4})
		},
		"resolverBelowList": func(ec *executionContext, ctx context.Context) graphql.Marshaler {
			f := collected("nodes", collected("patient", collected("sex").Field).Field)
			f.Selections = f.Field.SelectionSet
			nodes := []*model.Episode{{RowID: 1, PatientID: 5}, {RowID: 1, PatientID: 6}}
			return ec._EpisodeConnection_nodes(ctx, f, &model.EpisodeConnection{Nodes: nodes})
		},
	}
	// Fields whose run reports an error, to show the errors are compared.
	failing := map[string]string{
		"nonNullObjectNull": "at root.node",
		"listWithNull":      "at root.edges[1]",
		"panic":             "internal error: runtime error: invalid memory address or nil pointer dereference at root.episodeStatusLabel",
		"resolverError":     "no patient at root.patient",
		"resolverNull":      "at root.patient",
		"resolverPanic":     "internal error: boom at root.patient",
	}
	for name, resolve := range cases {
		t.Run(name, func(t *testing.T) {
			fast, gqlgen := runField(t, true, resolve), runField(t, false, resolve)
			if fast.json != gqlgen.json || strings.Join(fast.errors, "\n") != strings.Join(gqlgen.errors, "\n") {
				t.Errorf("plain path %s %q, gqlgen %s %q", fast.json, fast.errors, gqlgen.json, gqlgen.errors)
			}
			if strings.Join(fast.seen, "\n") != strings.Join(gqlgen.seen, "\n") {
				t.Errorf("resolvers saw %q, under gqlgen %q", fast.seen, gqlgen.seen)
			}
			if strings.HasPrefix(name, "resolver") && len(fast.seen) == 0 {
				t.Error("the resolver was not called")
			}
			if name == "resolverBelowList" && (len(fast.seen) != 2 || !strings.Contains(fast.seen[1], "at root.nodes[1].patient < **model.Episode < []*model.Episode")) {
				t.Errorf("the resolver below a list saw %q", fast.seen)
			}
			want := failing[name]
			if (want == "") != (len(fast.errors) == 0) || (want != "" && !strings.HasSuffix(fast.errors[0], want)) {
				t.Errorf("errors %q, want one ending %q", fast.errors, want)
			}
		})
	}
}

// stubResolvers answers Episode.patient by the episode's RowID: 1 a
// patient, 2 an error, 3 none, 4 a panic. It records the field context
// each call sees, with the results of its ancestors.
type stubResolvers struct {
	ResolverRoot
	seen []string
}

func (r *stubResolvers) Episode() EpisodeResolver { return stubEpisode{r: r} }

type stubEpisode struct {
	EpisodeResolver
	r *stubResolvers
}

func (s stubEpisode) Patient(ctx context.Context, obj *model.Episode) (*model.Patient, error) {
	fc := graphql.GetFieldContext(ctx)
	seen := fmt.Sprintf("%s.%s method=%t resolver=%t at %s", fc.Object, fc.Field.Name, fc.IsMethod, fc.IsResolver, fc.Path())
	for p := fc.Parent; p != nil; p = p.Parent {
		seen += fmt.Sprintf(" < %T", p.Result)
	}
	s.r.seen = append(s.r.seen, seen)
	switch obj.RowID {
	case 1:
		sex := model.SexFemale
		return &model.Patient{RowID: obj.PatientID, Sex: &sex}, nil
	case 2:
		return nil, errors.New("no patient")
	case 3:
		return nil, nil
	}
	panic("boom")
}

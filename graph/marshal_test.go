package graph

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"
)

func responseCtx() (context.Context, *graphql.OperationContext) {
	oc := &graphql.OperationContext{RecoverFunc: func(context.Context, any) error { return errors.New("internal error") }}
	ctx := graphql.WithResponseContext(context.Background(), graphql.DefaultErrorPresenter, oc.RecoverFunc)
	return graphql.WithOperationContext(ctx, oc), oc
}

// Resolved in place, a field still counts against its object as gqlgen
// counts it (null for non-null fields, the required-null marker for
// nullable ones), and a panic becomes a null with an error.
func TestResolveInline(t *testing.T) {
	ctx, oc := responseCtx()
	fields := []graphql.CollectedField{{}, {}, {}, {}}
	out := graphql.NewFieldSet(fields)
	var deferred graphql.DeferredGroup
	value := constant("x")
	resolveInline(ctx, out, fields[0], oc, &deferred, 0, true, true, struct{}{}, 0, func(struct{}, context.Context, graphql.CollectedField, int) graphql.Marshaler { return value })
	if out.Values[0] != value || out.Invalids != 0 {
		t.Fatalf("value: %v, invalids %d", out.Values[0], out.Invalids)
	}
	resolveInline(ctx, out, fields[1], oc, &deferred, 1, true, true, struct{}{}, 0, func(struct{}, context.Context, graphql.CollectedField, int) graphql.Marshaler { return graphql.Null })
	if out.Invalids != 1 {
		t.Errorf("null non-null field: invalids %d, want 1", out.Invalids)
	}
	resolveInline(ctx, out, fields[2], oc, &deferred, 2, true, false, struct{}{}, 0, func(struct{}, context.Context, graphql.CollectedField, int) graphql.Marshaler { return graphql.Null })
	if out.Invalids != 1 {
		t.Errorf("null nullable field counted: invalids %d, want 1", out.Invalids)
	}
	resolveInline(ctx, out, fields[3], oc, &deferred, 3, true, true, struct{}{}, 0, func(struct{}, context.Context, graphql.CollectedField, int) graphql.Marshaler { panic("boom") })
	if out.Values[3] != graphql.Null || out.Invalids != 2 || len(graphql.GetErrors(ctx)) != 1 {
		t.Errorf("panic: value %v, invalids %d, errors %v", out.Values[3], out.Invalids, graphql.GetErrors(ctx))
	}
}

// Lists are marshalled in order, each element under its own index, and a
// panicking element becomes null while its siblings are kept.
func TestMarshalSlice(t *testing.T) {
	ctx, _ := responseCtx()
	parent := &graphql.FieldContext{Field: graphql.CollectedField{Field: &ast.Field{Alias: "list"}}}
	ctx = graphql.WithFieldContext(ctx, parent)
	var seen []int
	ret := marshalSlice(ctx, 3, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		fc := graphql.GetFieldContext(ctx)
		if fc == nil || fc.Index == nil || *fc.Index != i || fc.Parent != parent || fc.Path().String() != "list["+strconv.Itoa(i)+"]" {
			t.Errorf("element %d: field context %+v", i, fc)
		}
		seen = append(seen, i)
		if i == 1 {
			panic("boom")
		}
		return constant("v")
	})
	if len(seen) != 3 || seen[0] != 0 || seen[2] != 2 {
		t.Errorf("order %v", seen)
	}
	if ret[1] != graphql.Null || ret[0] == graphql.Null || ret[2] == graphql.Null {
		t.Errorf("results %v", ret)
	}
	if len(graphql.GetErrors(ctx)) != 1 {
		t.Errorf("errors %v", graphql.GetErrors(ctx))
	}
}

// constant is a comparable Marshaler (gqlgen's own are funcs).
type constant string

func (c constant) MarshalGQL(w io.Writer) { _, _ = io.WriteString(w, strconv.Quote(string(c))) }

// An object is written as gqlgen's FieldSet writes it: fields in order,
// a repeated alias once, narrow and wide objects alike.
func TestObjectJSON(t *testing.T) {
	for _, n := range []int{0, 3, 40} {
		var fields []graphql.CollectedField
		for i := range n {
			alias := "f" + strconv.Itoa(i%(n/3+1)) // repeats some aliases
			fields = append(fields, graphql.CollectedField{Field: &ast.Field{Alias: alias}})
		}
		want := graphql.NewFieldSet(fields)
		for i := range fields {
			want.Values[i] = constant("v" + strconv.Itoa(i))
		}
		var got, exp bytes.Buffer
		var other strings.Builder // not a buffer: the general path
		objectJSON{fields, want.Values}.MarshalGQL(&got)
		objectJSON{fields, want.Values}.MarshalGQL(&other)
		want.MarshalGQL(&exp)
		if got.String() != exp.String() || other.String() != exp.String() {
			t.Errorf("%d fields: %s and %s, FieldSet writes %s", n, got.String(), other.String(), exp.String())
		}
	}
}

// A string field written from the object is written as gqlgen writes a
// String, and marshalling it allocates nothing.
func TestStringAt(t *testing.T) {
	for _, s := range []string{"", "RDZ 10", `quote " back \ slash`, "tab\tnew\nline\r", "\x01\x1f", "é ✓"} {
		var got, want bytes.Buffer
		var other strings.Builder // not a buffer: the general path
		stringAt{&s}.MarshalGQL(&got)
		stringAt{&s}.MarshalGQL(&other)
		graphql.MarshalString(s).MarshalGQL(&want)
		if got.String() != want.String() || other.String() != want.String() {
			t.Errorf("%q: wrote %s and %s, gqlgen writes %s", s, got.String(), other.String(), want.String())
		}
	}
	s := "RDZ 10"
	var m graphql.Marshaler
	if n := testing.AllocsPerRun(100, func() { m = stringAt{&s} }); n != 0 {
		t.Errorf("boxing a stringAt allocates %v times", n)
	}
	_ = m
}

// Below a fast field its operation's answer is kept; anywhere else, and in
// the elements of a list marshalled outside the fast path (an interceptor's
// operation), the field middleware decides.
func TestFastBelow(t *testing.T) {
	ctx, _ := responseCtx()
	newOC := func() *graphql.OperationContext {
		oc, _ := executor.New(nil).CreateOperationContext(graphql.StartOperationTrace(context.Background()), &graphql.RawParams{})
		return oc
	}
	plain, intercepted := newOC(), newOC()
	intercepted.ResolverMiddleware = func(ctx context.Context, next graphql.Resolver) (any, error) { return next(ctx) }
	if fastBelow(ctx, plain) != true || fastBelow(ctx, intercepted) != false {
		t.Fatal("outside a fast field fastBelow is not plainFieldsFast")
	}
	fc := newFieldCtx(ctx, graphql.CollectedField{Field: &ast.Field{Alias: "f"}}, "Query", true, true)
	if !fastBelow(fc, intercepted) {
		t.Error("below a fast field the operation's answer is not kept")
	}
	var inElements []bool
	marshalSlice(ctx, 2, 0, false, func(ctx context.Context, i int) graphql.Marshaler {
		inElements = append(inElements, fastBelow(ctx, intercepted))
		return graphql.Null
	})
	if len(inElements) != 2 || inElements[0] || inElements[1] {
		t.Errorf("the elements of a list outside the fast path take it: %v", inElements)
	}
}

// Below a fast field, lists take their arrays and element contexts from
// the field's arena: a page's many short lists (an episode's diagnoses)
// cost no allocation each, and their elements stay distinct.
func TestMarshalSliceCarvesFromTheArena(t *testing.T) {
	ctx, _ := responseCtx()
	field := newFieldCtx(ctx, graphql.CollectedField{Field: &ast.Field{Alias: "episodes"}}, "Query", false, true)
	elem := func(ctx context.Context, i int) graphql.Marshaler { return constant("v") }
	seen := map[*graphql.FieldContext]bool{}
	for range 10 {
		ret := marshalSlice(field, 3, 0, true, func(ctx context.Context, i int) graphql.Marshaler {
			fc := graphql.GetFieldContext(ctx)
			if seen[fc] || *fc.Index != i {
				t.Errorf("element %d: field context %p reused or misindexed", i, fc)
			}
			seen[fc] = true
			return constant("v")
		})
		if len(ret) != 3 || cap(ret) != 3 {
			t.Fatalf("array len %d cap %d", len(ret), cap(ret))
		}
	}
	allocs := testing.AllocsPerRun(200, func() { marshalSlice(field, 2, 0, true, elem) })
	if allocs > 0.2 {
		t.Errorf("%.2f allocations per short list below a fast field, want chunked ones only", allocs)
	}
}

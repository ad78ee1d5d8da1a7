package graph

import (
	"context"

	"github.com/99designs/gqlgen/graphql"
)

// marshalSlice marshals a list of objects one element after another. The
// generated code calls it in place of gqlgen's MarshalSliceConcurrently
// (graph/internal/rewrite, run by go:generate, rewrites the call), which starts a
// goroutine per element: on a page of 50 episodes with their diagnoses that
// is some 250 goroutines per request, and goroutine start-up, stack growth
// and scheduling were the largest share of a listing's CPU in profiles. The
// concurrency buys nothing here: resolvers below a list do no I/O of their
// own while it is marshalled, because the connection resolvers load each
// level's nested data for the whole page in one statement beforehand
// (resolvers/prefetch.go) and list siblings share one batched statement.
//
// It keeps MarshalSliceConcurrently's contract: each element gets its own
// field context carrying its index (error paths name it), and unless
// omitPanicHandler is set, a panicking element becomes null with an error
// while its siblings are still marshalled.
func marshalSlice(ctx context.Context, length int, _ int64, omitPanicHandler bool, marshalElement func(ctx context.Context, i int) graphql.Marshaler) graphql.Array {
	ret := make(graphql.Array, length)
	if length == 0 {
		return ret
	}
	// One allocation each for all the elements' indexes and field contexts.
	idx := make([]int, length)
	fcs := make([]graphql.FieldContext, length)
	for i := range length {
		idx[i] = i
		fcs[i].Index = &idx[i]
		childCtx := graphql.WithFieldContext(ctx, &fcs[i])
		if omitPanicHandler {
			ret[i] = marshalElement(childCtx, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(childCtx, graphql.Recover(childCtx, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(childCtx, i)
		}()
	}
	return ret
}

// newDeferredGroup stands, in the generated code, for gqlgen's
// NewDeferredGroup at the start of every object. That one computes the
// object's response path and allocates a field set and a map for @defer'd
// fields whether or not the operation defers anything: on a page of 50
// episodes with their diagnoses, about a tenth of a request's allocations.
// An object none of whose fields is deferred gets an empty group (gqlgen
// processes a group only when it has deferred fields), one with any gets
// gqlgen's own.
func newDeferredGroup(ctx context.Context, fields []graphql.CollectedField) graphql.DeferredGroup {
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewDeferredGroup(ctx)
		}
	}
	return graphql.DeferredGroup{Context: ctx}
}

// resolveInline stands, in the generated code, for FieldSet.ResolveConcurrently
// on the fields of non-root objects that have resolvers. gqlgen defers those
// and, when an object has more than one, runs all but the first in
// goroutines of their own: one per episode of a page selecting its patient
// and diagnoses. They do no I/O of their own while the page is marshalled
// (see marshalSlice), so they are resolved in place instead, with the same
// panic recovery and null accounting. A @defer'd field keeps gqlgen's path.
func resolveInline(ctx context.Context, out *graphql.FieldSet, field graphql.CollectedField, oc *graphql.OperationContext,
	deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool, resolve func(ctx context.Context) graphql.Marshaler) {
	if field.IsDeferred() {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, resolve)
		return
	}
	res := func() (res graphql.Marshaler) {
		if recoverFromPanic {
			defer func() {
				if r := recover(); r != nil {
					oc.Error(ctx, oc.Recover(ctx, r))
					res = graphql.Null
				}
			}()
		}
		return resolve(ctx)
	}()
	out.Values[i] = res
	// What marks the object invalid, as gqlgen counts it: null for a
	// non-null field, the required-null marker for a nullable one.
	invalid := graphql.RequiredNull
	if nonNull {
		invalid = graphql.Null
	}
	if res == invalid {
		out.Invalids++
	}
}

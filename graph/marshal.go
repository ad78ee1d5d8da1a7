package graph

import (
	"context"
	"io"
	"reflect"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/executor"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/graph/model"
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
	if length == 0 {
		return graphql.Array{}
	}
	// The elements' contexts, field contexts and indexes, where
	// WithFieldContext would make one context each, and the array are
	// carved from the arena below a fast field: on a page, every episode's
	// list of diagnoses would otherwise be two allocations of its own.
	parent := graphql.GetFieldContext(ctx)
	arena := arenaOf(ctx)
	if arena == nil {
		arena = &fieldArena{}
	}
	ret, elems := arena.list(length)
	for i := range length {
		elem := &elems[i]
		elem.Context, elem.index, elem.arena = ctx, i, arena
		elem.fc.Parent, elem.fc.Index = parent, &elem.index
		if omitPanicHandler {
			ret[i] = marshalElement(elem, i)
			continue
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					graphql.AddError(elem, graphql.Recover(elem, r))
					ret[i] = graphql.Null
				}
			}()
			ret[i] = marshalElement(elem, i)
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

// objectJSON is what the generated marshaller of an object returns in
// place of its graphql.FieldSet (graph/internal/rewrite rewrites the
// return), once every field has its value. It writes what
// FieldSet.MarshalGQL writes, the fields in order under their aliases, the
// first of a repeated alias only, without the copy of each field, the map
// of written aliases and the iterator that one allocates per object.
type objectJSON struct {
	fields []graphql.CollectedField
	values []graphql.Marshaler
}

// newObject returns the objectJSON of an object's fields and values. Below
// a fast field it is carved from the field's arena, as the object's field
// set is (newFieldSet): a struct returned as a Marshaler is boxed, an
// allocation per object.
func newObject(ctx context.Context, fields []graphql.CollectedField, values []graphql.Marshaler) graphql.Marshaler {
	a := arenaOf(ctx)
	if a == nil {
		return objectJSON{fields, values}
	}
	a.mu.Lock()
	o := &carve(&a.objects, 1, fieldSetChunk)[0]
	a.mu.Unlock()
	*o = objectJSON{fields, values}
	return o
}

func (o objectJSON) MarshalGQL(w io.Writer) {
	if b, ok := w.(*model.DataBuffer); ok {
		o.marshalTo(b)
		return
	}
	// The executor writes into a data buffer; any other writer gets the
	// same bytes through one.
	b := model.NewDataBuffer(nil)
	o.marshalTo(b)
	_, _ = w.Write(b.Bytes())
}

func aliased(fields []graphql.CollectedField, alias string) bool {
	for i := range fields {
		if fields[i].Alias == alias {
			return true
		}
	}
	return false
}

// resolveInline stands, in the generated code, for FieldSet.ResolveConcurrently
// on the fields of non-root objects that have resolvers. gqlgen defers those
// and, when an object has more than one, runs all but the first in
// goroutines of their own: one per episode of a page selecting its patient
// and diagnoses. They do no I/O of their own while the page is marshalled
// (see marshalSlice), so they are resolved in place instead, with the same
// panic recovery and null accounting. A @defer'd field keeps gqlgen's path.
// The field is resolved by resolve(ec, ctx, field, obj), a method
// expression of the execution context, rather than by a closure holding
// them, which was an allocation per field per object.
func resolveInline[E, O any](ctx context.Context, out *graphql.FieldSet, field graphql.CollectedField, oc *graphql.OperationContext,
	deferred *graphql.DeferredGroup, i int, recoverFromPanic, nonNull bool,
	ec E, obj O, resolve func(E, context.Context, graphql.CollectedField, O) graphql.Marshaler) {
	if field.IsDeferred() {
		out.ResolveConcurrently(oc, deferred, i, recoverFromPanic, nonNull, func(ctx context.Context) graphql.Marshaler {
			return resolve(ec, ctx, field, obj)
		})
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
		return resolve(ec, ctx, field, obj)
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

// fieldCtx is the context of a field while it is resolved and marshalled
// (and of a list element, see marshalSlice). graph/internal/rewrite gives
// three kinds of fields a fast path under one, taken when the operation
// has no field interceptor (plainFieldsFast): plain fields, with no
// resolver or middleware of their own, whose generated resolver only
// reads the field of its object (`return obj.X, nil`), the same under one
// directive without arguments (@identifiable: the directive still runs,
// on the field's context), and fields whose resolver takes the object,
// with or without arguments (Episode.patient, Patient.episodes; the
// arguments are parsed once per field of the query, fieldArgs). The path
// reads the value, or calls the resolver, and marshals it under a
// fieldCtx instead of going through graphql.ResolveField. That one
// allocates, per field, a field context with a Child closure, the
// context.WithValue holding it, the resolver and `next` closures and the
// value boxed into an `any` twice; it was the largest share of a
// listing's allocations. Here the context and its field context are one
// slot of an arena (fieldArena), and only fields with subfields record
// their result (resolvers read ancestors' results, resolvers/prefetch.go;
// nothing can read a leaf's). Child stays nil: only field interceptors
// call it. Resolver errors and panics are reported on the field's path,
// and the field becomes null, as gqlgen does.
type fieldCtx struct {
	context.Context
	fc    graphql.FieldContext
	index int         // a list element's, for fc.Index
	arena *fieldArena // where the fields below this one take theirs
}

// fieldArena hands out the fieldCtx of the fields below a field, carved
// from chunks: one allocation per many fields instead of one per field
// (with the fields of an episode page, about a sixth of a listing's
// allocations). The first fast field below a context that is not a
// fieldCtx (a root field, gqlgen's own path) starts one, and its
// descendants share it. Fields are resolved one after another, except
// @defer'd ones, which gqlgen runs in goroutines: hence the lock.
type fieldArena struct {
	mu        sync.Mutex
	free      []fieldCtx
	sets      []graphql.FieldSet // see newFieldSet
	values    []graphql.Marshaler
	objects   []objectJSON                            // see newObject
	collected map[collectKey][]graphql.CollectedField // see collectFields
	// The first few selections collected, looked for before the map:
	// an operation has only a handful, and comparing keys is cheaper
	// than hashing them once per object.
	firstCollected [8]collectedSel
	nCollected     int
	next           int                           // size of the next chunk
	args           map[*ast.Field]map[string]any // see fieldArgs
	// fast is set on an arena a fast field started: its operation's plain
	// fields take the fast path (fastBelow). Written once, at the start.
	fast bool
}

// The chunks grow from small, for queries reading a few fields, to a
// size whose waste stays small beside a page's fields.
const (
	firstFieldChunk = 8
	maxFieldChunk   = 64
)

func (a *fieldArena) get() *fieldCtx {
	a.mu.Lock()
	c := &a.fields(1)[0]
	a.mu.Unlock()
	return c
}

// list returns the array and the element contexts of a list of n.
func (a *fieldArena) list(n int) (graphql.Array, []fieldCtx) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return carve(&a.values, n, valuesChunk), a.fields(n)
}

// fields takes n field contexts from the current chunk, first starting a
// chunk when it holds fewer. A long list takes a slice of its own rather
// than discard what is left of the chunk. The caller holds the lock.
func (a *fieldArena) fields(n int) []fieldCtx {
	if n > maxFieldChunk/2 {
		return make([]fieldCtx, n)
	}
	if len(a.free) < n {
		size := max(a.next, firstFieldChunk, n)
		a.free, a.next = make([]fieldCtx, size), min(2*size, maxFieldChunk)
	}
	s := a.free[:n:n]
	a.free = a.free[n:]
	return s
}

// Value answers gqlgen's field-context key with the field's own context,
// as the context.WithValue of WithFieldContext would.
func (c *fieldCtx) Value(key any) any {
	if key == fieldContextKey {
		return &c.fc
	}
	return c.Context.Value(key)
}

// newFieldCtx starts a field of object below ctx.
func newFieldCtx(ctx context.Context, field graphql.CollectedField, object string, isMethod, isResolver bool) *fieldCtx {
	arena := arenaOf(ctx)
	if arena == nil {
		arena = &fieldArena{fast: true} // only a fast field starts a context
	}
	c := arena.get()
	*c = fieldCtx{Context: ctx, arena: arena, fc: graphql.FieldContext{
		Parent:     graphql.GetFieldContext(ctx),
		Object:     object,
		Field:      field,
		IsMethod:   isMethod,
		IsResolver: isResolver,
	}}
	return c
}

// recoverField is deferred by a field's fast path: as in
// graphql.ResolveField, a panic becomes null with an error on the field.
func recoverField(ctx *fieldCtx, oc *graphql.OperationContext, ret *graphql.Marshaler) {
	if r := recover(); r != nil {
		oc.Error(ctx, oc.Recover(ctx, r))
		*ret = graphql.Null
	}
}

// fieldError reports a resolver's error on the field and makes it null, as
// graphql.ResolveField does.
func fieldError(ctx *fieldCtx, oc *graphql.OperationContext, err error) graphql.Marshaler {
	oc.Error(ctx, graphql.AddFieldLocationToError(ctx, err))
	return graphql.Null
}

// plainFieldsFast reports whether oc's field middleware is gqlgen's
// pass-through, that is, no handler extension intercepts fields: only then
// may fields skip it. Any FieldInterceptor (or an operation context
// mutator replacing the middleware) makes it another function, and every
// field then takes gqlgen's path with the middleware.
func plainFieldsFast(oc *graphql.OperationContext) bool {
	return reflect.ValueOf(oc.ResolverMiddleware).Pointer() == passThroughFieldMiddleware
}

// fastBelow is plainFieldsFast for a field resolved under ctx. Below a field
// that took the fast path the answer is known, being the operation's, and
// is kept in the arena that field started (fieldArena.fast), rather than
// read off the middleware again for every field of a page.
func fastBelow(ctx context.Context, oc *graphql.OperationContext) bool {
	if a := arenaOf(ctx); a != nil && a.fast {
		return true
	}
	return plainFieldsFast(oc)
}

// passThroughFieldMiddleware is the code of the field middleware gqlgen's
// executor gives an operation when no extension intercepts fields. An
// executor without extensions hands it out in the operation context it
// makes even for an empty query, before it would look at a schema.
var passThroughFieldMiddleware = func() uintptr {
	ctx := graphql.StartOperationTrace(context.Background())
	oc, _ := executor.New(nil).CreateOperationContext(ctx, &graphql.RawParams{})
	return reflect.ValueOf(oc.ResolverMiddleware).Pointer()
}()

// fieldContextKey is the context key under which gqlgen keeps the field
// context (unexported there): learnt by asking GetFieldContext once.
var fieldContextKey = func() any {
	var p keyProbe
	graphql.GetFieldContext(&p)
	if p.key == nil {
		panic("graph: gqlgen's GetFieldContext no longer looks its key up in the context")
	}
	return p.key
}()

type keyProbe struct {
	context.Context
	key any
}

func (p *keyProbe) Value(key any) any {
	p.key = key
	return nil
}

// directiveResult takes, for a plain field under one directive
// (@identifiable), what the directive chain returned, as
// graphql.ResolveField would: an error is reported on the field, a nil
// result is null (an error too if the field is non-null), a value of
// another type than the field's is an error. null is the field's result
// when it is not v marshalled.
func directiveResult[T any](fc *fieldCtx, oc *graphql.OperationContext, res any, err error, nonNull bool) (v T, null graphql.Marshaler) {
	if err != nil {
		return v, fieldError(fc, oc, err)
	}
	if res == nil {
		if nonNull {
			graphql.AddInvalidNullError(fc, "")
		}
		return v, graphql.Null
	}
	switch r := res.(type) {
	case T:
		return r, nil
	case graphql.Marshaler:
		return v, r
	}
	oc.Errorf(fc, `unexpected type %T from middleware/directive chain, should be %T`, res, v)
	return v, graphql.Null
}

// fieldArgs parses the arguments of a field taking the fast path, once per
// field of the query: siblings (each patient's episodes on a page) share
// the parsed arguments, which depend only on the field's syntax and the
// operation's variables. Resolvers only read them. Errors are not kept,
// each sibling reports its own as gqlgen would.
func fieldArgs(fc *fieldCtx, parse func(context.Context, map[string]any) (map[string]any, error), variables map[string]any) (map[string]any, error) {
	a, key := fc.arena, fc.fc.Field.Field
	a.mu.Lock()
	args, ok := a.args[key]
	a.mu.Unlock()
	if ok {
		return args, nil
	}
	args, err := parse(fc, fc.fc.Field.ArgumentMap(variables))
	if err != nil {
		return nil, err
	}
	a.mu.Lock()
	if a.args == nil {
		a.args = map[*ast.Field]map[string]any{}
	}
	a.args[key] = args
	a.mu.Unlock()
	return args, nil
}

// newFieldSet stands, in the generated code, for graphql.NewFieldSet at
// the start of every object below a fast field: the field set and its
// values are carved from the field's arena instead of allocated, two per
// object. The set does not keep the fields, which only gqlgen's own
// FieldSet.MarshalGQL and @defer's views read: the object is written by
// objectJSON, and an object with a deferred field gets gqlgen's set.
func newFieldSet(ctx context.Context, fields []graphql.CollectedField) *graphql.FieldSet {
	a := arenaOf(ctx)
	if a == nil {
		return graphql.NewFieldSet(fields)
	}
	for i := range fields {
		if fields[i].IsDeferred() {
			return graphql.NewFieldSet(fields)
		}
	}
	a.mu.Lock()
	fs := &carve(&a.sets, 1, fieldSetChunk)[0]
	fs.Values = carve(&a.values, len(fields), valuesChunk)
	a.mu.Unlock()
	return fs
}

const (
	fieldSetChunk = 32
	valuesChunk   = 128
)

// arenaOf returns the arena of the fast field ctx is below, or nil.
func arenaOf(ctx context.Context) *fieldArena {
	if p, ok := ctx.(*fieldCtx); ok {
		return p.arena
	}
	return nil
}

// carve takes n elements from *free, first starting a chunk of at least
// size when it holds fewer. The caller holds the arena's lock.
func carve[T any](free *[]T, n, size int) []T {
	if len(*free) < n {
		*free = make([]T, max(size, n))
	}
	s := (*free)[:n:n]
	*free = (*free)[n:]
	return s
}

// collectFields stands, in the generated code, for graphql.CollectFields
// at the start of every object: below a fast field, the objects of a page
// sharing a selection find its collected fields in the field's arena
// instead of computing gqlgen's cache key, which allocates a hash per
// object. The result is gqlgen's; it depends on the operation only (its
// fragments and variables), as the arena does.
func collectFields(ctx context.Context, oc *graphql.OperationContext, sel ast.SelectionSet, satisfies []string) []graphql.CollectedField {
	a := arenaOf(ctx)
	if a == nil || len(sel) == 0 || len(satisfies) == 0 {
		return graphql.CollectFields(oc, sel, satisfies)
	}
	key := collectKey{&sel[0], len(sel), &satisfies[0], len(satisfies)}
	a.mu.Lock()
	fields, ok := a.lookupCollected(key)
	a.mu.Unlock()
	if ok {
		return fields
	}
	fields = graphql.CollectFields(oc, sel, satisfies)
	a.mu.Lock()
	if _, ok := a.lookupCollected(key); !ok {
		if a.nCollected < len(a.firstCollected) {
			a.firstCollected[a.nCollected] = collectedSel{key, fields}
			a.nCollected++
		} else {
			if a.collected == nil {
				a.collected = map[collectKey][]graphql.CollectedField{}
			}
			a.collected[key] = fields
		}
	}
	a.mu.Unlock()
	return fields
}

// collectedSel is one selection's collected fields.
type collectedSel struct {
	key    collectKey
	fields []graphql.CollectedField
}

// lookupCollected finds the fields collected for key; a.mu is held.
func (a *fieldArena) lookupCollected(key collectKey) ([]graphql.CollectedField, bool) {
	for i := range a.nCollected {
		if a.firstCollected[i].key == key {
			return a.firstCollected[i].fields, true
		}
	}
	fields, ok := a.collected[key]
	return fields, ok
}

// collectKey is a selection set and the type names it is collected for,
// by identity: the operation's syntax tree and the generated
// implementors lists do not change while it runs.
type collectKey struct {
	sel       *ast.Selection
	selLen    int
	satisfies *string
	satLen    int
}

// stringAt stands, in a plain field's fast path, for the marshaller of a
// String (graphql.MarshalString), which allocates a closure holding the
// string per field. It points at the string in the object instead, which
// nothing changes once loaded, and is written as gqlgen writes a string
// when the response is; one pointer, it is boxed without an allocation.
type stringAt struct{ s *string }

func (s stringAt) MarshalGQL(w io.Writer) {
	if b, ok := w.(*model.DataBuffer); ok {
		if need := stringNeeds(*s.s); need&gqlgenEscapes == 0 {
			if need&htmlMayEscape != 0 {
				b.MayChange()
			}
			b.VerbatimByte('"')
			b.Verbatim(*s.s)
			b.VerbatimByte('"')
			return
		}
	}
	graphql.MarshalString(*s.s).MarshalGQL(w)
}

// Command rewrite is the second step of graph's go:generate: it points
// calls of gqlgen's generated code at graph's own lighter versions
// (graph/marshal.go says why for each). Most are fixed textual
// substitutions of a call by one with the same result; the resolvers of
// plain fields, and of fields whose resolver takes only the object, are
// recognised in the syntax tree (plain.go). In the generated models, the
// enums are written by graph/model's writeEnum. The output stays
// reproducible from the schema by `go generate ./...`.
package main

import (
	"bytes"
	"fmt"
	"go/format"
	"os"
	"regexp"
)

// substitutions are the calls replaced, upstream → local.
var substitutions = []substitution{
	// A goroutine per list element.
	{"graphql.MarshalSliceConcurrently(", "marshalSlice("},
	// The response path, a field set and a map per object, for @defer.
	{"deferred := graphql.NewDeferredGroup(ctx)", "deferred := newDeferredGroup(ctx, fields)"},
	// A goroutine per object for its second and later resolver fields.
	{"out.ResolveConcurrently(ec.OperationContext, &deferred, i,", "resolveInline(ctx, out, field, ec.OperationContext, &deferred, i,"},
	// A copy of each field, a map and an iterator per object written.
	{"ec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn out\n}", "ec.ProcessDeferredGroup(deferred)\n\t}\n\n\treturn newObject(ctx, fields, out.Values)\n}"},
	// Two allocations per object: the field set and its values. Only
	// for objects written by objectJSON (checked in rewrite), which never
	// reads the field set's own copy of the fields.
	{"out := graphql.NewFieldSet(fields)", "out := newFieldSet(ctx, fields)"},
	// A response's data buffer grown from nothing by doubling, every
	// request, and checked byte by byte again when the response is
	// written: a pooled model.DataBuffer, which knows whether that check
	// can find anything (graph/response.go).
	{"var buf bytes.Buffer\n\t\t\tdata.MarshalGQL(&buf)\n\t\t\tresponse.Data = buf.Bytes()",
		"buf := newDataBuffer()\n\t\t\tdata.MarshalGQL(buf)\n\t\t\tresponse.Data = dataOf(ctx, buf)"},
	// The buffer was the generated code's only use of package bytes; if
	// gqlgen had another, the build says so.
	{"import (\n\t\"bytes\"\n", "import (\n"},
	// The cache key gqlgen hashes (an allocation) per object.
	{"fields := graphql.CollectFields(ec.OperationContext, sel, ", "fields := collectFields(ctx, ec.OperationContext, sel, "},
}

// modelSubstitutions are the calls replaced in the generated models.
var modelSubstitutions = []substitution{
	// fmt.Fprint of a quoted copy per enum value written: an enum value is
	// a GraphQL Name, which needs no escaping.
	{"_, _ = fmt.Fprint(w, strconv.Quote(e.String()))", "writeEnum(w, string(e))"},
}

// substitution replaces every upstream call by the local one.
type substitution struct{ upstream, local string }

// substitute applies subs to src, the file at path.
func substitute(path string, src []byte, subs []substitution) ([]byte, error) {
	for _, s := range subs {
		if !bytes.Contains(src, []byte(s.upstream)) {
			// gqlgen no longer emits the call: the substitution would
			// silently do nothing.
			return nil, fmt.Errorf("%s: no %q to rewrite; check the gqlgen version", path, s.upstream)
		}
		src = bytes.ReplaceAll(src, []byte(s.upstream), []byte(s.local))
	}
	return src, nil
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: rewrite generated.go models_gen.go")
		os.Exit(2)
	}
	if err := rewrite(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "rewrite:", err)
		os.Exit(1)
	}
	if err := rewriteModels(os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "rewrite:", err)
		os.Exit(1)
	}
}

// rewriteModels applies modelSubstitutions to the generated models.
func rewriteModels(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if src, err = substitute(path, src, modelSubstitutions); err != nil {
		return err
	}
	if src, err = format.Source(src); err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}

func rewrite(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if src, err = substitute(path, src, substitutions); err != nil {
		return err
	}
	if bytes.Count(src, []byte("out := newFieldSet(ctx, fields)")) != bytes.Count(src, []byte("return newObject(ctx, fields, out.Values)")) {
		return fmt.Errorf("%s: an object's field set is not written by objectJSON; check the gqlgen version", path)
	}
	if src, err = resolveWithoutClosures(path, src); err != nil {
		return err
	}
	src, err = rewritePlainFields(path, src)
	if err != nil {
		return err
	}
	if src, err = format.Source(src); err != nil {
		return err
	}
	return os.WriteFile(path, src, 0o644)
}

// resolverClosure is the closure that gqlgen's call resolving a field with
// a resolver of an object (resolveInline, after substitutions) is given:
// one allocated per field per object, holding the field and the object.
var resolverClosure = regexp.MustCompile(`(resolveInline\(ctx, out, field, ec\.OperationContext, &deferred, i,\s+(?:true|false), (?:true|false),)` +
	`\s+func\(ctx context\.Context\) graphql\.Marshaler \{\s+return ec\.(\w+)\(ctx, field, obj\)\s+\}\)`)

// resolveWithoutClosures passes resolveInline the execution context, the
// object and the field's method expression, a static function, in place of
// the closure.
func resolveWithoutClosures(path string, src []byte) ([]byte, error) {
	calls := bytes.Count(src, []byte("resolveInline("))
	src = resolverClosure.ReplaceAll(src, []byte("$1 ec, obj, (*executionContext).$2)"))
	if n := bytes.Count(src, []byte("(*executionContext)._")); n != calls {
		return nil, fmt.Errorf("%s: %d of %d resolveInline calls without their closure; check the gqlgen version", path, n, calls)
	}
	return src, nil
}

// Command seqlists is the second step of graph's go:generate: it points the
// list marshalling of gqlgen's generated code at graph's own sequential
// marshaller (graph/marshal.go says why). It is a fixed textual
// substitution of one function name with another of the same signature, so
// the output stays reproducible from the schema by `go generate ./...`.
package main

import (
	"bytes"
	"fmt"
	"os"
)

const (
	upstream = "graphql.MarshalSliceConcurrently("
	local    = "marshalSlice("
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: seqlists generated.go")
		os.Exit(2)
	}
	if err := rewrite(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "seqlists:", err)
		os.Exit(1)
	}
}

func rewrite(path string) error {
	src, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	n := bytes.Count(src, []byte(upstream))
	if n == 0 {
		// gqlgen no longer emits the call: the substitution would silently
		// do nothing, and lists would be marshalled concurrently again.
		return fmt.Errorf("%s: no %s call to rewrite; check the gqlgen version", path, upstream)
	}
	out := bytes.ReplaceAll(src, []byte(upstream), []byte(local))
	return os.WriteFile(path, out, 0o644)
}

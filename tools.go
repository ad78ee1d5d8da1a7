//go:build tools

// Package tools pins the code generators the build depends on, so that
// `go generate ./...` runs the same versions everywhere.
package tools

import (
	_ "github.com/99designs/gqlgen"
)

// Package graph assembles the GraphQL HTTP handler: gqlgen's generated
// executable schema (with the lighter calls graph/marshal.go provides),
// transports, limits and the error presenter.
package graph

//go:generate go run github.com/99designs/gqlgen generate
//go:generate go run ./internal/rewrite generated.go model/models_gen.go

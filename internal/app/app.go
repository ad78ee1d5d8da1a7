// Package app wires the store, resolvers, GraphQL handler and HTTP server
// together. The command and end-to-end tests build the same stack from it.
package app

import (
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/internal/server"
	"github.com/hesgql/hesgql/resolvers"
)

// Options configure the assembled API.
type Options struct {
	Logger        *slog.Logger
	GraphiQL      bool
	Introspection bool
	CORSOrigins   []string
	Registry      *prometheus.Registry
}

// Handler returns the complete HTTP handler of the API over d.
func Handler(d *db.DB, opts Options) http.Handler {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	es := graph.NewExecutableSchema(graph.Config{
		Resolvers:  &resolvers.Resolver{DB: d, Log: log},
		Directives: graph.Directives(),
	})
	gql := graph.NewHandler(es, graph.HandlerOptions{Logger: log, Introspection: opts.Introspection})
	return server.Handler(server.Config{
		Logger:  log,
		DB:      d,
		GraphQL: gql,
		Middleware: []func(http.Handler) http.Handler{
			func(next http.Handler) http.Handler { return resolvers.LoaderMiddleware(d, next) },
		},
		GraphiQL:    opts.GraphiQL,
		CORSOrigins: opts.CORSOrigins,
		Registry:    opts.Registry,
	})
}

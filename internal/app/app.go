// Package app wires the store, resolvers, GraphQL handler and HTTP server
// together. The command and end-to-end tests build the same stack from it.
package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
	"github.com/hesgql/hesgql/internal/export"
	"github.com/hesgql/hesgql/internal/governance"
	"github.com/hesgql/hesgql/internal/server"
	"github.com/hesgql/hesgql/resolvers"
)

// Options configure the assembled API.
type Options struct {
	Logger   *slog.Logger
	GraphiQL bool
	// GraphiQLHeaders, called each time GraphiQL's page is served,
	// pre-fills its headers editor (development only: a token minted per
	// page view, so that it is never expired).
	GraphiQLHeaders func() (string, error)
	Introspection   bool
	// FieldSuggestions keeps "did you mean" hints in validation errors.
	FieldSuggestions bool
	CORSOrigins      []string
	Registry         *prometheus.Registry
	// Auth verifies bearer tokens. Nil refuses every token, so only the
	// public role is available.
	Auth *auth.Verifier
	// Limits bound each GraphQL operation (zero values: defaults).
	Limits graph.Limits
	// AllowList, when not nil, restricts the API to registered queries.
	AllowList map[string]string
	// APQCacheSize: see graph.HandlerOptions.
	APQCacheSize int
	// Audit tunes the audit writer.
	Audit auth.WriterOptions
	// MaxBodyBytes bounds a request body (0 = 1 MiB).
	MaxBodyBytes int64
	// PublicStatementTimeout is the statement time budget of requests
	// without a token (0 = only the pool's statement timeout).
	PublicStatementTimeout time.Duration
	// RoleStatementTimeouts are the statement time budgets of requests
	// with a token, by role (absent or 0 = only the pool's statement
	// timeout); a token with several roles gets the most generous.
	RoleStatementTimeouts map[model.Role]time.Duration
	// RateLimits bound each caller's request rate and concurrency (zero
	// values: no limit; the command sets the documented defaults).
	RateLimits server.RateLimits
	// Routes are extra routes, beside /graphql and the CSV extract; they
	// are authenticated and scoped like /graphql.
	Routes map[string]http.Handler
}

// App is the assembled API: an http.Handler with an audit writer that must
// be closed to write out what it holds.
type App struct {
	http.Handler
	audit    *auth.Writer
	verifier *auth.Verifier
	owned    bool // verifier made here, closed here
}

// New assembles the API over d.
func New(d *db.DB, opts Options) (*App, error) {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	// Everything logged while serving a request names the request.
	log = server.WithRequestIDs(log)
	reg := opts.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	a := &App{verifier: opts.Auth}
	if a.verifier == nil {
		v, err := auth.NewVerifier(context.Background(), auth.Config{Logger: log})
		if err != nil {
			return nil, err
		}
		a.verifier, a.owned = v, true
	}
	wopts := opts.Audit
	if wopts.Logger == nil {
		wopts.Logger = log
	}
	wopts.Registerer = reg
	a.audit = auth.NewWriter(d, wopts)

	es := graph.NewExecutableSchema(graph.Config{
		Resolvers:  graph.CachedResolvers(&resolvers.Resolver{DB: d, Log: log}),
		Directives: governance.Directives(),
	})
	gql := graph.NewHandler(es, graph.HandlerOptions{
		Logger:           log,
		Introspection:    opts.Introspection,
		FieldSuggestions: opts.FieldSuggestions,
		Limits:           opts.Limits,
		AllowList:        opts.AllowList,
		APQCacheSize:     opts.APQCacheSize,
		Registerer:       reg,
		Governance: &governance.Governance{
			PatientsAtOrgs: d.PatientsAtOrgs,
			Audit:          a.audit.Enqueue,
			RequestID:      server.RequestID,
		},
	})
	maxBody := opts.MaxBodyBytes
	if maxBody <= 0 {
		maxBody = 1 << 20
	}
	authenticate := auth.Middleware(a.verifier, log)
	// Limits and budgets key on the caller, so they run right after
	// authentication and before the body is read.
	// One limiter for every route, so that a caller's requests count
	// together wherever they go.
	rateLimit, budget := server.RateLimit(opts.RateLimits), server.StatementBudget(server.StatementBudgets{
		Public: opts.PublicStatementTimeout, Roles: opts.RoleStatementTimeouts,
	})
	limited := func(next http.Handler) http.Handler { return rateLimit(budget(next)) }
	routes := map[string]http.Handler{
		// The extract audits its restricted columns itself, before it
		// streams, so that an extract whose record fails is not sent.
		"GET /export/episodes.csv": export.Handler(d, export.Options{
			Logger:    log,
			Authorize: export.ViewerAccess,
			Audit:     export.StoreAudit(a.audit),
			RequestID: server.RequestID,
			Limits:    opts.Limits,
		}),
	}
	for pattern, h := range opts.Routes {
		routes[pattern] = h
	}
	for pattern, h := range routes {
		routes[pattern] = authenticate(limited(h))
	}
	a.Handler = server.Handler(server.Config{
		Logger:  log,
		DB:      d,
		GraphQL: gql,
		// Innermost first: the caller is authenticated before the body is
		// read, and loaders are made per authenticated request.
		Middleware: []func(http.Handler) http.Handler{
			graph.UnavailableStatus,
			func(next http.Handler) http.Handler { return resolvers.LoaderMiddleware(d, next) },
			func(next http.Handler) http.Handler { return resolvers.SpellLoaderMiddleware(d, next) },
			func(next http.Handler) http.Handler { return graph.LimitBody(maxBody, next) },
			limited,
			authenticate,
		},
		Routes:          routes,
		GraphiQL:        opts.GraphiQL,
		GraphiQLHeaders: opts.GraphiQLHeaders,
		CORSOrigins:     opts.CORSOrigins,
		MaxBodyBytes:    maxBody,
		Registry:        reg,
	})
	return a, nil
}

// Handler returns the complete HTTP handler of the API over d, for callers
// that never shut it down: its audit events are written by each request
// itself rather than by a background writer needing Close.
func Handler(d *db.DB, opts Options) http.Handler {
	opts.Audit.Synchronous = true
	a, err := New(d, opts)
	if err != nil {
		panic(err) // only a JWKS configuration can fail, and Options.Auth is built by the caller
	}
	return a
}

// Flush returns once every audit event of the requests served so far is
// written.
func (a *App) Flush(ctx context.Context) error { return a.audit.Flush(ctx) }

// Close writes out pending audit events and stops background work. Call it
// after the HTTP server has drained, so that no request is still running.
func (a *App) Close(ctx context.Context) error {
	err := a.audit.Close(ctx)
	if a.owned {
		a.verifier.Close()
	}
	return err
}

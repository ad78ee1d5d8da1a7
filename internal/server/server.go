// Package server assembles the HTTP surface of hesgql: the GraphQL endpoint
// with its middleware, GraphiQL, health, readiness and metrics, and runs it
// with graceful shutdown.
package server

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/graphiql"
)

// Config holds what the server needs; cmd fills it from flags and environment.
type Config struct {
	Logger *slog.Logger
	DB     *db.DB
	// GraphQL serves /graphql; it is wrapped here with the shared middleware.
	GraphQL http.Handler
	// Middleware wraps the GraphQL handler innermost first (auth, loaders…).
	Middleware []func(http.Handler) http.Handler
	// Extra routes mounted as they are, e.g. "GET /export/episodes.csv".
	Routes map[string]http.Handler
	// GraphiQL serves the in-browser IDE at /.
	GraphiQL bool
	// GraphiQLHeaders, called each time the page is served, pre-fills
	// GraphiQL's headers editor (development only: a token minted per view).
	GraphiQLHeaders func() (string, error)
	// CORSOrigins lists the origins allowed to call the API from a browser.
	CORSOrigins []string
	// MaxBodyBytes bounds a request body (0 = 1 MiB).
	MaxBodyBytes int64
	// Registry receives the server's metrics (nil = a new registry).
	Registry *prometheus.Registry
}

// Handler builds the routed, instrumented handler.
func Handler(cfg Config) http.Handler {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	reg := cfg.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := newMetrics(reg, cfg.DB)

	gql := cfg.GraphQL
	for _, mw := range cfg.Middleware {
		gql = mw(gql)
	}
	limit := cfg.MaxBodyBytes
	if limit <= 0 {
		limit = 1 << 20
	}
	gql = maxBody(limit, gql)
	c := newCORSPolicy(cfg.CORSOrigins)

	mux := http.NewServeMux()
	mux.Handle("/graphql", c.wrap(gql))
	for pattern, h := range cfg.Routes {
		mux.Handle(pattern, c.wrap(h))
		// A browser preflights a GET that carries a token; without an
		// OPTIONS route the mux would answer it 405.
		if path, ok := strings.CutPrefix(pattern, http.MethodGet+" "); ok {
			mux.Handle(http.MethodOptions+" "+path, c.wrap(preflightOnly))
		}
	}
	if cfg.GraphiQL {
		ide := graphiql.NewHandler("/graphql", graphiql.Options{Headers: cfg.GraphiQLHeaders})
		mux.Handle("GET /{$}", ide)
		mux.Handle("GET "+graphiql.AssetPrefix, ide)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if err := cfg.DB.Ping(ctx); err != nil {
			log.WarnContext(ctx, "not ready: database does not answer", "err", err)
			http.Error(w, "database unavailable", http.StatusServiceUnavailable)
			return
		}
		current, err := cfg.DB.MigrationsCurrent(ctx)
		if err != nil || !current {
			log.WarnContext(ctx, "not ready: migrations pending", "err", err)
			http.Error(w, "migrations pending", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ready\n"))
		// Replicas out of rotation leave the process ready: reads then go
		// to the primary.
		writeBackends(w, cfg.DB)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	return requestID(logRequests(log, m, limitHeaders(maxHeaderBytes, jsonMisses(mux))))
}

// maxBody refuses bodies over limit before they are read into memory.
func maxBody(limit int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength > limit {
			writeJSONError(w, http.StatusRequestEntityTooLarge, "QUERY_TOO_COMPLEX", "request body too large")
			return
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		next.ServeHTTP(w, r)
	})
}

// Run serves h on addr until ctx is cancelled, then drains in-flight
// requests for up to grace. ready, if not nil, receives the bound address.
//
// A requested shutdown is not a failure even when the grace period runs
// out: the requests still running are logged (method, path, request id,
// age), their connections are cut, and Run returns nil, so that a
// supervisor does not take a SIGTERM for a crash.
func Run(ctx context.Context, addr string, h http.Handler, grace time.Duration, log *slog.Logger, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	reqs := newInflight()
	srv := &http.Server{
		Handler:           reqs.wrap(h),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		IdleTimeout:       120 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace, "in_flight", reqs.count())
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		if !errors.Is(err, context.DeadlineExceeded) {
			return err
		}
		n := reqs.logAbandoned(log, time.Now())
		log.Warn("shutdown grace period ended: connections of the requests still running are cut", "grace", grace, "abandoned", n)
		_ = srv.Close()
		// Cut requests see their context cancelled; give them a moment to
		// return, so that what they leave (audit events) is written out
		// after them rather than lost.
		reqs.wait(2 * time.Second)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

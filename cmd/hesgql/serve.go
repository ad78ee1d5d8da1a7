package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/server"
)

// serveConfig is the configuration of `hesgql serve`.
type serveConfig struct {
	dbConfig
	Auth          authConfig
	Addr          string
	CORSOrigins   string
	GraphiQL      bool
	Introspection bool
	Demo          bool
	DemoEpisodes  int
	Grace         time.Duration
	Limits        graph.Limits
	AllowList     string
	// PublicStatementTimeout is the statement time budget of requests
	// without a token.
	PublicStatementTimeout time.Duration
	// RoleStatementTimeouts are the budgets of requests with a token, by
	// role (0: only the pool's statement timeout).
	RoleStatementTimeouts map[model.Role]*time.Duration
	RateLimit             int // requests per second per subject
	RateBurst             int
	MaxConcurrent         int // requests in progress per subject
	// graphiql and introspection default to on in development (and --demo)
	// and off in production; either environment variable overrides.
	graphiql, introspection *triBool
}

// registerAll registers every serve setting on fs.
func (cfg *serveConfig) registerAll(fs *flag.FlagSet, env *environment) *settings {
	s := newSettings(fs, env)
	cfg.register(s)
	cfg.registerReplicas(s)
	fs.StringVar(&cfg.Addr, "addr", envOr(env, "HES_ADDR", "127.0.0.1:8080"), "listen address [HES_ADDR]")
	fs.StringVar(&cfg.CORSOrigins, "cors-origins", env.getenv("HES_CORS_ORIGINS"), "comma-separated origins allowed to call the API from browsers [HES_CORS_ORIGINS]")
	cfg.Auth.register(s)
	cfg.graphiql = s.OptionalBool("graphiql", "HES_GRAPHIQL", "serve GraphiQL at / (default: on in development only) [HES_GRAPHIQL]")
	cfg.introspection = s.OptionalBool("introspection", "HES_INTROSPECTION", "allow schema introspection (default: on in development only) [HES_INTROSPECTION]")
	s.Int(&cfg.Limits.MaxDepth, "max-depth", "HES_MAX_DEPTH", graph.DefaultMaxDepth, "deepest field nesting of a query [HES_MAX_DEPTH]")
	s.Int(&cfg.Limits.MaxAliases, "max-aliases", "HES_MAX_ALIASES", graph.DefaultMaxAliases, "most aliased fields in a query [HES_MAX_ALIASES]")
	s.Int(&cfg.Limits.MaxRootFields, "max-root-fields", "HES_MAX_ROOT_FIELDS", graph.DefaultMaxRootFields, "most top-level fields in a query [HES_MAX_ROOT_FIELDS]")
	s.Int(&cfg.Limits.MaxComplexity, "max-complexity", "HES_MAX_COMPLEXITY", graph.DefaultMaxComplexity, "highest estimated query cost (connections count once per row) [HES_MAX_COMPLEXITY]")
	s.Int(&cfg.Limits.MaxFilterDepth, "max-filter-depth", "HES_MAX_FILTER_DEPTH", graph.DefaultMaxFilterDepth, "deepest object nesting of one filter argument or extract parameter [HES_MAX_FILTER_DEPTH]")
	s.Int(&cfg.Limits.MaxFilterNodes, "max-filter-nodes", "HES_MAX_FILTER_NODES", graph.DefaultMaxFilterNodes, "most values (objects, fields, list entries) in one filter argument or extract parameter [HES_MAX_FILTER_NODES]")
	s.Int(&cfg.Limits.MaxQueryBytes, "max-query-bytes", "HES_MAX_QUERY_BYTES", graph.DefaultMaxQueryBytes, "longest query text [HES_MAX_QUERY_BYTES]")
	s.Duration(&cfg.PublicStatementTimeout, "public-statement-timeout", "HES_PUBLIC_STATEMENT_TIMEOUT", 2*time.Second, "server time the SQL statements of a request without a token may take together, ending in QUERY_TOO_COMPLEX; 0 for only --statement-timeout [HES_PUBLIC_STATEMENT_TIMEOUT]")
	cfg.RoleStatementTimeouts = map[model.Role]*time.Duration{}
	for _, role := range model.AllRole {
		p := new(time.Duration)
		cfg.RoleStatementTimeouts[role] = p
		flagName, envName := "statement-timeout-"+strings.ToLower(string(role)), "HES_STATEMENT_TIMEOUT_"+string(role)
		s.Duration(p, flagName, envName, 0, fmt.Sprintf("server time the SQL statements of a request with a %s token may take together, ending in QUERY_TOO_COMPLEX; 0 for only --statement-timeout [%s]", role, envName))
	}
	s.Int(&cfg.RateLimit, "rate-limit", "HES_RATE_LIMIT", server.DefaultRate, "sustained requests per second per caller (token subject, or client address without a token); 0 for none [HES_RATE_LIMIT]")
	s.Int(&cfg.RateBurst, "rate-burst", "HES_RATE_BURST", server.DefaultBurst, "requests a caller may send at once above --rate-limit [HES_RATE_BURST]")
	s.Int(&cfg.MaxConcurrent, "max-concurrent", "HES_MAX_CONCURRENT", server.DefaultConcurrent, "requests in progress at once per caller; 0 for no limit [HES_MAX_CONCURRENT]")
	fs.StringVar(&cfg.AllowList, "allowlist", env.getenv("HES_ALLOWLIST"), "JSON file of {sha256: query}: run only these queries [HES_ALLOWLIST]")
	s.Bool(&cfg.Demo, "demo", "HES_DEMO", false, "load generated demo data when the database holds no episodes; implies --dev [HES_DEMO]")
	s.Int(&cfg.DemoEpisodes, "demo-episodes", "HES_DEMO_EPISODES", 50000, "episodes of demo data [HES_DEMO_EPISODES]")
	s.Duration(&cfg.Grace, "shutdown-grace", "HES_SHUTDOWN_GRACE", 15*time.Second, "time to drain in-flight requests on shutdown [HES_SHUTDOWN_GRACE]")
	return s
}

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var cfg serveConfig
	s := cfg.registerAll(fs, env)
	if err := s.parse(args); err != nil {
		return err
	}
	if cfg.Demo {
		cfg.Auth.Dev = true
	}
	cfg.GraphiQL, cfg.Introspection = cfg.graphiql.or(cfg.Auth.Dev), cfg.introspection.or(cfg.Auth.Dev)
	log, err := cfg.logger(env.stderr)
	if err != nil {
		return err
	}
	log.Debug("garbage collector target", "gogc", server.TuneGC(env.getenv))
	server.NoHeapSampling()
	// Refuse a bad token configuration before anything else starts. The
	// secret is resolved once: resolving it logs the development-mode
	// banner, which must appear once per serve.
	secret, err := cfg.Auth.secret(log)
	if err != nil {
		return err
	}
	verifier, err := cfg.Auth.verifier(ctx, log, secret)
	if err != nil {
		return err
	}
	defer verifier.Close()
	if err := cfg.checkCursorKey(cfg.Auth.Dev); err != nil {
		return err
	}
	var allow map[string]string
	if cfg.AllowList != "" {
		if allow, err = graph.LoadAllowList(cfg.AllowList); err != nil {
			return err
		}
		log.Info("allow-list mode: only registered queries run", "queries", len(allow))
	}
	d, err := cfg.open(ctx, log)
	if err != nil {
		return err
	}
	defer d.Close()
	if cfg.Demo {
		n, err := d.EpisodeCount(ctx)
		if err != nil {
			return err
		}
		if n == 0 {
			log.Info("database is empty: loading demo data", "episodes", cfg.DemoEpisodes)
			if err := loadDemo(ctx, env, d, cfg.DemoEpisodes, 1); err != nil {
				return err
			}
		}
	}
	if err := d.EnsureAggregates(ctx); err != nil {
		return err
	}

	var graphiqlHeaders func() (string, error)
	if cfg.GraphiQL {
		graphiqlHeaders = cfg.Auth.graphiqlHeaders(secret)
		// Mint one now so that a token the configuration cannot produce
		// stops the start rather than every page view.
		if graphiqlHeaders != nil {
			if _, err := graphiqlHeaders(); err != nil {
				return err
			}
		}
	}
	a, err := app.New(d, app.Options{
		Logger:                 log,
		GraphiQL:               cfg.GraphiQL,
		GraphiQLHeaders:        graphiqlHeaders,
		Introspection:          cfg.Introspection,
		FieldSuggestions:       cfg.Auth.Dev,
		CORSOrigins:            splitList(cfg.CORSOrigins),
		Auth:                   verifier,
		Limits:                 cfg.Limits,
		AllowList:              allow,
		PublicStatementTimeout: cfg.PublicStatementTimeout,
		RoleStatementTimeouts:  cfg.roleStatementTimeouts(),
		RateLimits: server.RateLimits{
			Rate: float64(cfg.RateLimit), Burst: cfg.RateBurst, Concurrent: cfg.MaxConcurrent,
		},
	})
	if err != nil {
		return err
	}
	runErr := server.Run(ctx, cfg.Addr, a, cfg.Grace, log, func(addr net.Addr) {
		log.Info("serving", "addr", addr.String(), "db", d.Flavor().String()+" "+d.Version(), "dev", cfg.Auth.Dev)
		announce(env.stdout, addr, cfg.GraphiQL)
	})
	// Requests have drained: write out the audit events they left queued.
	cctx, cancel := context.WithTimeout(context.Background(), cfg.Grace+15*time.Second)
	defer cancel()
	if err := a.Close(cctx); err != nil {
		log.Error("audit events still unwritten at shutdown were logged instead", "err", err)
		if runErr == nil {
			runErr = err
		}
	}
	return runErr
}

// roleStatementTimeouts are the role budgets that are set.
func (cfg *serveConfig) roleStatementTimeouts() map[model.Role]time.Duration {
	out := map[model.Role]time.Duration{}
	for role, p := range cfg.RoleStatementTimeouts {
		if *p > 0 {
			out[role] = *p
		}
	}
	return out
}

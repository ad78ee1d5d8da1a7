package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/hesgql/hesgql/graph"
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
}

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var cfg serveConfig
	cfg.register(fs, env)
	fs.StringVar(&cfg.Addr, "addr", envOr(env, "HES_ADDR", "127.0.0.1:8080"), "listen address [HES_ADDR]")
	fs.StringVar(&cfg.CORSOrigins, "cors-origins", env.getenv("HES_CORS_ORIGINS"), "comma-separated origins allowed to call the API from browsers [HES_CORS_ORIGINS]")
	cfg.Auth.register(fs, env)
	// GraphiQL and introspection default to on in development (and --demo)
	// and off in production; either environment variable overrides.
	graphiql := optionalBool(fs, "graphiql", env.getenv("HES_GRAPHIQL"), "serve GraphiQL at / (default: on in development only) [HES_GRAPHIQL]")
	introspection := optionalBool(fs, "introspection", env.getenv("HES_INTROSPECTION"), "allow schema introspection (default: on in development only) [HES_INTROSPECTION]")
	fs.IntVar(&cfg.Limits.MaxDepth, "max-depth", envInt(env, "HES_MAX_DEPTH", graph.DefaultMaxDepth), "deepest field nesting of a query [HES_MAX_DEPTH]")
	fs.IntVar(&cfg.Limits.MaxAliases, "max-aliases", envInt(env, "HES_MAX_ALIASES", graph.DefaultMaxAliases), "most aliased fields in a query [HES_MAX_ALIASES]")
	fs.IntVar(&cfg.Limits.MaxRootFields, "max-root-fields", envInt(env, "HES_MAX_ROOT_FIELDS", graph.DefaultMaxRootFields), "most top-level fields in a query [HES_MAX_ROOT_FIELDS]")
	fs.IntVar(&cfg.Limits.MaxComplexity, "max-complexity", envInt(env, "HES_MAX_COMPLEXITY", graph.DefaultMaxComplexity), "highest estimated query cost (connections count once per row) [HES_MAX_COMPLEXITY]")
	fs.IntVar(&cfg.Limits.MaxQueryBytes, "max-query-bytes", envInt(env, "HES_MAX_QUERY_BYTES", graph.DefaultMaxQueryBytes), "longest query text [HES_MAX_QUERY_BYTES]")
	fs.StringVar(&cfg.AllowList, "allowlist", env.getenv("HES_ALLOWLIST"), "JSON file of {sha256: query}: run only these queries [HES_ALLOWLIST]")
	fs.BoolVar(&cfg.Demo, "demo", envBool(env, "HES_DEMO"), "load generated demo data when the database holds no episodes; implies --dev [HES_DEMO]")
	fs.IntVar(&cfg.DemoEpisodes, "demo-episodes", envInt(env, "HES_DEMO_EPISODES", 50000), "episodes of demo data [HES_DEMO_EPISODES]")
	fs.DurationVar(&cfg.Grace, "shutdown-grace", 15*time.Second, "time to drain requests on shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Demo {
		cfg.Auth.Dev = true
	}
	cfg.GraphiQL, cfg.Introspection = graphiql.or(cfg.Auth.Dev), introspection.or(cfg.Auth.Dev)
	log, err := cfg.logger(env.stderr)
	if err != nil {
		return err
	}
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

	var graphiqlHeaders string
	if cfg.GraphiQL {
		if graphiqlHeaders, err = cfg.Auth.graphiqlHeaders(secret); err != nil {
			return err
		}
	}
	a, err := app.New(d, app.Options{
		Logger:           log,
		GraphiQL:         cfg.GraphiQL,
		GraphiQLHeaders:  graphiqlHeaders,
		Introspection:    cfg.Introspection,
		FieldSuggestions: cfg.Auth.Dev,
		CORSOrigins:      splitList(cfg.CORSOrigins),
		Auth:             verifier,
		Limits:           cfg.Limits,
		AllowList:        allow,
	})
	if err != nil {
		return err
	}
	runErr := server.Run(ctx, cfg.Addr, a, cfg.Grace, log, func(addr net.Addr) {
		log.Info("serving", "addr", addr.String(), "db", d.Flavor().String()+" "+d.Version(), "dev", cfg.Auth.Dev)
		fmt.Fprintf(env.stdout, "hesgql: GraphiQL at http://%s/\n", addr)
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

// triBool is a boolean flag whose default depends on other flags: unset
// until given on the command line or in the environment.
type triBool struct{ v *bool }

func optionalBool(fs *flag.FlagSet, name, env, usage string) *triBool {
	t := &triBool{}
	if b, err := strconv.ParseBool(env); err == nil {
		t.v = &b
	}
	fs.BoolFunc(name, usage, func(s string) error {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return err
		}
		t.v = &b
		return nil
	})
	return t
}

func (t *triBool) or(def bool) bool {
	if t.v == nil {
		return def
	}
	return *t.v
}

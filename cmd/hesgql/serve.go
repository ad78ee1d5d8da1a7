package main

import (
	"context"
	"flag"
	"fmt"
	"net"
	"time"

	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/server"
)

// serveConfig is the configuration of `hesgql serve`.
type serveConfig struct {
	dbConfig
	Addr          string
	CORSOrigins   string
	GraphiQL      bool
	Introspection bool
	Demo          bool
	DemoEpisodes  int
	Grace         time.Duration
}

func runServe(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	var cfg serveConfig
	cfg.register(fs, env)
	fs.StringVar(&cfg.Addr, "addr", envOr(env, "HES_ADDR", "127.0.0.1:8080"), "listen address [HES_ADDR]")
	fs.StringVar(&cfg.CORSOrigins, "cors-origins", env.getenv("HES_CORS_ORIGINS"), "comma-separated origins allowed to call the API from browsers [HES_CORS_ORIGINS]")
	fs.BoolVar(&cfg.GraphiQL, "graphiql", envOr(env, "HES_GRAPHIQL", "true") == "true", "serve GraphiQL at / [HES_GRAPHIQL]")
	fs.BoolVar(&cfg.Introspection, "introspection", envOr(env, "HES_INTROSPECTION", "true") == "true", "allow schema introspection [HES_INTROSPECTION]")
	fs.BoolVar(&cfg.Demo, "demo", envBool(env, "HES_DEMO"), "load generated demo data when the database holds no episodes [HES_DEMO]")
	fs.IntVar(&cfg.DemoEpisodes, "demo-episodes", envInt(env, "HES_DEMO_EPISODES", 50000), "episodes of demo data [HES_DEMO_EPISODES]")
	fs.DurationVar(&cfg.Grace, "shutdown-grace", 15*time.Second, "time to drain requests on shutdown")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log, err := cfg.logger(env.stderr)
	if err != nil {
		return err
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

	h := app.Handler(d, app.Options{
		Logger:        log,
		GraphiQL:      cfg.GraphiQL,
		Introspection: cfg.Introspection,
		CORSOrigins:   splitList(cfg.CORSOrigins),
	})
	return server.Run(ctx, cfg.Addr, h, cfg.Grace, log, func(a net.Addr) {
		log.Info("serving", "addr", a.String(), "db", d.Flavor().String()+" "+d.Version())
		fmt.Fprintf(env.stdout, "hesgql: GraphiQL at http://%s/\n", a)
	})
}

func runToken(ctx context.Context, env *environment, args []string) error {
	return fmt.Errorf("token: not available yet")
}

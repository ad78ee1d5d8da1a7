package main

import (
	"context"
	"flag"
	"log/slog"
	"time"

	"github.com/hesgql/hesgql/internal/bench"
	"github.com/hesgql/hesgql/internal/server"
)

func runBench(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	s := newSettings(fs, env)
	var cfg dbConfig
	cfg.register(s)
	// The benchmark loads its own dataset, so by default it keeps to a
	// database of its own.
	if f := fs.Lookup("database"); env.getenv("HES_DATABASE") == "" {
		f.DefValue = "hesgql_bench"
		_ = f.Value.Set(f.DefValue)
	}
	// Its setup runs statements serve never does (finding W2's row at
	// depth 5M of a 10M listing takes seconds with a cold buffer pool), so
	// its pool-wide statement timeout is longer than serve's; the public
	// budget still bounds the public workloads.
	if f := fs.Lookup("statement-timeout"); env.getenv("HES_STATEMENT_TIMEOUT") == "" {
		f.DefValue = "5m0s"
		_ = f.Value.Set(f.DefValue)
	}
	var bc bench.Config
	s.Int(&bc.Episodes, "episodes", "", 1_000_000, "episodes in the generated dataset loaded when the database is empty")
	s.Int64(&bc.Seed, "seed", "", 1, "generator seed of the dataset")
	s.Int(&bc.Iterations, "iterations", "", 300, "latency samples per workload and side, at concurrency 1")
	s.Int(&bc.Warmup, "warmup", "", 30, "unmeasured runs per workload and side before sampling")
	s.Duration(&bc.Duration, "duration", "", 5*time.Second, "throughput phase per workload and side")
	s.Duration(&bc.MaxLatencyTime, "max-latency-time", "", time.Minute, "bound on a workload's latency phase; slower workloads get fewer samples")
	s.Int(&bc.Concurrency, "concurrency", "", 32, "concurrent clients in the throughput phase")
	s.Int(&bc.Depth, "depth", "", 0, "W2's position in the W1 listing; 0 for half the episodes (5M at 10M), within the listing's size")
	s.Bool(&bc.ShowSQL, "sql", "", false, "print each workload's SQL statements after the report")
	s.Choice(&bc.CostOnly, "cost-only", "", "off", []string{"off", "both", "graphql", "floor"}, "measure only the cost per request, --iterations requests in a row, of the API handler (graphql), the floor, or both; for counting instructions (docs/operations.md)")
	fs.StringVar(&bc.MemProfile, "memprofile", "", "write an allocation profile of the run to this file")
	fs.StringVar(&bc.CPUProfile, "cpuprofile", "", "write a CPU profile of the measured phases to this file")
	only := fs.String("workloads", "", "comma-separated workloads to run (W1,…,W9, X1 the CSV extract); empty runs all")
	var loadMode bool
	s.Bool(&loadMode, "load", "", false, "measure the loader instead: first load and refresh of the generated file against LOAD DATA LOCAL INFILE (empties its database, by default hesgql_bench_load)")
	if err := s.parse(args); err != nil {
		return err
	}
	if loadMode && env.getenv("HES_DATABASE") == "" {
		explicit := false
		fs.Visit(func(f *flag.Flag) { explicit = explicit || f.Name == "database" })
		if !explicit {
			cfg.Database = "hesgql_bench_load"
		}
	}
	bc.Only = splitList(*only)
	if bc.CostOnly == "off" {
		bc.CostOnly = ""
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
	bc.Out, bc.Progress = env.stdout, env.stderr
	// Per-request logging would measure the log, not the API.
	bc.Logger = log.With("component", "bench")
	if !log.Enabled(ctx, slog.LevelDebug) {
		bc.Logger = slog.New(slog.DiscardHandler)
	}
	if loadMode {
		_, err := bench.RunLoad(ctx, d, bc)
		return err
	}
	// The API is measured as serve runs it.
	server.TuneGC(env.getenv)
	server.NoHeapSampling()
	return bench.Run(ctx, d, bc)
}

package main

import (
	"bufio"
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/pprof"
	"slices"
	"strings"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

func runMigrate(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("migrate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	s := newSettings(fs, env)
	var cfg dbConfig
	cfg.register(s)
	if err := s.parse(args); err != nil {
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
	fmt.Fprintln(env.stdout, "migrations are current")
	return nil
}

func runLoad(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: hesgql load [flags] FILE...\n\nLoads HES APC extracts (pipe-delimited .txt or comma-separated .csv with a header row).")
		fs.PrintDefaults()
	}
	s := newSettings(fs, env)
	var cfg dbConfig
	cfg.register(s)
	var dryRun, strict bool
	s.Bool(&dryRun, "dry-run", "", false, "validate only; write nothing to the database")
	rejects := fs.String("rejects", "", "rejects file (default FILE.rejects.csv beside each input); the quality report FILE.warnings.csv goes beside it")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile of the load to this file")
	s.Bool(&strict, "strict", "", false, "reject a row for any field-level problem instead of loading it with the value unknown")
	if err := s.parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no extract files given")
	}
	if *rejects != "" && fs.NArg() > 1 {
		return errors.New("--rejects names one file; give one extract at a time with it")
	}
	log, err := cfg.logger(env.stderr)
	if err != nil {
		return err
	}
	var d *db.DB
	if !dryRun {
		if d, err = cfg.open(ctx, log); err != nil {
			return err
		}
		defer d.Close()
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	for _, path := range fs.Args() {
		sum, err := load.File(ctx, d, path, load.Options{
			DryRun: dryRun, Strict: strict, RejectsPath: *rejects, Progress: env.stderr, Terminal: isTerminal(env.stderr),
		})
		if err != nil {
			return fmt.Errorf("%s: nothing loaded: %w", path, err)
		}
		printSummary(env.stdout, sum)
	}
	return nil
}

func printSummary(w io.Writer, s load.Summary) {
	verb := "loaded"
	if s.DryRun {
		verb = "valid (dry run)"
	}
	fmt.Fprintf(w, "%s: read %d, %s %d, updated %d, rejected %d, warnings %d; financial years %s; sha256 %s; %s\n",
		s.File, s.Read, verb, s.Loaded, s.Updated, s.Rejected, s.TotalWarnings(), strings.Join(s.FinancialYears, ","), s.Checksum, s.Took.Round(1e6))
	if len(s.Warnings) > 0 {
		cols := slices.SortedFunc(maps.Keys(s.Warnings), func(a, b string) int {
			return cmp.Or(cmp.Compare(s.Warnings[b], s.Warnings[a]), cmp.Compare(a, b))
		})
		parts := make([]string, len(cols))
		for i, c := range cols {
			parts[i] = fmt.Sprintf("%s %d", c, s.Warnings[c])
		}
		fmt.Fprintf(w, "  warnings by column (value not known or code left out): %s\n", strings.Join(parts, ", "))
		fmt.Fprintf(w, "  quality report: %s\n", s.WarningsPath)
	}
	if s.RejectsPath != "" {
		fmt.Fprintf(w, "  rejected rows and reasons: %s\n", s.RejectsPath)
	}
}

func runGenerate(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	s := newSettings(fs, env)
	var episodes int
	var seed int64
	s.Int(&episodes, "episodes", "", 50000, "number of episodes to write")
	s.Int64(&seed, "seed", "", 1, "random seed; the same seed gives the same file")
	out := fs.String("o", "-", "output file (- for standard output)")
	var fromYear int
	s.Int(&fromYear, "from-year", "", 0, fmt.Sprintf("first financial year's starting calendar year (%d-%d; default 2018); years up to 1994-95 are coded in ICD-9", hes.MinFromYear, hes.MaxFromYear))
	if err := s.parse(args); err != nil {
		return err
	}
	if episodes < 0 {
		return errors.New("--episodes must not be negative")
	}
	if fromYear != 0 && (fromYear < hes.MinFromYear || fromYear > hes.MaxFromYear) {
		return fmt.Errorf("--from-year must be between %d and %d", hes.MinFromYear, hes.MaxFromYear)
	}
	var w io.Writer = env.stdout
	if *out != "-" {
		f, err := os.Create(*out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	if err := hes.Generate(bw, hes.GenerateOptions{Seed: seed, Episodes: episodes, FromYear: fromYear}); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f, ok := w.(*os.File); ok && *out != "-" {
		return f.Close()
	}
	return ctx.Err()
}

// loadDemo fills an empty database with a generated extract, streaming the
// generator straight into the loader.
func loadDemo(ctx context.Context, env *environment, d *db.DB, episodes int, seed int64) error {
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		err := hes.Generate(bw, hes.GenerateOptions{Seed: seed, Episodes: episodes})
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	name := fmt.Sprintf("demo-seed%d-%d.txt", seed, episodes)
	sum, err := load.Stream(ctx, d, name, pr, 0, load.Options{Progress: env.stderr, Terminal: isTerminal(env.stderr)})
	pr.Close()
	if err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	printSummary(env.stderr, sum)
	return nil
}

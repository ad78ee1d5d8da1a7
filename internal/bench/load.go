package bench

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

// LoadReport is what RunLoad measured.
type LoadReport struct {
	Episodes, Patients int64
	First, Refresh     time.Duration // hesgql load into the empty store, then of the same file again
	Floor              time.Duration // LOAD DATA LOCAL INFILE of the stored rows into the empty store
	// FirstPhases and RefreshPhases split First and Refresh.
	FirstPhases, RefreshPhases load.Phases
	FileBytes                  int64
	BufferPool                 int64 // the server's innodb_buffer_pool_size, bytes
}

// rate is episodes per second over d.
func rate(n int64, d time.Duration) float64 { return float64(n) / d.Seconds() }

// RunLoad measures the loader against LOAD DATA LOCAL INFILE. It empties
// the store of d, so it must only be given a database of its own:
//
//  1. a generated extract of cfg.Episodes is written to a file (not timed);
//  2. first load: the loader reads the file into the empty store (no
//     spells, no published tables);
//  3. the stored rows are dumped as tab-separated files (not timed), the
//     store emptied, and the floor loads them with LOAD DATA LOCAL INFILE
//     into the same tables with the same indexes, in one transaction;
//  4. refresh: the loader reads the same file again into the store the
//     floor filled, every episode an upsert by EPIKEY, beside the spells
//     the first load derived.
func RunLoad(ctx context.Context, d *db.DB, cfg Config) (LoadReport, error) {
	cfg.defaults()
	var rep LoadReport
	if err := refuseForeignData(ctx, d); err != nil {
		return rep, err
	}
	dir, err := os.MkdirTemp("", "hesgql-bench-load-")
	if err != nil {
		return rep, err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, datasetName(cfg))
	fmt.Fprintf(cfg.Progress, "bench: writing %d generated episodes to %s\n", cfg.Episodes, path)
	if err := writeExtract(path, cfg); err != nil {
		return rep, err
	}
	if st, err := os.Stat(path); err == nil {
		rep.FileBytes = st.Size()
	}

	if err := d.EmptyStore(ctx); err != nil {
		return rep, err
	}
	if err := d.EmptyDerived(ctx); err != nil {
		return rep, err
	}
	opts := load.Options{RejectsPath: filepath.Join(dir, "rejects.csv"), Progress: cfg.Progress}
	fmt.Fprintln(cfg.Progress, "bench: first load into the empty store")
	sum, err := load.File(ctx, d, path, opts)
	if err != nil {
		return rep, err
	}
	rep.First, rep.FirstPhases, rep.Episodes = sum.Took, sum.Phases, int64(sum.Loaded)
	if rep.Patients, err = d.PatientCount(ctx); err != nil {
		return rep, err
	}
	fmt.Fprintln(cfg.Progress, "bench: dumping the stored rows for the LOAD DATA floor")
	files, err := d.DumpStore(ctx, dir)
	if err != nil {
		return rep, err
	}
	if err := d.EmptyStore(ctx); err != nil {
		return rep, err
	}
	fmt.Fprintln(cfg.Progress, "bench: LOAD DATA LOCAL INFILE into the empty store")
	if rep.Floor, err = d.LoadFloor(ctx, files); err != nil {
		return rep, err
	}
	n, err := d.EpisodeCount(ctx)
	if err != nil {
		return rep, err
	}
	if n != rep.Episodes {
		return rep, fmt.Errorf("the floor stored %d episodes, the loader %d", n, rep.Episodes)
	}
	fmt.Fprintf(cfg.Progress, "bench: first load %.0f episodes/s (tables %.0f), floor %.0f episodes/s\n",
		rate(rep.Episodes, rep.First), rate(rep.Episodes, rep.FirstPhases.Rows+rep.FirstPhases.Indexes), rate(rep.Episodes, rep.Floor))
	fmt.Fprintln(cfg.Progress, "bench: refresh (the same file again)")
	again, err := load.File(ctx, d, path, opts)
	if err != nil {
		return rep, err
	}
	if again.Updated != again.Loaded {
		return rep, fmt.Errorf("refresh updated %d of %d episodes", again.Updated, again.Loaded)
	}
	rep.Refresh, rep.RefreshPhases = again.Took, again.Phases
	if rep.BufferPool, err = d.BufferPoolBytes(ctx); err != nil {
		return rep, err
	}

	printLoadReport(cfg, d, rep)
	return rep, nil
}

// refuseForeignData stops RunLoad from emptying a database that holds
// anything but benchmark datasets.
func refuseForeignData(ctx context.Context, d *db.DB) error {
	releases, err := d.DataReleases(ctx)
	if err != nil {
		return err
	}
	for _, r := range releases {
		if !strings.HasPrefix(r.FileName, "bench-seed") {
			return fmt.Errorf("bench --load empties its database, which holds %s: give a --database of its own", r.FileName)
		}
	}
	n, err := d.EpisodeCount(ctx)
	if err == nil && n > 0 && len(releases) == 0 {
		err = fmt.Errorf("bench --load empties its database, which holds %d episodes: give a --database of its own", n)
	}
	return err
}

func writeExtract(path string, cfg Config) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	err = hes.Generate(bw, hes.GenerateOptions{Seed: cfg.Seed, Episodes: cfg.Episodes})
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

func printLoadReport(cfg Config, d *db.DB, r LoadReport) {
	w := cfg.Out
	fmt.Fprintf(w, "hesgql bench --load: %d episodes, %d patients, %.0f MB file; %s %s, buffer pool %d MB; %d cores (GOMAXPROCS %d), shared with other work\n",
		r.Episodes, r.Patients, float64(r.FileBytes)/1e6, d.Flavor(), d.Version(), r.BufferPool>>20, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	fmt.Fprintf(w, "%-44s %10s %14s\n", "phase", "seconds", "episodes/s")
	line := func(name string, t time.Duration) {
		fmt.Fprintf(w, "%-44s %10.1f %14.0f\n", name, t.Seconds(), rate(r.Episodes, t))
	}
	tables := r.FirstPhases.Rows + r.FirstPhases.Indexes
	line("hesgql load, first (empty store), overall", r.First)
	line("  rows written and committed", r.FirstPhases.Rows)
	ph := r.FirstPhases
	switch {
	case ph.SpellsBesideIndexes:
		// The spells are written during the episodes' index build (which
		// may wait for them at its end), the published tables after it,
		// beside the spells' last steps.
		line("  deferred indexes built", ph.Indexes)
		line("  tables loaded (rows + indexes)", tables)
		line("  spells from the loaded rows (beside them)", ph.Spells)
		line("  published tables (after the indexes)", ph.Published)
	default:
		line("  deferred indexes built", ph.Indexes)
		line("  tables loaded (rows + indexes)", tables)
		if ph.SpellsFromRows {
			line("  spells derived from the loaded rows", ph.Spells)
		} else {
			line("  spells derived", ph.Spells)
		}
		line("  published tables (beside the spells)", ph.Published)
	}
	line("  indexes, spells, published tables together", ph.Derived)
	line("LOAD DATA LOCAL floor (empty store, tables)", r.Floor)
	line("hesgql load, refresh (all upserts), overall", r.Refresh)
	line("  rows written and committed", r.RefreshPhases.Rows)
	line("  spells derived", r.RefreshPhases.Spells)
	line("  published tables (beside the spells)", r.RefreshPhases.Published)
	line("  spells, published tables together", r.RefreshPhases.Derived)
	fmt.Fprintf(w, "first load ÷ floor, tables: %.2f; overall: %.2f (episodes/s ratios; 1 = as fast as LOAD DATA, which loads the tables only)\n",
		rate(r.Episodes, tables)/rate(r.Episodes, r.Floor), rate(r.Episodes, r.First)/rate(r.Episodes, r.Floor))
}

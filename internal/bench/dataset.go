package bench

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

type datasetSize struct {
	episodes, patients int64
	// loaded and loadTook are this run's load, when it made the dataset.
	loaded   int64
	loadTook time.Duration
}

// datasetName is the release name of a generated benchmark dataset, by
// which a later run recognises it.
func datasetName(cfg Config) string {
	return fmt.Sprintf("bench-seed%d-%d.txt", cfg.Seed, cfg.Episodes)
}

// ensureDataset loads the generated dataset into an empty database. A
// database already holding it (by release name, or by holding exactly as
// many episodes) is used as it is; one holding other data is refused
// rather than mixed with it.
func ensureDataset(ctx context.Context, d *db.DB, cfg Config) (datasetSize, error) {
	n, err := d.EpisodeCount(ctx)
	if err != nil {
		return datasetSize{}, err
	}
	present := n == int64(cfg.Episodes)
	if !present && n > 0 {
		releases, err := d.DataReleases(ctx)
		if err != nil {
			return datasetSize{}, err
		}
		for _, r := range releases {
			present = present || r.FileName == datasetName(cfg)
		}
		if !present {
			return datasetSize{}, fmt.Errorf("the database holds %d episodes that are not the benchmark's %d: give another --database or --episodes %d", n, cfg.Episodes, n)
		}
	}
	var size datasetSize
	if !present {
		if size.loaded, size.loadTook, err = loadDataset(ctx, d, cfg); err != nil {
			return datasetSize{}, err
		}
	}
	// A dataset loaded before the published tables existed gets them now.
	if err := d.EnsureAggregates(ctx); err != nil {
		return datasetSize{}, err
	}
	if size.episodes, err = d.EpisodeCount(ctx); err != nil {
		return size, err
	}
	size.patients, err = d.PatientCount(ctx)
	return size, err
}

// loadDataset streams the generator straight into the loader.
func loadDataset(ctx context.Context, d *db.DB, cfg Config) (int64, time.Duration, error) {
	fmt.Fprintf(cfg.Progress, "bench: loading %d generated episodes (seed %d)\n", cfg.Episodes, cfg.Seed)
	pr, pw := io.Pipe()
	go func() {
		bw := bufio.NewWriterSize(pw, 1<<20)
		err := hes.Generate(bw, hes.GenerateOptions{Seed: cfg.Seed, Episodes: cfg.Episodes})
		if err == nil {
			err = bw.Flush()
		}
		pw.CloseWithError(err)
	}()
	start := time.Now()
	sum, err := load.Stream(ctx, d, datasetName(cfg), pr, 0, load.Options{Progress: cfg.Progress})
	pr.Close()
	if err != nil {
		return 0, 0, fmt.Errorf("load the benchmark dataset: %w", err)
	}
	took := time.Since(start)
	fmt.Fprintf(cfg.Progress, "bench: loaded %d episodes in %s (%.0f episodes/s, generation included)\n",
		sum.Loaded, took.Round(time.Millisecond), float64(sum.Loaded)/took.Seconds())
	return int64(sum.Loaded), took, nil
}

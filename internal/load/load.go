// Package load runs a HES extract into the database: it streams the file
// through the hes reader, writes accepted rows in batches inside one
// transaction, writes rejected rows with their reasons to a rejects file and
// reports progress.
package load

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/hes"
)

// Options configure a load.
type Options struct {
	// DryRun reads and validates only; nothing is written to the database.
	DryRun bool
	// RejectsPath is where rejected rows go; "" means FILE.rejects.csv
	// beside the input. The file is written only when a row is rejected.
	RejectsPath string
	// WarningsPath is the quality report: one line per field-level problem
	// of a loaded row. "" means NAME.warnings.csv beside the rejects file.
	// The file is written only when there is a warning.
	WarningsPath string
	// Strict rejects a row for any field-level problem instead of loading
	// it with that value unknown.
	Strict bool
	// BulkBytes is the input size from which a load into an empty store
	// drops the secondary indexes and builds them once the rows are in
	// (0 = DefaultBulkBytes, negative = never). Below it, building them
	// would cost more than it saves.
	BulkBytes int64
	// BatchSize is the number of rows written per round of bulk statements
	// (0 = 5000, or 20000 for a bulk load into an empty store).
	BatchSize int
	// Progress receives progress reports; nil means none.
	Progress io.Writer
	// Terminal redraws one progress line in place instead of printing lines.
	Terminal bool
}

// Summary is what a load did.
type Summary struct {
	File     string
	Checksum string // SHA-256 of the file, hex
	Read     int    // data rows read
	Loaded   int    // rows written (new or replacing an episode with the same EPIKEY)
	Updated  int    // of Loaded, rows that replaced an existing episode
	Rejected int    // rows refused, each with a reason in the rejects file
	// Warnings counts the field-level problems of loaded rows by HES column;
	// each is a line of the quality report.
	Warnings       map[string]int
	FinancialYears []string
	RejectsPath    string // "" when nothing was rejected
	WarningsPath   string // "" when there was no warning
	Took           time.Duration
	// Phases splits Took for a load that wrote.
	Phases Phases
	DryRun bool
}

// Phases are the parts of a load's time: reading and writing the rows up
// to their commit, then the derived phases: building the indexes a first
// load deferred, deriving the spells and building the published tables.
// Some of them overlap (see derive); Derived is the time of the three
// together.
type Phases struct {
	Rows, Indexes, Spells, Published, Derived time.Duration
	// SpellsFromRows says the spells were derived from the loaded rows
	// rather than read back from the store; SpellsBesideIndexes that they
	// were written while the episodes' indexes were built, so that Indexes
	// includes their time, and the published tables came after them.
	SpellsFromRows, SpellsBesideIndexes bool
}

// DefaultBulkBytes is Options.BulkBytes unless set: about 100,000 episodes.
const DefaultBulkBytes = 32 << 20

// File loads the extract at path.
func File(ctx context.Context, d *db.DB, path string, opts Options) (Summary, error) {
	f, err := os.Open(path)
	if err != nil {
		return Summary{}, fmt.Errorf("open extract: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Summary{}, fmt.Errorf("open extract: %w", err)
	}
	if st.IsDir() {
		return Summary{}, fmt.Errorf("open extract: %s is a directory", path)
	}
	if opts.RejectsPath == "" {
		opts.RejectsPath = path + ".rejects.csv"
	}
	return Stream(ctx, d, filepath.Base(path), f, st.Size(), opts)
}

// Stream loads an extract read from r; size (bytes, 0 if unknown) drives
// the progress estimate. d may be nil for a dry run.
func Stream(ctx context.Context, d *db.DB, name string, r io.Reader, size int64, opts Options) (sum Summary, err error) {
	start := time.Now()
	sum = Summary{File: name, DryRun: opts.DryRun, Warnings: map[string]int{}}

	hasher := sha256.New()
	counted := &countingReader{r: io.TeeReader(r, hasher)}
	rd, err := hes.NewReader(counted, hes.ReaderOptions{Strict: opts.Strict})
	if err != nil {
		return sum, fmt.Errorf("%s: %w", name, err)
	}

	var ld *db.Load
	deferred := false
	if !opts.DryRun {
		bulk := opts.BulkBytes
		if bulk == 0 {
			bulk = DefaultBulkBytes
		}
		big := bulk > 0 && size >= bulk
		if big {
			if deferred, err = d.DeferIndexes(ctx); err != nil {
				err = errors.Join(err, d.RestoreIndexes(context.WithoutCancel(ctx)))
				return sum, err
			}
		}
		if ld, err = d.BeginLoad(ctx, name); err != nil {
			if deferred {
				err = errors.Join(err, d.RestoreIndexes(context.WithoutCancel(ctx)))
			}
			return sum, err
		}
		// The published tables are built last, on the indexed tables.
		ld.PublishLater()
		if big {
			if err = ld.Bulk(ctx); err != nil {
				ld.Rollback()
				if deferred {
					err = errors.Join(err, d.RestoreIndexes(context.WithoutCancel(ctx)))
				}
				return sum, err
			}
		}
		defer func() {
			if err != nil {
				ld.Rollback()
				if deferred {
					// The tables are empty again: the build is quick, and
					// it must happen even when ctx has ended.
					err = errors.Join(err, d.RestoreIndexes(context.WithoutCancel(ctx)))
				}
			}
		}()
	}
	batchSize := opts.BatchSize
	if batchSize <= 0 {
		batchSize = 5000
		if ld != nil && ld.Bulked() {
			// In bulk mode a batch costs the server little per row; larger
			// ones spend fewer round trips.
			batchSize = 20000
		}
	}
	rej := &rejectWriter{path: opts.RejectsPath}
	defer rej.close()
	if opts.WarningsPath == "" {
		opts.WarningsPath = warningsPath(opts.RejectsPath, name)
	}
	warn := &warningWriter{path: opts.WarningsPath}
	defer warn.close()
	prog := newProgress(opts.Progress, opts.Terminal, size)

	// Reading and cleaning rows costs about as much CPU as the client side
	// of writing them, so the file is parsed one batch ahead of the
	// database, which meanwhile works on the previous batch.
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan parsed, 1)
	var parseErr error
	var years map[string]bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(batches)
		years, parseErr = parse(pctx, name, rd, counted, rej, warn, &sum, batchSize, batches)
	}()
	writeErr := func() error {
		for b := range batches {
			if ld != nil {
				wc, err := ld.Write(ctx, b.recs)
				if err != nil {
					return err
				}
				sum.Loaded += wc.Loaded
				sum.Updated += wc.Updated
			} else {
				sum.Loaded += len(b.recs)
			}
			prog.report(b.rows, b.bytes)
		}
		return nil
	}()
	cancel()
	<-done
	if writeErr != nil {
		return sum, writeErr
	}
	if parseErr != nil {
		return sum, parseErr
	}
	sum.Read = rd.Stats().Rows
	sum.Checksum = hex.EncodeToString(hasher.(hash.Hash).Sum(nil))
	for y := range years {
		sum.FinancialYears = append(sum.FinancialYears, y)
	}
	slices.Sort(sum.FinancialYears)
	if err := rej.close(); err != nil {
		return sum, err
	}
	if sum.Rejected > 0 {
		sum.RejectsPath = rej.path
	}
	if err := warn.close(); err != nil {
		return sum, err
	}
	if len(sum.Warnings) > 0 {
		sum.WarningsPath = warn.path
	}
	if ld != nil {
		err = ld.Commit(ctx, db.ReleaseSummary{
			FileName: name, Checksum: sum.Checksum, FinancialYears: sum.FinancialYears,
			Read: sum.Read, Loaded: sum.Loaded, Updated: sum.Updated, Rejected: sum.Rejected,
			Warnings: sum.Warnings,
		})
		if err != nil {
			return sum, err
		}
		sum.Phases.Rows = time.Since(start)
		if err := derive(ctx, d, ld, deferred, opts.Progress, &sum.Phases); err != nil {
			return sum, err
		}
	}
	sum.Took = time.Since(start)
	prog.done(sum.Read, counted.n)
	return sum, nil
}

// derive builds what follows from the committed rows: the indexes a first
// load deferred, the spells and the published tables.
//
// On two cores an index build keeps one busy per table, and the episodes'
// build takes about twice as long as all the others together, one after
// another on a second connection. The spells of a first bulk load, derived
// from the rows it wrote (db/spells_loaded.go), are written in the time
// that leaves, once the other tables' builds are done: their tables are
// not being altered, and the episodes' ALTER TABLE only waits, at its end,
// for the spell transaction that names episodes in a foreign key to
// commit. The published tables count on the indexed tables and never on
// spells, so they are built once the episodes' build is done, beside what
// remains of the spells' (their own indexes' build) or, for any other
// load, beside spells derived from the stored episodes; each writes in its
// own transaction on a connection of its own. Spells the rows could not
// give are derived from the store last.
func derive(ctx context.Context, d *db.DB, ld *db.Load, deferred bool, progress io.Writer, ph *Phases) error {
	start := time.Now()
	fromRows := ld.SpellsFromRows()
	spelled, fromStore := false, !fromRows
	var spellErr, rowsErr error
	spellsDone := make(chan struct{})
	writeSpells := func() {
		defer close(spellsDone)
		t := time.Now()
		switch {
		case fromStore:
			spellErr = d.RefreshSpellsForRelease(ctx, ld.ReleaseID())
		default:
			rowsErr = ld.WriteSpells(ctx)
			spelled = rowsErr == nil
		}
		ph.Spells = time.Since(t)
	}
	if deferred {
		if progress != nil {
			fmt.Fprintln(progress, "building the secondary indexes")
		}
		episodes := make(chan error, 1)
		go func() { episodes <- d.RestoreEpisodeIndexes(ctx) }()
		err := d.RestoreOtherIndexes(ctx)
		if err == nil && fromRows {
			ph.SpellsBesideIndexes = true
			go writeSpells()
		}
		err = errors.Join(err, <-episodes)
		ph.Indexes = time.Since(start)
		if err != nil {
			if ph.SpellsBesideIndexes {
				<-spellsDone
			}
			ld.Publish(ctx)
			ph.Derived = time.Since(start)
			return fmt.Errorf("the rows are loaded but building the indexes failed (the next hesgql command retries it): %w", err)
		}
	}
	if !ph.SpellsBesideIndexes {
		go writeSpells()
	}
	published := time.Now()
	ld.Publish(ctx)
	ph.Published = time.Since(published)
	<-spellsDone
	if !fromStore && !spelled {
		// Nothing of the failed transactions remains.
		if progress != nil {
			fmt.Fprintf(progress, "spells not written from the loaded rows (%v); deriving them from the stored episodes\n", rowsErr)
		}
		t := time.Now()
		spellErr = d.RefreshSpellsForRelease(ctx, ld.ReleaseID())
		ph.Spells += time.Since(t)
	}
	ph.SpellsFromRows = spelled
	ph.Derived = time.Since(start)
	if spellErr != nil {
		return fmt.Errorf("the load committed but its spells were not derived (loading the file again derives them): %w", spellErr)
	}
	return nil
}

// parsed is a batch of accepted records and how far the file had been read
// when it was complete.
type parsed struct {
	recs  []hes.Record
	rows  int
	bytes int64
}

// TotalWarnings is the number of lines in the quality report.
func (s Summary) TotalWarnings() int {
	n := 0
	for _, c := range s.Warnings {
		n += c
	}
	return n
}

// parse reads the extract into batches, writing rejected rows as it goes,
// and returns the financial years seen. It stops early when ctx ends, which
// is how a failed write stops it.
func parse(ctx context.Context, name string, rd *hes.Reader, counted *countingReader, rej *rejectWriter, warn *warningWriter, sum *Summary, batchSize int, out chan<- parsed) (map[string]bool, error) {
	years := map[string]bool{}
	batch := make([]hes.Record, 0, batchSize)
	send := func() error {
		select {
		case out <- parsed{recs: batch, rows: rd.Stats().Rows, bytes: counted.n}:
			batch = make([]hes.Record, 0, batchSize)
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	for {
		if err := ctx.Err(); err != nil {
			return years, err
		}
		rec, rerr := rd.Next()
		if errors.Is(rerr, io.EOF) {
			break
		}
		var rowErr *hes.RowError
		if errors.As(rerr, &rowErr) {
			if err := rej.write(rowErr); err != nil {
				return years, err
			}
			sum.Rejected++
			continue
		}
		if rerr != nil {
			return years, fmt.Errorf("%s: %w", name, rerr)
		}
		for _, w := range rec.Warnings {
			if err := warn.write(w); err != nil {
				return years, err
			}
			sum.Warnings[w.Column]++
		}
		years[rec.FYear] = true
		batch = append(batch, rec)
		if len(batch) == batchSize {
			if err := send(); err != nil {
				return years, err
			}
		}
	}
	if len(batch) > 0 {
		return years, send()
	}
	return years, nil
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// rejectWriter writes rejected rows as CSV: line, EPIKEY, reason, raw row.
// The raw row may hold restricted fields, so the file is private to its owner.
type rejectWriter struct {
	path string
	f    *os.File
	w    *csv.Writer
}

func (rw *rejectWriter) write(e *hes.RowError) error {
	if rw.f == nil {
		if rw.path == "" {
			rw.path = "rejects.csv"
		}
		f, err := os.OpenFile(rw.path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return fmt.Errorf("open rejects file: %w", err)
		}
		// An older file at the same path may have had wider permissions.
		if err := f.Chmod(0o600); err != nil {
			f.Close()
			return fmt.Errorf("open rejects file: %w", err)
		}
		rw.f, rw.w = f, csv.NewWriter(f)
		if err := rw.w.Write([]string{"line", "epikey", "reason", "row"}); err != nil {
			return err
		}
	}
	return rw.w.Write([]string{strconv.Itoa(e.Line), e.EpiKey, e.Reason, e.Raw})
}

func (rw *rejectWriter) close() error {
	if rw.f == nil {
		return nil
	}
	rw.w.Flush()
	err := rw.w.Error()
	if cerr := rw.f.Close(); err == nil {
		err = cerr
	}
	rw.f = nil
	return err
}

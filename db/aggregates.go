package db

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/hesgql/hesgql/graph/model"
)

// Published tables. The HES free tables are counts by one or two
// dimensions with no filter; on the base tables each is a grouped scan of
// every episode (≈2 s by SEX at 1M episodes). When a data release is
// loaded, RefreshAggregates counts every one- and two-dimension table in
// one pass over the episodes (aggregates_build.go) into stats_aggregates
// (migration 00008), and such requests read their few rows from there.
// Distinct patients do not add up across groups, so each dimension set is
// counted on its own rather than summed from a finer one. Every other
// tabulation runs on the base tables; all results are kept in a bounded
// in-process cache keyed by (data release, scope, request), so a repeat
// costs no SQL, and a new data release (a load or a refresh) starts a new
// key space.

// DefaultStatisticsCacheSize is how many tabulations the cache holds.
const DefaultStatisticsCacheSize = 1000

// releasePoll is how long the current data release is trusted before it is
// read again: a load by another process (hesgql load beside a running
// server) is seen within this time; a load through this DB at once.
const releasePoll = 5 * time.Second

// aggregates is the DB's published-table state.
type aggregates struct {
	cache *lru.Cache[string, []*TabulationRow] // nil: no cache

	mu      sync.Mutex
	release int64
	checked time.Time
}

func newAggregates(size int) *aggregates {
	a := &aggregates{}
	if size == 0 {
		size = DefaultStatisticsCacheSize
	}
	if size > 0 {
		a.cache, _ = lru.New[string, []*TabulationRow](size)
	}
	return a
}

// setRelease records the current release, dropping cached tabulations of
// earlier ones when it changes.
func (a *aggregates) setRelease(id int64) {
	a.mu.Lock()
	changed := id != a.release
	a.release, a.checked = id, time.Now()
	a.mu.Unlock()
	if changed && a.cache != nil {
		a.cache.Purge()
	}
}

// currentRelease is the newest committed data release (0 before any load).
func (d *DB) currentRelease(ctx context.Context) (int64, error) {
	a := d.agg
	a.mu.Lock()
	if !a.checked.IsZero() && time.Since(a.checked) < releasePoll {
		id := a.release
		a.mu.Unlock()
		return id, nil
	}
	a.mu.Unlock()
	var id int64
	err := d.scanAll(ctx, builder.Select("COALESCE(MAX(id), 0)").From("data_releases").Where("checksum <> ''"),
		func(r *sql.Rows) error { return r.Scan(&id) })
	if err != nil {
		return 0, err
	}
	a.setRelease(id)
	return id, nil
}

type noCacheKey struct{}

// WithoutStatisticsCache returns a context whose tabulations neither read
// nor fill the cache: the benchmark uses it to measure what a first
// request costs.
func WithoutStatisticsCache(ctx context.Context) context.Context {
	return context.WithValue(ctx, noCacheKey{}, true)
}

// Tabulate counts finished consultant episodes, admissions and distinct
// patients matching filter within the caller's scope, one row per
// combination of the groupBy dimensions, ordered by the dimensions in turn
// (the group of unrecorded values first). Unfiltered tables of up to two
// dimensions come from the published tables when they are current; any
// answer is cached for its data release.
func (d *DB) Tabulate(ctx context.Context, filter *model.EpisodeFilter, groupBy []model.Dimension, opts ...TabulateOption) ([]*TabulationRow, error) {
	var o tabulateOptions
	for _, opt := range opts {
		opt(&o)
	}
	dims, err := resolveDimensions(groupBy)
	if err != nil {
		return nil, err
	}
	published := filter == nil && len(groupBy) <= 2 && !o.spells && episodeScope(ctx, "e") == nil
	for _, dim := range dims {
		published = published && !dim.spell // spells are not in the published tables
	}
	// A bad filter is refused before any SQL, cached or not.
	if _, err := episodeCond(filter, "e", "filter", &aliases{}); err != nil {
		return nil, err
	}
	release, err := d.currentRelease(ctx)
	if err != nil {
		return nil, err
	}
	key, err := tabulationKey(ctx, release, filter, groupBy, o)
	if err != nil {
		return nil, err
	}
	cache := d.agg.cache
	if ctx.Value(noCacheKey{}) != nil {
		cache = nil
	}
	if cache != nil {
		if rows, ok := cache.Get(key); ok {
			return rows, nil
		}
	}
	var rows []*TabulationRow
	served := false
	if published {
		rows, served, err = d.fromAggregates(ctx, release, groupBy, dims)
		if err != nil {
			return nil, err
		}
	}
	if !served {
		if rows, err = d.tabulateBase(ctx, filter, dims, o); err != nil {
			return nil, err
		}
	}
	if cache != nil {
		cache.Add(key, rows)
	}
	return rows, nil
}

// tabulationKey identifies a request's answer: the data release, the
// caller's row scope and the request itself.
func tabulationKey(ctx context.Context, release int64, filter *model.EpisodeFilter, groupBy []model.Dimension, o tabulateOptions) (string, error) {
	f, err := json.Marshal(filter)
	if err != nil {
		return "", err
	}
	scope := "*"
	if s := scopeFrom(ctx); s != nil {
		scope = "orgs:" + strings.Join(s.Orgs, ",")
	}
	return fmt.Sprintf("%d|%s|%v|%v|%s", release, scope, o.spells, groupBy, f), nil
}

// PublishedDimensions are the dimensions of the published tables: all but
// those over spells, which are counted on the base tables.
func PublishedDimensions() []model.Dimension {
	var out []model.Dimension
	for _, g := range model.AllDimension {
		if dim, ok := dimensions[g]; ok && !dim.spell {
			out = append(out, g)
		}
	}
	return out
}

// dimensionSet is the canonical name of a set of dimensions (enum order)
// and, for each requested dimension, its position in that order.
func dimensionSet(groupBy []model.Dimension) (string, []int) {
	canon := slices.Clone(groupBy)
	slices.SortFunc(canon, func(a, b model.Dimension) int {
		return slices.Index(model.AllDimension, a) - slices.Index(model.AllDimension, b)
	})
	pos := make([]int, len(groupBy))
	names := make([]string, len(canon))
	for i, g := range canon {
		names[i] = string(g)
	}
	for i, g := range groupBy {
		pos[i] = slices.Index(canon, g)
	}
	return strings.Join(names, ","), pos
}

// fromAggregates reads a table from the published tables. It reports false
// when they were not built for release (a load in progress elsewhere, or a
// database loaded before they existed): the caller counts on the base tables.
func (d *DB) fromAggregates(ctx context.Context, release int64, groupBy []model.Dimension, dims []dimension) ([]*TabulationRow, bool, error) {
	set, pos := dimensionSet(groupBy)
	cols := []string{"a.dims"}
	var order []string
	for _, p := range pos {
		cols = append(cols, fmt.Sprintf("a.k%d", p))
		order = append(order, fmt.Sprintf("a.n%d", p), fmt.Sprintf("a.k%d", p))
	}
	cols = append(cols, "a.episodes", "a.admissions", "a.patients")
	// The LEFT JOIN answers one row even when the table is empty, so
	// "built, no groups" and "not built" are told apart in one statement.
	q := builder.Select(cols...).From("stats_aggregate_builds b").
		LeftJoin("stats_aggregates a ON a.dims = ?", set).
		Where("b.release_id = ?", release).
		OrderBy(order...).Limit(MaxTabulationRows + 1)
	var out []*TabulationRow
	built := false
	keys := make([]sql.NullString, len(dims))
	var set2 sql.NullString
	var e, ad, p sql.NullInt64
	dest := []any{&set2}
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	dest = append(dest, &e, &ad, &p)
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		built = true
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		if !set2.Valid {
			return nil // built, and no finished consultant episodes at all
		}
		r := &TabulationRow{Keys: make([]*string, len(dims)), Episodes: e.Int64, Admissions: ad.Int64, Patients: p.Int64}
		for i, k := range keys {
			r.Keys[i] = labelled(dims[i], k)
		}
		out = append(out, r)
		return nil
	})
	if err != nil || !built {
		return nil, false, err
	}
	return out, true, tooManyGroups(len(out))
}

// EnsureAggregates builds the published tables when the current data
// release has none, as for a database loaded before they existed; serve
// calls it at start.
func (d *DB) EnsureAggregates(ctx context.Context) error {
	release, err := d.currentRelease(ctx)
	if err != nil || release == 0 {
		return err
	}
	built := false
	err = d.scanAll(ctx, builder.Select("1").From("stats_aggregate_builds").Where("release_id = ?", release),
		func(*sql.Rows) error { built = true; return nil })
	if err != nil || built {
		return err
	}
	d.log.InfoContext(ctx, "building the published tables of the current data release", "release", release)
	return d.RefreshAggregates(ctx)
}

// rawSQL is a statement built here as text with its arguments.
type rawSQL struct {
	text string
	args []any
}

func (r rawSQL) ToSql() (string, []any, error) { return r.text, r.args, nil }

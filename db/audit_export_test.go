package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// SleepForTest runs SELECT SLEEP(seconds) through the pool, with the pool's
// session settings (among them the statement time limit).
func (d *DB) SleepForTest(ctx context.Context, seconds float64) error {
	return d.scanAll(ctx, sq.Expr("SELECT SLEEP(?)", seconds), func(*sql.Rows) error { return nil })
}

// TabulateBaseForTest counts on the base tables, bypassing the published
// tables and the cache, for comparison with Tabulate.
func (d *DB) TabulateBaseForTest(ctx context.Context, filter *model.EpisodeFilter, groupBy []model.Dimension) ([]*TabulationRow, error) {
	dims, err := resolveDimensions(groupBy)
	if err != nil {
		return nil, err
	}
	return d.tabulateBase(ctx, filter, dims, tabulateOptions{})
}

package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"
)

// SleepForTest runs SELECT SLEEP(seconds) through the pool, with the pool's
// session settings (among them the statement time limit).
func (d *DB) SleepForTest(ctx context.Context, seconds float64) error {
	return d.scanAll(ctx, sq.Expr("SELECT SLEEP(?)", seconds), func(*sql.Rows) error { return nil })
}

package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"
)

// Hooks for the package's external tests (package db_test), which can use
// dbtest.

// BreakKillerForTest makes d's KILL QUERY fail, as when no connection to
// its server can be had for it.
func BreakKillerForTest(d *DB) {
	broken := sql.OpenDB(threadConnector{})
	broken.Close()
	d.killer, d.primary.killer = broken, broken
}

// ScanForTest runs query as the API's reads do (scanAll).
func ScanForTest(ctx context.Context, d *DB, query string, scan func(*sql.Rows) error) error {
	return d.scanAll(ctx, sq.Expr(query), scan)
}

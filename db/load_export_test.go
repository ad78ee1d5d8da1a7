package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"
)

// SessionChecksForTest reads @@unique_checks and @@foreign_key_checks on a
// connection of the pool.
func (d *DB) SessionChecksForTest(ctx context.Context) (unique, fk int, err error) {
	err = d.scanAll(ctx, sq.Expr("SELECT @@unique_checks, @@foreign_key_checks"), func(r *sql.Rows) error { return r.Scan(&unique, &fk) })
	return unique, fk, err
}

// SpellCountForTest counts the stored spells on a connection of the pool.
func (d *DB) SpellCountForTest(ctx context.Context) (n int, err error) {
	err = d.scanAll(ctx, sq.Expr("SELECT COUNT(*) FROM spells"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

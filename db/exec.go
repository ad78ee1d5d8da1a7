package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	sq "github.com/Masterminds/squirrel"
)

// querier is satisfied by *sql.DB and *sql.Tx.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// query runs a built SELECT and counts it.
func (d *DB) query(ctx context.Context, q querier, b sq.Sqlizer) (*sql.Rows, error) {
	ctx = withDoneOnce(ctx)
	text, args, err := b.ToSql()
	if err != nil {
		return nil, err
	}
	text = d.budgeted(ctx, text)
	d.countStatement(ctx)
	traceStatement(ctx, text, args)
	rows, err := q.QueryContext(ctx, text, args...)
	return rows, budgetError(ctx, unavailable(ctx, callerGone(ctx, err)))
}

// callerGone names the caller's cancellation as the cause of an error
// while ctx has ended: the KILL QUERY sent on cancellation (pinOn) can
// reach the server before the driver notices ctx, and the statement then
// ends in "Query execution was interrupted" rather than in ctx's error.
func callerGone(ctx context.Context, err error) error {
	if err == nil || ctx.Err() == nil || errors.Is(err, ctx.Err()) {
		return err
	}
	return fmt.Errorf("%w: %w", ctx.Err(), err)
}

// exec runs a built statement and counts it.
func (d *DB) exec(ctx context.Context, q querier, b sq.Sqlizer) (sql.Result, error) {
	ctx = withDoneOnce(ctx)
	text, args, err := b.ToSql()
	if err != nil {
		return nil, err
	}
	d.countStatement(ctx)
	traceStatement(ctx, text, args)
	res, err := q.ExecContext(ctx, text, args...)
	return res, unavailable(ctx, err)
}

// scanAll runs b on a pooled connection of a read replica or the primary
// (scanRead) and calls scan for each row; if ctx ends first, the statement
// is killed on the server (pinOn).
func (d *DB) scanAll(ctx context.Context, b sq.Sqlizer, scan func(*sql.Rows) error) error {
	return d.scanRead(ctx, b, scan)
}

// scanPrimary is scanAll on the primary, for reads that must see the
// latest writes (the audit log).
func (d *DB) scanPrimary(ctx context.Context, b sq.Sqlizer, scan func(*sql.Rows) error) error {
	ctx = withDoneOnce(ctx)
	return d.pinnedOn(ctx, d.primary, func(c *pinnedConn) error { return d.scanWith(ctx, c, b, scan) })
}

// scanWith runs b on q (the pool, a transaction or a pinned connection)
// and calls scan for each row.
func (d *DB) scanWith(ctx context.Context, q querier, b sq.Sqlizer, scan func(*sql.Rows) error) error {
	rows, err := d.query(ctx, q, b)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return err
		}
	}
	// A connection lost or a budget spent part way through shows only here.
	return budgetError(ctx, unavailable(ctx, callerGone(ctx, rows.Err())))
}

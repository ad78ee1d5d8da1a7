package db

import (
	"context"
	"sync/atomic"
)

// statementStats counts statements sent to the server, in total and per
// request, so that tests and benchmarks can assert how many a request costs.
type statementStats struct {
	total atomic.Int64
}

// StatementCounter counts the statements issued under one context.
type StatementCounter struct{ n atomic.Int64 }

// Count returns the number of statements counted so far.
func (c *StatementCounter) Count() int64 { return c.n.Load() }

type counterKey struct{}

// WithStatementCounter returns a context under which every statement the DB
// issues is also counted in the returned counter.
func WithStatementCounter(ctx context.Context) (context.Context, *StatementCounter) {
	c := &StatementCounter{}
	return context.WithValue(ctx, counterKey{}, c), c
}

// StatementsTotal returns the number of statements issued since Open.
func (d *DB) StatementsTotal() int64 { return d.stats.total.Load() }

func (d *DB) countStatement(ctx context.Context) {
	d.stats.total.Add(1)
	if c, ok := ctx.Value(counterKey{}).(*StatementCounter); ok {
		c.n.Add(1)
	}
}

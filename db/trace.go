package db

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
)

// Statement tracing lets the benchmark run exactly the SQL that a request
// issued again without the API around it, the floor that the API's cost is
// measured against. Nothing is recorded unless a context asks for it.

// TracedStatement is one statement issued under a traced context.
type TracedStatement struct {
	SQL  string
	Args []any
	// Group is non-zero for statements that were issued concurrently with
	// the others of the same group; replaying them concurrently keeps the
	// request's shape.
	Group int64
}

// Trace collects the statements issued under a context.
type Trace struct {
	mu    sync.Mutex
	stmts []TracedStatement
}

// Statements returns what was recorded, in issue order.
func (t *Trace) Statements() []TracedStatement {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]TracedStatement(nil), t.stmts...)
}

type traceKey struct{}

type groupKey struct{}

var groupSeq atomic.Int64

// WithTrace returns a context under which every statement is recorded.
func WithTrace(ctx context.Context) (context.Context, *Trace) {
	t := &Trace{}
	return context.WithValue(ctx, traceKey{}, t), t
}

// ConcurrentGroup marks the statements issued under the returned context as
// running concurrently with the others marked by the same call. It costs
// nothing when the context is not traced.
func ConcurrentGroup(ctx context.Context) context.Context {
	if ctx.Value(traceKey{}) == nil {
		return ctx
	}
	return context.WithValue(ctx, groupKey{}, groupSeq.Add(1))
}

// traceStatement records a statement when ctx is traced.
func traceStatement(ctx context.Context, text string, args []any) {
	t, ok := ctx.Value(traceKey{}).(*Trace)
	if !ok {
		return
	}
	g, _ := ctx.Value(groupKey{}).(int64)
	t.mu.Lock()
	t.stmts = append(t.stmts, TracedStatement{SQL: text, Args: append([]any(nil), args...), Group: g})
	t.mu.Unlock()
}

// Replay runs recorded statements again straight through the driver,
// reading every row as raw bytes: the SQL work of a request with nothing
// else. Statements of one concurrent group run concurrently, in the place
// of the group's first statement. It returns the number of rows read.
func (d *DB) Replay(ctx context.Context, stmts []TracedStatement) (int, error) {
	rows := 0
	done := map[int64]bool{}
	for i, s := range stmts {
		if s.Group == 0 {
			n, err := d.replayOne(ctx, s)
			if err != nil {
				return rows, err
			}
			rows += n
			continue
		}
		if done[s.Group] {
			continue
		}
		done[s.Group] = true
		var group []TracedStatement
		for _, o := range stmts[i:] {
			if o.Group == s.Group {
				group = append(group, o)
			}
		}
		if len(group) == 1 {
			n, err := d.replayOne(ctx, group[0])
			if err != nil {
				return rows, err
			}
			rows += n
			continue
		}
		var wg sync.WaitGroup
		counts := make([]int, len(group))
		errs := make([]error, len(group))
		for j, o := range group {
			wg.Add(1)
			go func() {
				defer wg.Done()
				counts[j], errs[j] = d.replayOne(ctx, o)
			}()
		}
		wg.Wait()
		for j := range group {
			if errs[j] != nil {
				return rows, errs[j]
			}
			rows += counts[j]
		}
	}
	return rows, nil
}

// replayOne runs one statement as the least a client of go-sql-driver can
// do: unwatched for cancellation, which costs database/sql and the driver
// goroutine hand-offs per statement (pinnedConn), as the API's statements
// are. ctx is checked before the statement.
func (d *DB) replayOne(ctx context.Context, s TracedStatement) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	rs, err := d.sql.QueryContext(context.WithoutCancel(ctx), s.SQL, s.Args...)
	if err != nil {
		return 0, err
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		return 0, err
	}
	raw := make([]sql.RawBytes, len(cols))
	dest := make([]any, len(cols))
	for i := range raw {
		dest[i] = &raw[i]
	}
	n := 0
	for rs.Next() {
		if err := rs.Scan(dest...); err != nil {
			return n, err
		}
		n++
	}
	return n, rs.Err()
}

package db

import "context"

// doneOnce is a statement's context with its Done channel looked up once.
// database/sql and the driver ask for it several times per statement (to
// take a connection and, outside pinned connections, to watch it for
// cancellation and await the rows' end), and
// below a GraphQL field the context is a chain of dozens of values, which
// each asking walked up to the cancellable context at its root: about a
// fiftieth of a listing's instructions. Values and Err still come from
// the chain; a context derived from this one (context.WithCancel,
// AfterFunc) still finds the cancellable one, whose channel this is.
type doneOnce struct {
	context.Context
	done <-chan struct{}
}

func (c doneOnce) Done() <-chan struct{} { return c.done }

// withDoneOnce returns ctx with its Done channel looked up once.
func withDoneOnce(ctx context.Context) context.Context {
	if _, ok := ctx.(doneOnce); ok {
		return ctx
	}
	return doneOnce{ctx, ctx.Done()}
}

package db

import (
	"context"
	"database/sql"
	"net"
)

// pinnedConn is a pooled connection taken with pinOn, whose statements the
// end of the caller's context stops: pinOn closes the socket and kills the
// statement on the server. Its queries therefore leave cancellation out of
// the context they give database/sql and go-sql-driver, which otherwise
// watch it per statement, each with a goroutine: database/sql starts one to
// close the rows (Rows.awaitDone), and the driver hands the context to its
// connection's watcher and, when the rows end, waits for the watcher to
// take the news. On two cores, with one request in flight, those hand-offs
// woke the idle core several times per statement: without them, W5's
// server CPU per request went from 1.14–1.37 to 0.74–0.90 ms (hesgql
// bench, three runs each).
type pinnedConn struct {
	*sql.Conn
	watched bool // pinOn can close the socket: the statement needs no other watch
}

// QueryContext runs a query watched by pinOn rather than per statement.
// Its values stay those of ctx.
func (c *pinnedConn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if c.watched {
		ctx = context.WithoutCancel(ctx)
	}
	return c.Conn.QueryContext(ctx, query, args...)
}

// socketSlot is the context key under which threadConnector.Connect asks
// dialSocket for the socket it dials.
type socketSlot struct{}

// dialSocket dials as go-sql-driver does by default and hands the socket to
// the connection being made, so that pinOn can close it.
func dialSocket(ctx context.Context, network, addr string) (net.Conn, error) {
	var d net.Dialer
	c, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if slot, ok := ctx.Value(socketSlot{}).(*net.Conn); ok {
		*slot = c
	}
	return c, nil
}

package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-sql-driver/mysql"
)

// Cancellation on the server. Closing a statement's socket, which is what
// go-sql-driver does when a context ends mid-statement, frees the caller at
// once, but the server does not notice until it next looks at the
// connection: a statement computing a result runs to its end (a 2.3 s
// statistics query ran 2.3 s after its client left), one waiting for a
// lock lingers until the wait's next connection check (once a second on
// MariaDB 10.11, measured). Each pooled connection therefore knows its
// server thread id, and a statement whose context ends is stopped with
// KILL QUERY, sent over a small pool of its own so that it gets through
// even when every pooled connection is busy.

// serverConn is what database/sql uses of a go-sql-driver connection.
// Embedding it whole keeps every optional interface the driver implements
// visible through the wrapper.
type serverConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
	driver.NamedValueChecker
}

// threadConn is a driver connection with its server thread id
// (CONNECTION_ID()), the argument KILL QUERY needs, and its socket, which
// closing ends a statement's wait for the server at once (pinOn).
type threadConn struct {
	serverConn
	thread int64
	socket net.Conn // nil when the connection was not dialled by dialSocket
}

// threadConnector asks each new connection its thread id once, so that a
// statement costs no extra round trip to be cancellable.
type threadConnector struct{ driver.Connector }

func (c threadConnector) Connect(ctx context.Context) (driver.Conn, error) {
	var socket net.Conn
	dc, err := c.Connector.Connect(context.WithValue(ctx, socketSlot{}, &socket))
	if err != nil {
		return nil, err
	}
	sc, ok := dc.(serverConn)
	if !ok {
		dc.Close()
		return nil, fmt.Errorf("db: driver connection %T lacks the interfaces database/sql needs", dc)
	}
	thread, err := threadID(ctx, sc)
	if err != nil {
		sc.Close()
		return nil, fmt.Errorf("db: read the connection id: %w", err)
	}
	return &threadConn{serverConn: sc, thread: thread, socket: socket}, nil
}

func threadID(ctx context.Context, c driver.QueryerContext) (int64, error) {
	rows, err := c.QueryContext(ctx, "SELECT CONNECTION_ID()", nil)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	dest := make([]driver.Value, 1)
	if err := rows.Next(dest); err != nil {
		if errors.Is(err, io.EOF) {
			err = errors.New("no row")
		}
		return 0, err
	}
	switch v := dest[0].(type) {
	case int64:
		return v, nil
	case uint64:
		return int64(v), nil
	case []byte:
		return strconv.ParseInt(string(v), 10, 64)
	}
	return 0, fmt.Errorf("unexpected %T", dest[0])
}

// newKiller opens the pool KILL QUERY goes through: two connections at
// most, one kept open so that a kill does not wait for a handshake.
func newKiller(c driver.Connector) *sql.DB {
	k := sql.OpenDB(c)
	k.SetMaxOpenConns(2)
	k.SetMaxIdleConns(1)
	return k
}

// pin takes one pooled connection until release; if ctx ends before
// release, the statement then running on it is stopped: its socket is
// closed, so that the caller's wait for the server ends at once, and the
// statement is killed on the server. Every statement of the API goes
// through it (scanAll), and so does the extract, which keeps one
// connection for all its batches.
func (d *DB) pin(ctx context.Context) (conn *pinnedConn, release func(), err error) {
	b := d.readBackend()
	conn, release, err = d.pinOn(ctx, b)
	if err != nil && b != d.primary && ctx.Err() == nil && unreachable(err) {
		// The replica went away since it was last checked: take it out of
		// rotation now rather than at the next check, and read from the
		// primary instead.
		d.markDown(b, err)
		return d.pinOn(ctx, d.primary)
	}
	return conn, release, err
}

// pinOn is pin on one given server.
func (d *DB) pinOn(ctx context.Context, b *backend) (conn *pinnedConn, release func(), err error) {
	b.reads.Add(1)
	c, err := b.pool.Conn(ctx)
	if err != nil {
		return nil, nil, unavailable(ctx, err)
	}
	var tc *threadConn
	if err := c.Raw(func(dc any) error {
		var ok bool
		if tc, ok = dc.(*threadConn); !ok {
			return fmt.Errorf("db: pooled connection %T has no thread id", dc)
		}
		return nil
	}); err != nil {
		c.Close()
		return nil, nil, err
	}
	stop := context.AfterFunc(ctx, func() {
		if tc.socket != nil {
			tc.socket.Close()
		}
		d.killQuery(b.killer, tc.thread)
	})
	return &pinnedConn{Conn: c, watched: tc.socket != nil}, func() {
		if !stop() {
			// The kill ran, or is running: it may land after the statement
			// ended. Never hand a connection that may carry it back to the
			// pool, where it would interrupt the next caller's statement.
			_ = c.Raw(func(any) error { return driver.ErrBadConn })
		}
		c.Close()
	}, nil
}

// pinnedOn runs fn on a connection of b taken with pinOn; a replica that
// cannot be reached is left for the primary, as in pin.
func (d *DB) pinnedOn(ctx context.Context, b *backend, fn func(*pinnedConn) error) error {
	conn, release, err := d.pinOn(ctx, b)
	if err != nil && b != d.primary && ctx.Err() == nil && unreachable(err) {
		d.markDown(b, err)
		conn, release, err = d.pinOn(ctx, d.primary)
	}
	if err != nil {
		return err
	}
	defer release()
	return fn(conn)
}

// errUnknownThread is the server's answer to a KILL of a connection that
// no longer exists.
const errUnknownThread = 1094

// killQuery stops the statement running on a server connection, if any,
// through that server's kill pool.
func (d *DB) killQuery(killer *sql.DB, thread int64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := d.exec(ctx, killer, sq.Expr("KILL QUERY ?", thread))
	var me *mysql.MySQLError
	if errors.As(err, &me) && me.Number == errUnknownThread {
		return // the connection had already closed, taking its statement with it
	}
	if err != nil {
		d.log.Warn("could not stop the statement of an abandoned request", "connection", thread, "err", err)
	}
}

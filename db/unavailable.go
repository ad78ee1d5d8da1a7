package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/graph/model"
)

// Server errors that mean the server is going away or cannot take the
// connection, not that the statement is wrong.
const (
	erConCount         = 1040 // ER_CON_COUNT_ERROR: too many connections
	erServerShutdown   = 1053 // ER_SERVER_SHUTDOWN: shutdown in progress
	erConnectionKilled = 1927 // ER_CONNECTION_KILLED (MariaDB)
)

// unavailableMessage is what the caller reads; the cause goes to the log.
const unavailableMessage = "the database cannot be reached; retry shortly"

// unavailable turns an error meaning "the database cannot be reached" into
// a coded UNAVAILABLE error, so that the API answers a retryable code
// instead of one INTERNAL error per failed field. Other errors, and errors
// of a request whose own context ended (the caller went away or its time is
// up), are returned as they are.
func unavailable(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil || !unreachable(err) {
		return err
	}
	var me *model.Error
	if errors.As(err, &me) {
		return err
	}
	return &model.Error{Code: model.ErrUnavailable, Message: unavailableMessage, Err: err}
}

// unreachable reports whether err says the connection to the server could
// not be made or was lost, as opposed to the server refusing a statement.
func unreachable(err error) bool {
	switch {
	case errors.Is(err, driver.ErrBadConn),
		errors.Is(err, mysql.ErrInvalidConn),
		errors.Is(err, syscall.ECONNREFUSED),
		errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EPIPE),
		errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	var myErr *mysql.MySQLError
	if errors.As(err, &myErr) {
		switch myErr.Number {
		case erConCount, erServerShutdown, erConnectionKilled:
			return true
		}
		return false
	}
	// Dial failures, resets and read timeouts of the driver's own socket.
	var netErr net.Error
	return errors.As(err, &netErr)
}

package db

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/graph/model"
)

// Errors meaning the database cannot be reached become UNAVAILABLE, with
// the cause kept; statement errors and errors of a request whose context
// ended stay as they are.
func TestUnavailableClassifiesConnectionErrors(t *testing.T) {
	// A real refusal: listen, note the port, close it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.Dial("tcp", addr)
	if refused == nil {
		t.Fatal("dial to a closed port succeeded")
	}
	ctx := context.Background()
	for name, c := range map[string]struct {
		err  error
		want bool
	}{
		"Refused":        {refused, true},
		"BadConn":        {fmt.Errorf("query: %w", driver.ErrBadConn), true},
		"InvalidConn":    {mysql.ErrInvalidConn, true},
		"ServerShutdown": {&mysql.MySQLError{Number: 1053, Message: "Server shutdown in progress"}, true},
		"TooMany":        {&mysql.MySQLError{Number: 1040, Message: "Too many connections"}, true},
		"NoSuchTable":    {&mysql.MySQLError{Number: 1146, Message: "Table 'x.y' doesn't exist"}, false},
		"Timeout":        {&mysql.MySQLError{Number: 1969, Message: "Query execution was interrupted (max_statement_time exceeded)"}, false},
		"Other":          {errors.New("sql: database is closed"), false},
	} {
		t.Run(name, func(t *testing.T) {
			got := unavailable(ctx, c.err)
			var me *model.Error
			isUnavailable := errors.As(got, &me) && me.Code == model.ErrUnavailable
			if isUnavailable != c.want {
				t.Fatalf("unavailable(%v) = %v, want UNAVAILABLE %v", c.err, got, c.want)
			}
			if c.want && !errors.Is(got, c.err) {
				t.Errorf("the cause %v is lost", c.err)
			}
			if !c.want && got != c.err {
				t.Errorf("unavailable changed %v into %v", c.err, got)
			}
		})
	}
	t.Run("CancelledRequest", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if got := unavailable(cctx, mysql.ErrInvalidConn); got != mysql.ErrInvalidConn {
			t.Errorf("a cancelled request's error became %v", got)
		}
	})
}

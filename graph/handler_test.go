package graph

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"

	"github.com/go-sql-driver/mysql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

func TestPresentError(t *testing.T) {
	present := presentError(slog.New(slog.DiscardHandler))
	cases := map[string]struct {
		err      error
		code     string
		noInMsg  string
		limitExt string
	}{
		"MariaDBStatementTime": {fmt.Errorf("list: %w", &mysql.MySQLError{Number: 1969, Message: "Query execution was interrupted (max_statement_time exceeded)"}), model.ErrTooComplex, "max_statement_time", "statementTime"},
		"MySQLStatementTime":   {&mysql.MySQLError{Number: 3024, Message: "Query execution was interrupted, maximum statement execution time exceeded"}, model.ErrTooComplex, "maximum", "statementTime"},
		"OtherSQLError":        {&mysql.MySQLError{Number: 1146, Message: "Table 'x.y' doesn't exist"}, model.ErrInternal, "Table", ""},
		"IntrospectionOff":     {&gqlerror.Error{Message: "introspection disabled", Err: errors.New("introspection disabled")}, model.ErrForbidden, "", ""},
		"EchoedBody":           {gqlerror.Errorf("json request body could not be decoded: x body:%s", strings.Repeat("A", 5000)), model.ErrBadUserInput, strings.Repeat("A", 600), ""},
		"Forbidden":            {model.Errorf(model.ErrForbidden, "no"), model.ErrForbidden, "", ""},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got := present(context.Background(), c.err)
			if got.Extensions["code"] != c.code {
				t.Errorf("code = %v, want %s (%q)", got.Extensions["code"], c.code, got.Message)
			}
			if c.noInMsg != "" && strings.Contains(got.Message, c.noInMsg) {
				t.Errorf("message discloses %q: %q", c.noInMsg, got.Message)
			}
			if c.limitExt != "" && got.Extensions["limit"] != c.limitExt {
				t.Errorf("limit = %v, want %s", got.Extensions["limit"], c.limitExt)
			}
		})
	}
}

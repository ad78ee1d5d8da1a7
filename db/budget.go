package db

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/graph/model"
)

// A statement budget is a per-request limit on the server time of each
// SELECT, and on all of them together, tighter than the pool-wide
// HES_STATEMENT_TIMEOUT, chosen by who
// asks (internal/server.StatementBudget): the public, whom nothing
// identifies, gets a short one, so that no anonymous request can hold the
// database for long, and each role may get its own. It is set per statement on the server
// (MariaDB's SET STATEMENT max_statement_time = s FOR …, MySQL's
// MAX_EXECUTION_TIME(ms) optimizer hint), which costs no extra round trip,
// and a statement stopped by it ends in QUERY_TOO_COMPLEX telling the
// caller what to narrow. Each statement gets what is left of the budget
// since the request began, so that a request of several statements ends
// within the budget too, not one budget per statement.

type budgetKey struct{}

// Budget is the statement time budget of one request.
type Budget struct {
	// Limit is the longest a SELECT may run on the server.
	Limit time.Duration
	// start is when the budget began (WithStatementBudget).
	start time.Time
	// Who names the callers the budget applies to, for the message
	// ("public", or the role: "RESEARCHER").
	Who string
}

// WithStatementBudget returns a context under which every SELECT the DB
// issues may run at most b.Limit on the server (never longer than the
// pool's own statement timeout). A zero limit sets none.
func WithStatementBudget(ctx context.Context, b Budget) context.Context {
	if b.Limit <= 0 {
		return ctx
	}
	b.start = time.Now()
	return context.WithValue(ctx, budgetKey{}, b)
}

// budgeted rewrites a SELECT to run under the context's budget.
func (d *DB) budgeted(ctx context.Context, text string) string {
	b, ok := ctx.Value(budgetKey{}).(Budget)
	if !ok || (d.timeout > 0 && b.Limit >= d.timeout) {
		return text
	}
	rest, ok := cutSelect(text)
	if !ok {
		return text
	}
	// What is left, but never nothing: a statement with a millisecond
	// ends in the coded error unless it is trivial.
	left := max(b.Limit-time.Since(b.start), time.Millisecond)
	// Every statement of a budgeted caller is rewritten here: appended
	// rather than formatted by fmt, which took half a per cent of a
	// public statistics request's CPU.
	out := make([]byte, 0, len(text)+48)
	if d.flavor == FlavorMariaDB {
		out = append(out, "SET STATEMENT max_statement_time = "...)
		out = strconv.AppendFloat(out, left.Seconds(), 'f', 6, 64)
		out = append(out, " FOR "...)
		return string(append(out, text...))
	}
	out = append(out, "SELECT /*+ MAX_EXECUTION_TIME("...)
	out = strconv.AppendInt(out, max(left.Milliseconds(), 1), 10)
	out = append(out, ") */"...)
	return string(append(out, rest...))
}

// cutSelect returns what follows a leading SELECT keyword.
func cutSelect(text string) (string, bool) {
	if len(text) < 7 || !strings.EqualFold(text[:6], "SELECT") || (text[6] != ' ' && text[6] != '\n') {
		return "", false
	}
	return text[6:], true
}

// budgetError turns a statement stopped by the request's budget into a
// coded error saying what to narrow. Statements stopped by the pool's own
// timeout, under no budget, keep their error.
func budgetError(ctx context.Context, err error) error {
	b, ok := ctx.Value(budgetKey{}).(Budget)
	if !ok || err == nil {
		return err
	}
	var me *mysql.MySQLError
	if !errors.As(err, &me) || (me.Number != errMariaDBStatementTimeout && me.Number != errMySQLQueryTimeout) {
		return err
	}
	return &model.Error{Code: model.ErrTooComplex, Err: err, Message: fmt.Sprintf(
		"the request needed more than the %s database time budget of %s: narrow it — "+
			"add a financialYear, treatmentSpecialty or providerCode filter, use fewer or shallower "+
			"patient/hasEpisode/diagnosis/procedure filters, or group by fewer dimensions", b.Who, b.Limit)}
}

package dbtest

import (
	"context"
	"database/sql"
	"testing"
)

// ExecUnchecked runs stmts in one session of the database at dsn with
// foreign key checks off: for planting rows no load would write, such as
// codes or spells left without their episode or patient.
func ExecUnchecked(tb testing.TB, dsn string, stmts ...string) {
	tb.Helper()
	ctx := context.Background()
	pool, err := sql.Open("mysql", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer pool.Close()
	conn, err := pool.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	for _, stmt := range append([]string{"SET SESSION foreign_key_checks = 0"}, stmts...) {
		if _, err := conn.ExecContext(ctx, stmt); err != nil {
			tb.Fatalf("%s: %v", stmt, err)
		}
	}
}

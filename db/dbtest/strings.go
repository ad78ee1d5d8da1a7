package dbtest

import (
	"database/sql"
	"testing"
)

// Strings runs a query of one string column on conn and returns its rows
// in order, failing the test on any error.
func Strings(tb testing.TB, conn *sql.DB, query string, args ...any) []string {
	tb.Helper()
	rows, err := conn.Query(query, args...)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			tb.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

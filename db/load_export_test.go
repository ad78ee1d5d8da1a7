package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"
)

// SessionChecksForTest reads @@unique_checks and @@foreign_key_checks on a
// connection of the pool.
func (d *DB) SessionChecksForTest(ctx context.Context) (unique, fk int, err error) {
	err = d.scanAll(ctx, sq.Expr("SELECT @@unique_checks, @@foreign_key_checks"), func(r *sql.Rows) error { return r.Scan(&unique, &fk) })
	return unique, fk, err
}

// SpellCountForTest counts the stored spells on a connection of the pool.
func (d *DB) SpellCountForTest(ctx context.Context) (n int, err error) {
	err = d.scanAll(ctx, sq.Expr("SELECT COUNT(*) FROM spells"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

// EverySessionChecksForTest holds n connections of the pool at once and
// reads the checks of each.
func (d *DB) EverySessionChecksForTest(ctx context.Context, n int) (unique, fk []int, err error) {
	for range n {
		conn, err := d.sql.Conn(ctx)
		if err != nil {
			return nil, nil, err
		}
		defer conn.Close()
		var u, f int
		if err := conn.QueryRowContext(ctx, "SELECT @@unique_checks, @@foreign_key_checks").Scan(&u, &f); err != nil {
			return nil, nil, err
		}
		unique, fk = append(unique, u), append(fk, f)
	}
	return unique, fk, nil
}

// CodesOnOwnConnectionForTest reports whether the load writes its codes on
// a second connection.
func (l *Load) CodesOnOwnConnectionForTest() bool { return l.codes != nil }

// CodeCountForTest counts the stored diagnoses and procedures.
func (d *DB) CodeCountForTest(ctx context.Context) (n int, err error) {
	err = d.scanAll(ctx, sq.Expr("SELECT (SELECT COUNT(*) FROM diagnoses) + (SELECT COUNT(*) FROM procedures)"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

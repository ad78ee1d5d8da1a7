package db

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync/atomic"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-sql-driver/mysql"
)

// The session settings of InnoDB's bulk insert into tables that were empty
// when the transaction began (MariaDB 10.6+, MDEV-24621): no undo logging,
// each index sorted once at commit.
const (
	bulkChecksOff = "SET SESSION unique_checks = 0, foreign_key_checks = 0"
	bulkChecksOn  = "SET SESSION unique_checks = 1, foreign_key_checks = 1"
)

// restoreChecks turns conn's checks back on before it goes back to the
// pool; a connection that cannot be restored is discarded instead, so
// that the settings never reach another user of the pool.
func restoreChecks(conn *sql.Conn) {
	if _, err := conn.ExecContext(context.Background(), bulkChecksOn); err != nil {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
	}
}

// The mechanics of a load's bulk writes: rows go to the server as one
// statement per table and batch, and the ids it assigned are worked out
// rather than read back.

// assignedIDs returns the auto-increment ids of rows just bulk inserted,
// keyed in insert order. A bulk insert numbers its rows consecutively from
// first unless another session inserted into the table at the same moment;
// the first and last rows are checked to prove it, and otherwise the ids
// are read back.
func (l *Load) assignedIDs(ctx context.Context, table, keyCol string, keys []string, first int64) ([]int64, error) {
	n := int64(len(keys))
	ids := make([]int64, n)
	if l.bulk && first > 0 {
		// See Bulk: one statement's ids are consecutive, and reading the
		// table back would end InnoDB's bulk insert.
		for i := range ids {
			ids[i] = first + int64(i)
		}
		return ids, nil
	}
	ends := map[int64]string{}
	if first > 0 {
		rows, err := l.d.query(ctx, l.tx, builder.Select("id", keyCol).From(table).Where(sq.Eq{"id": []int64{first, first + n - 1}}))
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var k string
			if err := rows.Scan(&id, &k); err != nil {
				rows.Close()
				return nil, err
			}
			ends[id] = k
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	if first > 0 && ends[first] == keys[0] && ends[first+n-1] == keys[n-1] {
		for i := range ids {
			ids[i] = first + int64(i)
		}
		return ids, nil
	}
	rows, err := l.d.query(ctx, l.tx, builder.Select("id", keyCol).From(table).Where(sq.Eq{keyCol: keys}))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byKey := make(map[string]int64, n)
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return nil, err
		}
		byKey[k] = id
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i, k := range keys {
		if ids[i] = byKey[k]; ids[i] == 0 {
			return nil, fmt.Errorf("%s %s was not written", table, k)
		}
	}
	return ids, nil
}

// bulkInsert adds rows of new data to table and returns the first
// auto-increment id it assigned (0 for tables without one). Every row must
// be stored exactly as given: LOAD DATA LOCAL turns errors that a strict
// INSERT would raise (a duplicate key, a value too long) into skipped rows
// and warnings, so the row count and the warnings are checked and any
// difference fails the load.
func (l *Load) bulkInsert(ctx context.Context, table string, cols []string, rows [][]any) (int64, error) {
	return l.bulkInsertOn(ctx, l.tx, table, cols, rows)
}

// bulkInsertOn is bulkInsert on one of the load's transactions.
func (l *Load) bulkInsertOn(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) (int64, error) {
	if !l.infile {
		res, err := l.writeOn(ctx, tx, multiRowInsert(table, cols, rows, ""))
		if err != nil {
			return 0, err
		}
		return res.LastInsertId()
	}
	stmt, done, err := infileStatement(table, cols, rows)
	if err != nil {
		return 0, err
	}
	defer done()
	res, err := l.writeOn(ctx, tx, stmt)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, err
	}
	var warnings, first int64
	if err := l.queryRowOn(ctx, tx, sq.Expr("SELECT @@warning_count, LAST_INSERT_ID()"), &warnings, &first); err != nil {
		return 0, err
	}
	if warnings > 0 || n != int64(len(rows)) {
		return 0, fmt.Errorf("not every row stored as given (%d of %d rows, %d warnings): %s", n, len(rows), warnings, warningsOf(ctx, l.d, tx))
	}
	return first, nil
}

// infileStatement builds a LOAD DATA LOCAL INFILE of rows into table from
// an in-memory file, registered under a name of its own until done is
// called (after the statement has run).
func infileStatement(table string, cols []string, rows [][]any) (stmt sq.Sqlizer, done func(), err error) {
	var buf bytes.Buffer
	buf.Grow(len(rows) * len(cols) * 8)
	for _, r := range rows {
		for i, v := range r {
			if i > 0 {
				buf.WriteByte('\t')
			}
			if err := writeField(&buf, v); err != nil {
				return nil, nil, err
			}
		}
		buf.WriteByte('\n')
	}
	name := fmt.Sprintf("hesgql-load-%d", readerSeq.Add(1))
	mysql.RegisterReaderHandler(name, func() io.Reader { return bytes.NewReader(buf.Bytes()) })
	text := "LOAD DATA LOCAL INFILE 'Reader::" + name + "' INTO TABLE " + table +
		` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (` +
		strings.Join(cols, ", ") + ")"
	return sq.Expr(text), func() { mysql.DeregisterReaderHandler(name) }, nil
}

// upsertRows writes rows with one multi-row INSERT ending in suffix (an ON
// DUPLICATE KEY UPDATE clause).
func (l *Load) upsertRows(ctx context.Context, table string, cols []string, rows [][]any, suffix string) error {
	_, err := l.write(ctx, multiRowInsert(table, cols, rows, suffix))
	return err
}

// multiRowInsert builds INSERT INTO table (cols) VALUES (...), ... suffix.
// It writes the text directly: squirrel's builder copies its value list on
// every row added, which for batches of thousands of rows costs more than
// the statement.
func multiRowInsert(table string, cols []string, rows [][]any, suffix string) sq.Sqlizer {
	var b strings.Builder
	row := "(" + strings.TrimSuffix(strings.Repeat("?, ", len(cols)), ", ") + ")"
	b.Grow(len(rows)*(len(row)+2) + 256)
	b.WriteString("INSERT INTO " + table + " (" + strings.Join(cols, ", ") + ") VALUES ")
	args := make([]any, 0, len(rows)*len(cols))
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
		args = append(args, r...)
	}
	if suffix != "" {
		b.WriteString(" " + suffix)
	}
	return sq.Expr(b.String(), args...)
}

// readerSeq names the in-memory files handed to LOAD DATA LOCAL INFILE.
var readerSeq atomic.Int64

// warningsOf describes the server's warnings about the last statement on q.
func warningsOf(ctx context.Context, d *DB, q querier) string {
	rows, err := d.query(ctx, q, sq.Expr("SHOW WARNINGS LIMIT 3"))
	if err != nil {
		return err.Error()
	}
	defer rows.Close()
	var msgs []string
	for rows.Next() {
		var level, msg string
		var code int
		if rows.Scan(&level, &code, &msg) == nil {
			msgs = append(msgs, msg)
		}
	}
	if len(msgs) == 0 {
		return "rows were skipped"
	}
	return strings.Join(msgs, "; ")
}

// write runs one of the load's bulk writes. On MariaDB the statement time
// limit that guards API queries is lifted for it: a batch on a busy server
// may take longer than any query should, and failing it would throw away
// the whole load. The load's context still bounds it.
func (l *Load) write(ctx context.Context, b sq.Sqlizer) (sql.Result, error) {
	return l.writeOn(ctx, l.tx, b)
}

// writeOn is write on one of the load's transactions.
func (l *Load) writeOn(ctx context.Context, tx *sql.Tx, b sq.Sqlizer) (sql.Result, error) {
	if l.d.flavor != FlavorMariaDB {
		// MySQL's max_execution_time applies to SELECT only.
		return l.d.exec(ctx, tx, b)
	}
	text, args, err := b.ToSql()
	if err != nil {
		return nil, err
	}
	return l.d.exec(ctx, tx, sq.Expr("SET STATEMENT max_statement_time = 0 FOR "+text, args...))
}

func (l *Load) queryRow(ctx context.Context, b sq.Sqlizer, dest ...any) error {
	return l.queryRowOn(ctx, l.tx, b, dest...)
}

func (l *Load) queryRowOn(ctx context.Context, tx *sql.Tx, b sq.Sqlizer, dest ...any) error {
	rows, err := l.d.query(ctx, tx, b)
	if err != nil {
		return err
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return err
		}
		return sql.ErrNoRows
	}
	if err := rows.Scan(dest...); err != nil {
		return err
	}
	return rows.Close()
}

// writeField writes one value in LOAD DATA's tab-separated form: \N for
// NULL, and the escapes that keep a tab, newline or backslash in a value
// from ending the field.
func writeField(b *bytes.Buffer, v any) error {
	switch x := v.(type) {
	case nil:
		b.WriteString(`\N`)
	case string:
		for i := 0; i < len(x); i++ {
			switch c := x[i]; c {
			case '\\':
				b.WriteString(`\\`)
			case '\t':
				b.WriteString(`\t`)
			case '\n':
				b.WriteString(`\n`)
			case '\r':
				b.WriteString(`\r`)
			case 0:
				b.WriteString(`\0`)
			default:
				b.WriteByte(c)
			}
		}
	case int:
		b.WriteString(strconv.Itoa(x))
	case int64:
		b.WriteString(strconv.FormatInt(x, 10))
	default:
		return fmt.Errorf("no bulk form for %T", v)
	}
	return nil
}

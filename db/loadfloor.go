package db

import (
	"bufio"
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-sql-driver/mysql"
)

// The load benchmark compares the loader with the floor a server offers for
// the same work: LOAD DATA LOCAL INFILE of the very rows the loader stored,
// dumped to tab-separated files, into the same tables with the same
// indexes. These are its database steps.

// storeTable is one table of the store as the floor dumps and reloads it.
type storeTable struct {
	name    string
	columns []string
	order   string
}

// storeTables lists the tables in load order (parents first). Date columns
// are cast to text in the dump so that they are written as LOAD DATA reads
// them.
var storeTables = []storeTable{
	{"data_releases", []string{"id", "file_name", "checksum", "financial_years", "rows_read", "rows_loaded",
		"rows_updated", "rows_rejected", "started_at", "loaded_at"}, "id"},
	{"patients", append([]string{"id", "pseudo_id"}, patientAttrColumns...), "id"},
	{"episodes", append([]string{"id"}, episodeWriteColumns...), "id"},
	{"diagnoses", []string{"episode_id", "position", "code", "classification"}, "episode_id, position"},
	{"procedures", []string{"episode_id", "position", "code", "op_date"}, "episode_id, position"},
}

// FloorFiles are the dumped tables, by table name, in load order.
type FloorFiles struct {
	Dir    string
	Tables []string
}

// EmptyStore deletes every episode, patient and data release, for the load
// benchmark's own database. TRUNCATE resets the tables and their
// auto-increment counters as a fresh database has them.
func (d *DB) EmptyStore(ctx context.Context) error {
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// TRUNCATE of a table that foreign keys point at is refused while the
	// checks are on, even when the referencing table is empty.
	stmts := []string{"SET foreign_key_checks = 0", "TRUNCATE TABLE data_release_warnings"}
	for i := len(storeTables) - 1; i >= 0; i-- {
		stmts = append(stmts, "TRUNCATE TABLE "+storeTables[i].name)
	}
	stmts = append(stmts, "SET foreign_key_checks = 1")
	for _, s := range stmts {
		if _, err := d.exec(ctx, conn, sq.Expr(s)); err != nil {
			return fmt.Errorf("empty the store: %w", err)
		}
	}
	return nil
}

// EmptyDerived deletes what was derived from the store: the spells and the
// published tables. The load benchmark empties them before its first load:
// spells left behind would point at the row ids that load assigns again,
// and its spells would be a refresh of theirs rather than a first
// derivation.
func (d *DB) EmptyDerived(ctx context.Context) error {
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, s := range []string{"SET foreign_key_checks = 0", "TRUNCATE TABLE spell_episodes", "TRUNCATE TABLE spells",
		"TRUNCATE TABLE stats_aggregates", "TRUNCATE TABLE stats_aggregate_builds", "SET foreign_key_checks = 1"} {
		if _, err := d.exec(ctx, conn, sq.Expr(s)); err != nil {
			return fmt.Errorf("empty the derived tables: %w", err)
		}
	}
	return nil
}

// DumpStore writes every table of the store to dir as LOAD DATA's
// tab-separated text.
func (d *DB) DumpStore(ctx context.Context, dir string) (FloorFiles, error) {
	out := FloorFiles{Dir: dir}
	for _, t := range storeTables {
		cols := make([]string, len(t.columns))
		for i, c := range t.columns {
			cols[i] = "CAST(" + c + " AS CHAR)"
		}
		path := filepath.Join(dir, t.name+".tsv")
		f, err := os.OpenFile(path, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
		if err != nil {
			return out, err
		}
		w := bufio.NewWriterSize(f, 1<<20)
		vals := make([]sql.NullString, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		q := "SELECT " + strings.Join(cols, ", ") + " FROM " + t.name + " ORDER BY " + t.order
		if d.flavor == FlavorMariaDB {
			// A million episodes take longer than an API query may.
			q = "SET STATEMENT max_statement_time = 0 FOR " + q
		}
		err = d.scanPrimary(ctx, sq.Expr(q), func(rows *sql.Rows) error {
			if err := rows.Scan(ptrs...); err != nil {
				return err
			}
			var b strings.Builder
			for i, v := range vals {
				if i > 0 {
					b.WriteByte('\t')
				}
				if !v.Valid {
					b.WriteString(`\N`)
					continue
				}
				b.WriteString(escapeField(v.String))
			}
			b.WriteByte('\n')
			_, err := w.WriteString(b.String())
			return err
		})
		if err == nil {
			err = w.Flush()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return out, fmt.Errorf("dump %s: %w", t.name, err)
		}
		out.Tables = append(out.Tables, t.name)
	}
	return out, nil
}

// escapeField writes s in LOAD DATA's escaped form.
func escapeField(s string) string {
	if !strings.ContainsAny(s, "\\\t\n\r\x00") {
		return s
	}
	r := strings.NewReplacer(`\`, `\\`, "\t", `\t`, "\n", `\n`, "\r", `\r`, "\x00", `\0`)
	return r.Replace(s)
}

// LoadFloor loads dumped tables into the (empty) store with LOAD DATA LOCAL
// INFILE, in one transaction as the loader writes, and returns how long the
// statements and the commit took. It takes the fastest path the server
// offers for it: with unique and foreign key checks off for the session,
// MariaDB 10.6 and later insert into a table that was empty when the
// transaction began without undo logging, sorting each index once at
// commit (MDEV-24621), as the loader's own bulk mode does.
func (d *DB) LoadFloor(ctx context.Context, files FloorFiles) (time.Duration, error) {
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return 0, err
	}
	// The session settings die with the connection rather than reach
	// another user of the pool.
	defer func() {
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		conn.Close()
	}()
	if _, err := d.exec(ctx, conn, sq.Expr(bulkChecksOff)); err != nil {
		return 0, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return 0, err
	}
	defer tx.Rollback()
	start := time.Now()
	for _, name := range files.Tables {
		var t storeTable
		for _, s := range storeTables {
			if s.name == name {
				t = s
			}
		}
		path := filepath.Join(files.Dir, name+".tsv")
		mysql.RegisterLocalFile(path)
		stmt := "LOAD DATA LOCAL INFILE '" + strings.ReplaceAll(path, "'", "''") + "' INTO TABLE " + t.name +
			` CHARACTER SET utf8mb4 FIELDS TERMINATED BY '\t' ESCAPED BY '\\' LINES TERMINATED BY '\n' (` +
			strings.Join(t.columns, ", ") + ")"
		if d.flavor == FlavorMariaDB {
			stmt = "SET STATEMENT max_statement_time = 0 FOR " + stmt
		}
		_, err := d.exec(ctx, tx, sq.Expr(stmt))
		mysql.DeregisterLocalFile(path)
		if err != nil {
			return 0, fmt.Errorf("load %s: %w", name, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// BufferPoolBytes is the server's InnoDB buffer pool size.
func (d *DB) BufferPoolBytes(ctx context.Context) (int64, error) {
	var n int64
	err := d.scanPrimary(ctx, sq.Expr("SELECT @@innodb_buffer_pool_size"), func(rows *sql.Rows) error { return rows.Scan(&n) })
	return n, err
}

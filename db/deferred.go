package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	sq "github.com/Masterminds/squirrel"
)

// A first load into an empty store would otherwise spend most of its time
// maintaining the secondary indexes of episodes, diagnoses, procedures and
// patients row by row, in random order, through a buffer pool much smaller
// than they are. Dropping them before and building them after turns that
// into one sorted build per index. Only indexes no foreign key needs and
// no uniqueness rests on are deferred; each is recorded in
// deferred_indexes, with the clause that rebuilds it, before it is
// dropped, so that a load killed half way is repaired by the next
// migrate (every command runs one at start).

// bulkTables are the tables whose indexes a first load defers.
var bulkTables = []string{"patients", "episodes", "diagnoses", "procedures"}

// indexDef is one secondary index as information_schema describes it.
type indexDef struct {
	table, name string
	unique      bool
	columns     []string // column names, with a prefix length where one is set: "code(3)"
}

func (x indexDef) clause() string {
	return "ADD INDEX `" + x.name + "` (" + strings.Join(x.columns, ", ") + ")"
}

// indexes returns the indexes of tables other than PRIMARY, by table.
func (d *DB) indexes(ctx context.Context, tables []string) (map[string][]indexDef, error) {
	q := builder.Select("TABLE_NAME", "INDEX_NAME", "NON_UNIQUE", "COLUMN_NAME", "SUB_PART").
		From("information_schema.STATISTICS").
		Where("TABLE_SCHEMA = DATABASE()").Where(sq.Eq{"TABLE_NAME": tables}).Where("INDEX_NAME <> 'PRIMARY'").
		OrderBy("TABLE_NAME", "INDEX_NAME", "SEQ_IN_INDEX")
	out := map[string][]indexDef{}
	err := d.scanPrimary(ctx, q, func(rows *sql.Rows) error {
		var table, name, col string
		var nonUnique int
		var sub sql.NullInt64
		if err := rows.Scan(&table, &name, &nonUnique, &col, &sub); err != nil {
			return err
		}
		if sub.Valid {
			col = fmt.Sprintf("`%s`(%d)", col, sub.Int64)
		} else {
			col = "`" + col + "`"
		}
		list := out[table]
		if n := len(list); n > 0 && list[n-1].name == name {
			list[n-1].columns = append(list[n-1].columns, col)
		} else {
			list = append(list, indexDef{table: table, name: name, unique: nonUnique == 0, columns: []string{col}})
		}
		out[table] = list
		return nil
	})
	return out, err
}

// foreignKeyColumns returns the column lists of the foreign keys declared on
// tables, by table.
func (d *DB) foreignKeyColumns(ctx context.Context, tables []string) (map[string][][]string, error) {
	q := builder.Select("TABLE_NAME", "CONSTRAINT_NAME", "COLUMN_NAME").From("information_schema.KEY_COLUMN_USAGE").
		Where("TABLE_SCHEMA = DATABASE()").Where(sq.Eq{"TABLE_NAME": tables}).Where("REFERENCED_TABLE_NAME IS NOT NULL").
		OrderBy("TABLE_NAME", "CONSTRAINT_NAME", "ORDINAL_POSITION")
	out := map[string][][]string{}
	var lastTable, lastFK string
	err := d.scanPrimary(ctx, q, func(rows *sql.Rows) error {
		var table, fk, col string
		if err := rows.Scan(&table, &fk, &col); err != nil {
			return err
		}
		col = "`" + col + "`"
		if table == lastTable && fk == lastFK {
			l := out[table]
			l[len(l)-1] = append(l[len(l)-1], col)
		} else {
			out[table] = append(out[table], []string{col})
		}
		lastTable, lastFK = table, fk
		return nil
	})
	return out, err
}

// primaryColumns returns the primary key columns of tables.
func (d *DB) primaryColumns(ctx context.Context, tables []string) (map[string][]string, error) {
	q := builder.Select("TABLE_NAME", "COLUMN_NAME").From("information_schema.STATISTICS").
		Where("TABLE_SCHEMA = DATABASE()").Where(sq.Eq{"TABLE_NAME": tables}).Where("INDEX_NAME = 'PRIMARY'").
		OrderBy("TABLE_NAME", "SEQ_IN_INDEX")
	out := map[string][]string{}
	err := d.scanPrimary(ctx, q, func(rows *sql.Rows) error {
		var table, col string
		if err := rows.Scan(&table, &col); err != nil {
			return err
		}
		out[table] = append(out[table], "`"+col+"`")
		return nil
	})
	return out, err
}

// deferrable picks the indexes a bulk load may drop: not unique, and not
// the one index a foreign key relies on (an index whose leading columns are
// the key's; the primary key or a unique index serves if it can).
func (d *DB) deferrable(ctx context.Context, tables []string) ([]indexDef, error) {
	idx, err := d.indexes(ctx, tables)
	if err != nil {
		return nil, err
	}
	fks, err := d.foreignKeyColumns(ctx, tables)
	if err != nil {
		return nil, err
	}
	pks, err := d.primaryColumns(ctx, tables)
	if err != nil {
		return nil, err
	}
	leads := func(cols, fk []string) bool {
		return len(cols) >= len(fk) && slices.Equal(cols[:len(fk)], fk)
	}
	var out []indexDef
	for _, table := range tables {
		keep := map[string]bool{}
		for _, fk := range fks[table] {
			if leads(pks[table], fk) {
				continue
			}
			best := -1
			for i, x := range idx[table] {
				if !leads(x.columns, fk) {
					continue
				}
				if x.unique {
					best = i
					break
				}
				if best < 0 || len(x.columns) < len(idx[table][best].columns) {
					best = i
				}
			}
			if best >= 0 {
				keep[idx[table][best].name] = true
			}
		}
		for _, x := range idx[table] {
			if !x.unique && !keep[x.name] {
				out = append(out, x)
			}
		}
	}
	return out, nil
}

// StoreEmpty reports whether the store holds no patient and no episode.
func (d *DB) StoreEmpty(ctx context.Context) (bool, error) {
	var n int
	err := d.scanPrimary(ctx, sq.Expr("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM patients LIMIT 1) p) + (SELECT COUNT(*) FROM (SELECT 1 FROM episodes LIMIT 1) e)"),
		func(rows *sql.Rows) error { return rows.Scan(&n) })
	return n == 0, err
}

// DeferIndexes drops the deferrable secondary indexes when the store is
// empty, recording each first, and reports whether it did. RestoreIndexes
// builds them again.
func (d *DB) DeferIndexes(ctx context.Context) (bool, error) {
	empty, err := d.StoreEmpty(ctx)
	if err != nil || !empty {
		return false, err
	}
	return d.deferIndexesOf(ctx, bulkTables)
}

// deferIndexesOf records and drops the deferrable indexes of tables, and
// reports whether there were any.
func (d *DB) deferIndexesOf(ctx context.Context, tables []string) (bool, error) {
	defs, err := d.deferrable(ctx, tables)
	if err != nil || len(defs) == 0 {
		return false, err
	}
	ins := builder.Insert("deferred_indexes").Columns("table_name", "index_name", "definition").
		Suffix("ON DUPLICATE KEY UPDATE definition = VALUES(definition)")
	byTable := map[string][]string{}
	for _, x := range defs {
		ins = ins.Values(x.table, x.name, x.clause())
		byTable[x.table] = append(byTable[x.table], "DROP INDEX `"+x.name+"`")
	}
	if _, err := d.exec(ctx, d.sql, ins); err != nil {
		return false, fmt.Errorf("record deferred indexes: %w", err)
	}
	for _, table := range tables {
		if len(byTable[table]) == 0 {
			continue
		}
		if _, err := d.exec(ctx, d.sql, sq.Expr("ALTER TABLE "+table+" "+strings.Join(byTable[table], ", "))); err != nil {
			return true, fmt.Errorf("defer indexes of %s: %w", table, err)
		}
	}
	return true, nil
}

// RestoreIndexes builds every index recorded in deferred_indexes that the
// table lacks, one ALTER TABLE per table, and clears the record.
//
// One ALTER adds all of a table's indexes so that InnoDB reads the
// clustered index once for them all. The tables are built at the same time
// on restoreWorkers connections, largest first: the server sorts each
// build on one thread, so with one build at a time a second core sits idle
// while episodes, by far the largest, is sorted.
func (d *DB) RestoreIndexes(ctx context.Context) error {
	return d.restoreIndexesOf(ctx, restoreOrder)
}

// RestoreEpisodeIndexes is RestoreIndexes for the episodes table alone, and
// RestoreOtherIndexes for every other table: together they are
// RestoreIndexes, for a caller that uses the time the episodes' build,
// by far the longest, leaves a connection and a core free (a first bulk
// load writes its spells then, internal/load).
func (d *DB) RestoreEpisodeIndexes(ctx context.Context) error {
	return d.restoreIndexesOf(ctx, restoreOrder[:1])
}

// RestoreOtherIndexes: see RestoreEpisodeIndexes. They are built one
// after another, on one connection beside the episodes' build.
func (d *DB) RestoreOtherIndexes(ctx context.Context) error {
	return d.restoreIndexesWith(ctx, restoreOrder[1:], 1)
}

// restoreIndexesOf is RestoreIndexes for some of restoreOrder's tables,
// for a build that must not wait for another's tables.
func (d *DB) restoreIndexesOf(ctx context.Context, tables []string) error {
	return d.restoreIndexesWith(ctx, tables, restoreWorkers)
}

// restoreIndexesWith is restoreIndexesOf on the given number of
// connections.
func (d *DB) restoreIndexesWith(ctx context.Context, tables []string, workers int) error {
	type rec struct{ table, name, def string }
	var recs []rec
	err := d.scanPrimary(ctx, builder.Select("table_name", "index_name", "definition").From("deferred_indexes").
		Where(sq.Eq{"table_name": tables}).OrderBy("table_name", "index_name"), func(rows *sql.Rows) error {
		var r rec
		if err := rows.Scan(&r.table, &r.name, &r.def); err != nil {
			return err
		}
		recs = append(recs, r)
		return nil
	})
	if err != nil || len(recs) == 0 {
		return err
	}
	have, err := d.indexes(ctx, tables)
	if err != nil {
		return err
	}
	byTable := map[string][]string{}
	for _, r := range recs {
		if !slices.ContainsFunc(have[r.table], func(x indexDef) bool { return x.name == r.name }) {
			byTable[r.table] = append(byTable[r.table], r.def)
		}
	}
	order := slices.DeleteFunc(slices.Clone(restoreOrder), func(t string) bool { return !slices.Contains(tables, t) })
	errs := make([]error, len(order))
	var wg sync.WaitGroup
	sem := make(chan struct{}, workers)
	for i, table := range order {
		if len(byTable[table]) == 0 {
			continue
		}
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			stmt := "ALTER TABLE " + table + " " + strings.Join(byTable[table], ", ")
			if d.flavor == FlavorMariaDB {
				stmt = "SET STATEMENT max_statement_time = 0 FOR " + stmt
			}
			if _, err := d.exec(ctx, d.sql, sq.Expr(stmt)); err != nil {
				errs[i] = fmt.Errorf("build deferred indexes of %s: %w", table, err)
			}
		}()
	}
	wg.Wait()
	// A record is cleared only once its table's build has succeeded; the
	// rest stay for the next migrate to retry.
	for i, table := range order {
		if errs[i] != nil {
			continue
		}
		if _, err := d.exec(ctx, d.sql, builder.Delete("deferred_indexes").Where(sq.Eq{"table_name": table})); err != nil {
			errs[i] = err
		}
	}
	return errors.Join(errs...)
}

// restoreOrder is bulkTables, largest (most secondary index data) first,
// so that the longest build starts at once and the others share the
// remaining worker, then spellTables.
var restoreOrder = []string{"episodes", "diagnoses", "patients", "procedures", "spells"}

// restoreWorkers is how many tables' indexes are built at once.
const restoreWorkers = 2

package db

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/hesgql/hesgql/graph/model"
)

// The published tables are counted in one pass over the episodes. One
// statement evaluates the FCE rule and every dimension's expression of the
// base-table statement (so the two cannot differ) once per episode, and
// returns the episodes in patient order; every dimension set is counted
// here as the rows arrive. A grouped statement per set would scan and sort
// every episode once per set (36 times). Patient order is what keeps
// distinct patients exact without remembering patients: all of a
// patient's episodes arrive together, so each group counts the patient
// once, when the patient's last episode has arrived.

// aggCount is one group's counts.
type aggCount struct{ episodes, admissions, patients int64 }

// dimValues numbers one dimension's values in the order first seen;
// 0 is the unrecorded value (NULL).
type dimValues struct {
	ids  map[string]uint32
	vals []string // by number; vals[0] is unused
}

// id numbers a value. The episodes' collations pad with spaces, so values
// that differ only by trailing spaces are one group, as in GROUP BY.
func (v *dimValues) id(b sql.RawBytes) uint32 {
	if b == nil {
		return 0
	}
	b = bytes.TrimRight(b, " ")
	if id, ok := v.ids[string(b)]; ok {
		return id
	}
	id := uint32(len(v.vals))
	v.ids[string(b)] = id
	v.vals = append(v.vals, string(b))
	return id
}

// aggSet is one dimension set being counted: its dimensions' positions in
// the published list (b < 0 for a single dimension) and its groups, keyed
// by the values' numbers.
type aggSet struct {
	a, b   int
	groups map[uint64]*aggCount
	seen   []uint64 // groups of the current patient
}

func (s *aggSet) key(ep []uint32) uint64 {
	if s.b < 0 {
		return uint64(ep[s.a])
	}
	return uint64(ep[s.a])<<32 | uint64(ep[s.b])
}

// aggCounter counts every set of up to two published dimensions.
type aggCounter struct {
	dims []model.Dimension
	vals []dimValues
	sets []*aggSet
	// The current patient's episodes: their values' numbers, and whether
	// each is an admission (EPIORDER 1).
	patient int64
	eps     [][]uint32
	adm     []bool
	n       int
}

func newAggCounter(dims []model.Dimension) *aggCounter {
	c := &aggCounter{dims: dims, vals: make([]dimValues, len(dims)), patient: -1}
	for i := range c.vals {
		c.vals[i] = dimValues{ids: map[string]uint32{}, vals: []string{""}}
	}
	for i := range dims {
		c.sets = append(c.sets, &aggSet{a: i, b: -1, groups: map[uint64]*aggCount{}})
		for j := i + 1; j < len(dims); j++ {
			c.sets = append(c.sets, &aggSet{a: i, b: j, groups: map[uint64]*aggCount{}})
		}
	}
	return c
}

// add counts one episode; episodes must arrive in patient order.
func (c *aggCounter) add(patient int64, admission bool, values []sql.RawBytes) {
	if patient != c.patient {
		c.flush()
		c.patient = patient
	}
	if c.n == len(c.eps) {
		c.eps = append(c.eps, make([]uint32, len(c.dims)))
		c.adm = append(c.adm, false)
	}
	ep := c.eps[c.n]
	for i, v := range values {
		ep[i] = c.vals[i].id(v)
	}
	c.adm[c.n] = admission
	c.n++
}

// flush counts the current patient's episodes into every set.
func (c *aggCounter) flush() {
	eps := c.eps[:c.n]
	for _, s := range c.sets {
		s.seen = s.seen[:0]
		for i, ep := range eps {
			k := s.key(ep)
			g := s.groups[k]
			if g == nil {
				g = &aggCount{}
				s.groups[k] = g
			}
			g.episodes++
			if c.adm[i] {
				g.admissions++
			}
			// A patient has few episodes: a scan of those seen is cheaper
			// than a set.
			first := true
			for _, x := range s.seen {
				if x == k {
					first = false
					break
				}
			}
			if first {
				s.seen = append(s.seen, k)
				g.patients++
			}
		}
	}
	c.n = 0
}

// aggInsertRows bounds the rows of one multi-row INSERT of groups.
const aggInsertRows = 1000

// write inserts every set's groups into stats_aggregates.
func (d *DB) writeAggregates(ctx context.Context, tx *sql.Tx, c *aggCounter) error {
	cols := []string{"dims", "k0", "n0", "k1", "n1", "episodes", "admissions", "patients"}
	ins, n := builder.Insert("stats_aggregates").Columns(cols...), 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		_, err := d.exec(ctx, tx, ins)
		ins, n = builder.Insert("stats_aggregates").Columns(cols...), 0
		return err
	}
	value := func(dim int, id uint32) (k, num any, err error) {
		if id == 0 {
			return nil, nil, nil
		}
		v := c.vals[dim].vals[id]
		if !dimensions[c.dims[dim]].numeric {
			return v, nil, nil
		}
		x, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, nil, fmt.Errorf("published tables: %s value %q is not a number", c.dims[dim], v)
		}
		return v, x, nil
	}
	for _, s := range c.sets {
		name := string(c.dims[s.a])
		if s.b >= 0 {
			name += "," + string(c.dims[s.b])
		}
		for key, g := range s.groups {
			var k1, n1 any
			var err error
			ka, kb := uint32(key), uint32(0)
			if s.b >= 0 {
				ka, kb = uint32(key>>32), uint32(key)
				if k1, n1, err = value(s.b, kb); err != nil {
					return err
				}
			}
			k0, n0, err := value(s.a, ka)
			if err != nil {
				return err
			}
			ins, n = ins.Values(name, k0, n0, k1, n1, g.episodes, g.admissions, g.patients), n+1
			if n == aggInsertRows {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// countAggregates reads every finished consultant episode once, in patient
// order, and counts every set of up to two published dimensions.
func (d *DB) countAggregates(ctx context.Context, tx *sql.Tx) (*aggCounter, error) {
	all := PublishedDimensions()
	cols := []string{"e.patient_id", "e.epiorder"}
	for _, g := range all {
		cols = append(cols, dimensions[g].expr)
	}
	text, args, err := builder.Select(cols...).From("episodes e").Where(fceCond).OrderBy("e.patient_id").ToSql()
	if err != nil {
		return nil, err
	}
	if d.flavor == FlavorMariaDB {
		// A full count at 10M episodes can outlast the API's statement
		// limit, which is meant for requests, not for loads.
		text = "SET STATEMENT max_statement_time = 0 FOR " + text
	}
	c := newAggCounter(all)
	var patient int64
	var epiorder sql.NullInt64
	values := make([]sql.RawBytes, len(all))
	dest := []any{&patient, &epiorder}
	for i := range values {
		dest = append(dest, &values[i])
	}
	err = d.scanWith(ctx, tx, rawSQL{text, args}, func(r *sql.Rows) error {
		if err := r.Scan(dest...); err != nil {
			return err
		}
		c.add(patient, epiorder.Valid && epiorder.Int64 == 1, values)
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.flush()
	return c, nil
}

// RefreshAggregates rebuilds the published tables for the newest committed
// data release, in one transaction, so that readers see either the old
// tables or the new ones. The load calls it after it commits.
func (d *DB) RefreshAggregates(ctx context.Context) error {
	start := time.Now()
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return unavailable(ctx, err)
	}
	defer tx.Rollback()
	var release int64
	if err := d.scanWith(ctx, tx, builder.Select("COALESCE(MAX(id), 0)").From("data_releases").Where("checksum <> ''"),
		func(r *sql.Rows) error { return r.Scan(&release) }); err != nil {
		return err
	}
	// Counted in the transaction's snapshot, which the release's read began.
	c, err := d.countAggregates(ctx, tx)
	if err != nil {
		return err
	}
	for _, q := range []string{"DELETE FROM stats_aggregates", "DELETE FROM stats_aggregate_builds"} {
		if _, err := d.exec(ctx, tx, rawSQL{text: q}); err != nil {
			return err
		}
	}
	if err := d.writeAggregates(ctx, tx, c); err != nil {
		return err
	}
	if _, err := d.exec(ctx, tx, builder.Insert("stats_aggregate_builds").Columns("release_id", "built_at").
		Values(release, time.Now().UTC())); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return unavailable(ctx, err)
	}
	d.agg.setRelease(release)
	d.log.InfoContext(ctx, "published tables built", "release", release, "took", time.Since(start).Round(time.Millisecond))
	return nil
}

package db

import (
	"context"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// A listing in id order filtered by a broad code prefix (diagnosis
// startsWith "L40", with or without procedure startsWith "S06") starts from
// the code table. Written as EXISTS on episodes, MariaDB materialises every
// episode id of the prefix (74k for L40 at 1M episodes) and joins them all
// before the LIMIT applies: ~200 ms at 1M, ten times that at 10M. From the
// (code3, episode_id, code) index the episodes of a category come in id
// order, so the listing reads them in that order, checks the other
// conditions on each, and stops when the page is full: the statement here
// picks the page's ids from the code table in a derived table, and only
// they are read from episodes.

// codeDriver is the code filter a listing can start from.
type codeDriver struct {
	table  string // diagnoses or procedures
	prefix string // the normalised prefix, at least 3 characters
}

// drivingCode returns the top-level code filter of f that can drive an id
// ordered listing: a single startsWith prefix long enough to be one code3
// value. Of a diagnosis and a procedure prefix the longer, which names
// fewer codes, drives; on a tie the diagnosis, whose categories are the
// narrower in dermatology (L40 is in 7% of the generated episodes, S06 in
// 24%).
func drivingCode(f *model.EpisodeFilter) (codeDriver, bool) {
	if f == nil {
		return codeDriver{}, false
	}
	single := func(c *model.CodeFilter) string {
		if c == nil || c.StartsWith == nil || c.Eq != nil || c.In != nil || c.StartsWithAny != nil {
			return ""
		}
		if v := normCode(*c.StartsWith); len(v) >= 3 {
			return v
		}
		return ""
	}
	diag, proc := single(f.Diagnosis), ""
	if f.Procedure != nil && f.Procedure.Classification == nil {
		proc = single(f.Procedure)
	}
	switch {
	case diag != "" && len(diag) >= len(proc):
		return codeDriver{"diagnoses", diag}, true
	case proc != "":
		return codeDriver{"procedures", proc}, true
	}
	return codeDriver{}, false
}

// codeDrivenListing returns the statement of a listing page that starts
// from its driving code filter, or false when the listing has none or is
// not in id order. cols are the episode columns read (alias e). The filter
// has been validated by episodeListing.
func (d *DB) codeDrivenListing(ctx context.Context, q model.EpisodeQuery, ord ordering, w window, cols string) (sq.SelectBuilder, bool, error) {
	drv, ok := drivingCode(q.Filter)
	if !ok || q.PatientID != 0 || len(ord.keys) > 0 {
		return sq.SelectBuilder{}, false, nil
	}
	al := &aliases{}
	x := al.next(drv.table[:1])
	rest := *q.Filter
	var match sq.Sqlizer
	var err error
	if drv.table == "diagnoses" {
		rest.Diagnosis = nil
		match, err = diagnosisMatch(q.Filter.Diagnosis, x, "filter.diagnosis", false, true)
	} else {
		rest.Procedure = nil
		match, err = codeCond(q.Filter.Procedure, x+".code", x+".code3", opcs4Kind, "filter.procedure")
	}
	if err != nil {
		return sq.SelectBuilder{}, false, err
	}
	// The page's ids, in the code index's order; GROUP BY, served by that
	// order, counts an episode with two matching codes once.
	ids := ord
	ids.idCol = x + ".episode_id"
	inner := builder.Select(ids.idCol).From(drv.table + " " + x).Where(match)
	// The other code filter is checked on the driver's episode id, so
	// that it is an index lookup before any episode row is read.
	switch {
	case rest.Procedure != nil:
		other, err := codeExists(rest.Procedure, "procedures", ids.idCol, opcs4Kind, "filter.procedure", al, true)
		if err != nil {
			return sq.SelectBuilder{}, false, err
		}
		inner, rest.Procedure = inner.Where(other), nil
	case rest.Diagnosis != nil:
		other, err := diagnosisExists(rest.Diagnosis, ids.idCol, "filter.diagnosis", al, false, true)
		if err != nil {
			return sq.SelectBuilder{}, false, err
		}
		inner, rest.Diagnosis = inner.Where(other), nil
	}
	cond, err := episodeCond(&rest, "e", "filter", al)
	if err != nil {
		return sq.SelectBuilder{}, false, err
	}
	scope := episodeScope(ctx, "e")
	if c, ok := cond.(sq.And); !ok || len(c) > 0 || scope != nil {
		inner = inner.Join("episodes e ON e.id = " + ids.idCol).Where(cond)
		if scope != nil {
			inner = inner.Where(scope)
		}
	}
	if w.after != nil {
		inner = inner.Where(ids.seek(*w.after, false))
	}
	if w.before != nil {
		inner = inner.Where(ids.seek(*w.before, true))
	}
	limit := uint64(w.limit + 1)
	inner = inner.GroupBy(ids.idCol).OrderBy(ids.orderBy(w.backward)...).Limit(limit)
	return builder.Select(cols).FromSelect(inner, "k").Join("episodes e ON e.id = k.episode_id").
		OrderBy(ord.orderBy(w.backward)...).Limit(limit), true, nil
}

package db

import (
	"context"
	"database/sql"
	"slices"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// ListEpisodesForPatients answers the same episode listing (filter,
// ordering, window, selected fields) for each of several patients at once,
// as Patient.episodes does for every patient on a page. One statement reads
// the first limit+1 rows of every patient with ROW_NUMBER() over a
// per-patient window, so a page of patients costs one query, not one per
// patient. Each connection is exactly what ListEpisodes would return for
// that patient, cursors included.
//
// Cursors belong to one patient's listing, so a request continuing from a
// cursor is answered patient by patient.
func (d *DB) ListEpisodesForPatients(ctx context.Context, patientIDs []int64, q model.EpisodeQuery) (map[int64]*model.EpisodeConnection, error) {
	ids := patientIDsOnce(patientIDs)
	if q.Page.After != nil || q.Page.Before != nil {
		return eachPatient(ids, func(id int64) (*model.EpisodeConnection, error) {
			one := q
			one.PatientID = id
			return d.ListEpisodes(ctx, one)
		})
	}
	out := make(map[int64]*model.EpisodeConnection, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ord, err := episodeOrdering("e", q.OrderBy, "")
	if err != nil {
		return nil, err
	}
	w, err := d.pageWindow(ord, q.Page)
	if err != nil {
		return nil, err
	}
	all := q
	all.PatientID = 0
	base, err := d.episodeListing(ctx, all)
	if err != nil {
		return nil, err
	}
	base = base.Where(sq.Eq{"e.patient_id": ids})

	r := newEpisodeReader(q.Fields, ord)
	window := "PARTITION BY e.patient_id ORDER BY " + strings.Join(ord.orderBy(w.backward), ", ")
	inner := base.Column(r.columns("e")).Column("ROW_NUMBER() OVER (" + window + ") AS rn")
	outer := builder.Select(r.columns("w")).Column("w.rn")
	if q.Total {
		inner = inner.Column("COUNT(*) OVER (PARTITION BY e.patient_id) AS total")
		outer = outer.Column("w.total")
	}
	outer = outer.FromSelect(inner, "w").Where(sq.LtOrEq{"w.rn": w.limit + 1}).OrderBy("w.patient_id", "w.rn")
	er := r.rows()
	var rn int64
	var total int
	extra := []any{int64Col{&rn}}
	if q.Total {
		extra = append(extra, intCol{&total})
	}
	// The rows come patient by patient (ORDER BY w.patient_id, w.rn).
	fetched := newRuns[*model.Episode](len(ids), len(ids)*min(w.limit+1, 8))
	var totals map[int64]int // each patient's, when the total is asked for
	if q.Total {
		totals = make(map[int64]int, len(ids))
	}
	if err := d.scanAll(ctx, outer, func(rs *sql.Rows) error {
		e, err := er.scan(rs, extra...)
		if err != nil {
			return err
		}
		fetched.add(e.PatientID, e)
		if q.Total {
			totals[e.PatientID] = total
		}
		return nil
	}); err != nil {
		return nil, err
	}
	rows := fetched.grouped()
	for _, id := range ids {
		one := q
		one.PatientID = id
		if q.Total {
			n := totals[id]
			one.KnownTotal = &n
		}
		// Each patient's cursors are bound to that patient's listing, as
		// ListEpisodes makes them, so they continue there. A page that
		// signs no cursor needs no binding: working it out (JSON and
		// SHA-256) per patient was a few per cent of a nested listing.
		po := ord
		if !q.NoCursors {
			po.binding = bindingOf("episodes", q.OrderBy, q.Filter, id)
		}
		out[id] = d.episodePage(one, po, w, rows[id])
	}
	return out, nil
}

// patientIDsOnce sorts ids and drops repeats, so one statement serves each
// patient once whatever the page held.
func patientIDsOnce(ids []int64) []int64 {
	out := slices.Clone(ids)
	slices.Sort(out)
	return slices.Compact(out)
}

// eachPatient answers a nested listing patient by patient through one, as
// requests continuing from a cursor must be: a cursor belongs to one
// patient's listing.
func eachPatient[C any](ids []int64, one func(id int64) (C, error)) (map[int64]C, error) {
	out := make(map[int64]C, len(ids))
	for _, id := range ids {
		c, err := one(id)
		if err != nil {
			return nil, err
		}
		out[id] = c
	}
	return out, nil
}

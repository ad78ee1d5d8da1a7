package db

import (
	"context"
	"database/sql"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// DataReleases lists the loaded extracts, newest first.
func (d *DB) DataReleases(ctx context.Context) ([]*model.DataRelease, error) {
	q := builder.Select("id", "file_name", "checksum", "financial_years", "rows_read", "rows_loaded",
		"rows_updated", "rows_rejected", "loaded_at").
		From("data_releases").Where("checksum <> ''").OrderBy("loaded_at DESC", "id DESC")
	out := []*model.DataRelease{}
	byID := map[int64]*model.DataRelease{}
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		var r model.DataRelease
		var id int64
		var years string
		if err := rows.Scan(&id, &r.FileName, &r.Checksum, &years, &r.RowsRead, &r.RowsLoaded,
			&r.RowsUpdated, &r.RowsRejected, &r.LoadedAt); err != nil {
			return err
		}
		r.ID = model.GlobalID("DataRelease", id)
		r.FinancialYears = []string{}
		if years != "" {
			r.FinancialYears = strings.Split(years, ",")
		}
		r.Warnings = []*model.ColumnWarnings{}
		out = append(out, &r)
		byID[id] = &r
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	w := builder.Select("release_id", "column_name", "warnings").From("data_release_warnings").
		Where(sq.Eq{"release_id": ids}).OrderBy("release_id", "warnings DESC", "column_name")
	err = d.scanAll(ctx, w, func(rows *sql.Rows) error {
		var id int64
		var c model.ColumnWarnings
		if err := rows.Scan(&id, &c.Column, &c.Count); err != nil {
			return err
		}
		r := byID[id]
		r.Warnings = append(r.Warnings, &c)
		r.WarningCount += c.Count
		return nil
	})
	return out, err
}

// EpisodeCount returns the number of episodes stored; serve uses it to
// decide whether to load demo data.
func (d *DB) EpisodeCount(ctx context.Context) (int64, error) {
	var n int64
	err := d.scanAll(ctx, builder.Select("COUNT(*)").From("episodes"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

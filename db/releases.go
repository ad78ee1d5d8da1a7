package db

import (
	"context"
	"database/sql"
	"strings"

	"github.com/hesgql/hesgql/graph/model"
)

// DataReleases lists the loaded extracts, newest first.
func (d *DB) DataReleases(ctx context.Context) ([]*model.DataRelease, error) {
	q := builder.Select("id", "file_name", "checksum", "financial_years", "rows_read", "rows_loaded",
		"rows_updated", "rows_rejected", "loaded_at").
		From("data_releases").Where("checksum <> ''").OrderBy("loaded_at DESC", "id DESC")
	out := []*model.DataRelease{}
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
		out = append(out, &r)
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

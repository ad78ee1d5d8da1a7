package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/hes"
)

// DiagnosesByEpisode returns the diagnoses of the given episodes with their
// descriptions, grouped by episode id and in position order. Callers have
// already scoped the episode ids.
func (d *DB) DiagnosesByEpisode(ctx context.Context, episodeIDs []int64) (map[int64][]*model.Diagnosis, error) {
	q := builder.Select("x.episode_id", "x.position", "x.code", "x.classification", "COALESCE(c.description, c9.description)").
		From("diagnoses x").
		LeftJoin("icd10_codes c ON c.code = x.code AND x.classification = 'ICD10'").
		LeftJoin("icd9_codes c9 ON c9.code = x.code AND x.classification = 'ICD9'").
		Where(sq.Eq{"x.episode_id": episodeIDs}).OrderBy("x.episode_id", "x.position")
	out := make(map[int64][]*model.Diagnosis, len(episodeIDs))
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		var x model.Diagnosis
		var desc sql.NullString
		var cls string
		if err := rows.Scan(&x.EpisodeID, &x.Position, &x.Code, &cls, &desc); err != nil {
			return err
		}
		x.Description = strPtr(desc)
		x.Classification = model.DiagnosisClassification(cls)
		chapter := hes.ICD10Chapter
		if x.Classification == model.DiagnosisClassificationIcd9 {
			chapter = hes.ICD9Chapter
		}
		if numeral, _, ok := chapter(x.Code); ok {
			x.Chapter = &numeral
		}
		out[x.EpisodeID] = append(out[x.EpisodeID], &x)
		return nil
	})
	return out, err
}

// ProceduresByEpisode returns the procedures of the given episodes with their
// descriptions, grouped by episode id and in position order.
func (d *DB) ProceduresByEpisode(ctx context.Context, episodeIDs []int64) (map[int64][]*model.Procedure, error) {
	q := builder.Select("x.episode_id", "x.position", "x.code", "x.op_date", "c.description").
		From("procedures x").LeftJoin("opcs4_codes c ON c.code = x.code").
		Where(sq.Eq{"x.episode_id": episodeIDs}).OrderBy("x.episode_id", "x.position")
	out := make(map[int64][]*model.Procedure, len(episodeIDs))
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		var x model.Procedure
		var desc sql.NullString
		var date sql.NullTime
		if err := rows.Scan(&x.EpisodeID, &x.Position, &x.Code, &date, &desc); err != nil {
			return err
		}
		x.Description, x.Date = strPtr(desc), datePtr(date)
		out[x.EpisodeID] = append(out[x.EpisodeID], &x)
		return nil
	})
	return out, err
}

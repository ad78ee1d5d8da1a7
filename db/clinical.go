package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/hes"
)

var diagnosesByEpisode = newIDStatement(func(episodeIDs []int64) sq.Sqlizer {
	return builder.Select("x.episode_id", "x.position", "x.code", "x.classification", "COALESCE(c.description, c9.description)").
		From("diagnoses x").
		LeftJoin("icd10_codes c ON c.code = x.code AND x.classification = 'ICD10'").
		LeftJoin("icd9_codes c9 ON c9.code = x.code AND x.classification = 'ICD9'").
		Where(sq.Eq{"x.episode_id": episodeIDs}).OrderBy("x.episode_id", "x.position")
})

// DiagnosesByEpisode returns the diagnoses of the given episodes with their
// descriptions, grouped by episode id and in position order. Callers have
// already scoped the episode ids.
func (d *DB) DiagnosesByEpisode(ctx context.Context, episodeIDs []int64) (map[int64][]*model.Diagnosis, error) {
	q := diagnosesByEpisode.with(episodeIDs)
	out := newRuns[*model.Diagnosis](len(episodeIDs), 2*len(episodeIDs))
	// Rows are carved from slabs holding each diagnosis beside the strings
	// its optional fields point at: one allocation per slab rather than
	// three per row (the struct, description and chapter), on a listing's
	// hundreds of diagnoses.
	var slab []diagnosisRow
	// Scan destinations escape: one pair per statement, not per row.
	var desc sql.NullString
	var cls sql.RawBytes
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		if len(slab) == 0 {
			slab = make([]diagnosisRow, diagnosisSlab)
		}
		r := &slab[0]
		slab = slab[1:]
		x := &r.d
		if err := rows.Scan(int64Col{&x.EpisodeID}, intCol{&x.Position}, &x.Code, &cls, &desc); err != nil {
			return err
		}
		if desc.Valid {
			r.description = desc.String
			x.Description = &r.description
		}
		x.Classification = classification(cls)
		chapter := hes.ICD10Chapter
		if x.Classification == model.DiagnosisClassificationIcd9 {
			chapter = hes.ICD9Chapter
		}
		if numeral, _, ok := chapter(x.Code); ok {
			r.chapter = numeral
			x.Chapter = &r.chapter
		}
		out.add(x.EpisodeID, x)
		return nil
	})
	return out.grouped(), err
}

// diagnosisSlab is how many diagnosis rows one allocation holds.
const diagnosisSlab = 64

// diagnosisRow is a diagnosis with the strings its pointers refer to.
type diagnosisRow struct {
	d                    model.Diagnosis
	description, chapter string
}

// procedureRow is a procedure with the values its pointers refer to.
type procedureRow struct {
	p           model.Procedure
	description string
	date        model.Date
}

// classification names the stored classification with the model's
// constants, copying no bytes for the two the schema knows.
func classification(b []byte) model.DiagnosisClassification {
	switch string(b) { // no allocation: the conversion is only compared
	case string(model.DiagnosisClassificationIcd10):
		return model.DiagnosisClassificationIcd10
	case string(model.DiagnosisClassificationIcd9):
		return model.DiagnosisClassificationIcd9
	}
	return model.DiagnosisClassification(b)
}

var proceduresByEpisode = newIDStatement(func(episodeIDs []int64) sq.Sqlizer {
	return builder.Select("x.episode_id", "x.position", "x.code", "x.op_date", "c.description").
		From("procedures x").LeftJoin("opcs4_codes c ON c.code = x.code").
		Where(sq.Eq{"x.episode_id": episodeIDs}).OrderBy("x.episode_id", "x.position")
})

// ProceduresByEpisode returns the procedures of the given episodes with their
// descriptions, grouped by episode id and in position order.
func (d *DB) ProceduresByEpisode(ctx context.Context, episodeIDs []int64) (map[int64][]*model.Procedure, error) {
	q := proceduresByEpisode.with(episodeIDs)
	out := newRuns[*model.Procedure](len(episodeIDs), 2*len(episodeIDs))
	// As for diagnoses: rows from slabs, destinations once per statement.
	var slab []procedureRow
	var desc sql.NullString
	var date sql.NullTime
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		if len(slab) == 0 {
			slab = make([]procedureRow, diagnosisSlab)
		}
		r := &slab[0]
		slab = slab[1:]
		x := &r.p
		if err := rows.Scan(int64Col{&x.EpisodeID}, intCol{&x.Position}, &x.Code, &date, &desc); err != nil {
			return err
		}
		if desc.Valid {
			r.description = desc.String
			x.Description = &r.description
		}
		x.Date = dateIn(date, &r.date)
		out.add(x.EpisodeID, x)
		return nil
	})
	return out.grouped(), err
}

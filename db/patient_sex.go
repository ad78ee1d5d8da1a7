package db

import (
	"context"
	"fmt"

	sq "github.com/Masterminds/squirrel"
)

// episodes.patient_sex repeats the patient's sex on each of their episodes
// so that tabulations by sex read episodes alone (the covering index
// episodes_fce) instead of joining every episode to its patient. The loader
// writes it with each episode; syncEpisodeSex carries a change of a stored
// patient's sex to the episodes written before it.

// syncEpisodeSex sets patient_sex of the given patients' episodes to the
// patients' stored sex.
func (l *Load) syncEpisodeSex(ctx context.Context, patientIDs []int64) error {
	if len(patientIDs) == 0 {
		return nil
	}
	in, args, err := sq.Eq{"e.patient_id": patientIDs}.ToSql()
	if err != nil {
		return err
	}
	_, err = l.write(ctx, sq.Expr("UPDATE episodes e JOIN patients p ON p.id = e.patient_id SET e.patient_sex = p.sex "+
		"WHERE "+in+" AND NOT (e.patient_sex <=> p.sex)", args...))
	if err != nil {
		return fmt.Errorf("carry patient sex to episodes: %w", err)
	}
	return nil
}

package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/internal/hes"
)

// Load writes one extract inside a single transaction, so that a file that
// fails part way leaves nothing behind. Episodes are upserted by EPIKEY:
// loading the same or an overlapping extract again replaces rows rather than
// duplicating them.
type Load struct {
	d         *DB
	tx        *sql.Tx
	releaseID int64
}

// WriteCounts says what one Write did.
type WriteCounts struct {
	Loaded  int // episodes written, new or replacing an existing one
	Updated int // of those, episodes that replaced an existing EPIKEY
}

// ReleaseSummary is recorded in data_releases when a load commits.
type ReleaseSummary struct {
	FileName       string
	Checksum       string
	FinancialYears []string
	Read           int
	Loaded         int
	Updated        int
	Rejected       int
}

// BeginLoad starts a load transaction and reserves its data_releases row.
func (d *DB) BeginLoad(ctx context.Context, fileName string) (*Load, error) {
	tx, err := d.sql.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	now := time.Now().UTC()
	res, err := d.exec(ctx, tx, builder.Insert("data_releases").
		Columns("file_name", "checksum", "rows_read", "rows_loaded", "rows_updated", "rows_rejected", "started_at", "loaded_at").
		Values(fileName, "", 0, 0, 0, 0, now, now))
	if err != nil {
		tx.Rollback()
		return nil, fmt.Errorf("record release: %w", err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		tx.Rollback()
		return nil, err
	}
	return &Load{d: d, tx: tx, releaseID: id}, nil
}

// Rollback abandons the load; nothing it wrote remains.
func (l *Load) Rollback() error { return l.tx.Rollback() }

// Commit records the release summary and makes the load visible.
func (l *Load) Commit(ctx context.Context, s ReleaseSummary) error {
	_, err := l.d.exec(ctx, l.tx, builder.Update("data_releases").
		Set("file_name", s.FileName).
		Set("checksum", s.Checksum).
		Set("financial_years", strings.Join(s.FinancialYears, ",")).
		Set("rows_read", s.Read).
		Set("rows_loaded", s.Loaded).
		Set("rows_updated", s.Updated).
		Set("rows_rejected", s.Rejected).
		Set("loaded_at", time.Now().UTC()).
		Where(sq.Eq{"id": l.releaseID}))
	if err != nil {
		l.tx.Rollback()
		return fmt.Errorf("record release: %w", err)
	}
	return l.tx.Commit()
}

// Write upserts a batch of cleaned records: their patients, episodes,
// diagnoses and procedures. A repeated EPIKEY within the batch keeps the last
// row, as a later extract would.
func (l *Load) Write(ctx context.Context, recs []hes.Record) (WriteCounts, error) {
	if len(recs) == 0 {
		return WriteCounts{}, nil
	}
	var wc WriteCounts
	wc.Loaded = len(recs)
	recs, dups := lastByEpiKey(recs)
	wc.Updated = dups

	patientIDs, err := l.upsertPatients(ctx, recs)
	if err != nil {
		return WriteCounts{}, err
	}
	keys := make([]string, len(recs))
	for i, r := range recs {
		keys[i] = r.EpiKey
	}
	existing, err := l.episodeIDs(ctx, keys)
	if err != nil {
		return WriteCounts{}, err
	}
	wc.Updated += len(existing)
	if err := l.upsertEpisodes(ctx, recs, patientIDs); err != nil {
		return WriteCounts{}, err
	}
	ids := existing
	if len(existing) < len(recs) {
		if ids, err = l.episodeIDs(ctx, keys); err != nil {
			return WriteCounts{}, err
		}
	}
	if len(existing) > 0 {
		old := make([]int64, 0, len(existing))
		for _, id := range existing {
			old = append(old, id)
		}
		for _, table := range []string{"diagnoses", "procedures"} {
			if _, err := l.d.exec(ctx, l.tx, builder.Delete(table).Where(sq.Eq{"episode_id": old})); err != nil {
				return WriteCounts{}, fmt.Errorf("replace %s: %w", table, err)
			}
		}
	}
	if err := l.insertCodes(ctx, recs, ids); err != nil {
		return WriteCounts{}, err
	}
	return wc, nil
}

func lastByEpiKey(recs []hes.Record) ([]hes.Record, int) {
	last := make(map[string]int, len(recs))
	for i, r := range recs {
		last[r.EpiKey] = i
	}
	if len(last) == len(recs) {
		return recs, 0
	}
	out := make([]hes.Record, 0, len(last))
	for i, r := range recs {
		if last[r.EpiKey] == i {
			out = append(out, r)
		}
	}
	return out, len(recs) - len(out)
}

func (l *Load) upsertPatients(ctx context.Context, recs []hes.Record) (map[string]int64, error) {
	seen := make(map[string]bool, len(recs))
	ins := builder.Insert("patients").
		Columns("pseudo_id", "sex", "ethnicity", "birth_year", "birth_month", "nhs_number", "date_of_birth", "postcode", "region").
		// Attributes come from the latest row that states them; a blank in a
		// newer row does not erase what an older one recorded.
		Suffix(`ON DUPLICATE KEY UPDATE
			sex = COALESCE(VALUES(sex), sex), ethnicity = COALESCE(VALUES(ethnicity), ethnicity),
			birth_year = COALESCE(VALUES(birth_year), birth_year), birth_month = COALESCE(VALUES(birth_month), birth_month),
			nhs_number = COALESCE(VALUES(nhs_number), nhs_number), date_of_birth = COALESCE(VALUES(date_of_birth), date_of_birth),
			postcode = COALESCE(VALUES(postcode), postcode), region = COALESCE(VALUES(region), region)`)
	var pseudo []string
	for i := len(recs) - 1; i >= 0; i-- { // last row wins within the batch
		r := recs[i]
		if seen[r.PseudoID] {
			continue
		}
		seen[r.PseudoID] = true
		pseudo = append(pseudo, r.PseudoID)
		ins = ins.Values(r.PseudoID, nullStr(r.Sex), nullStr(r.Ethnicity), nullInt(r.BirthYear), nullInt(r.BirthMonth),
			nullStr(r.NHSNumber), nullTime(r.DateOfBirth), nullStr(r.Postcode), nullStr(r.Region))
	}
	if _, err := l.d.exec(ctx, l.tx, ins); err != nil {
		return nil, fmt.Errorf("write patients: %w", err)
	}
	ids := make(map[string]int64, len(pseudo))
	rows, err := l.d.query(ctx, l.tx, builder.Select("id", "pseudo_id").From("patients").Where(sq.Eq{"pseudo_id": pseudo}))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var p string
		if err := rows.Scan(&id, &p); err != nil {
			return nil, err
		}
		ids[p] = id
	}
	return ids, rows.Err()
}

func (l *Load) episodeIDs(ctx context.Context, keys []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(keys))
	rows, err := l.d.query(ctx, l.tx, builder.Select("id", "epikey").From("episodes").Where(sq.Eq{"epikey": keys}))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var k string
		if err := rows.Scan(&id, &k); err != nil {
			return nil, err
		}
		ids[k] = id
	}
	return ids, rows.Err()
}

var episodeColumns = []string{
	"epikey", "patient_id", "release_id", "fyear", "procode3", "sitetret",
	"admidate", "epistart", "epiend", "disdate", "epiorder", "epistat", "epitype", "classpat",
	"admimeth", "admisorc", "dismeth", "disdest", "admincat", "tretspef", "mainspef",
	"startage_code", "start_age", "epidur", "speldur", "primary_diag", "primary_chapter",
}

var episodeUpsertSuffix = func() string {
	var b strings.Builder
	b.WriteString("ON DUPLICATE KEY UPDATE ")
	for i, c := range episodeColumns[1:] {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = VALUES(%s)", c, c)
	}
	return b.String()
}()

func (l *Load) upsertEpisodes(ctx context.Context, recs []hes.Record, patientIDs map[string]int64) error {
	ins := builder.Insert("episodes").Columns(episodeColumns...).Suffix(episodeUpsertSuffix)
	for _, r := range recs {
		pid, ok := patientIDs[r.PseudoID]
		if !ok {
			return fmt.Errorf("patient %s of episode %s was not written", r.PseudoID, r.EpiKey)
		}
		var age any
		if y, ok := hes.StartAgeYears(r.StartAge); ok {
			age = y
		}
		var primary, chapter any
		if len(r.Diagnoses) > 0 && r.Diagnoses[0].Position == 1 {
			primary = r.Diagnoses[0].Code
			if n, ok := hes.ICD10ChapterNumber(r.Diagnoses[0].Code); ok {
				chapter = n
			}
		}
		ins = ins.Values(r.EpiKey, pid, l.releaseID, r.FYear, nullStr(r.ProviderCode), nullStr(r.SiteCode),
			nullTime(r.AdmissionDate), nullTime(r.EpisodeStart), nullTime(r.EpisodeEnd), nullTime(r.DischargeDate),
			nullInt(r.EpisodeOrder), nullStr(r.EpisodeStatus), nullStr(r.EpisodeType), nullStr(r.PatientClass),
			nullStr(r.AdmissionMethod), nullStr(r.AdmissionSource), nullStr(r.DischargeMethod), nullStr(r.DischargeDestination),
			nullStr(r.AdminCategory), nullStr(r.TreatmentSpecialty), nullStr(r.MainSpecialty),
			nullInt(r.StartAge), age, nullInt(r.EpisodeDuration), nullInt(r.SpellDuration), primary, chapter)
	}
	if _, err := l.d.exec(ctx, l.tx, ins); err != nil {
		return fmt.Errorf("write episodes: %w", err)
	}
	return nil
}

func (l *Load) insertCodes(ctx context.Context, recs []hes.Record, ids map[string]int64) error {
	diag := builder.Insert("diagnoses").Columns("episode_id", "position", "code")
	proc := builder.Insert("procedures").Columns("episode_id", "position", "code", "op_date")
	var nd, np int
	for _, r := range recs {
		id := ids[r.EpiKey]
		for _, x := range r.Diagnoses {
			diag = diag.Values(id, x.Position, x.Code)
			nd++
		}
		for _, x := range r.Procedures {
			proc = proc.Values(id, x.Position, x.Code, nullTime(x.Date))
			np++
		}
	}
	if nd > 0 {
		if _, err := l.d.exec(ctx, l.tx, diag); err != nil {
			return fmt.Errorf("write diagnoses: %w", err)
		}
	}
	if np > 0 {
		if _, err := l.d.exec(ctx, l.tx, proc); err != nil {
			return fmt.Errorf("write procedures: %w", err)
		}
	}
	return nil
}

func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func nullInt(n sql.NullInt64) any {
	if !n.Valid {
		return nil
	}
	return n.Int64
}

func nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Format("2006-01-02")
}

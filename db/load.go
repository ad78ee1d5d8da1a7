package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/internal/hes"
)

// Load writes one extract inside a single transaction, so that a file that
// fails part way leaves nothing behind. Episodes are upserted by EPIKEY:
// loading the same or an overlapping extract again replaces rows rather than
// duplicating them.
//
// Most of a load's time is the server maintaining the episodes table's
// indexes, so the client keeps its own share small: new rows go in as one
// bulk statement per table (LOAD DATA LOCAL INFILE where the server allows
// it, else a multi-row INSERT), their auto-increment ids are worked out from
// the first id rather than read back, and patients already written in this
// load are not looked up or rewritten unless a row changes them.
type Load struct {
	d         *DB
	tx        *sql.Tx
	releaseID int64
	// infile says LOAD DATA LOCAL INFILE may be used; the server refuses it
	// when its local_infile is OFF (MySQL 8's default).
	infile bool
	// patients remembers the rows this load has written or read, by
	// pseudo_id, with their stored attributes.
	patients map[string]*patientRow
	// fresh says the store held no patient or episode when the load began
	// and the caches still hold everything this load wrote: nothing can be
	// found by looking up, so the lookups are skipped. epiIDs are the
	// episodes written so far, by EPIKEY.
	fresh  bool
	epiIDs map[string]int64
	conn   *sql.Conn
	// bulk is set by Bulk: the session runs without unique and foreign key
	// checks and bulk-inserted ids are trusted without reading them back.
	bulk bool
	// publishLater leaves the published tables to Publish.
	publishLater bool
	// written collects the episodes of a bulk load into an empty store for
	// WriteSpells (db/spells_loaded.go); nil when not collecting.
	written *loadedEpisodes
	// codes writes the diagnoses and procedures of a bulk load on a
	// connection of its own (db/load_codes.go); nil: on the load's.
	codes *codeWriter
	// codesLocked says the load's session holds codesLock.
	codesLocked bool
	committed   bool
}

// maxFreshEpisodes bounds epiIDs; past it the load looks episodes up again.
const maxFreshEpisodes = 4_000_000

// maxPatientCache bounds the per-load patient memory; past it the cache
// starts again, which costs lookups but never correctness.
const maxPatientCache = 2_000_000

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
	// Warnings counts the field-level problems of the loaded rows by HES
	// column.
	Warnings map[string]int
}

// BeginLoad starts a load transaction and reserves its data_releases row.
func (d *DB) BeginLoad(ctx context.Context, fileName string) (_ *Load, err error) {
	if err := d.clearOrphanCodes(ctx); err != nil {
		return nil, err
	}
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		conn.Close()
		return nil, err
	}
	// The connection is the load's own so that the session settings of
	// Bulk never reach another user of the pool.
	defer func() {
		if err != nil {
			conn.Close()
		}
	}()
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
	l := &Load{d: d, conn: conn, tx: tx, releaseID: id, patients: map[string]*patientRow{}}
	var infile sql.NullInt64
	if err := l.queryRow(ctx, sq.Expr("SELECT @@local_infile"), &infile); err != nil {
		tx.Rollback()
		return nil, err
	}
	l.infile = infile.Valid && infile.Int64 == 1
	var stored int
	if err := l.queryRow(ctx, sq.Expr("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM patients LIMIT 1) p) + (SELECT COUNT(*) FROM (SELECT 1 FROM episodes LIMIT 1) e)"), &stored); err != nil {
		tx.Rollback()
		return nil, err
	}
	if stored == 0 {
		l.fresh, l.epiIDs = true, map[string]int64{}
	}
	return l, nil
}

// Rollback abandons the load; nothing it wrote remains.
func (l *Load) Rollback() error {
	if l.codes != nil {
		l.codes.rollback()
		l.codes = nil
	}
	err := l.tx.Rollback()
	l.written = nil
	l.release()
	return err
}

// Bulk switches a load into an empty store to InnoDB's bulk insert: with
// unique and foreign key checks off for the session, rows inserted into an
// empty table in a transaction are not undo-logged one by one but sorted
// and written a page at a time at commit, for every index. The checks are
// safe to skip here: the store was empty, the load writes each patient and
// episode once (its own caches dedupe them) and every foreign key points at
// a row it wrote first. The auto-increment ids of each bulk statement are
// consecutive under innodb_autoinc_lock_mode 0 or 1, so they need not be
// read back, which would end bulk mode.
func (l *Load) Bulk(ctx context.Context) error {
	if !l.fresh {
		return nil
	}
	var mode sql.NullInt64
	if err := l.queryRow(ctx, sq.Expr("SELECT @@innodb_autoinc_lock_mode"), &mode); err != nil {
		return err
	}
	if !mode.Valid || mode.Int64 > 1 {
		return nil
	}
	if _, err := l.d.exec(ctx, l.tx, sq.Expr(bulkChecksOff)); err != nil {
		return err
	}
	l.bulk = true
	l.written = newLoadedEpisodes()
	if !l.lockCodes(ctx) {
		return nil
	}
	codes, err := l.startCodeWriter(ctx)
	if err != nil {
		return err
	}
	l.codes = codes
	return nil
}

// Bulked reports whether Bulk switched the load to bulk insert.
func (l *Load) Bulked() bool { return l.bulk }

// release hands the load's connection back, with the session settings
// restored; a connection that cannot be restored is closed instead.
func (l *Load) release() {
	if l.conn == nil {
		return
	}
	if l.bulk {
		restoreChecks(l.conn)
	}
	if l.codesLocked {
		unlockCodes(l.conn)
	}
	l.conn.Close()
	l.conn = nil
}

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
	if err == nil && len(s.Warnings) > 0 {
		ins := builder.Insert("data_release_warnings").Columns("release_id", "column_name", "warnings")
		for _, col := range slices.Sorted(maps.Keys(s.Warnings)) {
			ins = ins.Values(l.releaseID, col, s.Warnings[col])
		}
		_, err = l.d.exec(ctx, l.tx, ins)
	}
	if err != nil {
		l.Rollback()
		return fmt.Errorf("record release: %w", err)
	}
	codesCommitted := false
	if l.codes != nil {
		err := l.codes.commit()
		l.codes = nil
		if err != nil {
			l.Rollback()
			return err
		}
		codesCommitted = true
	}
	if err := l.tx.Commit(); err != nil {
		l.release()
		if codesCommitted {
			// Otherwise the next load clears them.
			err = errors.Join(err, l.d.clearOrphanCodes(context.WithoutCancel(ctx)))
		}
		return err
	}
	l.committed = true
	l.release()
	// Replicas without this release leave rotation at once.
	l.d.releaseCommitted(l.releaseID)
	if !l.publishLater {
		l.Publish(ctx)
	}
	return nil
}

// PublishLater leaves the published tables of the release to Publish, for
// a caller that first builds deferred indexes: counting on tables without
// them takes longer than the build.
func (l *Load) PublishLater() { l.publishLater = true }

// Publish builds the committed release's published tables
// (db/aggregates.go). The load itself has succeeded: without them
// statistics count on the base tables, more slowly but with the same
// answers.
func (l *Load) Publish(ctx context.Context) {
	if err := l.d.RefreshAggregates(ctx); err != nil {
		l.d.log.WarnContext(ctx, "published tables not rebuilt: statistics count on the base tables", "err", err)
	}
}

// Write upserts a batch of cleaned records: their patients, episodes,
// diagnoses and procedures. A repeated EPIKEY within the batch keeps the last
// row, as a later extract would.
func (l *Load) Write(ctx context.Context, recs []hes.Record) (WriteCounts, error) {
	if len(recs) == 0 {
		return WriteCounts{}, nil
	}
	wc := WriteCounts{Loaded: len(recs)}
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
	ids, err := l.episodeIDs(ctx, keys)
	if err != nil {
		return WriteCounts{}, err
	}
	defer l.remember(ids, keys)
	wc.Updated += len(ids)
	var fresh, replaced []hes.Record
	for _, r := range recs {
		if _, ok := ids[r.EpiKey]; ok {
			replaced = append(replaced, r)
		} else {
			fresh = append(fresh, r)
		}
	}
	var recode []hes.Record
	if len(replaced) > 0 {
		if recode, err = l.replaceEpisodes(ctx, replaced, patientIDs, ids); err != nil {
			return WriteCounts{}, err
		}
	}
	if len(fresh) > 0 {
		if err := l.insertEpisodes(ctx, fresh, patientIDs, ids); err != nil {
			return WriteCounts{}, err
		}
	}
	if err := l.insertCodes(ctx, fresh, recode, ids); err != nil {
		return WriteCounts{}, err
	}
	l.noteWritten(recs, ids, patientIDs)
	return wc, nil
}

// remember adds the batch's episodes to epiIDs while the load is fresh.
func (l *Load) remember(ids map[string]int64, keys []string) {
	if !l.fresh {
		return
	}
	if len(l.epiIDs)+len(keys) > maxFreshEpisodes {
		l.fresh, l.epiIDs = false, nil
		return
	}
	for _, k := range keys {
		if id, ok := ids[k]; ok {
			l.epiIDs[k] = id
		}
	}
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

// patientAttrs are a patient's stored attributes; "" and invalid mean NULL.
type patientAttrs struct {
	sex, ethnicity        string
	birthYear, birthMonth sql.NullInt64
	nhsNumber, dob        string // dob as YYYY-MM-DD
	postcode, region      string
}

// patientRow is a patients row as this load knows it.
type patientRow struct {
	id    int64
	attrs patientAttrs
}

func attrsOf(r hes.Record) patientAttrs {
	a := patientAttrs{sex: r.Sex, ethnicity: r.Ethnicity, birthYear: r.BirthYear, birthMonth: r.BirthMonth,
		nhsNumber: r.NHSNumber, postcode: r.Postcode, region: r.Region}
	if !r.DateOfBirth.IsZero() {
		a.dob = r.DateOfBirth.Format(time.DateOnly)
	}
	return a
}

// over returns a with the attributes that newer states: a blank in a newer
// row does not erase what an older one recorded.
func (a patientAttrs) over(newer patientAttrs) patientAttrs {
	pick := func(old, new string) string {
		if new != "" {
			return new
		}
		return old
	}
	pickN := func(old, new sql.NullInt64) sql.NullInt64 {
		if new.Valid {
			return new
		}
		return old
	}
	return patientAttrs{
		sex: pick(a.sex, newer.sex), ethnicity: pick(a.ethnicity, newer.ethnicity),
		birthYear: pickN(a.birthYear, newer.birthYear), birthMonth: pickN(a.birthMonth, newer.birthMonth),
		nhsNumber: pick(a.nhsNumber, newer.nhsNumber), dob: pick(a.dob, newer.dob),
		postcode: pick(a.postcode, newer.postcode), region: pick(a.region, newer.region),
	}
}

func (a patientAttrs) values() []any {
	return []any{nullStr(a.sex), nullStr(a.ethnicity), nullInt(a.birthYear), nullInt(a.birthMonth),
		nullStr(a.nhsNumber), nullStr(a.dob), nullStr(a.postcode), nullStr(a.region)}
}

var patientAttrColumns = []string{"sex", "ethnicity", "birth_year", "birth_month", "nhs_number", "date_of_birth", "postcode", "region"}

// patientUpsertSuffix keeps a stored attribute that the written row leaves
// blank, so that a concurrent load's values are merged, not overwritten.
var patientUpsertSuffix = func() string {
	var b strings.Builder
	b.WriteString("ON DUPLICATE KEY UPDATE ")
	for i, c := range patientAttrColumns {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = COALESCE(VALUES(%s), %s)", c, c, c)
	}
	return b.String()
}()

// upsertPatients writes the batch's patients and returns their row ids by
// pseudo_id. Rows are applied in file order, each stated attribute
// replacing the stored one, so the result does not depend on where batch
// boundaries fall.
func (l *Load) upsertPatients(ctx context.Context, recs []hes.Record) (map[string]int64, error) {
	merged := make(map[string]patientAttrs, len(recs))
	var order, unknown []string
	for _, r := range recs {
		a, seen := merged[r.PseudoID]
		if !seen {
			order = append(order, r.PseudoID)
			if l.patients[r.PseudoID] == nil {
				unknown = append(unknown, r.PseudoID)
			}
		}
		merged[r.PseudoID] = a.over(attrsOf(r))
	}
	if len(l.patients)+len(unknown) > maxPatientCache {
		clear(l.patients)
		unknown = order
		l.fresh, l.epiIDs = false, nil
	}
	if len(unknown) > 0 && !l.fresh {
		if err := l.readPatients(ctx, unknown); err != nil {
			return nil, err
		}
	}
	var changed []string
	var fresh []string
	var resexed []int64 // patients whose sex changes: their episodes carry it
	for _, p := range order {
		row := l.patients[p]
		if row == nil {
			fresh = append(fresh, p)
			continue
		}
		if next := row.attrs.over(merged[p]); next != row.attrs {
			if next.sex != row.attrs.sex {
				resexed = append(resexed, row.id)
			}
			row.attrs = next
			changed = append(changed, p)
		}
	}
	if len(changed) > 0 {
		rows := make([][]any, len(changed))
		for i, p := range changed {
			rows[i] = append([]any{p}, l.patients[p].attrs.values()...)
		}
		if err := l.upsertRows(ctx, "patients", append([]string{"pseudo_id"}, patientAttrColumns...), rows, patientUpsertSuffix); err != nil {
			return nil, fmt.Errorf("write patients: %w", err)
		}
		if err := l.syncEpisodeSex(ctx, resexed); err != nil {
			return nil, err
		}
	}
	if len(fresh) > 0 {
		rows := make([][]any, len(fresh))
		for i, p := range fresh {
			rows[i] = append([]any{p}, merged[p].values()...)
		}
		first, err := l.bulkInsert(ctx, "patients", append([]string{"pseudo_id"}, patientAttrColumns...), rows)
		if err != nil {
			return nil, fmt.Errorf("write patients: %w", err)
		}
		ids, err := l.assignedIDs(ctx, "patients", "pseudo_id", fresh, first)
		if err != nil {
			return nil, err
		}
		for i, p := range fresh {
			l.patients[p] = &patientRow{id: ids[i], attrs: merged[p]}
		}
	}
	out := make(map[string]int64, len(order))
	for _, p := range order {
		out[p] = l.patients[p].id
	}
	return out, nil
}

// readPatients caches the stored rows of the given pseudo_ids that exist.
func (l *Load) readPatients(ctx context.Context, pseudo []string) error {
	rows, err := l.d.query(ctx, l.tx, builder.Select(append([]string{"id", "pseudo_id"}, patientAttrColumns...)...).
		From("patients").Where(sq.Eq{"pseudo_id": pseudo}))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var row patientRow
		var p string
		var sex, eth, nhs, post, region sql.NullString
		var dob sql.NullTime
		if err := rows.Scan(&row.id, &p, &sex, &eth, &row.attrs.birthYear, &row.attrs.birthMonth, &nhs, &dob, &post, &region); err != nil {
			return err
		}
		row.attrs.sex, row.attrs.ethnicity, row.attrs.nhsNumber = sex.String, eth.String, nhs.String
		row.attrs.postcode, row.attrs.region = post.String, region.String
		if dob.Valid {
			row.attrs.dob = dob.Time.Format(time.DateOnly)
		}
		l.patients[p] = &row
	}
	return rows.Err()
}

// episodeIDs returns the stored ids of the episodes with the given keys.
func (l *Load) episodeIDs(ctx context.Context, keys []string) (map[string]int64, error) {
	ids := make(map[string]int64, len(keys))
	if l.fresh {
		for _, k := range keys {
			if id, ok := l.epiIDs[k]; ok {
				ids[k] = id
			}
		}
		return ids, nil
	}
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

var episodeWriteColumns = []string{
	"epikey", "patient_id", "release_id", "fyear", "procode3", "sitetret",
	"admidate", "epistart", "epiend", "disdate", "epiorder", "epistat", "epitype", "classpat",
	"admimeth", "admisorc", "dismeth", "disdest", "admincat", "tretspef", "mainspef",
	"startage_code", "start_age", "epidur", "speldur", "primary_diag", "primary_chapter", "patient_sex",
}

// upsertSuffix overwrites cols of the row that the insert collided with.
func upsertSuffix(cols []string) string {
	var b strings.Builder
	b.WriteString("ON DUPLICATE KEY UPDATE ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = VALUES(%s)", c, c)
	}
	return b.String()
}

var episodeUpsertSuffix = upsertSuffix(episodeWriteColumns[1:])

var episodeIDColumns = append([]string{"id"}, episodeWriteColumns...)

func (l *Load) episodeValues(r hes.Record, patientIDs map[string]int64) ([]any, error) {
	pid, ok := patientIDs[r.PseudoID]
	if !ok {
		return nil, fmt.Errorf("patient %s of episode %s was not written", r.PseudoID, r.EpiKey)
	}
	var age any
	if y, ok := hes.StartAgeYears(r.StartAge); ok {
		age = y
	}
	var primary, chapter any
	// primary_diag and primary_chapter tabulate ICD-10 only: an ICD-9
	// primary diagnosis stays in diagnoses, with its classification.
	if len(r.Diagnoses) > 0 && r.Diagnoses[0].Position == 1 && r.Diagnoses[0].Classification == hes.ICD10 {
		primary = r.Diagnoses[0].Code
		if n, ok := hes.ICD10ChapterNumber(r.Diagnoses[0].Code); ok {
			chapter = n
		}
	}
	return []any{r.EpiKey, pid, l.releaseID, r.FYear, nullStr(r.ProviderCode), nullStr(r.SiteCode),
		nullTime(r.AdmissionDate), nullTime(r.EpisodeStart), nullTime(r.EpisodeEnd), nullTime(r.DischargeDate),
		nullInt(r.EpisodeOrder), nullStr(r.EpisodeStatus), nullStr(r.EpisodeType), nullStr(r.PatientClass),
		nullStr(r.AdmissionMethod), nullStr(r.AdmissionSource), nullStr(r.DischargeMethod), nullStr(r.DischargeDestination),
		nullStr(r.AdminCategory), nullStr(r.TreatmentSpecialty), nullStr(r.MainSpecialty),
		nullInt(r.StartAge), age, nullInt(r.EpisodeDuration), nullInt(r.SpellDuration), primary, chapter,
		nullStr(l.patients[r.PseudoID].attrs.sex)}, nil
}

// replaceEpisodes overwrites episodes whose EPIKEY is already stored and
// returns those whose diagnoses or procedures differ from the stored ones,
// after deleting their codes; the caller writes those afresh. A refresh of
// an unchanged extract so rewrites no code at all.
func (l *Load) replaceEpisodes(ctx context.Context, recs []hes.Record, patientIDs, ids map[string]int64) ([]hes.Record, error) {
	rows := make([][]any, 0, len(recs))
	old := make([]int64, 0, len(recs))
	for _, r := range recs {
		v, err := l.episodeValues(r, patientIDs)
		if err != nil {
			return nil, err
		}
		// With its id the row meets its stored self at the primary key:
		// no insert is tried and undone, and no auto-increment value spent.
		rows = append(rows, append([]any{ids[r.EpiKey]}, v...))
		old = append(old, ids[r.EpiKey])
	}
	if err := l.upsertRows(ctx, "episodes", episodeIDColumns, rows, episodeUpsertSuffix); err != nil {
		return nil, fmt.Errorf("write episodes: %w", err)
	}
	if l.codes != nil {
		// The stored codes are in the code writer's transaction, out of
		// this one's sight: all are replaced, deleted first in its queue
		// (insertCodes). Only an EPIKEY repeated within the file gets here.
		return recs, nil
	}
	stored, err := l.storedCodes(ctx, old)
	if err != nil {
		return nil, err
	}
	var changed []hes.Record
	var changedIDs []int64
	for _, r := range recs {
		id := ids[r.EpiKey]
		if stored[id] != codeSignature(r) {
			changed = append(changed, r)
			changedIDs = append(changedIDs, id)
		}
	}
	if len(changedIDs) == 0 {
		return nil, nil
	}
	for _, table := range []string{"diagnoses", "procedures"} {
		if _, err := l.write(ctx, builder.Delete(table).Where(sq.Eq{"episode_id": changedIDs})); err != nil {
			return nil, fmt.Errorf("replace %s: %w", table, err)
		}
	}
	return changed, nil
}

// codeSignature is a record's diagnoses and procedures in one string, in
// the form storedCodes builds from the tables.
func codeSignature(r hes.Record) string {
	var b strings.Builder
	for _, x := range r.Diagnoses {
		fmt.Fprintf(&b, "d%d:%s:%s;", x.Position, x.Code, x.Classification)
	}
	for _, x := range r.Procedures {
		d := ""
		if !x.Date.IsZero() {
			d = x.Date.Format(time.DateOnly)
		}
		fmt.Fprintf(&b, "p%d:%s:%s;", x.Position, x.Code, d)
	}
	return b.String()
}

// storedCodes returns the code signature of each stored episode in ids.
func (l *Load) storedCodes(ctx context.Context, ids []int64) (map[int64]string, error) {
	out := make(map[int64]*strings.Builder, len(ids))
	get := func(id int64) *strings.Builder {
		if out[id] == nil {
			out[id] = &strings.Builder{}
		}
		return out[id]
	}
	err := l.d.scanWith(ctx, l.tx, builder.Select("episode_id", "position", "code", "classification").From("diagnoses").
		Where(sq.Eq{"episode_id": ids}).OrderBy("episode_id", "position"), func(rows *sql.Rows) error {
		var id int64
		var pos int
		var code, cls string
		if err := rows.Scan(&id, &pos, &code, &cls); err != nil {
			return err
		}
		fmt.Fprintf(get(id), "d%d:%s:%s;", pos, code, cls)
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = l.d.scanWith(ctx, l.tx, builder.Select("episode_id", "position", "code", "COALESCE(CAST(op_date AS CHAR), '')").From("procedures").
		Where(sq.Eq{"episode_id": ids}).OrderBy("episode_id", "position"), func(rows *sql.Rows) error {
		var id int64
		var pos int
		var code, date string
		if err := rows.Scan(&id, &pos, &code, &date); err != nil {
			return err
		}
		fmt.Fprintf(get(id), "p%d:%s:%s;", pos, code, date)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sig := make(map[int64]string, len(out))
	for id, b := range out {
		sig[id] = b.String()
	}
	return sig, nil
}

// insertEpisodes writes episodes new to the store and adds their ids to ids.
func (l *Load) insertEpisodes(ctx context.Context, recs []hes.Record, patientIDs, ids map[string]int64) error {
	rows := make([][]any, len(recs))
	keys := make([]string, len(recs))
	for i, r := range recs {
		v, err := l.episodeValues(r, patientIDs)
		if err != nil {
			return err
		}
		rows[i], keys[i] = v, r.EpiKey
	}
	first, err := l.bulkInsert(ctx, "episodes", episodeWriteColumns, rows)
	if err != nil {
		return fmt.Errorf("write episodes: %w", err)
	}
	got, err := l.assignedIDs(ctx, "episodes", "epikey", keys, first)
	if err != nil {
		return err
	}
	for i, k := range keys {
		ids[k] = got[i]
	}
	return nil
}

// insertCodes writes the diagnoses and procedures of fresh episodes and of
// replaced ones, whose stored codes replaceEpisodes deleted or, with a code
// writer, leaves it to delete first.
func (l *Load) insertCodes(ctx context.Context, fresh, replaced []hes.Record, ids map[string]int64) error {
	var b codeBatch
	for _, recs := range [][]hes.Record{fresh, replaced} {
		for _, r := range recs {
			id := ids[r.EpiKey]
			for _, x := range r.Diagnoses {
				b.diagnoses = append(b.diagnoses, []any{id, x.Position, x.Code, x.Classification.String()})
			}
			for _, x := range r.Procedures {
				b.procedures = append(b.procedures, []any{id, x.Position, x.Code, nullTime(x.Date)})
			}
		}
	}
	if l.codes == nil {
		return l.writeCodes(ctx, l.tx, b)
	}
	for _, r := range replaced {
		b.deleteEpisodes = append(b.deleteEpisodes, ids[r.EpiKey])
	}
	return l.codes.send(ctx, b)
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

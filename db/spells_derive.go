package db

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"time"

	sq "github.com/Masterminds/squirrel"
)

// Spells are derived from episodes rather than loaded: HES provider spells
// are the episodes of one patient at one provider (PROCODE3) that share an
// admission date (ADMIDATE). The stored extract has no spell identifier
// (SPELBGIN/SPELEND are not kept), so the grouping key is the spell's
// definition itself. The rules are written out in docs/spells.md; the code
// here is their only implementation.
//
// Derivation is per patient: a spell's readmission flag depends on the
// patient's next spell, so a patient's spells are always rebuilt together,
// and patients not touched by a load keep theirs.

// spellChunk bounds the patients rebuilt per statement round (a variable
// so that a test can make every patient a chunk of its own).
var spellChunk = 2000

// spellEpisode is the part of an episode that spell derivation reads.
type spellEpisode struct {
	id, patientID     int64
	procode3          sql.NullString
	admidate, disdate sql.NullTime
	epistart          sql.NullTime
	epiorder          sql.NullInt64
	admimeth, dismeth sql.NullString
}

// derivedSpell is one spell ready to be written.
type derivedSpell struct {
	id, patientID       int64
	procode3            string
	admidate            time.Time
	disdate             sql.NullTime
	admimeth, dismeth   sql.NullString
	group               int
	los                 sql.NullInt64
	first               int64
	discharging         sql.NullInt64
	episodes            []int64
	emergencyReadmitted bool
}

// Admission method groups, as the statistics dimension numbers them.
const (
	groupElective  = 1
	groupEmergency = 2
	groupMaternity = 3
	groupOther     = 4
	groupUnknown   = 5
)

// admissionMethodGroup groups an ADMIMETH code: 11-13 elective, 21-28 and
// 2A-2D emergency, 31-32 maternity, 98/99 or none unknown, anything else
// other (81-89 transfers and the rest).
func admissionMethodGroup(m sql.NullString) int {
	if !m.Valid {
		return groupUnknown
	}
	switch m.String {
	case "11", "12", "13":
		return groupElective
	case "21", "22", "23", "24", "25", "26", "27", "28", "2A", "2B", "2C", "2D":
		return groupEmergency
	case "31", "32":
		return groupMaternity
	case "98", "99":
		return groupUnknown
	}
	return groupOther
}

// ReadmissionWindowDays is the longest gap, in days from a spell's discharge
// date to the next spell's admission date, that counts as a readmission.
const ReadmissionWindowDays = 30

// deriveSpells groups one patient's episodes (any order) into spells.
// Episodes without a provider or an admission date belong to no spell.
func deriveSpells(eps []spellEpisode) []*derivedSpell {
	type key struct {
		prov string
		adm  time.Time
	}
	groups := map[key][]spellEpisode{}
	var keys []key
	for _, e := range eps {
		if !e.procode3.Valid || !e.admidate.Valid {
			continue
		}
		k := key{e.procode3.String, e.admidate.Time}
		if _, ok := groups[k]; !ok {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], e)
	}
	spells := make([]*derivedSpell, 0, len(keys))
	for _, k := range keys {
		g := groups[k]
		// Episode order within the spell: EPIORDER, then EPISTART, then the
		// row id; unknown values last.
		slices.SortFunc(g, func(a, b spellEpisode) int {
			if c := cmpNullLast(a.epiorder.Valid, b.epiorder.Valid, a.epiorder.Int64, b.epiorder.Int64); c != 0 {
				return c
			}
			if c := cmpNullLast(a.epistart.Valid, b.epistart.Valid, a.epistart.Time.Unix(), b.epistart.Time.Unix()); c != 0 {
				return c
			}
			return cmp.Compare(a.id, b.id)
		})
		s := &derivedSpell{patientID: g[0].patientID, procode3: k.prov, admidate: k.adm, first: g[0].id, id: g[0].id}
		for _, e := range g {
			s.id = min(s.id, e.id)
			s.episodes = append(s.episodes, e.id)
			if !s.admimeth.Valid && e.admimeth.Valid {
				s.admimeth = e.admimeth // the first episode's, or the first recorded
			}
			if e.disdate.Valid { // the last episode with a discharge date discharges
				s.disdate, s.dismeth = e.disdate, e.dismeth
				s.discharging = sql.NullInt64{Int64: e.id, Valid: true}
			}
		}
		s.group = admissionMethodGroup(s.admimeth)
		if s.disdate.Valid {
			if days := daysBetween(s.admidate, s.disdate.Time); days >= 0 {
				s.los = sql.NullInt64{Int64: int64(days), Valid: true}
			}
		}
		spells = append(spells, s)
	}
	// The patient's spells in time order: admission date, then id.
	slices.SortFunc(spells, func(a, b *derivedSpell) int {
		if c := a.admidate.Compare(b.admidate); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	for i, s := range spells[:max(len(spells)-1, 0)] {
		next := spells[i+1]
		if !s.disdate.Valid || next.group != groupEmergency {
			continue
		}
		gap := daysBetween(s.disdate.Time, next.admidate)
		s.emergencyReadmitted = gap >= 0 && gap <= ReadmissionWindowDays
	}
	return spells
}

func cmpNullLast[T cmp.Ordered](aok, bok bool, a, b T) int {
	switch {
	case aok && bok:
		return cmp.Compare(a, b)
	case aok:
		return -1
	case bok:
		return 1
	}
	return 0
}

// daysBetween counts calendar days from a to b (dates at midnight UTC).
func daysBetween(a, b time.Time) int {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	da := time.Date(ay, am, ad, 0, 0, 0, 0, time.UTC)
	db := time.Date(by, bm, bd, 0, 0, 0, 0, time.UTC)
	return int(db.Sub(da).Hours() / 24)
}

// RefreshSpellsForRelease rebuilds the spells of every patient the load
// recorded as release touched: the patients of its episodes now, and the
// patients whose spells held those episodes before (a refresh can move an
// episode to another patient). It is idempotent: running it again changes
// nothing.
func (d *DB) RefreshSpellsForRelease(ctx context.Context, release int64) error {
	q := sq.Expr(`SELECT e.patient_id FROM episodes e WHERE e.release_id = ?
		UNION SELECT s.patient_id FROM episodes e JOIN spell_episodes se ON se.episode_id = e.id
		JOIN spells s ON s.id = se.spell_id WHERE e.release_id = ?`, release, release)
	var ids []int64
	if err := d.scanAll(ctx, q, func(r *sql.Rows) error {
		var id int64
		ids = append(ids, id)
		return r.Scan(&ids[len(ids)-1])
	}); err != nil {
		return fmt.Errorf("spells: %w", err)
	}
	return d.RefreshSpells(ctx, ids)
}

// RebuildSpells derives the spells of every patient again.
func (d *DB) RebuildSpells(ctx context.Context) error {
	var ids []int64
	if err := d.scanAll(ctx, builder.Select("id").From("patients").OrderBy("id"), func(r *sql.Rows) error {
		var id int64
		ids = append(ids, id)
		return r.Scan(&ids[len(ids)-1])
	}); err != nil {
		return fmt.Errorf("spells: %w", err)
	}
	return d.RefreshSpells(ctx, ids)
}

// spellTables are the spell tables whose secondary indexes a large
// derivation into empty tables defers (spell_episodes has one, which its
// foreign key needs).
var spellTables = []string{"spells"}

// deferSpellIndexes drops the spell tables' deferrable indexes, recording
// them first so that a process killed before restore is repaired by the
// next migrate. restore builds them, even when ctx has ended; it builds
// only the spell tables', so that it never waits for another table's build.
func (d *DB) deferSpellIndexes(ctx context.Context) (restore func() error, err error) {
	deferred, err := d.deferIndexesOf(ctx, spellTables)
	if !deferred {
		return func() error { return nil }, err
	}
	return func() error { return d.restoreIndexesOf(context.WithoutCancel(ctx), spellTables) }, err
}

// spellBulkPatients is the number of patients from which a derivation into
// empty spell tables defers their indexes: the spells' six secondary
// indexes, kept row by row, cost more than writing the rows, and one sorted
// build after them costs less. Below it the two ALTER TABLEs would cost
// more than they save. (A variable so that a test can lower it.)
var spellBulkPatients = 20000

// RefreshSpells rebuilds the spells of the given patients in one
// transaction, so that readers see either the old spells or the new ones.
// When the spell tables are empty (a first load) nothing stored is read,
// compared or deleted, and for many patients the indexes are deferred.
func (d *DB) RefreshSpells(ctx context.Context, patientIDs []int64) (err error) {
	if len(patientIDs) == 0 {
		return nil
	}
	ids := slices.Clone(patientIDs)
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) >= spellBulkPatients {
		empty, err := d.spellsEmpty(ctx, d.sql)
		if err != nil {
			return fmt.Errorf("spells: %w", err)
		}
		if empty {
			restore, err := d.deferSpellIndexes(ctx)
			defer func() { err = errors.Join(err, restore()) }()
			if err != nil {
				return fmt.Errorf("spells: %w", err)
			}
		}
	}
	st, err := d.beginSpells(ctx)
	if err != nil {
		return fmt.Errorf("spells: %w", err)
	}
	defer st.close()
	tx, empty, infile := st.tx, st.empty, st.infile
	if empty && d.spareConnections() {
		if err := d.deriveFresh(ctx, tx, ids, infile); err != nil {
			return fmt.Errorf("spells: %w", err)
		}
		return tx.Commit()
	}
	for start := 0; start < len(ids); start += spellChunk {
		if err := d.refreshSpellChunk(ctx, tx, ids[start:min(start+spellChunk, len(ids))], empty, infile); err != nil {
			return fmt.Errorf("spells: %w", err)
		}
	}
	return tx.Commit()
}

// spellTx is a spell derivation's transaction, on a connection of its own
// so that the session settings of bulk insert never reach another user of
// the pool.
type spellTx struct {
	conn *sql.Conn
	tx   *sql.Tx
	// empty says the spell tables held nothing when the transaction began;
	// bulk insert is then on and infile says whether LOAD DATA LOCAL
	// INFILE may write them.
	empty, bulk, infile bool
}

// beginSpells begins a spell derivation's transaction. When the spell
// tables are empty it switches the session to InnoDB's bulk insert (see
// Load.Bulk): rows are sorted into every index at commit instead of being
// inserted one by one in patient order, which is random order for both
// primary keys. The checks are safe to skip: the rows are derived from
// episodes the derivation read or the load wrote, each episode goes to one
// spell, a spell's id is its smallest episode id and its key is what
// grouped its episodes, and no stored spell is deleted, so no cascade is
// missed.
func (d *DB) beginSpells(ctx context.Context) (_ *spellTx, err error) {
	conn, err := d.sql.Conn(ctx)
	if err != nil {
		return nil, unavailable(ctx, err)
	}
	st := &spellTx{conn: conn}
	defer func() {
		if err != nil {
			st.close()
		}
	}()
	if st.tx, err = conn.BeginTx(ctx, nil); err != nil {
		return nil, unavailable(ctx, err)
	}
	if st.empty, err = d.spellsEmpty(ctx, st.tx); err != nil || !st.empty {
		return st, err
	}
	if _, err := st.tx.ExecContext(ctx, bulkChecksOff); err != nil {
		return nil, unavailable(ctx, err)
	}
	st.bulk = true
	var local sql.NullInt64
	if err := d.scanWith(ctx, st.tx, sq.Expr("SELECT @@local_infile"), func(r *sql.Rows) error { return r.Scan(&local) }); err != nil {
		return nil, err
	}
	st.infile = local.Valid && local.Int64 == 1
	return st, nil
}

// close rolls back what was not committed and hands the connection back
// with its session settings restored.
func (st *spellTx) close() {
	if st.tx != nil {
		st.tx.Rollback()
	}
	if st.bulk {
		restoreChecks(st.conn)
	}
	st.conn.Close()
}

// spareConnections reports whether the pool can give a derivation a second
// connection beside its own and the published tables' build, so that
// taking one cannot wait for ever.
func (d *DB) spareConnections() bool {
	max := d.sql.Stats().MaxOpenConnections
	return max == 0 || max >= 4
}

// deriveFresh writes the spells of ids into the empty spell tables, reading
// and deriving the next chunk on a connection of its own while tx writes
// the last: reading costs the server about half of what writing does, and
// the two run on different server threads. The reads see the committed
// episodes as of their own snapshot; no stored spell is read.
func (d *DB) deriveFresh(ctx context.Context, tx *sql.Tx, ids []int64, infile bool) (err error) {
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rconn, err := d.sql.Conn(rctx)
	if err != nil {
		return unavailable(ctx, err)
	}
	defer rconn.Close()
	rtx, err := rconn.BeginTx(rctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return unavailable(ctx, err)
	}
	defer rtx.Rollback()
	chunks := make(chan []*derivedSpell, 1)
	var readErr error
	go func() {
		defer close(chunks)
		for start := 0; start < len(ids); start += spellChunk {
			derived, err := d.deriveChunk(rctx, rtx, ids[start:min(start+spellChunk, len(ids))])
			if err != nil {
				readErr = err
				return
			}
			select {
			case chunks <- derived:
			case <-rctx.Done():
				readErr = rctx.Err()
				return
			}
		}
	}()
	// The reader has stopped before its transaction is rolled back.
	defer func() {
		cancel()
		for range chunks {
		}
	}()
	for derived := range chunks {
		// Chunks hold other patients, so no episode is in two of them.
		if err := d.writeNewSpells(ctx, tx, derived, infile); err != nil {
			return err
		}
	}
	return readErr
}

// deriveChunk reads the episodes of the patients ids and derives their
// spells, in the order of ids.
func (d *DB) deriveChunk(ctx context.Context, q querier, ids []int64) ([]*derivedSpell, error) {
	byPatient := map[int64][]spellEpisode{}
	sel := builder.Select("id", "patient_id", "procode3", "admidate", "disdate", "epistart", "epiorder", "admimeth", "dismeth").
		From("episodes").Where(sq.Eq{"patient_id": ids})
	if err := d.scanWith(ctx, q, sel, func(r *sql.Rows) error {
		var e spellEpisode
		if err := r.Scan(&e.id, &e.patientID, &e.procode3, &e.admidate, &e.disdate, &e.epistart, &e.epiorder, &e.admimeth, &e.dismeth); err != nil {
			return err
		}
		byPatient[e.patientID] = append(byPatient[e.patientID], e)
		return nil
	}); err != nil {
		return nil, err
	}
	var derived []*derivedSpell
	for _, id := range ids {
		derived = append(derived, deriveSpells(byPatient[id])...)
	}
	return derived, nil
}

// spellsEmpty reports whether the spell tables hold nothing.
func (d *DB) spellsEmpty(ctx context.Context, q querier) (bool, error) {
	var stored int
	err := d.scanWith(ctx, q, sq.Expr("SELECT (SELECT COUNT(*) FROM (SELECT 1 FROM spells LIMIT 1) s) + "+
		"(SELECT COUNT(*) FROM (SELECT 1 FROM spell_episodes LIMIT 1) x)"),
		func(r *sql.Rows) error { return r.Scan(&stored) })
	return stored == 0, err
}

// refreshSpellChunk rebuilds the spells of ids; fresh says the spell
// tables held nothing when the transaction began, so that no stored spell
// is read, compared or deleted, and infile that the new spells may be
// written with LOAD DATA LOCAL INFILE.
func (d *DB) refreshSpellChunk(ctx context.Context, tx *sql.Tx, ids []int64, fresh, infile bool) error {
	derived, err := d.deriveChunk(ctx, tx, ids)
	if err != nil {
		return err
	}
	if fresh {
		// Chunks hold other patients, so no episode is in two of them.
		return d.writeNewSpells(ctx, tx, derived, infile)
	}
	stored, err := d.storedSpells(ctx, tx, ids)
	if err != nil {
		return err
	}
	// Only what changed is written: a refresh overlapping earlier extracts
	// leaves most spells as they were, and writing is what costs.
	var drop, moved []int64
	var write []*derivedSpell
	for _, sp := range derived {
		fp, ok := stored[sp.id]
		delete(stored, sp.id)
		if ok && fp == sp.fingerprint() {
			continue
		}
		// The id may also be held by another patient's spell, from which an
		// episode moved here; that patient is rebuilt too, maybe in a later
		// chunk, and its spells are re-derived there.
		drop = append(drop, sp.id)
		moved = append(moved, sp.episodes...)
		write = append(write, sp)
	}
	for id := range stored {
		drop = append(drop, id)
	}
	if len(drop) > 0 {
		// spell_episodes rows go with their spells (ON DELETE CASCADE).
		if _, err := d.exec(ctx, tx, builder.Delete("spells").Where(sq.Eq{"id": drop})); err != nil {
			return err
		}
	}
	if len(moved) > 0 {
		// Links of these episodes left in other patients' spells.
		if _, err := d.exec(ctx, tx, builder.Delete("spell_episodes").Where(sq.Eq{"episode_id": moved})); err != nil {
			return err
		}
	}
	return d.insertSpells(ctx, tx, write)
}

// fingerprint is everything stored of a spell, to tell whether it changed.
func (s *derivedSpell) fingerprint() spellPrint {
	return spellFingerprint(s.patientID, s.procode3, s.admidate, s.disdate, s.admimeth, s.group, s.dismeth, s.los,
		s.first, s.discharging, len(s.episodes), s.emergencyReadmitted, s.episodes)
}

// spellPrint is a spell's fingerprint: comparable, so that telling whether
// a spell changed costs no formatting (a refresh compares every spell).
type spellPrint struct {
	patient, first   int64
	prov             string
	adm, dis         int // dates as yyyymmdd; dis 0 for none
	meth, dmeth      sql.NullString
	group, count     int
	los, discharging sql.NullInt64
	readmit          bool
	episodes         string // the episode ids in order, 8 bytes each
}

func spellFingerprint(patient int64, prov string, adm time.Time, dis sql.NullTime, meth sql.NullString, group int,
	dmeth sql.NullString, los sql.NullInt64, first int64, discharging sql.NullInt64, count int, readmit bool, episodes []int64) spellPrint {
	date := func(t time.Time) int {
		y, m, d := t.Date()
		return y*10000 + int(m)*100 + d
	}
	p := spellPrint{patient: patient, first: first, prov: prov, adm: date(adm), meth: meth, dmeth: dmeth,
		group: group, count: count, los: los, discharging: discharging, readmit: readmit}
	if dis.Valid {
		p.dis = date(dis.Time)
	}
	b := make([]byte, 0, 8*len(episodes))
	for _, e := range episodes {
		b = binary.LittleEndian.AppendUint64(b, uint64(e))
	}
	p.episodes = string(b)
	return p
}

// storedSpells reads the fingerprints of the patients' stored spells.
func (d *DB) storedSpells(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]spellPrint, error) {
	links := map[int64][]int64{}
	lq := builder.Select("x.spell_id", "x.episode_id").From("spell_episodes x").Join("spells s ON s.id = x.spell_id").
		Where(sq.Eq{"s.patient_id": ids}).OrderBy("x.spell_id", "x.seq")
	if err := d.scanWith(ctx, tx, lq, func(r *sql.Rows) error {
		var sp, ep int64
		if err := r.Scan(&sp, &ep); err != nil {
			return err
		}
		links[sp] = append(links[sp], ep)
		return nil
	}); err != nil {
		return nil, err
	}
	out := map[int64]spellPrint{}
	q := builder.Select("id", "patient_id", "procode3", "admidate", "disdate", "admimeth", "admimeth_group", "dismeth", "los",
		"first_episode_id", "discharging_episode_id", "episode_count", "emergency_readmission_30d").
		From("spells").Where(sq.Eq{"patient_id": ids})
	err := d.scanWith(ctx, tx, q, func(r *sql.Rows) error {
		var id, patient, first int64
		var prov string
		var adm time.Time
		var dis sql.NullTime
		var meth, dmeth sql.NullString
		var group, count int
		var los, discharging sql.NullInt64
		var readmit bool
		if err := r.Scan(&id, &patient, &prov, &adm, &dis, &meth, &group, &dmeth, &los, &first, &discharging, &count, &readmit); err != nil {
			return err
		}
		out[id] = spellFingerprint(patient, prov, adm, dis, meth, group, dmeth, los, first, discharging, count, readmit, links[id])
		return nil
	})
	return out, err
}

// spellInsertRows bounds the rows of one multi-row INSERT.
const spellInsertRows = 1000

// spellCols and spellLinkCols are the columns written of a spell and of
// its links.
var (
	spellCols = []string{"id", "patient_id", "procode3", "admidate", "disdate", "admimeth",
		"admimeth_group", "dismeth", "los", "first_episode_id", "discharging_episode_id", "episode_count",
		"emergency_readmission_30d"}
	spellLinkCols = []string{"episode_id", "spell_id", "seq"}
)

func (d *DB) insertSpells(ctx context.Context, tx *sql.Tx, spells []*derivedSpell) error {
	linkCols := spellLinkCols
	for start := 0; start < len(spells); start += spellInsertRows {
		part := spells[start:min(start+spellInsertRows, len(spells))]
		rows := make([][]any, len(part))
		for i, s := range part {
			rows[i] = []any{s.id, s.patientID, s.procode3, s.admidate, s.disdate, s.admimeth, s.group, s.dismeth,
				s.los, s.first, s.discharging, len(s.episodes), s.emergencyReadmitted}
		}
		if _, err := d.exec(ctx, tx, multiRowInsert("spells", spellCols, rows, "")); err != nil {
			return err
		}
		// Links are flushed by row count of their own: a spell can hold up to
		// 87 episodes, and a statement takes at most 65535 placeholders.
		var links [][]any
		for _, s := range part {
			for i, e := range s.episodes {
				links = append(links, []any{e, s.id, i + 1})
				if len(links) == spellInsertRows*5 {
					if _, err := d.exec(ctx, tx, multiRowInsert("spell_episodes", linkCols, links, "")); err != nil {
						return err
					}
					links = nil
				}
			}
		}
		if len(links) > 0 {
			if _, err := d.exec(ctx, tx, multiRowInsert("spell_episodes", linkCols, links, "")); err != nil {
				return err
			}
		}
	}
	return nil
}

// writeNewSpells writes spells into tables holding none of them, with
// LOAD DATA LOCAL INFILE when the server allows it.
func (d *DB) writeNewSpells(ctx context.Context, tx *sql.Tx, spells []*derivedSpell, infile bool) error {
	if infile {
		return d.loadSpells(ctx, tx, spells)
	}
	return d.insertSpells(ctx, tx, spells)
}

// loadSpells writes new spells and their links with one LOAD DATA LOCAL
// INFILE per table: the server parses tab-separated rows for much less
// than the same rows as INSERT values.
func (d *DB) loadSpells(ctx context.Context, tx *sql.Tx, spells []*derivedSpell) error {
	if len(spells) == 0 {
		return nil
	}
	if err := d.loadRows(ctx, tx, "spells", spellCols, spellRows(spells)); err != nil {
		return err
	}
	return d.loadRows(ctx, tx, "spell_episodes", spellLinkCols, spellLinkRows(spells))
}

// spellRows are spells as LOAD DATA rows of spellCols: dates as
// yyyy-mm-dd (the connection's time zone is UTC), NULLs as nil (\N, see
// writeField).
func spellRows(spells []*derivedSpell) [][]any {
	date := func(t time.Time) string { return t.In(time.UTC).Format(time.DateOnly) }
	str := func(s sql.NullString) any {
		if s.Valid {
			return s.String
		}
		return nil
	}
	num := func(n sql.NullInt64) any {
		if n.Valid {
			return n.Int64
		}
		return nil
	}
	rows := make([][]any, len(spells))
	for i, s := range spells {
		var dis any
		if s.disdate.Valid {
			dis = date(s.disdate.Time)
		}
		readmit := 0
		if s.emergencyReadmitted {
			readmit = 1
		}
		rows[i] = []any{s.id, s.patientID, s.procode3, date(s.admidate), dis, str(s.admimeth), s.group, str(s.dismeth),
			num(s.los), s.first, num(s.discharging), len(s.episodes), readmit}
	}
	return rows
}

// spellLinkRows are the links of spells as LOAD DATA rows of spellLinkCols.
func spellLinkRows(spells []*derivedSpell) [][]any {
	var links [][]any
	for _, s := range spells {
		for j, e := range s.episodes {
			links = append(links, []any{e, s.id, j + 1})
		}
	}
	return links
}

// loadRows writes rows into table with LOAD DATA LOCAL INFILE, failing
// unless every row was stored as given (see Load.bulkInsert).
func (d *DB) loadRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any) error {
	stmt, done, err := infileStatement(table, cols, rows)
	if err != nil {
		return err
	}
	defer done()
	res, err := d.exec(ctx, tx, stmt)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	var warnings int64
	if err := d.scanWith(ctx, tx, sq.Expr("SELECT @@warning_count"), func(r *sql.Rows) error { return r.Scan(&warnings) }); err != nil {
		return err
	}
	if warnings > 0 || n != int64(len(rows)) {
		return fmt.Errorf("%s: not every row stored as given (%d of %d rows, %d warnings): %s", table, n, len(rows), warnings, warningsOf(ctx, d, tx))
	}
	return nil
}

// ReleaseID is the data_releases row of the load, for deriving its spells
// once it has committed.
func (l *Load) ReleaseID() int64 { return l.releaseID }

// spellsMigration is the migration that creates the spell tables.
const spellsMigration = 7

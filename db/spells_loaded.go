package db

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/hesgql/hesgql/internal/hes"
)

// A first bulk load into an empty store knows every episode it wrote, with
// the ids it gave them, so it derives their spells without reading the
// episodes back (at 1,000,000 episodes on 2 cores the spells took 11.6 s
// this way against 13.2 s read back, docs/spells.md).

// loadedEpisode is what spell derivation needs of one written episode,
// compactly: a million of them take about 40 MB.
type loadedEpisode struct {
	id, patientID    int64
	adm, dis, start  int32 // days since 1970-01-01; noDay when unknown
	order            int32
	hasOrder         bool
	prov, meth, dmet uint16 // index into loadedEpisodes.codes; 0 = none
}

// noDay marks an unknown date of a loadedEpisode.
const noDay = -1 << 31

// loadedEpisodes collects the episodes a fresh bulk load writes, in the
// order written; a replaced episode appears again, later.
type loadedEpisodes struct {
	eps   []loadedEpisode
	codes []string
	index map[string]uint16
}

func newLoadedEpisodes() *loadedEpisodes {
	return &loadedEpisodes{codes: []string{""}, index: map[string]uint16{"": 0}}
}

// code interns s; ok is false when the table is full.
func (le *loadedEpisodes) code(s string) (uint16, bool) {
	if i, ok := le.index[s]; ok {
		return i, true
	}
	if len(le.codes) > 0xFFFF {
		return 0, false
	}
	i := uint16(len(le.codes))
	// A copy, so that the interned code does not keep its input line alive.
	s = string([]byte(s))
	le.codes = append(le.codes, s)
	le.index[s] = i
	return i, true
}

// add records written episodes; it reports false when a value does not fit
// the compact form, after which the collection is useless.
func (le *loadedEpisodes) add(recs []hes.Record, ids, patientIDs map[string]int64) bool {
	for _, r := range recs {
		e := loadedEpisode{id: ids[r.EpiKey], patientID: patientIDs[r.PseudoID],
			adm: dayOf(r.AdmissionDate), dis: dayOf(r.DischargeDate), start: dayOf(r.EpisodeStart)}
		if r.EpisodeOrder.Valid {
			if r.EpisodeOrder.Int64 != int64(int32(r.EpisodeOrder.Int64)) {
				return false
			}
			e.order, e.hasOrder = int32(r.EpisodeOrder.Int64), true
		}
		var ok1, ok2, ok3 bool
		e.prov, ok1 = le.code(r.ProviderCode)
		e.meth, ok2 = le.code(r.AdmissionMethod)
		e.dmet, ok3 = le.code(r.DischargeMethod)
		if !ok1 || !ok2 || !ok3 || e.id == 0 || e.patientID == 0 {
			return false
		}
		le.eps = append(le.eps, e)
	}
	return true
}

func dayOf(t time.Time) int32 {
	if t.IsZero() {
		return noDay
	}
	y, m, d := t.Date()
	return int32(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

func (le *loadedEpisodes) date(day int32) sql.NullTime {
	if day == noDay {
		return sql.NullTime{}
	}
	return sql.NullTime{Time: time.Unix(int64(day)*86400, 0).UTC(), Valid: true}
}

func (le *loadedEpisodes) str(i uint16) sql.NullString {
	if i == 0 {
		return sql.NullString{}
	}
	return sql.NullString{String: le.codes[i], Valid: true}
}

// byPatient calls fn with each patient's episodes as stored: the last
// version of each episode, patients in id order.
func (le *loadedEpisodes) byPatient(fn func([]spellEpisode) error) error {
	eps := le.eps
	// The last write of an id wins: a stable sort keeps writes in order.
	slices.SortStableFunc(eps, func(a, b loadedEpisode) int { return cmp.Compare(a.id, b.id) })
	kept := eps[:0]
	for i, e := range eps {
		if i+1 < len(eps) && eps[i+1].id == e.id {
			continue
		}
		kept = append(kept, e)
	}
	slices.SortFunc(kept, func(a, b loadedEpisode) int {
		if c := cmp.Compare(a.patientID, b.patientID); c != 0 {
			return c
		}
		return cmp.Compare(a.id, b.id)
	})
	var group []spellEpisode
	for i, e := range kept {
		group = append(group, spellEpisode{id: e.id, patientID: e.patientID, procode3: le.str(e.prov),
			admidate: le.date(e.adm), disdate: le.date(e.dis), epistart: le.date(e.start),
			epiorder: sql.NullInt64{Int64: int64(e.order), Valid: e.hasOrder},
			admimeth: le.str(e.meth), dismeth: le.str(e.dmet)})
		if i+1 == len(kept) || kept[i+1].patientID != e.patientID {
			if err := fn(group); err != nil {
				return err
			}
			group = group[:0]
		}
	}
	return nil
}

// noteWritten adds a batch's written episodes to the collection while the
// load can still derive spells from it.
func (l *Load) noteWritten(recs []hes.Record, ids, patientIDs map[string]int64) {
	if l.written == nil {
		return
	}
	if !l.fresh || !l.written.add(recs, ids, patientIDs) {
		l.written = nil
	}
}

// SpellsFromRows reports whether the committed load can write its spells
// from what it wrote (WriteSpells): a bulk load into an empty store whose
// episodes it still holds.
func (l *Load) SpellsFromRows() bool { return l.written != nil && l.committed }

// spellWriteRows bounds the spells of one LOAD DATA statement.
const spellWriteRows = 50000

// WriteSpells derives the spells of the committed load's episodes from
// memory and writes them into the spell tables, which must be empty, in one
// transaction. The collection is released.
func (l *Load) WriteSpells(ctx context.Context) (err error) {
	if !l.SpellsFromRows() {
		return fmt.Errorf("spells: the load holds no episodes to derive them from")
	}
	le := l.written
	l.written = nil
	var spells []*derivedSpell
	patients := 0
	if err := le.byPatient(func(eps []spellEpisode) error {
		patients++
		spells = append(spells, deriveSpells(eps)...)
		return nil
	}); err != nil {
		return err
	}
	le = nil
	if patients >= spellBulkPatients {
		// As in RefreshSpells: one sorted build after the rows costs less
		// than keeping the spells' indexes while writing them.
		restore, err := l.d.deferSpellIndexes(ctx)
		defer func() { err = errors.Join(err, restore()) }()
		if err != nil {
			return fmt.Errorf("spells: %w", err)
		}
	}
	st, err := l.d.beginSpells(ctx)
	if err != nil {
		return fmt.Errorf("spells: %w", err)
	}
	defer st.close()
	if !st.empty {
		return fmt.Errorf("spells: the spell tables are not empty")
	}
	if st.infile && l.d.spareConnections() {
		if err := l.d.loadSpellsTwoWays(ctx, st, spells); err != nil {
			return fmt.Errorf("spells: %w", err)
		}
		return nil
	}
	for start := 0; start < len(spells); start += spellWriteRows {
		part := spells[start:min(start+spellWriteRows, len(spells))]
		if err := l.d.writeNewSpells(ctx, st.tx, part, st.infile); err != nil {
			return fmt.Errorf("spells: %w", err)
		}
	}
	if err := st.tx.Commit(); err != nil {
		return fmt.Errorf("spells: %w", err)
	}
	return nil
}

// loadSpellsTwoWays writes new spells on st and their links on a second
// connection at the same time, in a transaction each: one LOAD DATA keeps
// one server thread busy and leaves the other core mostly idle. The spells
// commit first; should their links' commit then fail, the spells are
// deleted again, so that nothing of the write remains, as when one
// transaction fails.
func (d *DB) loadSpellsTwoWays(ctx context.Context, st *spellTx, spells []*derivedSpell) error {
	lt, err := d.beginSpells(ctx)
	if err != nil {
		return err
	}
	defer lt.close()
	if !lt.empty {
		return fmt.Errorf("the spell tables are not empty")
	}
	linked := make(chan error, 1)
	go func() {
		linked <- d.loadSpellChunks(ctx, lt.tx, "spell_episodes", spellLinkCols, spells, spellLinkRows)
	}()
	err = d.loadSpellChunks(ctx, st.tx, "spells", spellCols, spells, spellRows)
	if lerr := <-linked; err == nil {
		err = lerr
	}
	if err != nil {
		return err
	}
	if err := st.tx.Commit(); err != nil {
		return err
	}
	if err := lt.tx.Commit(); err != nil {
		_, derr := d.sql.ExecContext(context.WithoutCancel(ctx), "DELETE FROM spells")
		return errors.Join(err, derr)
	}
	return nil
}

// loadSpellChunks writes the rows of spells into table, spellWriteRows
// spells per LOAD DATA, so that only one chunk's rows are held at a time.
func (d *DB) loadSpellChunks(ctx context.Context, tx *sql.Tx, table string, cols []string, spells []*derivedSpell, rows func([]*derivedSpell) [][]any) error {
	for start := 0; start < len(spells); start += spellWriteRows {
		if err := d.loadRows(ctx, tx, table, cols, rows(spells[start:min(start+spellWriteRows, len(spells))])); err != nil {
			return err
		}
	}
	return nil
}

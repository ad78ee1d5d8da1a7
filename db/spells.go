package db

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// Reading spells: listings with keyset cursors and the batched lookups of
// nested fields. Every read carries the caller's patient scope, as episode
// reads do (scope.go), so a clinician sees the spells of the patients they
// may see and no others.

// spellSelect lists the spells columns in scanSpell's order.
var spellSelect = []string{"id", "patient_id", "procode3", "admidate", "disdate", "admimeth", "admimeth_group",
	"dismeth", "los", "episode_count", "discharging_episode_id", "emergency_readmission_30d"}

var spellSortColumns = map[model.SpellSortField]sortKey{
	model.SpellSortFieldAdmissionDate: {col: "admidate", kind: kindDate},
	model.SpellSortFieldDischargeDate: {col: "disdate", kind: kindDate},
	model.SpellSortFieldLengthOfStay:  {col: "los", kind: kindInt},
}

// admissionMethodGroups numbers the groups as spells.admimeth_group stores them.
var admissionMethodGroups = map[model.AdmissionMethodGroup]int{
	model.AdmissionMethodGroupElective: groupElective, model.AdmissionMethodGroupEmergency: groupEmergency,
	model.AdmissionMethodGroupMaternity: groupMaternity, model.AdmissionMethodGroupOther: groupOther,
	model.AdmissionMethodGroupUnknown: groupUnknown,
}

// AdmissionMethodGroupOf names a stored group number.
func AdmissionMethodGroupOf(n int) model.AdmissionMethodGroup {
	for g, v := range admissionMethodGroups {
		if v == n {
			return g
		}
	}
	return model.AdmissionMethodGroupUnknown
}

func scanSpell(rows *sql.Rows, extra ...any) (*model.Spell, error) {
	var s model.Spell
	var dis sql.NullTime
	var adm sql.NullTime
	var meth, dmeth sql.NullString
	var los, discharging sql.NullInt64
	dest := append([]any{&s.RowID, &s.PatientID, &s.ProviderCode, &adm, &dis, &meth, &s.Group, &dmeth, &los,
		&s.EpisodeCount, &discharging, &s.EmergencyReadmissionWithin30Days}, extra...)
	if err := rows.Scan(dest...); err != nil {
		return nil, err
	}
	if d := datePtr(adm); d != nil {
		s.AdmissionDate = *d
	}
	s.DischargeDate, s.AdmissionMethod, s.DischargeMethod, s.LengthOfStay = datePtr(dis), strPtr(meth), strPtr(dmeth), intPtr(los)
	if discharging.Valid {
		s.DischargingEpisodeID = &discharging.Int64
	}
	return &s, nil
}

func spellOrdering(alias string, order []*model.SpellOrder, binding string) (ordering, error) {
	terms := make([]sortKey, 0, len(order)+1)
	for i, t := range order {
		k, ok := spellSortColumns[t.Field]
		if !ok {
			return ordering{}, model.InputError(fmt.Sprintf("orderBy[%d].field", i), "unknown sort field %q", t.Field)
		}
		k.desc = t.Direction != nil && *t.Direction == model.SortDirectionDesc
		terms = append(terms, k)
	}
	if len(terms) == 0 {
		// Spells are read in time order unless asked otherwise.
		terms = append(terms, spellSortColumns[model.SpellSortFieldAdmissionDate])
	}
	return newOrdering(alias, terms, binding), nil
}

func spellKeyValue(s *model.Spell, col string) any {
	switch col {
	case "s.admidate":
		return s.AdmissionDate.String()
	case "s.disdate":
		return dateValue(s.DischargeDate)
	case "s.los":
		return intValue(s.LengthOfStay)
	}
	panic("spellKeyValue: no value for sort column " + col) // kept together with spellSortColumns
}

// spellCond translates a SpellFilter over the spells alias s.
func spellCond(f *model.SpellFilter, s, path string, al *aliases) (sq.Sqlizer, error) {
	if f == nil {
		return sq.And{}, nil
	}
	var conds sq.And
	add := func(c sq.Sqlizer, err error) error {
		if err != nil {
			return err
		}
		if c != nil {
			conds = append(conds, c)
		}
		return nil
	}
	if f.AdmissionMethodGroup != nil {
		if len(f.AdmissionMethodGroup) == 0 {
			return nil, model.InputError(path+".admissionMethodGroup", "must list at least one group")
		}
		nums := make([]int, 0, len(f.AdmissionMethodGroup))
		for i, g := range f.AdmissionMethodGroup {
			n, ok := admissionMethodGroups[g]
			if !ok {
				return nil, model.InputError(fmt.Sprintf("%s.admissionMethodGroup[%d]", path, i), "unknown group %q", g)
			}
			nums = append(nums, n)
		}
		conds = append(conds, sq.Eq{s + ".admimeth_group": nums})
	}
	if err := add(stringCond(f.ProviderCode, s+".procode3", path+".providerCode")); err != nil {
		return nil, err
	}
	if err := add(intCond(f.LengthOfStay, s+".los", path+".lengthOfStay")); err != nil {
		return nil, err
	}
	if err := add(dateCond(f.AdmissionDate, s+".admidate", path+".admissionDate")); err != nil {
		return nil, err
	}
	if err := add(dateCond(f.DischargeDate, s+".disdate", path+".dischargeDate")); err != nil {
		return nil, err
	}
	if f.EmergencyReadmissionWithin30Days != nil {
		conds = append(conds, sq.Eq{s + ".emergency_readmission_30d": *f.EmergencyReadmissionWithin30Days})
	}
	// Code filters and hasEpisode each ask for one episode of the spell that
	// matches, through spell_episodes (spell_id, seq, episode_id).
	hasEpisode := func(ef *model.EpisodeFilter, p string) error {
		x, e := al.next("sx"), al.next("se")
		c, err := episodeCond(ef, e, p, al)
		if err != nil {
			return err
		}
		sub := builder.Select("1").From("spell_episodes " + x).Join("episodes " + e + " ON " + e + ".id = " + x + ".episode_id").
			Where(x + ".spell_id = " + s + ".id").Where(c)
		conds = append(conds, existsExpr(sub))
		return nil
	}
	if f.Diagnosis != nil {
		// The episode filter's match, so that an ICD-10 code never finds an
		// ICD-9 one spelt the same and classification is honoured.
		x, dg := al.next("sx"), al.next("sd")
		c, err := diagnosisMatch(f.Diagnosis, dg, path+".diagnosis", false, false)
		if err != nil {
			return nil, err
		}
		conds = append(conds, existsExpr(builder.Select("1").From("spell_episodes "+x).
			Join("diagnoses "+dg+" ON "+dg+".episode_id = "+x+".episode_id").Where(x+".spell_id = "+s+".id").Where(c)))
	}
	if f.Procedure != nil {
		if f.Procedure.Classification != nil {
			return nil, model.InputError(path+".procedure.classification", "applies to diagnoses only: procedures are OPCS-4")
		}
		x, pr := al.next("sx"), al.next("sp")
		c, err := codeCond(f.Procedure, pr+".code", "", opcs4Kind, path+".procedure")
		if err != nil {
			return nil, err
		}
		conds = append(conds, existsExpr(builder.Select("1").From("spell_episodes "+x).
			Join("procedures "+pr+" ON "+pr+".episode_id = "+x+".episode_id").Where(x+".spell_id = "+s+".id").Where(c)))
	}
	if f.HasEpisode != nil {
		if err := hasEpisode(f.HasEpisode, path+".hasEpisode"); err != nil {
			return nil, err
		}
	}
	return conds, nil
}

// spellListing builds the filtered, scoped base query of a spell listing.
func (d *DB) spellListing(ctx context.Context, q model.SpellQuery) (sq.SelectBuilder, error) {
	cond, err := spellCond(q.Filter, "s", "filter", &aliases{})
	if err != nil {
		return sq.SelectBuilder{}, err
	}
	sel := builder.Select().From("spells s").Where(cond)
	if q.PatientID != 0 {
		sel = sel.Where(sq.Eq{"s.patient_id": q.PatientID})
	}
	if sc := scopeOn(ctx, "s.patient_id"); sc != nil {
		sel = sel.Where(sc)
	}
	return sel, nil
}

// ListSpells returns one page of a filtered, ordered spell listing.
func (d *DB) ListSpells(ctx context.Context, q model.SpellQuery) (*model.SpellConnection, error) {
	ord, err := spellOrdering("s", q.OrderBy, bindingOf("spells", q.OrderBy, q.Filter, q.PatientID))
	if err != nil {
		return nil, err
	}
	w, err := d.pageWindow(ord, q.Page)
	if err != nil {
		return nil, err
	}
	sel, err := d.spellListing(ctx, q)
	if err != nil {
		return nil, err
	}
	sel = sel.Columns(qualified("s", spellSelect)...)
	if w.after != nil {
		sel = sel.Where(ord.seek(*w.after, false))
	}
	if w.before != nil {
		sel = sel.Where(ord.seek(*w.before, true))
	}
	sel = sel.OrderBy(ord.orderBy(w.backward)...).Limit(uint64(w.limit + 1))
	rows := make([]*model.Spell, 0, w.limit+1)
	if err := d.scanAll(ctx, sel, func(rs *sql.Rows) error {
		s, err := scanSpell(rs)
		rows = append(rows, s)
		return err
	}); err != nil {
		return nil, err
	}
	return d.spellPage(q, ord, w, rows), nil
}

func (d *DB) spellPage(q model.SpellQuery, ord ordering, w window, rows []*model.Spell) *model.SpellConnection {
	cols := ord.columns()
	rows, cursors, info := keysetPage(d, ord, w, rows, func(s *model.Spell) position {
		pos := position{ID: s.RowID, Values: make([]any, 0, len(cols))}
		for _, col := range cols {
			pos.Values = append(pos.Values, spellKeyValue(s, col))
		}
		return pos
	})
	conn := &model.SpellConnection{Query: q, Edges: make([]*model.SpellEdge, len(rows)), Nodes: rows, PageInfo: info}
	for i, s := range rows {
		conn.Edges[i] = &model.SpellEdge{Cursor: cursors[i], Node: s}
	}
	return conn
}

// CountSpells counts the spells a listing would walk through.
func (d *DB) CountSpells(ctx context.Context, q model.SpellQuery) (int, error) {
	if q.KnownTotal != nil {
		return *q.KnownTotal, nil
	}
	sel, err := d.spellListing(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int
	err = d.scanAll(ctx, sel.Columns("COUNT(*)"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

// ListSpellsForPatients answers one spell listing for each of several
// patients in one statement (ROW_NUMBER over a per-patient window), as
// ListEpisodesForPatients does for episodes. A request continuing from a
// cursor is answered patient by patient, since cursors belong to one
// patient's listing.
func (d *DB) ListSpellsForPatients(ctx context.Context, patientIDs []int64, q model.SpellQuery) (map[int64]*model.SpellConnection, error) {
	ids := patientIDsOnce(patientIDs)
	if q.Page.After != nil || q.Page.Before != nil {
		return eachPatient(ids, func(id int64) (*model.SpellConnection, error) {
			one := q
			one.PatientID = id
			return d.ListSpells(ctx, one)
		})
	}
	out := make(map[int64]*model.SpellConnection, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	ord, err := spellOrdering("s", q.OrderBy, "")
	if err != nil {
		return nil, err
	}
	w, err := d.pageWindow(ord, q.Page)
	if err != nil {
		return nil, err
	}
	all := q
	all.PatientID = 0
	base, err := d.spellListing(ctx, all)
	if err != nil {
		return nil, err
	}
	base = base.Where(sq.Eq{"s.patient_id": ids})
	window := "PARTITION BY s.patient_id ORDER BY " + strings.Join(ord.orderBy(w.backward), ", ")
	inner := base.Columns(qualified("s", spellSelect)...).Column("ROW_NUMBER() OVER (" + window + ") AS rn").
		Column("COUNT(*) OVER (PARTITION BY s.patient_id) AS total")
	outer := builder.Select(qualified("w", spellSelect)...).Column("w.rn").Column("w.total").
		FromSelect(inner, "w").Where(sq.LtOrEq{"w.rn": w.limit + 1}).OrderBy("w.patient_id", "w.rn")
	rows := map[int64][]*model.Spell{}
	totals := map[int64]int{}
	if err := d.scanAll(ctx, outer, func(rs *sql.Rows) error {
		var rn int64
		var total int
		s, err := scanSpell(rs, &rn, &total)
		if err != nil {
			return err
		}
		rows[s.PatientID] = append(rows[s.PatientID], s)
		totals[s.PatientID] = total
		return nil
	}); err != nil {
		return nil, err
	}
	for _, id := range ids {
		one := q
		one.PatientID = id
		n := totals[id]
		one.KnownTotal = &n
		po := ord
		po.binding = bindingOf("spells", q.OrderBy, q.Filter, id)
		out[id] = d.spellPage(one, po, w, rows[id])
	}
	return out, nil
}

// SpellsByID returns the spells with the given ids that are in the caller's
// scope, in no particular order.
func (d *DB) SpellsByID(ctx context.Context, ids []int64) ([]*model.Spell, error) {
	q := builder.Select(qualified("s", spellSelect)...).From("spells s").Where(sq.Eq{"s.id": ids})
	if sc := scopeOn(ctx, "s.patient_id"); sc != nil {
		q = q.Where(sc)
	}
	var out []*model.Spell
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		s, err := scanSpell(rows)
		out = append(out, s)
		return err
	})
	return out, err
}

// SpellsOfEpisodes maps each of the episodes (by row id) that belongs to a
// spell in the caller's scope to that spell, in one statement.
func (d *DB) SpellsOfEpisodes(ctx context.Context, episodeIDs []int64) (map[int64]*model.Spell, error) {
	q := builder.Select(qualified("s", spellSelect)...).Column("x.episode_id").From("spell_episodes x").
		Join("spells s ON s.id = x.spell_id").Where(sq.Eq{"x.episode_id": episodeIDs})
	if sc := scopeOn(ctx, "s.patient_id"); sc != nil {
		q = q.Where(sc)
	}
	out := make(map[int64]*model.Spell, len(episodeIDs))
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		var ep int64
		s, err := scanSpell(rows, &ep)
		out[ep] = s
		return err
	})
	return out, err
}

// EpisodesOfSpells returns the episodes of each spell in spell order, every
// column read, in one statement.
func (d *DB) EpisodesOfSpells(ctx context.Context, spellIDs []int64) (map[int64][]*model.Episode, error) {
	q := builder.Select(allEpisodeColumns.columns("e")).Column("x.spell_id").From("spell_episodes x").
		Join("episodes e ON e.id = x.episode_id").Where(sq.Eq{"x.spell_id": spellIDs}).OrderBy("x.spell_id", "x.seq")
	if sc := episodeScope(ctx, "e"); sc != nil {
		q = q.Where(sc)
	}
	out := make(map[int64][]*model.Episode, len(spellIDs))
	er := allEpisodeColumns.rows()
	var sp int64
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		e, err := er.scan(rows, &sp)
		out[sp] = append(out[sp], e)
		return err
	})
	return out, err
}

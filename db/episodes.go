package db

import (
	"context"
	"database/sql"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// episodeSelect lists the columns scanned by scanEpisode, in order.
var episodeSelect = []string{
	"id", "patient_id", "epikey", "fyear", "procode3", "sitetret",
	"admidate", "epistart", "epiend", "disdate", "epiorder", "epistat", "epitype", "classpat",
	"admimeth", "admisorc", "dismeth", "disdest", "admincat", "tretspef", "mainspef",
	"start_age", "epidur", "speldur",
}

func qualified(alias string, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = alias + "." + c
	}
	return out
}

func scanEpisode(rows *sql.Rows) (*model.Episode, error) {
	var e model.Episode
	var prov, site, stat, typ, class, meth, src, dmeth, ddest, cat, tret, mainsp sql.NullString
	var admi, start, end, dis sql.NullTime
	var order, age, dur, sdur sql.NullInt64
	err := rows.Scan(&e.RowID, &e.PatientID, &e.EpisodeKey, &e.FinancialYear, &prov, &site,
		&admi, &start, &end, &dis, &order, &stat, &typ, &class,
		&meth, &src, &dmeth, &ddest, &cat, &tret, &mainsp,
		&age, &dur, &sdur)
	if err != nil {
		return nil, err
	}
	e.ProviderCode, e.SiteCode = strPtr(prov), strPtr(site)
	e.AdmissionDate, e.EpisodeStart, e.EpisodeEnd, e.DischargeDate = datePtr(admi), datePtr(start), datePtr(end), datePtr(dis)
	e.EpisodeOrder = intPtr(order)
	e.EpisodeStatus, e.EpisodeType, e.PatientClassification = strPtr(stat), strPtr(typ), strPtr(class)
	e.AdmissionMethod, e.AdmissionSource = strPtr(meth), strPtr(src)
	e.DischargeMethod, e.DischargeDestination = strPtr(dmeth), strPtr(ddest)
	e.AdministrativeCategory, e.TreatmentSpecialty, e.MainSpecialty = strPtr(cat), strPtr(tret), strPtr(mainsp)
	e.StartAge, e.EpisodeDuration, e.SpellDuration = intPtr(age), intPtr(dur), intPtr(sdur)
	return &e, nil
}

// episodeKeyValue returns an episode's value for a sort column, in cursor form.
func episodeKeyValue(e *model.Episode, col string) any {
	switch col {
	case "e.epistart":
		return dateValue(e.EpisodeStart)
	case "e.epiend":
		return dateValue(e.EpisodeEnd)
	case "e.admidate":
		return dateValue(e.AdmissionDate)
	case "e.disdate":
		return dateValue(e.DischargeDate)
	case "e.procode3":
		return strValue(e.ProviderCode)
	case "e.start_age":
		return intValue(e.StartAge)
	case "e.epidur":
		return intValue(e.EpisodeDuration)
	case "e.fyear":
		return e.FinancialYear
	}
	panic("episodeKeyValue: no value for sort column " + col) // the sort whitelist and this switch are kept together
}

// EpisodesByID returns the episodes with the given row ids that are in the
// caller's scope, in no particular order.
func (d *DB) EpisodesByID(ctx context.Context, ids []int64) ([]*model.Episode, error) {
	q := builder.Select(qualified("e", episodeSelect)...).From("episodes e").Where(sq.Eq{"e.id": ids})
	if s := episodeScope(ctx, "e"); s != nil {
		q = q.Where(s)
	}
	var out []*model.Episode
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		e, err := scanEpisode(rows)
		out = append(out, e)
		return err
	})
	return out, err
}

// episodeListing builds the filtered, scoped base query of a listing.
func (d *DB) episodeListing(ctx context.Context, q model.EpisodeQuery) (sq.SelectBuilder, error) {
	cond, err := episodeCond(q.Filter, "e", "filter", &aliases{})
	if err != nil {
		return sq.SelectBuilder{}, err
	}
	sel := builder.Select().From("episodes e").Where(cond)
	if q.PatientID != 0 {
		sel = sel.Where(sq.Eq{"e.patient_id": q.PatientID})
	}
	if s := episodeScope(ctx, "e"); s != nil {
		sel = sel.Where(s)
	}
	return sel, nil
}

// ListEpisodes returns one page of a filtered, ordered episode listing.
func (d *DB) ListEpisodes(ctx context.Context, q model.EpisodeQuery) (*model.EpisodeConnection, error) {
	ord, err := episodeOrdering("e", q.OrderBy, bindingOf("episodes", q.OrderBy, q.Filter, q.PatientID))
	if err != nil {
		return nil, err
	}
	w, err := d.pageWindow(ord, q.Page)
	if err != nil {
		return nil, err
	}
	sel, err := d.episodeListing(ctx, q)
	if err != nil {
		return nil, err
	}
	conn := &model.EpisodeConnection{Query: q, Edges: []*model.EpisodeEdge{}, Nodes: []*model.Episode{}}
	if w.limit == 0 {
		conn.PageInfo = w.pageInfo(0, "", "")
		return conn, nil
	}
	sel = sel.Columns(qualified("e", episodeSelect)...)
	if w.after != nil {
		sel = sel.Where(ord.seek(*w.after, false))
	}
	if w.before != nil {
		sel = sel.Where(ord.seek(*w.before, true))
	}
	sel = sel.OrderBy(ord.orderBy(w.backward)...).Limit(uint64(w.limit + 1))
	var rows []*model.Episode
	if err := d.scanAll(ctx, sel, func(r *sql.Rows) error {
		e, err := scanEpisode(r)
		rows = append(rows, e)
		return err
	}); err != nil {
		return nil, err
	}
	fetched := len(rows)
	if fetched > w.limit {
		rows = rows[:w.limit]
	}
	if w.backward {
		reverse(rows)
	}
	for _, e := range rows {
		pos := position{ID: e.RowID, Values: make([]any, 0, len(ord.keys))}
		for _, col := range ord.columns() {
			pos.Values = append(pos.Values, episodeKeyValue(e, col))
		}
		conn.Edges = append(conn.Edges, &model.EpisodeEdge{Cursor: d.encodeCursor(ord, pos), Node: e})
		conn.Nodes = append(conn.Nodes, e)
	}
	start, end := "", ""
	if n := len(conn.Edges); n > 0 {
		start, end = conn.Edges[0].Cursor, conn.Edges[n-1].Cursor
	}
	conn.PageInfo = w.pageInfo(fetched, start, end)
	return conn, nil
}

// CountEpisodes counts the episodes a listing would walk through.
func (d *DB) CountEpisodes(ctx context.Context, q model.EpisodeQuery) (int, error) {
	sel, err := d.episodeListing(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int
	err = d.scanAll(ctx, sel.Columns("COUNT(*)"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

func reverse[T any](s []T) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func strPtr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func datePtr(t sql.NullTime) *model.Date {
	if !t.Valid {
		return nil
	}
	return &model.Date{Time: t.Time.UTC().Truncate(24 * time.Hour)}
}

func dateValue(d *model.Date) any {
	if d == nil {
		return nil
	}
	return d.String()
}

func strValue(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

func intValue(n *int) any {
	if n == nil {
		return nil
	}
	return int64(*n)
}

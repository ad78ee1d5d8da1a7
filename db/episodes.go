package db

import (
	"context"
	"database/sql"
	"strings"
	"time"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// episodeColumn is one readable episodes column and the Episode field that
// shows it. Columns are chosen from this list only, so what a caller
// selects never reaches SQL text.
type episodeColumn struct {
	col   string
	field string // GraphQL field; "" for columns every read needs
	dest  func(*episodeScan) any
}

// episodeScan receives each row of a statement in turn; columns not read
// stay NULL. What a row's episode keeps is copied out into an episodeSlot.
type episodeScan struct {
	id, patient                                                              int64
	key, fyear                                                               string
	prov, site, stat, typ, class, meth, src, dmeth, ddest, cat, tret, mainsp sql.NullString
	admi, start, end, dis                                                    sql.NullTime
	order, age, dur, sdur                                                    sql.NullInt64
}

// episodeSlot is an episode with what its optional fields point at.
type episodeSlot struct {
	e     model.Episode
	strs  [12]string
	dates [4]model.Date
	ints  [4]int
}

var episodeColumns = []episodeColumn{
	{"id", "", func(s *episodeScan) any { return int64Col{&s.id} }},
	{"patient_id", "", func(s *episodeScan) any { return int64Col{&s.patient} }},
	{"epikey", "episodeKey", func(s *episodeScan) any { return &s.key }},
	{"fyear", "financialYear", func(s *episodeScan) any { return &s.fyear }},
	{"procode3", "providerCode", func(s *episodeScan) any { return &s.prov }},
	{"sitetret", "siteCode", func(s *episodeScan) any { return &s.site }},
	{"admidate", "admissionDate", func(s *episodeScan) any { return &s.admi }},
	{"epistart", "episodeStart", func(s *episodeScan) any { return &s.start }},
	{"epiend", "episodeEnd", func(s *episodeScan) any { return &s.end }},
	{"disdate", "dischargeDate", func(s *episodeScan) any { return &s.dis }},
	{"epiorder", "episodeOrder", func(s *episodeScan) any { return nullInt64Col{&s.order} }},
	{"epistat", "episodeStatus", func(s *episodeScan) any { return &s.stat }},
	{"epitype", "episodeType", func(s *episodeScan) any { return &s.typ }},
	{"classpat", "patientClassification", func(s *episodeScan) any { return &s.class }},
	{"admimeth", "admissionMethod", func(s *episodeScan) any { return &s.meth }},
	{"admisorc", "admissionSource", func(s *episodeScan) any { return &s.src }},
	{"dismeth", "dischargeMethod", func(s *episodeScan) any { return &s.dmeth }},
	{"disdest", "dischargeDestination", func(s *episodeScan) any { return &s.ddest }},
	{"admincat", "administrativeCategory", func(s *episodeScan) any { return &s.cat }},
	{"tretspef", "treatmentSpecialty", func(s *episodeScan) any { return &s.tret }},
	{"mainspef", "mainSpecialty", func(s *episodeScan) any { return &s.mainsp }},
	{"start_age", "startAge", func(s *episodeScan) any { return nullInt64Col{&s.age} }},
	{"epidur", "episodeDuration", func(s *episodeScan) any { return nullInt64Col{&s.dur} }},
	{"speldur", "spellDuration", func(s *episodeScan) any { return nullInt64Col{&s.sdur} }},
}

// episodeFieldsWithoutColumns are Episode fields resolved from id and
// patient_id alone (or by loaders). A field in neither this set nor the
// column list is unknown here, and then every column is read rather than
// risk leaving a selected field empty.
var episodeFieldsWithoutColumns = map[string]bool{
	"id": true, "patient": true, "primaryDiagnosis": true, "diagnoses": true, "procedures": true, "__typename": true,
}

// episodeReader reads a chosen subset of episodeColumns.
type episodeReader struct{ cols []int }

// allEpisodeColumns reads every column.
var allEpisodeColumns = newEpisodeReader(nil, ordering{})

// newEpisodeReader reads the columns of the selected fields (nil: all) plus
// id, patient_id and the sort keys of ord, which cursors are made from.
func newEpisodeReader(fields map[string]bool, ord ordering) episodeReader {
	all := fields == nil
	fields = withLabelCodes(fields)
	for f := range fields {
		if !episodeFieldsWithoutColumns[f] && !episodeFieldNames[f] {
			all = true
		}
	}
	keys := map[string]bool{}
	for _, k := range ord.keys {
		keys[k.col[strings.IndexByte(k.col, '.')+1:]] = true
	}
	r := episodeReader{cols: make([]int, 0, len(episodeColumns))}
	for i, c := range episodeColumns {
		if all || c.field == "" || fields[c.field] || keys[c.col] {
			r.cols = append(r.cols, i)
		}
	}
	return r
}

var episodeFieldNames = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range episodeColumns {
		if c.field != "" {
			m[c.field] = true
		}
	}
	return m
}()

// columns returns the read columns qualified by a table alias, as one
// select list: squirrel keeps each column it is given as a part of its
// own, some four allocations apiece to add and to write.
func (r episodeReader) columns(alias string) string {
	var b strings.Builder
	for i, c := range r.cols {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(alias)
		b.WriteByte('.')
		b.WriteString(episodeColumns[c].col)
	}
	return b.String()
}

// rows returns a scanner for the rows of one statement.
func (r episodeReader) rows() *episodeRows { return &episodeRows{r: r} }

// episodeRows scans the rows of one statement. Each row is scanned into
// the same episodeScan, through destinations listed once, and its episode
// is carved from slabs that also hold what its optional fields point at:
// one allocation per slab rather than three or four per row, on pages of
// 50 and more, and only a row's values kept, not its scan buffers.
type episodeRows struct {
	r    episodeReader
	s    episodeScan
	dest []any
	slab []episodeSlot
}

// episodeSlab is how many episode rows one allocation holds.
const episodeSlab = 16

// scan reads one row: the chosen columns, then extra destinations for any
// columns the statement adds after them.
func (er *episodeRows) scan(rows *sql.Rows, extra ...any) (*model.Episode, error) {
	n := len(er.r.cols)
	if er.dest == nil {
		er.dest = make([]any, n, n+len(extra))
		for i, c := range er.r.cols {
			er.dest[i] = episodeColumns[c].dest(&er.s)
		}
	}
	er.dest = append(er.dest[:n], extra...)
	if err := rows.Scan(er.dest...); err != nil {
		return nil, err
	}
	if len(er.slab) == 0 {
		er.slab = make([]episodeSlot, episodeSlab)
	}
	r := &er.slab[0]
	er.slab = er.slab[1:]
	s, e := &er.s, &r.e
	e.RowID, e.PatientID, e.EpisodeKey, e.FinancialYear = s.id, s.patient, s.key, s.fyear
	e.ProviderCode, e.SiteCode = strOut(s.prov, &r.strs[0]), strOut(s.site, &r.strs[1])
	e.AdmissionDate, e.EpisodeStart = dateIn(s.admi, &r.dates[0]), dateIn(s.start, &r.dates[1])
	e.EpisodeEnd, e.DischargeDate = dateIn(s.end, &r.dates[2]), dateIn(s.dis, &r.dates[3])
	e.EpisodeOrder = intIn(s.order, &r.ints[0])
	e.EpisodeStatus, e.EpisodeType = strOut(s.stat, &r.strs[2]), strOut(s.typ, &r.strs[3])
	e.PatientClassification = strOut(s.class, &r.strs[4])
	e.AdmissionMethod, e.AdmissionSource = strOut(s.meth, &r.strs[5]), strOut(s.src, &r.strs[6])
	e.DischargeMethod, e.DischargeDestination = strOut(s.dmeth, &r.strs[7]), strOut(s.ddest, &r.strs[8])
	e.AdministrativeCategory = strOut(s.cat, &r.strs[9])
	e.TreatmentSpecialty, e.MainSpecialty = strOut(s.tret, &r.strs[10]), strOut(s.mainsp, &r.strs[11])
	e.StartAge, e.EpisodeDuration, e.SpellDuration = intIn(s.age, &r.ints[1]), intIn(s.dur, &r.ints[2]), intIn(s.sdur, &r.ints[3])
	return e, nil
}

// strOut is strPtr storing the string in *v: strPtr's copy of its
// argument escapes through the pointer it returns, one allocation per call.
func strOut(s sql.NullString, v *string) *string {
	if !s.Valid {
		return nil
	}
	*v = s.String
	return v
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
	q := builder.Select(allEpisodeColumns.columns("e")).From("episodes e").Where(sq.Eq{"e.id": ids})
	if s := episodeScope(ctx, "e"); s != nil {
		q = q.Where(s)
	}
	var out []*model.Episode
	er := allEpisodeColumns.rows()
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		e, err := er.scan(rows)
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

// ListEpisodes returns one page of a filtered, ordered episode listing,
// reading only the columns of q.Fields.
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
	r := newEpisodeReader(q.Fields, ord)
	fast, ok, err := d.codeDrivenListing(ctx, q, ord, w, r.columns("e"))
	switch {
	case err != nil:
		return nil, err
	case ok:
		sel = fast
	default:
		sel = sel.Column(r.columns("e"))
		if w.after != nil {
			sel = sel.Where(ord.seek(*w.after, false))
		}
		if w.before != nil {
			sel = sel.Where(ord.seek(*w.before, true))
		}
		sel = sel.OrderBy(ord.orderBy(w.backward)...).Limit(uint64(w.limit + 1))
	}
	rows := make([]*model.Episode, 0, w.limit+1)
	er := r.rows()
	if err := d.scanAll(ctx, sel, func(rs *sql.Rows) error {
		e, err := er.scan(rs)
		rows = append(rows, e)
		return err
	}); err != nil {
		return nil, err
	}
	return d.episodePage(q, ord, w, rows), nil
}

// episodePosition is e's place in a listing ordered by cols: what its
// cursor encodes.
func episodePosition(e *model.Episode, cols []string) position {
	pos := position{ID: e.RowID, Values: make([]any, 0, len(cols))}
	for _, col := range cols {
		pos.Values = append(pos.Values, episodeKeyValue(e, col))
	}
	return pos
}

// episodePage turns the rows fetched for window w (up to limit+1, in read
// order) into a connection with cursors made under ord.
func (d *DB) episodePage(q model.EpisodeQuery, ord ordering, w window, rows []*model.Episode) *model.EpisodeConnection {
	// A nested listing makes a page per parent, and most sign no cursor:
	// their pages take neither the key columns nor the closure.
	var pos func(*model.Episode) position
	if !q.NoCursors {
		cols := ord.columns()
		pos = func(e *model.Episode) position { return episodePosition(e, cols) }
	}
	rows, cursors, info := keysetPage(d, ord, w, rows, pos)
	conn := &model.EpisodeConnection{Query: q, Edges: make([]*model.EpisodeEdge, len(rows)), Nodes: rows, PageInfo: info}
	// One allocation for the page's edges: a nested listing makes a page
	// per parent, and most select only nodes.
	edges := make([]model.EpisodeEdge, len(rows))
	for i, e := range rows {
		edges[i] = model.EpisodeEdge{Cursor: cursorAt(cursors, i), Node: e}
		conn.Edges[i] = &edges[i]
	}
	return conn
}

// CountEpisodes counts the episodes a listing would walk through.
func (d *DB) CountEpisodes(ctx context.Context, q model.EpisodeQuery) (int, error) {
	if q.KnownTotal != nil {
		return *q.KnownTotal, nil
	}
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

// intIn is intPtr storing the value in *v.
func intIn(n sql.NullInt64, v *int) *int {
	if !n.Valid {
		return nil
	}
	*v = int(n.Int64)
	return v
}

// dateIn is datePtr storing the date in *d.
func dateIn(t sql.NullTime, d *model.Date) *model.Date {
	if !t.Valid {
		return nil
	}
	*d = model.Date{Time: t.Time.UTC().Truncate(24 * time.Hour)}
	return d
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

func qualified(alias string, cols []string) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = alias + "." + c
	}
	return out
}

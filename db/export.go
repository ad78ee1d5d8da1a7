package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	sq "github.com/Masterminds/squirrel"
	"github.com/go-sql-driver/mysql"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/schema"
)

// Extracts stream a filtered, ordered episode listing as rows of text cells.
// They walk the listing in keyset batches with exactly the ordering and seek
// predicate of ListEpisodes, so an extract holds the same rows in the same
// order as paging through `episodes`, and memory stays flat however many
// rows there are: each row is handed on as soon as it is read. Short batch
// statements, rather than one long cursor, keep every statement within the
// server's statement time limit and hold no read view open for the length
// of a slow download.

// Rows fetched per statement. An ordering on at most one key is served by
// that key's (key, id) index, so a batch costs little beyond its rows. An
// ordering on several keys has no index: each batch sorts the whole filtered
// set again, so fewer, larger batches cost less in total.
const (
	DefaultExportBatch = 5000
	UnindexedSortBatch = 50000
)

// exportKind says how a column's value becomes text.
type exportKind int

const (
	exportText exportKind = iota
	exportInt
	exportDate
	exportSex
	exportEpisodeID
	exportPatientID
)

// exportColumn is the SQL side of one extract column.
type exportColumn struct {
	name string
	expr string
	kind exportKind
	// patient marks columns read from the joined patient row.
	patient bool
}

// field is the schema field a column mirrors: patient.x is Patient.x,
// any other column the Episode field of its name.
func (c exportColumn) field() schema.Field {
	if name, ok := strings.CutPrefix(c.name, "patient."); ok {
		return schema.Field{Type: "Patient", Name: name}
	}
	return schema.Field{Type: "Episode", Name: c.name}
}

// identifiable reports whether the column mirrors a HES restricted field
// (@identifiable in the schema).
func (c exportColumn) identifiable() bool {
	f := c.field()
	return schema.IsRestricted(f.Type, f.Name)
}

// exportPatientAlias is the joined patients alias; it cannot clash with the
// numbered aliases of filter subqueries.
const exportPatientAlias = "xp"

// exportColumnList is every column an extract may ask for, in the order of
// the default column set. Names follow the GraphQL fields they mirror.
var exportColumnList = []exportColumn{
	{name: "id", expr: "e.id", kind: exportEpisodeID},
	{name: "episodeKey", expr: "e.epikey"},
	{name: "financialYear", expr: "e.fyear"},
	{name: "providerCode", expr: "e.procode3"},
	{name: "siteCode", expr: "e.sitetret"},
	{name: "admissionDate", expr: "e.admidate", kind: exportDate},
	{name: "episodeStart", expr: "e.epistart", kind: exportDate},
	{name: "episodeEnd", expr: "e.epiend", kind: exportDate},
	{name: "dischargeDate", expr: "e.disdate", kind: exportDate},
	{name: "episodeOrder", expr: "e.epiorder", kind: exportInt},
	{name: "episodeStatus", expr: "e.epistat"},
	{name: "episodeType", expr: "e.epitype"},
	{name: "patientClassification", expr: "e.classpat"},
	{name: "admissionMethod", expr: "e.admimeth"},
	{name: "admissionSource", expr: "e.admisorc"},
	{name: "dischargeMethod", expr: "e.dismeth"},
	{name: "dischargeDestination", expr: "e.disdest"},
	{name: "administrativeCategory", expr: "e.admincat"},
	{name: "treatmentSpecialty", expr: "e.tretspef"},
	{name: "mainSpecialty", expr: "e.mainspef"},
	{name: "startAge", expr: "e.start_age", kind: exportInt},
	{name: "episodeDuration", expr: "e.epidur", kind: exportInt},
	{name: "spellDuration", expr: "e.speldur", kind: exportInt},
	{name: "primaryDiagnosis", expr: "e.primary_diag"},
	{name: "diagnoses", expr: "(SELECT GROUP_CONCAT(xd.code ORDER BY xd.position SEPARATOR ';') FROM diagnoses xd WHERE xd.episode_id = e.id)"},
	// One classification per code of diagnoses, in the same order: an
	// extract spanning 1994-95 holds ICD-9 and ICD-10 codes side by side.
	{name: "diagnosisClassifications", expr: "(SELECT GROUP_CONCAT(xd.classification ORDER BY xd.position SEPARATOR ';') FROM diagnoses xd WHERE xd.episode_id = e.id)"},
	{name: "procedures", expr: "(SELECT GROUP_CONCAT(xo.code ORDER BY xo.position SEPARATOR ';') FROM procedures xo WHERE xo.episode_id = e.id)"},
	{name: "patient.id", expr: "e.patient_id", kind: exportPatientID},
	{name: "patient.pseudoId", expr: "xp.pseudo_id", patient: true},
	{name: "patient.sex", expr: "xp.sex", kind: exportSex, patient: true},
	{name: "patient.ethnicity", expr: "xp.ethnicity", patient: true},
	{name: "patient.birthYear", expr: "xp.birth_year", kind: exportInt, patient: true},
	{name: "patient.region", expr: "xp.region", patient: true},
	{name: "patient.nhsNumber", expr: "xp.nhs_number", patient: true},
	{name: "patient.dateOfBirth", expr: "xp.date_of_birth", kind: exportDate, patient: true},
	{name: "patient.postcode", expr: "xp.postcode", patient: true},
}

var exportColumnsByName = func() map[string]exportColumn {
	m := make(map[string]exportColumn, len(exportColumnList))
	for _, c := range exportColumnList {
		m[c.name] = c
	}
	return m
}()

// ExportColumnNames lists the columns an extract may ask for.
func ExportColumnNames() []string {
	out := make([]string, len(exportColumnList))
	for i, c := range exportColumnList {
		out[i] = c.name
	}
	return out
}

// DefaultExportColumns is the column set of an extract that names none:
// every column except the identifiable ones.
func DefaultExportColumns() []string {
	var out []string
	for _, c := range exportColumnList {
		if !c.identifiable() {
			out = append(out, c.name)
		}
	}
	return out
}

// ExportColumnInfo reports whether name is an extract column and whether it
// is identifiable (HES restricted).
func ExportColumnInfo(name string) (known, identifiable bool) {
	c, ok := exportColumnsByName[name]
	return ok, ok && c.identifiable()
}

// ExportColumnField is the schema field an extract column mirrors, by which
// the audit log names it; ok is false for an unknown column.
func ExportColumnField(name string) (f schema.Field, ok bool) {
	c, ok := exportColumnsByName[name]
	if !ok {
		return schema.Field{}, false
	}
	return c.field(), true
}

// ExportQuery is an extract request.
type ExportQuery struct {
	Filter  *model.EpisodeFilter
	OrderBy []*model.EpisodeOrder
	Columns []string
	// AllowIdentifiable must be set for identifiable columns to be read;
	// the caller decides it from the viewer's roles.
	AllowIdentifiable bool
	// BatchSize is the number of rows per statement (0 = DefaultExportBatch,
	// or UnindexedSortBatch for an ordering on several keys).
	BatchSize int
}

// Export is a validated extract, ready to run.
type Export struct {
	d     *DB
	ord   ordering         // over the episodes e
	bord  ordering         // the same, over a batch's derived table b
	base  sq.SelectBuilder // the filtered, scoped episodes e, no columns yet
	exprs []string         // the select list over a batch of episodes e
	join  bool             // whether the patient row is joined as xp
	cols  []exportColumn
	batch int
}

// PrepareExport validates an extract request (columns, filter and ordering)
// and builds its statement; it runs no SQL. The caller's scope is taken
// from ctx.
func (d *DB) PrepareExport(ctx context.Context, q ExportQuery) (*Export, error) {
	if len(q.Columns) == 0 {
		return nil, model.InputError("columns", "must list at least one column")
	}
	seen := make(map[string]bool, len(q.Columns))
	cols := make([]exportColumn, len(q.Columns))
	join := false
	for i, name := range q.Columns {
		c, ok := exportColumnsByName[name]
		if !ok {
			return nil, model.InputError("columns", "unknown column %q", name)
		}
		if seen[name] {
			return nil, model.InputError("columns", "column %q is listed twice", name)
		}
		if c.identifiable() && !q.AllowIdentifiable {
			return nil, &model.Error{Code: model.ErrForbidden, Field: "columns",
				Message: fmt.Sprintf("column %q is identifiable: only ADMIN, or a CLINICIAN for patients in scope, may read it", name)}
		}
		seen[name] = true
		cols[i] = c
		join = join || c.patient
	}
	ord, err := episodeOrdering("e", q.OrderBy, "")
	if err != nil {
		return nil, err
	}
	bord, err := episodeOrdering("b", q.OrderBy, "")
	if err != nil {
		return nil, err
	}
	base, err := d.episodeListing(ctx, model.EpisodeQuery{Filter: q.Filter})
	if err != nil {
		return nil, err
	}
	exprs := make([]string, 0, len(cols)+len(ord.keys)+1)
	for _, c := range cols {
		exprs = append(exprs, c.expr)
	}
	// The sort keys and the id follow, for the next batch's seek.
	exprs = append(exprs, ord.columns()...)
	exprs = append(exprs, ord.idCol)
	batch := q.BatchSize
	if batch <= 0 {
		batch = DefaultExportBatch
		if len(ord.keys) > 1 {
			batch = UnindexedSortBatch
		}
	}
	return &Export{d: d, ord: ord, bord: bord, base: base, exprs: exprs, join: join, cols: cols, batch: batch}, nil
}

// batchQuery selects the batch of rows after the position after (from the
// start when nil). The batch's episode ids and sort keys are chosen first,
// in a derived table b that sorts only those (through the key's index where
// there is one) and stops at the LIMIT. Only the batch's rows are then read
// in full, joined to their patients and given their code lists, so wide
// rows and per-row subqueries cost nothing for the rows the sort passes
// over. The final ORDER BY names b's columns, which lets the server sort
// the batch before the joins instead of copying joined rows, code lists
// and all, into a temporary table.
func (x *Export) batchQuery(after *position) sq.SelectBuilder {
	ids := x.base.Columns(append(x.ord.columns(), x.ord.idCol)...)
	if after != nil {
		ids = ids.Where(x.ord.seek(*after, false))
	}
	ids = ids.OrderBy(x.ord.orderBy(false)...).Limit(uint64(x.batch))
	q := builder.Select(x.exprs...).FromSelect(ids, "b").Join("episodes e ON e.id = b.id")
	if x.join {
		q = q.Join(fmt.Sprintf("patients %[1]s ON %[1]s.id = e.patient_id", exportPatientAlias))
	}
	return q.OrderBy(x.bord.orderBy(false)...)
}

// Patients counts the distinct patients the extract covers, for the audit
// record of an identifiable extract.
func (x *Export) Patients(ctx context.Context) (int, error) {
	var n int
	err := x.d.scanAll(ctx, x.base.Columns("COUNT(DISTINCT e.patient_id)"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

// Header returns the extract's column names.
func (x *Export) Header() []string {
	out := make([]string, len(x.cols))
	for i, c := range x.cols {
		out[i] = c.name
	}
	return out
}

// exportRow holds the scan targets of one row, reused for every row.
type exportRow struct {
	text  []sql.NullString
	ints  []sql.NullInt64
	dates []sql.NullTime
	keys  []any // typed scan targets of the sort keys
	id    int64
	dest  []any
	cells []string
}

func (x *Export) newRow() *exportRow {
	r := &exportRow{
		text:  make([]sql.NullString, len(x.cols)),
		ints:  make([]sql.NullInt64, len(x.cols)),
		dates: make([]sql.NullTime, len(x.cols)),
		cells: make([]string, len(x.cols)),
	}
	for i, c := range x.cols {
		switch c.kind {
		case exportInt, exportEpisodeID, exportPatientID:
			r.dest = append(r.dest, &r.ints[i])
		case exportDate:
			r.dest = append(r.dest, &r.dates[i])
		default:
			r.dest = append(r.dest, &r.text[i])
		}
	}
	for _, k := range x.ord.keys {
		var target any
		switch k.kind {
		case kindInt:
			target = new(sql.NullInt64)
		case kindDate:
			target = new(sql.NullTime)
		default:
			target = new(sql.NullString)
		}
		r.keys = append(r.keys, target)
		r.dest = append(r.dest, target)
	}
	r.dest = append(r.dest, &r.id)
	return r
}

// format turns the scanned values into cells; NULL becomes "".
func (r *exportRow) format(cols []exportColumn) []string {
	for i, c := range cols {
		var s string
		switch c.kind {
		case exportInt:
			if r.ints[i].Valid {
				s = strconv.FormatInt(r.ints[i].Int64, 10)
			}
		case exportEpisodeID:
			s = model.GlobalID(model.TypeEpisode, r.ints[i].Int64)
		case exportPatientID:
			s = model.GlobalID(model.TypePatient, r.ints[i].Int64)
		case exportDate:
			if r.dates[i].Valid {
				s = model.Date{Time: r.dates[i].Time.UTC()}.String()
			}
		case exportSex:
			if r.text[i].Valid {
				if sex := model.SexFromCode(r.text[i].String); sex != nil {
					s = string(*sex)
				}
			}
		default:
			if r.text[i].Valid {
				s = r.text[i].String
			}
		}
		r.cells[i] = s
	}
	return r.cells
}

// position returns the row's place in the ordering, in cursor form.
func (r *exportRow) position() position {
	p := position{ID: r.id, Values: make([]any, len(r.keys))}
	for i, k := range r.keys {
		switch v := k.(type) {
		case *sql.NullInt64:
			if v.Valid {
				p.Values[i] = v.Int64
			}
		case *sql.NullTime:
			if v.Valid {
				p.Values[i] = model.Date{Time: v.Time.UTC()}.String()
			}
		case *sql.NullString:
			if v.Valid {
				p.Values[i] = v.String
			}
		}
	}
	return p
}

// Run reads the extract and calls emit with each row's cells, in order. The
// cells are reused for the next row: emit must not keep them. Between two
// batches it calls next, when not nil, before the next statement runs: the
// caller knows then that the first statement has been read whole. Run stops
// at the first error from emit, next or the database, and when ctx ends:
// the statement then running is killed on the server, not left to finish.
// It returns the number of rows emitted.
func (x *Export) Run(ctx context.Context, emit func(cells []string) error, next func() error) (n int64, err error) {
	// One connection for every batch, so that whichever statement is
	// running when the download is abandoned is the one killed.
	conn, release, err := x.d.pin(ctx)
	if err != nil {
		return 0, err
	}
	defer release()

	row := x.newRow()
	var after *position
	for {
		got := 0
		err := x.d.scanWith(ctx, conn, x.batchQuery(after), func(rows *sql.Rows) error {
			if err := rows.Scan(row.dest...); err != nil {
				return err
			}
			got++
			n++
			return emit(row.format(x.cols))
		})
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return n, ctxErr
			}
			return n, statementError(err)
		}
		if got < x.batch {
			return n, nil
		}
		if next != nil {
			if err := next(); err != nil {
				return n, err
			}
		}
		p := row.position()
		after = &p
	}
}

// Server error numbers of a statement stopped by its time limit.
const (
	errMariaDBStatementTimeout = 1969 // ER_STATEMENT_TIMEOUT (max_statement_time)
	errMySQLQueryTimeout       = 3024 // ER_QUERY_TIMEOUT (max_execution_time)
)

// statementError gives a batch stopped by the server's statement time
// limit its code: the extract asked for more work per statement than the
// server allows, which the caller can change.
func statementError(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) && (me.Number == errMariaDBStatementTimeout || me.Number == errMySQLQueryTimeout) {
		return &model.Error{Code: model.ErrTooComplex,
			Message: "a batch of the extract took longer than the server's statement time limit: filter the extract or order it by one field"}
	}
	return err
}

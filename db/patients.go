package db

import (
	"context"
	"database/sql"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// patientSelect lists the columns patientRows scans, in order.
var patientSelect = []string{"id", "pseudo_id", "sex", "ethnicity", "birth_year", "nhs_number", "date_of_birth", "postcode", "region"}

// patientFieldOf names the Patient field of the schema each column backs.
var patientFieldOf = map[string]string{
	"id": "id", "pseudo_id": "pseudoId", "sex": "sex", "ethnicity": "ethnicity", "birth_year": "birthYear",
	"nhs_number": "nhsNumber", "date_of_birth": "dateOfBirth", "postcode": "postcode", "region": "region",
}

// patientRows scans the patients of one statement. Each row is scanned
// into the same patientScan, through destinations listed once, and its
// patient is carved from slabs that also hold what its optional fields
// point at: one allocation per slab rather than some ten per row.
type patientRows struct {
	s    patientScan
	dest []any
	slab []patientSlot
}

type patientScan struct {
	id                          int64
	pseudo                      string
	sex, eth, nhs, post, region sql.NullString
	by                          sql.NullInt64
	dob                         sql.NullTime
}

// patientSlot is a patient with what its optional fields point at.
type patientSlot struct {
	p                      model.Patient
	eth, nhs, post, region string
	birthYear              int
	dateOfBirth            model.Date
}

// patientSlab is how many patient rows one allocation holds.
const patientSlab = 16

func (pr *patientRows) scan(rows *sql.Rows) (*model.Patient, error) {
	s := &pr.s
	if pr.dest == nil {
		pr.dest = []any{int64Col{&s.id}, &s.pseudo, &s.sex, &s.eth, nullInt64Col{&s.by}, &s.nhs, &s.dob, &s.post, &s.region}
	}
	if err := rows.Scan(pr.dest...); err != nil {
		return nil, err
	}
	if len(pr.slab) == 0 {
		pr.slab = make([]patientSlot, patientSlab)
	}
	r := &pr.slab[0]
	pr.slab = pr.slab[1:]
	p := &r.p
	p.RowID, p.PseudoID = s.id, s.pseudo
	if s.sex.Valid {
		p.Sex = model.SexFromCode(s.sex.String)
	}
	p.Ethnicity, p.BirthYear = strOut(s.eth, &r.eth), intIn(s.by, &r.birthYear)
	p.NhsNumber, p.DateOfBirth = strOut(s.nhs, &r.nhs), dateIn(s.dob, &r.dateOfBirth)
	p.Postcode, p.Region = strOut(s.post, &r.post), strOut(s.region, &r.region)
	return p, nil
}

func patientKeyValue(p *model.Patient, col string) any {
	switch col {
	case "p.pseudo_id":
		return p.PseudoID
	case "p.birth_year":
		return intValue(p.BirthYear)
	}
	panic("patientKeyValue: no value for sort column " + col)
}

// patientsByID and patientsByIDWithheld read patients by id for callers
// outside any clinician scope, with restricted columns read or withheld
// (patientColumns).
var (
	patientsByID = newIDStatement(func(ids []int64) sq.Sqlizer {
		return builder.Select(patientColumns(context.Background(), "p")...).From("patients p").Where(sq.Eq{"p.id": ids})
	})
	patientsByIDWithheld = newIDStatement(func(ids []int64) sq.Sqlizer {
		return builder.Select(patientColumns(WithoutIdentifiable(context.Background()), "p")...).From("patients p").Where(sq.Eq{"p.id": ids})
	})
)

// PatientsByID returns the patients with the given row ids that are in the
// caller's scope, in no particular order.
func (d *DB) PatientsByID(ctx context.Context, ids []int64) ([]*model.Patient, error) {
	var q sq.Sqlizer
	if s := patientScope(ctx, "p"); s != nil {
		q = builder.Select(patientColumns(ctx, "p")...).From("patients p").Where(sq.Eq{"p.id": ids}).Where(s)
	} else if identifiableWithheld(ctx) {
		q = patientsByIDWithheld.with(ids)
	} else {
		q = patientsByID.with(ids)
	}
	var out []*model.Patient
	var pr patientRows
	err := d.scanAll(ctx, q, func(rows *sql.Rows) error {
		p, err := pr.scan(rows)
		out = append(out, p)
		return err
	})
	notePatients(ctx, out)
	return out, err
}

func (d *DB) patientListing(ctx context.Context, q model.PatientQuery) (sq.SelectBuilder, error) {
	cond, err := patientCond(q.Filter, "p", "filter", &aliases{})
	if err != nil {
		return sq.SelectBuilder{}, err
	}
	sel := builder.Select().From("patients p").Where(cond)
	if s := patientScope(ctx, "p"); s != nil {
		sel = sel.Where(s)
	}
	return sel, nil
}

// ListPatients returns one page of a filtered, ordered patient listing.
func (d *DB) ListPatients(ctx context.Context, q model.PatientQuery) (*model.PatientConnection, error) {
	ord, err := patientOrdering("p", q.OrderBy, bindingOf("patients", q.OrderBy, q.Filter))
	if err != nil {
		return nil, err
	}
	w, err := d.pageWindow(ord, q.Page)
	if err != nil {
		return nil, err
	}
	sel, err := d.patientListing(ctx, q)
	if err != nil {
		return nil, err
	}
	conn := &model.PatientConnection{Query: q, Edges: []*model.PatientEdge{}, Nodes: []*model.Patient{}}
	sel = sel.Columns(patientColumns(ctx, "p")...)
	if w.after != nil {
		sel = sel.Where(ord.seek(*w.after, false))
	}
	if w.before != nil {
		sel = sel.Where(ord.seek(*w.before, true))
	}
	sel = sel.OrderBy(ord.orderBy(w.backward)...).Limit(uint64(w.limit + 1))
	var rows []*model.Patient
	var pr patientRows
	if err := d.scanAll(ctx, sel, func(r *sql.Rows) error {
		p, err := pr.scan(r)
		rows = append(rows, p)
		return err
	}); err != nil {
		return nil, err
	}
	notePatients(ctx, rows)
	cols := ord.columns()
	pos := func(p *model.Patient) position {
		pos := position{ID: p.RowID, Values: make([]any, 0, len(cols))}
		for _, col := range cols {
			pos.Values = append(pos.Values, patientKeyValue(p, col))
		}
		return pos
	}
	if q.NoCursors {
		pos = nil
	}
	rows, cursors, info := keysetPage(d, ord, w, rows, pos)
	edges := make([]model.PatientEdge, len(rows)) // one allocation for the page
	conn.Edges, conn.Nodes = make([]*model.PatientEdge, len(rows)), rows
	for i, p := range rows {
		edges[i] = model.PatientEdge{Cursor: cursorAt(cursors, i), Node: p}
		conn.Edges[i] = &edges[i]
	}
	conn.PageInfo = info
	return conn, nil
}

// CountPatients counts the patients a listing would walk through.
func (d *DB) CountPatients(ctx context.Context, q model.PatientQuery) (int, error) {
	sel, err := d.patientListing(ctx, q)
	if err != nil {
		return 0, err
	}
	var n int
	err = d.scanAll(ctx, sel.Columns("COUNT(*)"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

// PatientCount returns the number of patients stored.
func (d *DB) PatientCount(ctx context.Context) (int64, error) {
	var n int64
	err := d.scanAll(ctx, builder.Select("COUNT(*)").From("patients"), func(r *sql.Rows) error { return r.Scan(&n) })
	return n, err
}

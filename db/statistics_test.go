package db_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

const samplePath = "../testdata/artificial_hes_apc_0102_sample.csv"

// sampleEpisode is what the reference count needs of one extract row.
type sampleEpisode struct {
	rec hes.Record
	sex string // the stored patient's sex code
}

// readSample parses the shared sample with the extract reader, keeping the
// last row of each EPIKEY as the loader does.
func readSample(t *testing.T) []hes.Record {
	t.Helper()
	f, err := os.Open(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rd, err := hes.NewReader(f, hes.ReaderOptions{})
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]int{}
	var recs []hes.Record
	for {
		rec, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		var rowErr *hes.RowError
		if errors.As(err, &rowErr) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		if i, ok := byKey[rec.EpiKey]; ok {
			recs[i] = rec
			continue
		}
		byKey[rec.EpiKey] = len(recs)
		recs = append(recs, rec)
	}
	return recs
}

// refKey computes a dimension's key for one episode, written out from the
// HES definitions independently of the SQL.
func refKey(dim model.Dimension, e sampleEpisode) *string {
	s := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	r := e.rec
	switch dim {
	case model.DimensionFinancialYear:
		return s(r.FYear)
	case model.DimensionProvider:
		return s(r.ProviderCode)
	case model.DimensionTreatmentSpecialty:
		return s(r.TreatmentSpecialty)
	case model.DimensionSex:
		if sex := model.SexFromCode(e.sex); sex != nil {
			return s(string(*sex))
		}
		return nil
	case model.DimensionAgeBand:
		age, ok := hes.StartAgeYears(r.StartAge)
		switch {
		case !ok:
			return nil
		case age == 0:
			return s("0")
		case age <= 4:
			return s("1-4")
		case age >= 90:
			return s("90+")
		}
		lo := age - age%5
		return s(fmt.Sprintf("%d-%d", lo, lo+4))
	case model.DimensionAdmissionMethodGroup:
		switch m := r.AdmissionMethod; {
		case m == "11" || m == "12" || m == "13":
			return s("ELECTIVE")
		case len(m) == 2 && m[0] == '2' && (m[1] >= '1' && m[1] <= '8' || m[1] >= 'A' && m[1] <= 'D'):
			return s("EMERGENCY")
		case m == "31" || m == "32":
			return s("MATERNITY")
		case m == "" || m == "98" || m == "99":
			return s("UNKNOWN")
		}
		return s("OTHER")
	case model.DimensionPrimaryDiagnosisChapter, model.DimensionPrimaryDiagnosis3:
		if len(r.Diagnoses) == 0 || r.Diagnoses[0].Position != 1 {
			return nil
		}
		code := r.Diagnoses[0].Code
		if dim == model.DimensionPrimaryDiagnosis3 {
			return s(code[:3])
		}
		numeral, _, ok := hes.ICD10Chapter(code)
		if !ok {
			return nil
		}
		return s(numeral)
	}
	panic("no reference for " + dim)
}

type refCounts struct {
	episodes, admissions int64
	patients             map[string]bool
}

func keyString(keys []*string) string {
	parts := make([]string, len(keys))
	for i, k := range keys {
		if k == nil {
			parts[i] = "<null>"
		} else {
			parts[i] = *k
		}
	}
	return strings.Join(parts, "|")
}

// referenceTabulation counts FCEs, admissions and patients per group in Go.
func referenceTabulation(eps []sampleEpisode, keep func(hes.Record) bool, groupBy []model.Dimension) map[string]*refCounts {
	out := map[string]*refCounts{}
	for _, e := range eps {
		r := e.rec
		if r.EpisodeStatus != "3" || r.PatientClass == "3" || r.PatientClass == "4" {
			continue
		}
		if keep != nil && !keep(r) {
			continue
		}
		keys := make([]*string, len(groupBy))
		for i, g := range groupBy {
			keys[i] = refKey(g, e)
		}
		k := keyString(keys)
		c := out[k]
		if c == nil {
			c = &refCounts{patients: map[string]bool{}}
			out[k] = c
		}
		c.episodes++
		if r.EpisodeOrder.Valid && r.EpisodeOrder.Int64 == 1 {
			c.admissions++
		}
		c.patients[r.PseudoID] = true
	}
	return out
}

func loadSample(t *testing.T, d *db.DB) {
	t.Helper()
	sum, err := load.File(context.Background(), d, samplePath, load.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")})
	if err != nil {
		t.Fatalf("load sample: %v", err)
	}
	if sum.Loaded == 0 {
		t.Fatal("the sample loaded no rows")
	}
}

// sampleEpisodes pairs the parsed sample with each patient's stored sex,
// which the loader merges across a patient's rows.
func sampleEpisodes(t *testing.T, dsn string) []sampleEpisode {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	rows, err := conn.Query("SELECT pseudo_id, COALESCE(sex, '') FROM patients")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	sex := map[string]string{}
	for rows.Next() {
		var p, s string
		if err := rows.Scan(&p, &s); err != nil {
			t.Fatal(err)
		}
		sex[p] = s
	}
	var out []sampleEpisode
	for _, r := range readSample(t) {
		out = append(out, sampleEpisode{rec: r, sex: sex[r.PseudoID]})
	}
	return out
}

func TestTabulateMatchesReferenceCount(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadSample(t, d)
	eps := sampleEpisodes(t, dsn)
	ctx := context.Background()

	str := func(s string) *string { return &s }
	cases := []struct {
		name    string
		groupBy []model.Dimension
		filter  *model.EpisodeFilter
		keep    func(hes.Record) bool
	}{
		{name: "year", groupBy: []model.Dimension{model.DimensionFinancialYear}},
		{name: "provider by sex", groupBy: []model.Dimension{model.DimensionProvider, model.DimensionSex}},
		{name: "age band", groupBy: []model.Dimension{model.DimensionAgeBand}},
		{name: "method by chapter", groupBy: []model.Dimension{model.DimensionAdmissionMethodGroup, model.DimensionPrimaryDiagnosisChapter}},
		{name: "specialty, diagnosis", groupBy: []model.Dimension{model.DimensionTreatmentSpecialty, model.DimensionPrimaryDiagnosis3}},
		{name: "all", groupBy: []model.Dimension{
			model.DimensionFinancialYear, model.DimensionProvider, model.DimensionSex, model.DimensionAgeBand,
			model.DimensionTreatmentSpecialty, model.DimensionAdmissionMethodGroup,
			model.DimensionPrimaryDiagnosisChapter, model.DimensionPrimaryDiagnosis3,
		}},
		{
			name:    "filtered to emergency admissions",
			groupBy: []model.Dimension{model.DimensionSex, model.DimensionAgeBand},
			filter:  &model.EpisodeFilter{AdmissionMethod: &model.StringFilter{StartsWith: str("2")}},
			keep:    func(r hes.Record) bool { return strings.HasPrefix(r.AdmissionMethod, "2") },
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := d.Tabulate(ctx, tc.filter, tc.groupBy)
			if err != nil {
				t.Fatal(err)
			}
			want := referenceTabulation(eps, tc.keep, tc.groupBy)
			t.Logf("%d groups", len(got))
			if len(got) != len(want) {
				t.Errorf("%d groups, reference has %d", len(got), len(want))
			}
			for _, row := range got {
				k := keyString(row.Keys)
				ref := want[k]
				if ref == nil {
					t.Errorf("group %s is not in the reference", k)
					continue
				}
				if row.Episodes != ref.episodes || row.Admissions != ref.admissions || row.Patients != int64(len(ref.patients)) {
					t.Errorf("group %s: got %d/%d/%d, reference %d/%d/%d", k,
						row.Episodes, row.Admissions, row.Patients, ref.episodes, ref.admissions, len(ref.patients))
				}
			}
		})
	}
}

func TestTabulateOrderAndLabels(t *testing.T) {
	d := dbtest.New(t)
	loadSample(t, d)
	ctx := context.Background()

	rows, err := d.Tabulate(ctx, nil, []model.Dimension{model.DimensionAgeBand})
	if err != nil {
		t.Fatal(err)
	}
	bands := []string{"0", "1-4"}
	for lo := 5; lo < 90; lo += 5 {
		bands = append(bands, fmt.Sprintf("%d-%d", lo, lo+4))
	}
	bands = append(bands, "90+")
	last := -1
	for i, r := range rows {
		if r.Keys[0] == nil {
			if i != 0 {
				t.Errorf("the unknown-age group is row %d, want first", i)
			}
			continue
		}
		at := slices.Index(bands, *r.Keys[0])
		if at < 0 {
			t.Errorf("unexpected age band %q", *r.Keys[0])
		}
		if at <= last {
			t.Errorf("age band %q out of order", *r.Keys[0])
		}
		last = at
	}

	rows, err = d.Tabulate(ctx, nil, []model.Dimension{model.DimensionPrimaryDiagnosisChapter})
	if err != nil {
		t.Fatal(err)
	}
	numerals := []string{"I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
		"XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI", "XXII"}
	last = -1
	for _, r := range rows {
		if r.Keys[0] == nil {
			continue
		}
		at := slices.Index(numerals, *r.Keys[0])
		if at <= last {
			t.Errorf("chapter %q out of order or unknown", *r.Keys[0])
		}
		last = at
	}
}

func TestTabulateRefusesBadGrouping(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	before := d.StatementsTotal()
	for _, tc := range []struct {
		groupBy []model.Dimension
		field   string
	}{
		{nil, "groupBy"},
		{[]model.Dimension{}, "groupBy"},
		{[]model.Dimension{model.DimensionSex, model.DimensionProvider, model.DimensionSex}, "groupBy[2]"},
		{[]model.Dimension{"SEX; DROP TABLE episodes"}, "groupBy[0]"},
	} {
		_, err := d.Tabulate(ctx, nil, tc.groupBy)
		var me *model.Error
		if !errors.As(err, &me) || me.Code != model.ErrBadUserInput || me.Field != tc.field {
			t.Errorf("groupBy %v: got %v, want BAD_USER_INPUT at %s", tc.groupBy, err, tc.field)
		}
	}
	bad := &model.EpisodeFilter{StartAge: &model.IntFilter{Gt: new(int), Gte: new(int)}}
	if _, err := d.Tabulate(ctx, bad, []model.Dimension{model.DimensionSex}); model.ErrorCode(err) != model.ErrBadUserInput {
		t.Errorf("invalid filter: got %v, want BAD_USER_INPUT", err)
	}
	if n := d.StatementsTotal() - before; n != 0 {
		t.Errorf("refused requests ran %d statements", n)
	}
}

// Every tabulation is one statement, whatever the grouping and filter.
func TestTabulateIsOneStatement(t *testing.T) {
	d := dbtest.New(t)
	loadSample(t, d)
	ctx, counter := db.WithStatementCounter(context.Background())
	code := "L"
	_, err := d.Tabulate(ctx, &model.EpisodeFilter{Diagnosis: &model.CodeFilter{StartsWith: &code}},
		[]model.Dimension{model.DimensionSex, model.DimensionAgeBand, model.DimensionPrimaryDiagnosis3})
	if err != nil {
		t.Fatal(err)
	}
	if counter.Count() != 1 {
		t.Errorf("tabulation took %d statements, want 1", counter.Count())
	}
}

// A clinician's tabulation counts only the patients in their scope.
func TestTabulateAppliesScope(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	loadSample(t, d)
	eps := sampleEpisodes(t, dsn)
	providers := map[string]bool{}
	for _, e := range eps {
		providers[e.rec.ProviderCode] = true
	}
	var org string
	for p := range providers {
		if p != "" && (org == "" || p < org) {
			org = p
		}
	}
	inScope := map[string]bool{}
	for _, e := range eps {
		if e.rec.ProviderCode == org {
			inScope[e.rec.PseudoID] = true
		}
	}
	ctx := db.WithScope(context.Background(), &db.Scope{Orgs: []string{org}})
	groupBy := []model.Dimension{model.DimensionProvider}
	got, err := d.Tabulate(ctx, nil, groupBy)
	if err != nil {
		t.Fatal(err)
	}
	want := referenceTabulation(eps, func(r hes.Record) bool { return inScope[r.PseudoID] }, groupBy)
	if len(got) != len(want) {
		t.Errorf("%d groups in scope, reference has %d", len(got), len(want))
	}
	for _, row := range got {
		ref := want[keyString(row.Keys)]
		if ref == nil || row.Episodes != ref.episodes || row.Patients != int64(len(ref.patients)) {
			t.Errorf("group %s: got %+v, reference %+v", keyString(row.Keys), row, ref)
		}
	}
	none, err := d.Tabulate(db.WithScope(context.Background(), &db.Scope{}), nil, groupBy)
	if err != nil || len(none) != 0 {
		t.Errorf("empty scope: got %d rows, %v; want none", len(none), err)
	}
}

// A tabulation finer than MaxTabulationRows groups is refused rather than
// built in memory.
func TestTabulateRefusesHugeTables(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, db.MaxTabulationRows+3000, 9)
	all := []model.Dimension{
		model.DimensionPrimaryDiagnosis3, model.DimensionProvider, model.DimensionAgeBand, model.DimensionSex,
		model.DimensionFinancialYear, model.DimensionTreatmentSpecialty, model.DimensionAdmissionMethodGroup,
	}
	_, err := d.Tabulate(context.Background(), nil, all)
	if model.ErrorCode(err) != model.ErrTooComplex {
		t.Errorf("tabulating every dimension of %d episodes: %v, want QUERY_TOO_COMPLEX", db.MaxTabulationRows+3000, err)
	}
	rows, err := d.Tabulate(context.Background(), nil, all[:2])
	if err != nil || len(rows) == 0 || len(rows) > db.MaxTabulationRows {
		t.Errorf("a coarser table: %d rows, %v", len(rows), err)
	}
}

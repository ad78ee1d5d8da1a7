package db_test

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

// The listing engine is checked against an oracle that reads every row once
// with plain SQL and then filters and orders in memory, so that a mistake in
// the squirrel translation or the keyset seek cannot hide in the expectation.
// Filter semantics the oracle encodes: a value operator never matches NULL
// (isNull is the only way to ask for it), several operators in one input are
// ANDed, and not is the complement of its filter. Orderings put NULL first
// ascending and last descending and break ties by id in the direction of the
// last key (ascending without keys).

var engineSeed = flag.Uint64("engine.seed", 20240611, "seed of the random filters, orderings and page sizes of the model-based listing tests")

// edgeExtract is a hand-written pipe-delimited extract whose rows carry what
// the generator never writes: NULL dates, ages, providers and specialties,
// patients with no recorded attributes, and rows tied on every sort key.
// Rows 1-4 share every sort key; rows 5-7 have every nullable sort key NULL.
const edgeExtract = `FYEAR|EPIKEY|PSEUDO_HESID|SEX|ETHNOS|MYDOB|RESGOR|PROCODE3|ADMIDATE|EPISTART|EPIEND|DISDATE|EPISTAT|CLASSPAT|ADMIMETH|ADMINCAT|TRETSPEF|MAINSPEF|STARTAGE|EPIDUR|DIAG_4_01|DIAG_4_02|OPERTN_4_01
2122|9100000000000000001|TESTEDGEA|1|A|061950|E|RXX|2021-05-01|2021-05-01|2021-05-03|2021-05-03|3|1|11|01|330|330|70|2|L400|I10X|S068
2122|9100000000000000002|TESTEDGEB|2|B|031980|F|RXX|2021-05-01|2021-05-01|2021-05-03|2021-05-03|3|2|12|01|330|330|70|2|L401|L400|S065
2122|9100000000000000003|TESTEDGEA|1|A|061950|E|RXX|2021-05-01|2021-05-01|2021-05-03|2021-05-03|3|1|11|01|160|330|70|2|C443||
2122|9100000000000000004|TESTEDGEN|||||RXX|2021-05-01|2021-05-01|2021-05-03|2021-05-03|3|1|11|01|330|160|70|2|L400||S068
2122|9100000000000000005|TESTEDGEN||||||1800-01-01||||3|2|12|01|&||||R69X||-
2122|9100000000000000006|TESTEDGEA|1|A|061950|E||||1800-01-01||1|2|12|02|&||||||
2021|9100000000000000007|TESTEDGEB|2|B|031980|F|||||1800-01-01|3|1|21|01|||||||
2021|9100000000000000008|TESTEDGEB|2|B|031980|F|RYY|2020-11-30||2020-12-02||3|1|21|02|257|330|7003||L209||S138
2223|9100000000000000009|TESTEDGEN|||||||2022-06-15|||3|1|11|01|330|330||0|D223||S065
2223|9100000000000000010|TESTEDGEA|1|A|061950|E|RXX|2022-06-15|2022-06-15|2022-06-15|2022-06-15|3|2|11|01|330|330|0|0|L82X||S068
`

// edgeKey is the EPIKEY of row n of edgeExtract.
func edgeKey(n int) string { return fmt.Sprintf("91000000000000000%02d", n) }

// fixture is a store and the oracle's copy of its rows.
type fixture struct {
	db  *db.DB
	dsn string
	w   *world
}

// newFixture loads generated synthetic episodes (none when generated is 0)
// and the hand-written edge extract into a fresh database.
func newFixture(t testing.TB, generated int) *fixture {
	t.Helper()
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	if generated > 0 {
		var buf bytes.Buffer
		if err := hes.Generate(&buf, hes.GenerateOptions{Seed: 11, Episodes: generated}); err != nil {
			t.Fatalf("generate: %v", err)
		}
		loadExtract(t, d, "generated.txt", buf.String())
	}
	loadExtract(t, d, "edge.txt", edgeExtract)
	return &fixture{db: d, dsn: dsn, w: readWorld(t, dsn)}
}

func loadExtract(t testing.TB, d *db.DB, name, text string) {
	t.Helper()
	sum, err := load.Stream(context.Background(), d, name, strings.NewReader(text), 0,
		load.Options{RejectsPath: filepath.Join(t.TempDir(), name+".rejects.csv")})
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	if sum.Rejected != 0 {
		rejects, _ := os.ReadFile(sum.RejectsPath)
		t.Fatalf("load %s rejected %d rows:\n%s", name, sum.Rejected, rejects)
	}
}

// epRow is an episode as the oracle sees it; dates are YYYY-MM-DD strings,
// which order like the dates they spell.
type epRow struct {
	id, patient                                                       int64
	epikey                                                            string
	fyear, procode3, tretspef, mainspef, admimeth, classpat, admincat *string
	epistat, admidate, epistart, epiend, disdate                      *string
	startAge, epidur                                                  *int
	diags, procs                                                      []string // in position order
	primary                                                           *string  // diagnosis at position 1
}

type patRow struct {
	id                     int64
	pseudo                 string
	sex, ethnicity, region *string
	birthYear              *int
	episodes               []*epRow
}

// world is every episode and patient, read once with plain SQL.
type world struct {
	episodes []*epRow
	patients []*patRow
	epByKey  map[string]*epRow
	patByID  map[int64]*patRow
}

func readWorld(t testing.TB, dsn string) *world {
	t.Helper()
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	w := &world{epByKey: map[string]*epRow{}, patByID: map[int64]*patRow{}}
	byID := map[int64]*epRow{}
	query := func(q string, scan func(*sql.Rows) error) {
		rows, err := conn.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		defer rows.Close()
		for rows.Next() {
			if err := scan(rows); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
	}
	query(`SELECT id, pseudo_id, sex, ethnicity, region, birth_year FROM patients`, func(r *sql.Rows) error {
		p := &patRow{}
		var sex, eth, reg sql.NullString
		var by sql.NullInt64
		if err := r.Scan(&p.id, &p.pseudo, &sex, &eth, &reg, &by); err != nil {
			return err
		}
		p.sex, p.ethnicity, p.region, p.birthYear = nstr(sex), nstr(eth), nstr(reg), nint(by)
		w.patients = append(w.patients, p)
		w.patByID[p.id] = p
		return nil
	})
	query(`SELECT id, patient_id, epikey, fyear, procode3, tretspef, mainspef, admimeth, classpat, admincat, epistat,
		DATE_FORMAT(admidate, '%Y-%m-%d'), DATE_FORMAT(epistart, '%Y-%m-%d'), DATE_FORMAT(epiend, '%Y-%m-%d'),
		DATE_FORMAT(disdate, '%Y-%m-%d'), start_age, epidur FROM episodes`, func(r *sql.Rows) error {
		e := &epRow{}
		var s [12]sql.NullString
		var age, dur sql.NullInt64
		if err := r.Scan(&e.id, &e.patient, &e.epikey, &s[0], &s[1], &s[2], &s[3], &s[4], &s[5], &s[6], &s[7],
			&s[8], &s[9], &s[10], &s[11], &age, &dur); err != nil {
			return err
		}
		e.fyear, e.procode3, e.tretspef, e.mainspef = nstr(s[0]), nstr(s[1]), nstr(s[2]), nstr(s[3])
		e.admimeth, e.classpat, e.admincat, e.epistat = nstr(s[4]), nstr(s[5]), nstr(s[6]), nstr(s[7])
		e.admidate, e.epistart, e.epiend, e.disdate = nstr(s[8]), nstr(s[9]), nstr(s[10]), nstr(s[11])
		e.startAge, e.epidur = nint(age), nint(dur)
		w.episodes = append(w.episodes, e)
		w.epByKey[e.epikey] = e
		byID[e.id] = e
		w.patByID[e.patient].episodes = append(w.patByID[e.patient].episodes, e)
		return nil
	})
	query(`SELECT episode_id, position, code FROM diagnoses ORDER BY episode_id, position`, func(r *sql.Rows) error {
		var id int64
		var pos int
		var code string
		if err := r.Scan(&id, &pos, &code); err != nil {
			return err
		}
		e := byID[id]
		e.diags = append(e.diags, code)
		if pos == 1 {
			e.primary = &code
		}
		return nil
	})
	query(`SELECT episode_id, code FROM procedures ORDER BY episode_id, position`, func(r *sql.Rows) error {
		var id int64
		var code string
		if err := r.Scan(&id, &code); err != nil {
			return err
		}
		byID[id].procs = append(byID[id].procs, code)
		return nil
	})
	return w
}

func nstr(s sql.NullString) *string {
	if !s.Valid {
		return nil
	}
	return &s.String
}

func nint(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

// Field tables: each names a filter input, where it lives in the filter and
// the row value it tests, so that the generator and the oracle share them.
type strField struct {
	name  string
	field func(*model.EpisodeFilter) **model.StringFilter
	value func(*epRow) *string
}

var episodeStrFields = []strField{
	{"financialYear", func(f *model.EpisodeFilter) **model.StringFilter { return &f.FinancialYear }, func(e *epRow) *string { return e.fyear }},
	{"providerCode", func(f *model.EpisodeFilter) **model.StringFilter { return &f.ProviderCode }, func(e *epRow) *string { return e.procode3 }},
	{"treatmentSpecialty", func(f *model.EpisodeFilter) **model.StringFilter { return &f.TreatmentSpecialty }, func(e *epRow) *string { return e.tretspef }},
	{"mainSpecialty", func(f *model.EpisodeFilter) **model.StringFilter { return &f.MainSpecialty }, func(e *epRow) *string { return e.mainspef }},
	{"admissionMethod", func(f *model.EpisodeFilter) **model.StringFilter { return &f.AdmissionMethod }, func(e *epRow) *string { return e.admimeth }},
	{"patientClassification", func(f *model.EpisodeFilter) **model.StringFilter { return &f.PatientClassification }, func(e *epRow) *string { return e.classpat }},
	{"administrativeCategory", func(f *model.EpisodeFilter) **model.StringFilter { return &f.AdministrativeCategory }, func(e *epRow) *string { return e.admincat }},
	{"episodeStatus", func(f *model.EpisodeFilter) **model.StringFilter { return &f.EpisodeStatus }, func(e *epRow) *string { return e.epistat }},
}

type dateField struct {
	name  string
	field func(*model.EpisodeFilter) **model.DateFilter
	value func(*epRow) *string
}

var episodeDateFields = []dateField{
	{"admissionDate", func(f *model.EpisodeFilter) **model.DateFilter { return &f.AdmissionDate }, func(e *epRow) *string { return e.admidate }},
	{"episodeStart", func(f *model.EpisodeFilter) **model.DateFilter { return &f.EpisodeStart }, func(e *epRow) *string { return e.epistart }},
	{"episodeEnd", func(f *model.EpisodeFilter) **model.DateFilter { return &f.EpisodeEnd }, func(e *epRow) *string { return e.epiend }},
}

type intField struct {
	name  string
	field func(*model.EpisodeFilter) **model.IntFilter
	value func(*epRow) *int
}

var episodeIntFields = []intField{
	{"startAge", func(f *model.EpisodeFilter) **model.IntFilter { return &f.StartAge }, func(e *epRow) *int { return e.startAge }},
	{"episodeDuration", func(f *model.EpisodeFilter) **model.IntFilter { return &f.EpisodeDuration }, func(e *epRow) *int { return e.epidur }},
}

type patStrField struct {
	field func(*model.PatientFilter) **model.StringFilter
	value func(*patRow) *string
}

var patientStrFields = []patStrField{
	{func(f *model.PatientFilter) **model.StringFilter { return &f.Ethnicity }, func(p *patRow) *string { return p.ethnicity }},
	{func(f *model.PatientFilter) **model.StringFilter { return &f.Region }, func(p *patRow) *string { return p.region }},
	{func(f *model.PatientFilter) **model.StringFilter { return &f.PseudoID }, func(p *patRow) *string { return &p.pseudo }},
}

// sortVal is one row's value for a sort key; only one of s and n is used.
type sortVal struct {
	null bool
	s    string
	n    int
}

func strVal(s *string) sortVal {
	if s == nil {
		return sortVal{null: true}
	}
	return sortVal{s: *s}
}

func intVal(n *int) sortVal {
	if n == nil {
		return sortVal{null: true}
	}
	return sortVal{n: *n}
}

// compareVals orders NULL below every value.
func compareVals(a, b sortVal) int {
	switch {
	case a.null && b.null:
		return 0
	case a.null:
		return -1
	case b.null:
		return 1
	}
	return cmp.Or(cmp.Compare(a.s, b.s), cmp.Compare(a.n, b.n))
}

var episodeSortVals = map[model.EpisodeSortField]func(*epRow) sortVal{
	model.EpisodeSortFieldEpisodeStart:    func(e *epRow) sortVal { return strVal(e.epistart) },
	model.EpisodeSortFieldEpisodeEnd:      func(e *epRow) sortVal { return strVal(e.epiend) },
	model.EpisodeSortFieldAdmissionDate:   func(e *epRow) sortVal { return strVal(e.admidate) },
	model.EpisodeSortFieldDischargeDate:   func(e *epRow) sortVal { return strVal(e.disdate) },
	model.EpisodeSortFieldProviderCode:    func(e *epRow) sortVal { return strVal(e.procode3) },
	model.EpisodeSortFieldStartAge:        func(e *epRow) sortVal { return intVal(e.startAge) },
	model.EpisodeSortFieldEpisodeDuration: func(e *epRow) sortVal { return intVal(e.epidur) },
	model.EpisodeSortFieldFinancialYear:   func(e *epRow) sortVal { return strVal(e.fyear) },
}

var patientSortVals = map[model.PatientSortField]func(*patRow) sortVal{
	model.PatientSortFieldPseudoID:  func(p *patRow) sortVal { return sortVal{s: p.pseudo} },
	model.PatientSortFieldBirthYear: func(p *patRow) sortVal { return intVal(p.birthYear) },
}

// oracleKey is one resolved sort key of the oracle.
type oracleKey[R any] struct {
	val  func(R) sortVal
	desc bool
}

// oracleSort orders rows by keys, a repeated field counting once, then by
// id in the direction of the last key.
func oracleSort[R any](rows []R, keys []oracleKey[R], id func(R) int64) []int64 {
	idDesc := len(keys) > 0 && keys[len(keys)-1].desc
	sorted := slices.Clone(rows)
	slices.SortFunc(sorted, func(a, b R) int {
		for _, k := range keys {
			if c := compareVals(k.val(a), k.val(b)); c != 0 {
				if k.desc {
					return -c
				}
				return c
			}
		}
		c := cmp.Compare(id(a), id(b))
		if idDesc {
			return -c
		}
		return c
	})
	ids := make([]int64, len(sorted))
	for i, r := range sorted {
		ids[i] = id(r)
	}
	return ids
}

func isDesc(d *model.SortDirection) bool { return d != nil && *d == model.SortDirectionDesc }

// expectEpisodes is the oracle's answer to an episode listing.
func (w *world) expectEpisodes(q model.EpisodeQuery) []int64 {
	var rows []*epRow
	for _, e := range w.episodes {
		if (q.PatientID == 0 || e.patient == q.PatientID) && w.matchEpisode(q.Filter, e) {
			rows = append(rows, e)
		}
	}
	var keys []oracleKey[*epRow]
	seen := map[model.EpisodeSortField]bool{}
	for _, o := range q.OrderBy {
		if !seen[o.Field] {
			seen[o.Field] = true
			keys = append(keys, oracleKey[*epRow]{episodeSortVals[o.Field], isDesc(o.Direction)})
		}
	}
	return oracleSort(rows, keys, func(e *epRow) int64 { return e.id })
}

// expectPatients is the oracle's answer to a patient listing.
func (w *world) expectPatients(q model.PatientQuery) []int64 {
	var rows []*patRow
	for _, p := range w.patients {
		if w.matchPatient(q.Filter, p) {
			rows = append(rows, p)
		}
	}
	var keys []oracleKey[*patRow]
	seen := map[model.PatientSortField]bool{}
	for _, o := range q.OrderBy {
		if !seen[o.Field] {
			seen[o.Field] = true
			keys = append(keys, oracleKey[*patRow]{patientSortVals[o.Field], isDesc(o.Direction)})
		}
	}
	return oracleSort(rows, keys, func(p *patRow) int64 { return p.id })
}

func (w *world) matchEpisode(f *model.EpisodeFilter, e *epRow) bool {
	if f == nil {
		return true
	}
	for _, sub := range f.And {
		if !w.matchEpisode(sub, e) {
			return false
		}
	}
	if f.Or != nil && !slices.ContainsFunc(f.Or, func(sub *model.EpisodeFilter) bool { return w.matchEpisode(sub, e) }) {
		return false
	}
	if f.Not != nil && w.matchEpisode(f.Not, e) {
		return false
	}
	for _, s := range episodeStrFields {
		if !matchString(*s.field(f), s.value(e)) {
			return false
		}
	}
	for _, d := range episodeDateFields {
		if !matchDate(*d.field(f), d.value(e)) {
			return false
		}
	}
	for _, n := range episodeIntFields {
		if !matchInt(*n.field(f), n.value(e)) {
			return false
		}
	}
	anyCode := func(cf *model.CodeFilter, codes []string) bool {
		return slices.ContainsFunc(codes, func(c string) bool { return matchCode(cf, c) })
	}
	if f.Diagnosis != nil && !anyCode(f.Diagnosis, e.diags) {
		return false
	}
	if f.PrimaryDiagnosis != nil && (e.primary == nil || !matchCode(f.PrimaryDiagnosis, *e.primary)) {
		return false
	}
	if f.Procedure != nil && !anyCode(f.Procedure, e.procs) {
		return false
	}
	return f.Patient == nil || w.matchPatient(f.Patient, w.patByID[e.patient])
}

func (w *world) matchPatient(f *model.PatientFilter, p *patRow) bool {
	if f == nil {
		return true
	}
	for _, sub := range f.And {
		if !w.matchPatient(sub, p) {
			return false
		}
	}
	if f.Or != nil && !slices.ContainsFunc(f.Or, func(sub *model.PatientFilter) bool { return w.matchPatient(sub, p) }) {
		return false
	}
	if f.Not != nil && w.matchPatient(f.Not, p) {
		return false
	}
	if f.Sex != nil && (p.sex == nil || !slices.ContainsFunc(f.Sex, func(s model.Sex) bool { return sexCode(s) == *p.sex })) {
		return false
	}
	for _, s := range patientStrFields {
		if !matchString(*s.field(f), s.value(p)) {
			return false
		}
	}
	if !matchInt(f.BirthYear, p.birthYear) {
		return false
	}
	if f.HasEpisode != nil && !slices.ContainsFunc(p.episodes, func(e *epRow) bool { return w.matchEpisode(f.HasEpisode, e) }) {
		return false
	}
	return true
}

// sexCode is the HES SEX code of an API value (API.md, HES domain notes).
func sexCode(s model.Sex) string {
	return map[model.Sex]string{model.SexMale: "1", model.SexFemale: "2", model.SexNotSpecified: "9", model.SexNotKnown: "0"}[s]
}

// matchNull applies isNull; ok reports whether the value operators still
// need checking.
func matchNull(isNull *bool, null bool, hasOps bool) (match, ok bool) {
	if isNull != nil && *isNull != null {
		return false, false
	}
	if null {
		return !hasOps, false
	}
	return true, true
}

func matchString(f *model.StringFilter, v *string) bool {
	if f == nil {
		return true
	}
	hasOps := f.Eq != nil || f.Ne != nil || f.In != nil || f.NotIn != nil || f.StartsWith != nil
	if m, ok := matchNull(f.IsNull, v == nil, hasOps); !ok {
		return m
	}
	s := *v
	return (f.Eq == nil || s == *f.Eq) && (f.Ne == nil || s != *f.Ne) &&
		(f.In == nil || slices.Contains(f.In, s)) && (f.NotIn == nil || !slices.Contains(f.NotIn, s)) &&
		(f.StartsWith == nil || strings.HasPrefix(s, *f.StartsWith))
}

func matchInt(f *model.IntFilter, v *int) bool {
	if f == nil {
		return true
	}
	hasOps := f.Eq != nil || f.Ne != nil || f.In != nil || f.Gt != nil || f.Gte != nil || f.Lt != nil || f.Lte != nil
	if m, ok := matchNull(f.IsNull, v == nil, hasOps); !ok {
		return m
	}
	n := *v
	return (f.Eq == nil || n == *f.Eq) && (f.Ne == nil || n != *f.Ne) && (f.In == nil || slices.Contains(f.In, n)) &&
		(f.Gt == nil || n > *f.Gt) && (f.Gte == nil || n >= *f.Gte) && (f.Lt == nil || n < *f.Lt) && (f.Lte == nil || n <= *f.Lte)
}

func matchDate(f *model.DateFilter, v *string) bool {
	if f == nil {
		return true
	}
	hasOps := f.Eq != nil || f.Gt != nil || f.Gte != nil || f.Lt != nil || f.Lte != nil
	if m, ok := matchNull(f.IsNull, v == nil, hasOps); !ok {
		return m
	}
	s := *v
	ds := func(d *model.Date) string { return d.Format("2006-01-02") }
	return (f.Eq == nil || s == ds(f.Eq)) && (f.Gt == nil || s > ds(f.Gt)) && (f.Gte == nil || s >= ds(f.Gte)) &&
		(f.Lt == nil || s < ds(f.Lt)) && (f.Lte == nil || s <= ds(f.Lte))
}

// oracleCode puts a client code into HES form: upper case, and the dot of
// the dotted form (after the third character) removed.
func oracleCode(s string) string {
	s = strings.ToUpper(s)
	if len(s) > 3 && s[3] == '.' {
		s = s[:3] + s[4:]
	}
	return s
}

func matchCode(f *model.CodeFilter, code string) bool {
	prefixed := func(p string) bool { return strings.HasPrefix(code, oracleCode(p)) }
	return (f.Eq == nil || code == oracleCode(*f.Eq)) &&
		(f.In == nil || slices.ContainsFunc(f.In, func(c string) bool { return code == oracleCode(c) })) &&
		(f.StartsWith == nil || prefixed(*f.StartsWith)) &&
		(f.StartsWithAny == nil || slices.ContainsFunc(f.StartsWithAny, prefixed))
}

// domains are the values present in the store, so that random filters
// select something; a few absent values are mixed in.
type domains struct {
	strs            map[string][]string // by episode string field name
	dates           []string
	ints            map[string][]int
	diags, procs    []string
	patStrs         [][]string // by patientStrFields index
	birthYears      []int
	patientsWithEps []int64
}

func (w *world) domains() *domains {
	d := &domains{strs: map[string][]string{}, ints: map[string][]int{}}
	uniq := func(in []string) []string { slices.Sort(in); return slices.Compact(in) }
	uniqInts := func(in []int) []int { slices.Sort(in); return slices.Compact(in) }
	for _, f := range episodeStrFields {
		var vals []string
		for _, e := range w.episodes {
			if v := f.value(e); v != nil {
				vals = append(vals, *v)
			}
		}
		d.strs[f.name] = uniq(vals)
	}
	for _, f := range episodeIntFields {
		var vals []int
		for _, e := range w.episodes {
			if v := f.value(e); v != nil {
				vals = append(vals, *v)
			}
		}
		d.ints[f.name] = uniqInts(vals)
	}
	for _, e := range w.episodes {
		for _, f := range episodeDateFields {
			if v := f.value(e); v != nil {
				d.dates = append(d.dates, *v)
			}
		}
		d.diags = append(d.diags, e.diags...)
		d.procs = append(d.procs, e.procs...)
	}
	d.dates, d.diags, d.procs = uniq(d.dates), uniq(d.diags), uniq(d.procs)
	for _, f := range patientStrFields {
		var vals []string
		for _, p := range w.patients {
			if v := f.value(p); v != nil {
				vals = append(vals, *v)
			}
		}
		d.patStrs = append(d.patStrs, uniq(vals))
	}
	var years []int
	for _, p := range w.patients {
		if p.birthYear != nil {
			years = append(years, *p.birthYear)
		}
		if len(p.episodes) > 1 {
			d.patientsWithEps = append(d.patientsWithEps, p.id)
		}
	}
	d.birthYears = uniqInts(years)
	return d
}

// gen draws random listing requests.
type gen struct {
	r *rand.Rand
	d *domains
}

func ptr[T any](v T) *T { return &v }

func (g *gen) pick(vals []string, absent string) string {
	if len(vals) == 0 || g.r.IntN(12) == 0 {
		return absent
	}
	return vals[g.r.IntN(len(vals))]
}

func (g *gen) pickInt(vals []int) int {
	if len(vals) == 0 || g.r.IntN(12) == 0 {
		return 9999
	}
	return vals[g.r.IntN(len(vals))]
}

func (g *gen) some(vals []string, absent string) []string {
	out := make([]string, 1+g.r.IntN(4))
	for i := range out {
		out[i] = g.pick(vals, absent)
	}
	return out
}

func (g *gen) stringFilter(vals []string) *model.StringFilter {
	f := &model.StringFilter{}
	v := g.pick(vals, "ZZZ")
	switch g.r.IntN(9) {
	case 0:
		f.Eq = &v
	case 1:
		f.Ne = &v
	case 2:
		f.In = g.some(vals, "ZZZ")
	case 3:
		f.NotIn = g.some(vals, "ZZZ")
	case 4:
		f.StartsWith = ptr(v[:1+g.r.IntN(len(v))])
	case 5:
		f.IsNull = ptr(true)
	case 6:
		f.IsNull = ptr(false)
	case 7:
		f.In, f.Ne = g.some(vals, "ZZZ"), &v
	default:
		f.StartsWith, f.IsNull = ptr(v[:1]), ptr(false)
	}
	return f
}

func (g *gen) intFilter(vals []int) *model.IntFilter {
	f := &model.IntFilter{}
	a, b := g.pickInt(vals), g.pickInt(vals)
	lo, hi := min(a, b), max(a, b)
	switch g.r.IntN(9) {
	case 0:
		f.Eq = &a
	case 1:
		f.Ne = &a
	case 2:
		f.In = []int{a, b, g.pickInt(vals)}[:1+g.r.IntN(3)]
	case 3:
		if g.r.IntN(2) == 0 {
			f.Gt = &a
		} else {
			f.Gte = &a
		}
	case 4:
		if g.r.IntN(2) == 0 {
			f.Lt = &a
		} else {
			f.Lte = &a
		}
	case 5:
		f.Gte, f.Lte = &lo, &hi
	case 6:
		f.Gte, f.Lt, f.IsNull = &lo, ptr(hi+1), ptr(false)
	case 7:
		f.IsNull = ptr(true)
	default:
		f.IsNull = ptr(false)
	}
	return f
}

func (g *gen) dateFilter() *model.DateFilter {
	day := func() *model.Date {
		d, err := model.ParseDate(g.pick(g.d.dates, "2019-02-28"))
		if err != nil {
			panic(err)
		}
		return &d
	}
	f := &model.DateFilter{}
	a, b := day(), day()
	if a.After(b.Time) {
		a, b = b, a
	}
	switch g.r.IntN(8) {
	case 0:
		f.Eq = a
	case 1, 7:
		f.Gt = a
	case 2:
		f.Lte = a
	case 3:
		f.Gte, f.Lte = a, b
	case 4:
		f.Gte, f.Lt = a, ptr(model.Date{Time: b.AddDate(0, 0, 1)})
	case 5:
		f.IsNull = ptr(true)
	default:
		f.IsNull = ptr(false)
	}
	return f
}

// codeFilter draws a CodeFilter over codes, sometimes written in lower case
// or in the dotted form a client may type.
func (g *gen) codeFilter(codes []string, absent string) *model.CodeFilter {
	spell := func(c string) string {
		switch g.r.IntN(5) {
		case 0:
			return strings.ToLower(c)
		case 1:
			return c[:3] + "." + c[3:]
		}
		return c
	}
	prefix := func() string {
		c := g.pick(codes, absent)
		return c[:1+g.r.IntN(3)]
	}
	f := &model.CodeFilter{}
	switch g.r.IntN(6) {
	case 0:
		f.Eq = ptr(spell(g.pick(codes, absent)))
	case 1:
		for range 1 + g.r.IntN(3) {
			f.In = append(f.In, spell(g.pick(codes, absent)))
		}
	case 2, 3:
		f.StartsWith = ptr(prefix())
	case 4:
		f.StartsWithAny = []string{prefix(), prefix()}
	default:
		f.StartsWith, f.StartsWithAny = ptr(prefix()[:1]), []string{prefix()}
	}
	return f
}

func (g *gen) episodeFilter(depth int, withPatient bool) *model.EpisodeFilter {
	f := &model.EpisodeFilter{}
	for range 1 + g.r.IntN(4)/3 {
		switch n := g.r.IntN(20); {
		case n < 7:
			s := episodeStrFields[g.r.IntN(len(episodeStrFields))]
			*s.field(f) = g.stringFilter(g.d.strs[s.name])
		case n < 10:
			*episodeDateFields[g.r.IntN(len(episodeDateFields))].field(f) = g.dateFilter()
		case n < 13:
			s := episodeIntFields[g.r.IntN(len(episodeIntFields))]
			*s.field(f) = g.intFilter(g.d.ints[s.name])
		case n < 15:
			f.Diagnosis = g.codeFilter(g.d.diags, "Q999")
		case n < 16:
			f.PrimaryDiagnosis = g.codeFilter(g.d.diags, "Q999")
		case n < 18:
			f.Procedure = g.codeFilter(g.d.procs, "Z999")
		default:
			if withPatient {
				f.Patient = g.patientFilter(depth-1, false)
			}
		}
	}
	if depth > 0 {
		switch g.r.IntN(6) {
		case 0:
			f.And = []*model.EpisodeFilter{g.episodeFilter(depth-1, withPatient), g.episodeFilter(depth-1, withPatient)}
		case 1, 2:
			for range 2 + g.r.IntN(2) {
				f.Or = append(f.Or, g.episodeFilter(depth-1, withPatient))
			}
		case 3:
			f.Not = g.episodeFilter(depth-1, withPatient)
		}
	}
	return f
}

func (g *gen) patientFilter(depth int, withEpisodes bool) *model.PatientFilter {
	f := &model.PatientFilter{}
	for range 1 + g.r.IntN(4)/3 {
		switch n := g.r.IntN(10); {
		case n < 3:
			f.Sex = []model.Sex{model.AllSex[g.r.IntN(len(model.AllSex))]}
			if g.r.IntN(2) == 0 {
				f.Sex = append(f.Sex, model.AllSex[g.r.IntN(len(model.AllSex))])
			}
		case n < 6:
			f.BirthYear = g.intFilter(g.d.birthYears)
		case n < 8:
			i := g.r.IntN(len(patientStrFields))
			*patientStrFields[i].field(f) = g.stringFilter(g.d.patStrs[i])
		default:
			if withEpisodes {
				f.HasEpisode = g.episodeFilter(max(depth-1, 0), false)
			}
		}
	}
	if depth > 0 {
		switch g.r.IntN(5) {
		case 0:
			f.Or = []*model.PatientFilter{g.patientFilter(depth-1, withEpisodes), g.patientFilter(depth-1, withEpisodes)}
		case 1:
			f.Not = g.patientFilter(depth-1, withEpisodes)
		case 2:
			f.And = []*model.PatientFilter{g.patientFilter(depth-1, withEpisodes)}
		}
	}
	return f
}

func (g *gen) direction() *model.SortDirection {
	switch g.r.IntN(3) {
	case 0:
		return nil // the default, ascending
	case 1:
		return ptr(model.SortDirectionAsc)
	}
	return ptr(model.SortDirectionDesc)
}

func (g *gen) episodeOrder() []*model.EpisodeOrder {
	var out []*model.EpisodeOrder
	for range g.r.IntN(4) {
		f := model.AllEpisodeSortField[g.r.IntN(len(model.AllEpisodeSortField))]
		out = append(out, &model.EpisodeOrder{Field: f, Direction: g.direction()})
	}
	return out
}

func (g *gen) patientOrder() []*model.PatientOrder {
	var out []*model.PatientOrder
	for range g.r.IntN(3) {
		f := model.AllPatientSortField[g.r.IntN(len(model.AllPatientSortField))]
		out = append(out, &model.PatientOrder{Field: f, Direction: g.direction()})
	}
	return out
}

// pageSize draws 1-100, raised when needed so that a walk stays within
// maxPages pages.
func (g *gen) pageSize(rows int) int {
	const maxPages = 20
	lo := min(max(1, (rows+maxPages-1)/maxPages), db.MaxPageSize)
	return lo + g.r.IntN(db.MaxPageSize-lo+1)
}

// page is what a walk needs of one listing page.
type page struct {
	ids     []int64
	cursors []string
	info    *model.PageInfo
}

type lister func(model.Page) (page, error)

func listEpisodes(d *db.DB, q model.EpisodeQuery) lister {
	return func(p model.Page) (page, error) {
		q.Page = p
		conn, err := d.ListEpisodes(context.Background(), q)
		if err != nil {
			return page{}, err
		}
		var out page
		for _, e := range conn.Edges {
			out.ids, out.cursors = append(out.ids, e.Node.RowID), append(out.cursors, e.Cursor)
		}
		out.info = conn.PageInfo
		return out, nil
	}
}

func listPatients(d *db.DB, q model.PatientQuery) lister {
	return func(p model.Page) (page, error) {
		q.Page = p
		conn, err := d.ListPatients(context.Background(), q)
		if err != nil {
			return page{}, err
		}
		var out page
		for _, e := range conn.Edges {
			out.ids, out.cursors = append(out.ids, e.Node.RowID), append(out.cursors, e.Cursor)
		}
		out.info = conn.PageInfo
		return out, nil
	}
}

// checkPage compares one page with want and checks its cursors.
func checkPage(t *testing.T, what string, got page, want []int64, hasNext, hasPrev bool) {
	t.Helper()
	if !slices.Equal(got.ids, want) {
		t.Fatalf("%s: ids %v, want %v", what, got.ids, want)
	}
	if got.info.HasNextPage != hasNext || got.info.HasPreviousPage != hasPrev {
		t.Fatalf("%s: hasNextPage=%v hasPreviousPage=%v, want %v %v", what,
			got.info.HasNextPage, got.info.HasPreviousPage, hasNext, hasPrev)
	}
	if len(got.ids) == 0 {
		if got.info.StartCursor != nil || got.info.EndCursor != nil {
			t.Fatalf("%s: empty page has cursors %v %v", what, got.info.StartCursor, got.info.EndCursor)
		}
		return
	}
	if got.info.StartCursor == nil || *got.info.StartCursor != got.cursors[0] ||
		got.info.EndCursor == nil || *got.info.EndCursor != got.cursors[len(got.cursors)-1] {
		t.Fatalf("%s: startCursor/endCursor do not match the first and last edges", what)
	}
}

// walk pages through a listing forwards with first/after and then backwards
// with last/before, checking every page against want.
func walk(t *testing.T, r *rand.Rand, list lister, want []int64, size int) {
	t.Helper()
	walkForward(t, r, list, want, size, nil, 0)
	walkBackward(t, r, list, want, size, nil, len(want))
}

// walkForward pages on from after, which stands just before want[off].
// Sometimes it goes on from a cursor inside the page rather than its end,
// so that every edge's cursor is exercised, not only endCursor.
func walkForward(t *testing.T, r *rand.Rand, list lister, want []int64, size int, after *string, off int) {
	t.Helper()
	for n := 0; ; n++ {
		if n > len(want)+1 {
			t.Fatal("forward walk does not end")
		}
		got, err := list(model.Page{First: &size, After: after})
		if err != nil {
			t.Fatalf("forward page %d: %v", n, err)
		}
		end := min(off+size, len(want))
		checkPage(t, fmt.Sprintf("forward page %d (rows %d-%d of %d)", n, off, end, len(want)), got, want[off:end], end < len(want), after != nil)
		if !got.info.HasNextPage {
			return
		}
		next := len(got.ids) - 1
		if r.IntN(4) == 0 {
			next = r.IntN(len(got.ids))
		}
		after, off = &got.cursors[next], off+next+1
	}
}

// walkBackward pages back from before, which stands just after want[end-1].
func walkBackward(t *testing.T, r *rand.Rand, list lister, want []int64, size int, before *string, end int) {
	t.Helper()
	for n := 0; ; n++ {
		if n > len(want)+1 {
			t.Fatal("backward walk does not end")
		}
		got, err := list(model.Page{Last: &size, Before: before})
		if err != nil {
			t.Fatalf("backward page %d: %v", n, err)
		}
		start := max(0, end-size)
		checkPage(t, fmt.Sprintf("backward page %d (rows %d-%d of %d)", n, start, end, len(want)), got, want[start:end], before != nil, start > 0)
		if !got.info.HasPreviousPage {
			return
		}
		prev := 0
		if r.IntN(4) == 0 {
			prev = r.IntN(len(got.ids))
		}
		before, end = &got.cursors[prev], start+prev
	}
}

func describe(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// Random filters, orderings and page sizes over generated episodes plus
// the hand-written NULL and tie rows: every page of every walk matches the
// in-memory oracle exactly.
func TestEngineEpisodesMatchOracle(t *testing.T) {
	fx := newFixture(t, 3000)
	dom := fx.w.domains()
	const cases = 240
	var empty, small, large int
	t.Run("cases", func(t *testing.T) {
		for i := range cases {
			seed := *engineSeed + uint64(i)
			g := &gen{r: rand.New(rand.NewPCG(seed, 1)), d: dom}
			q := model.EpisodeQuery{OrderBy: g.episodeOrder()}
			switch n := g.r.IntN(12); {
			case n < 2:
				// A patient's nested listing: few rows, so a filter mostly empties it.
				q.PatientID = dom.patientsWithEps[g.r.IntN(len(dom.patientsWithEps))]
				if g.r.IntN(3) == 0 {
					q.Filter = g.episodeFilter(0, false)
				}
			case n < 3:
				// Everything, or whatever the generator draws, however large.
				if g.r.IntN(2) == 0 {
					q.Filter = g.episodeFilter(g.r.IntN(3), true)
				}
			default:
				// Walking a large listing costs a statement per page, so
				// filters selecting most rows are mostly drawn again, and
				// so are some of those selecting nothing.
				for try := 0; try < 10; try++ {
					q.Filter = g.episodeFilter(g.r.IntN(3), true)
					if n := len(fx.w.expectEpisodes(q)); n <= len(fx.w.episodes)/3 && (n > 0 || try >= 2) {
						break
					}
				}
			}
			if g.r.IntN(3) == 0 {
				// Only what a client selecting ids needs; cursors still need the sort keys.
				q.Fields = map[string]bool{"id": true}
			}
			want := fx.w.expectEpisodes(q)
			switch {
			case len(want) == 0:
				empty++
			case len(want) < 100:
				small++
			default:
				large++
			}
			size := g.pageSize(len(want))
			t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
				t.Parallel()
				t.Logf("orderBy=%s patient=%d filter=%s fields=%v first/last=%d rows=%d",
					describe(q.OrderBy), q.PatientID, describe(q.Filter), q.Fields, size, len(want))
				walk(t, g.r, listEpisodes(fx.db, q), want, size)
				if n, err := fx.db.CountEpisodes(context.Background(), q); err != nil || n != len(want) {
					t.Errorf("CountEpisodes = %d (%v), want %d", n, err, len(want))
				}
			})
		}
	})
	t.Logf("%d cases: %d empty, %d under 100 rows, %d larger; %d statements", cases, empty, small, large, fx.db.StatementsTotal())
	// The generator must keep producing all three kinds of result, or the
	// walks above stop proving much.
	if empty == 0 || small < cases/5 || large < cases/10 {
		t.Errorf("case mix drifted: %d empty, %d small, %d large", empty, small, large)
	}
}

// Random patient filters (including hasEpisode) and orderings.
func TestEnginePatientsMatchOracle(t *testing.T) {
	fx := newFixture(t, 3000)
	dom := fx.w.domains()
	const cases = 80
	var nonEmpty int
	t.Run("cases", func(t *testing.T) {
		for i := range cases {
			seed := *engineSeed + 10_000 + uint64(i)
			g := &gen{r: rand.New(rand.NewPCG(seed, 2)), d: dom}
			q := model.PatientQuery{OrderBy: g.patientOrder()}
			if g.r.IntN(8) != 0 {
				q.Filter = g.patientFilter(g.r.IntN(3), true)
			}
			want := fx.w.expectPatients(q)
			if len(want) > 0 {
				nonEmpty++
			}
			size := g.pageSize(len(want))
			t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
				t.Parallel()
				t.Logf("orderBy=%s filter=%s first/last=%d rows=%d", describe(q.OrderBy), describe(q.Filter), size, len(want))
				walk(t, g.r, listPatients(fx.db, q), want, size)
				if n, err := fx.db.CountPatients(context.Background(), q); err != nil || n != len(want) {
					t.Errorf("CountPatients = %d (%v), want %d", n, err, len(want))
				}
			})
		}
	})
	if nonEmpty < cases/2 {
		t.Errorf("only %d of %d patient cases matched anything", nonEmpty, cases)
	}
}

// Patient.episodes for a page of patients is one statement whose
// per-patient connections are the oracle's first (or last) page of each
// patient's listing, with cursors that continue it through ListEpisodes.
func TestEngineNestedBatchMatchesOracle(t *testing.T) {
	fx := newFixture(t, 3000)
	dom := fx.w.domains()
	ctx := context.Background()
	for i := range 60 {
		seed := *engineSeed + 20_000 + uint64(i)
		g := &gen{r: rand.New(rand.NewPCG(seed, 3)), d: dom}
		q := model.EpisodeQuery{OrderBy: g.episodeOrder(), Total: g.r.IntN(2) == 0}
		if g.r.IntN(3) != 0 {
			q.Filter = g.episodeFilter(g.r.IntN(2), true)
		}
		if g.r.IntN(3) == 0 {
			q.Fields = map[string]bool{"id": true}
		}
		size, backward := 1+g.r.IntN(6), g.r.IntN(3) == 0
		var ids []int64
		for range 1 + g.r.IntN(30) {
			ids = append(ids, fx.w.patients[g.r.IntN(len(fx.w.patients))].id)
		}
		if g.r.IntN(2) == 0 {
			// The hand-written patients, whose episodes hold the NULLs and ties.
			ids = append(ids, fx.w.epByKey[edgeKey(1)].patient, fx.w.epByKey[edgeKey(2)].patient, fx.w.epByKey[edgeKey(4)].patient)
		}
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			t.Logf("orderBy=%s filter=%s fields=%v total=%v size=%d backward=%v patients=%v",
				describe(q.OrderBy), describe(q.Filter), q.Fields, q.Total, size, backward, ids)
			bq := q
			bq.Page = model.Page{First: &size}
			if backward {
				bq.Page = model.Page{Last: &size}
			}
			before := fx.db.StatementsTotal()
			conns, err := fx.db.ListEpisodesForPatients(ctx, ids, bq)
			if err != nil {
				t.Fatal(err)
			}
			if n := fx.db.StatementsTotal() - before; n != 1 {
				t.Errorf("%d statements for %d patients, want 1", n, len(ids))
			}
			// Without cursors: the same pages and page information,
			// no cursor signed.
			nq := bq
			nq.NoCursors = true
			bare, err := fx.db.ListEpisodesForPatients(ctx, ids, nq)
			if err != nil {
				t.Fatal(err)
			}
			for _, id := range ids {
				c, b := conns[id], bare[id]
				if c == nil || b == nil || len(b.Edges) != len(c.Edges) || len(b.Nodes) != len(c.Nodes) {
					t.Fatalf("patient %d: page without cursors %v, with %v", id, b, c)
				}
				for i, e := range b.Edges {
					if e.Cursor != "" || e.Node.RowID != c.Edges[i].Node.RowID || b.Nodes[i].RowID != c.Nodes[i].RowID {
						t.Errorf("patient %d row %d: episode %d cursor %q without cursors, episode %d with", id, i, e.Node.RowID, e.Cursor, c.Edges[i].Node.RowID)
					}
				}
				if b.PageInfo.HasNextPage != c.PageInfo.HasNextPage || b.PageInfo.HasPreviousPage != c.PageInfo.HasPreviousPage || b.PageInfo.StartCursor != nil || b.PageInfo.EndCursor != nil {
					t.Errorf("patient %d: page info without cursors %+v, with %+v", id, b.PageInfo, c.PageInfo)
				}
			}
			for _, id := range ids {
				pq := q
				pq.PatientID = id
				want := fx.w.expectEpisodes(pq)
				conn := conns[id]
				if conn == nil {
					t.Fatalf("no connection for patient %d", id)
				}
				var got page
				for _, e := range conn.Edges {
					got.ids, got.cursors = append(got.ids, e.Node.RowID), append(got.cursors, e.Cursor)
				}
				got.info = conn.PageInfo
				what := fmt.Sprintf("patient %d", id)
				r := rand.New(rand.NewPCG(seed, uint64(id)))
				if backward {
					start := max(0, len(want)-size)
					checkPage(t, what, got, want[start:], false, start > 0)
					if start > 0 {
						walkBackward(t, r, listEpisodes(fx.db, pq), want, size, got.info.StartCursor, start)
					}
				} else {
					end := min(size, len(want))
					checkPage(t, what, got, want[:end], end < len(want), false)
					if end < len(want) {
						walkForward(t, r, listEpisodes(fx.db, pq), want, size, got.info.EndCursor, end)
					}
				}
				if q.Total {
					n, err := fx.db.CountEpisodes(ctx, conn.Query)
					if err != nil || n != len(want) {
						t.Errorf("%s: totalCount %d (%v), want %d", what, n, err, len(want))
					}
				}
			}
		})
	}
}

// edgeIDs maps row numbers of edgeExtract to episode ids.
func (w *world) edgeIDs(rows ...int) []int64 {
	ids := make([]int64, len(rows))
	for i, n := range rows {
		ids[i] = w.epByKey[edgeKey(n)].id
	}
	return ids
}

func episodeOrder(field model.EpisodeSortField, dir model.SortDirection) []*model.EpisodeOrder {
	return []*model.EpisodeOrder{{Field: field, Direction: &dir}}
}

// Rows tied on every sort key and rows NULL on every nullable one, in every
// ordering and with pages small enough to split the ties.
func TestEngineNullsAndTies(t *testing.T) {
	fx := newFixture(t, 0)
	w := fx.w
	asc, desc := model.SortDirectionAsc, model.SortDirectionDesc

	// Hand-worked orders, which also pin the oracle's NULL and tie rules.
	hand := []struct {
		name  string
		order []*model.EpisodeOrder
		rows  []int
	}{
		{"default", nil, []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}},
		{"start asc", episodeOrder(model.EpisodeSortFieldEpisodeStart, asc), []int{5, 6, 7, 8, 1, 2, 3, 4, 9, 10}},
		{"start desc", episodeOrder(model.EpisodeSortFieldEpisodeStart, desc), []int{10, 9, 4, 3, 2, 1, 8, 7, 6, 5}},
		{"age asc", episodeOrder(model.EpisodeSortFieldStartAge, asc), []int{5, 6, 7, 9, 8, 10, 1, 2, 3, 4}},
		{"age desc", episodeOrder(model.EpisodeSortFieldStartAge, desc), []int{4, 3, 2, 1, 10, 8, 9, 7, 6, 5}},
		{"provider asc", episodeOrder(model.EpisodeSortFieldProviderCode, asc), []int{5, 6, 7, 9, 1, 2, 3, 4, 10, 8}},
		{"provider desc", episodeOrder(model.EpisodeSortFieldProviderCode, desc), []int{8, 10, 4, 3, 2, 1, 9, 7, 6, 5}},
		{"year desc, start asc", []*model.EpisodeOrder{
			{Field: model.EpisodeSortFieldFinancialYear, Direction: &desc},
			{Field: model.EpisodeSortFieldEpisodeStart, Direction: &asc},
		}, []int{9, 10, 5, 6, 1, 2, 3, 4, 7, 8}},
	}
	for _, h := range hand {
		want := w.edgeIDs(h.rows...)
		if got := w.expectEpisodes(model.EpisodeQuery{OrderBy: h.order}); !slices.Equal(got, want) {
			t.Fatalf("oracle %s: %v, want %v", h.name, got, want)
		}
		for _, size := range []int{1, 3, 10} {
			t.Run(fmt.Sprintf("%s/%d", h.name, size), func(t *testing.T) {
				walk(t, rand.New(rand.NewPCG(uint64(size), 0)), listEpisodes(fx.db, model.EpisodeQuery{OrderBy: h.order}), want, size)
			})
		}
	}

	// Every sort field in both directions, alone and ahead of another key,
	// with page sizes that end pages inside the tied and NULL groups.
	for _, f := range model.AllEpisodeSortField {
		for _, dir := range model.AllSortDirection {
			for _, order := range [][]*model.EpisodeOrder{
				episodeOrder(f, dir),
				append(episodeOrder(f, dir), &model.EpisodeOrder{Field: model.EpisodeSortFieldEpisodeDuration, Direction: &desc}),
			} {
				q := model.EpisodeQuery{OrderBy: order}
				want := w.expectEpisodes(q)
				for _, size := range []int{1, 2, 3} {
					t.Run(fmt.Sprintf("%s/%d", describe(order), size), func(t *testing.T) {
						walk(t, rand.New(rand.NewPCG(uint64(size), 1)), listEpisodes(fx.db, q), want, size)
					})
				}
			}
		}
	}
	for _, f := range model.AllPatientSortField {
		for _, dir := range model.AllSortDirection {
			q := model.PatientQuery{OrderBy: []*model.PatientOrder{{Field: f, Direction: &dir}}}
			t.Run(describe(q.OrderBy), func(t *testing.T) {
				walk(t, rand.New(rand.NewPCG(7, 1)), listPatients(fx.db, q), w.expectPatients(q), 1)
			})
		}
	}
}

// isNull and the value operators on NULLs: a value operator never matches
// NULL, isNull is the only way to ask for it, and not is the complement.
func TestEngineNullFilters(t *testing.T) {
	fx := newFixture(t, 0)
	w := fx.w
	yes, no := ptr(true), ptr(false)
	all := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	cases := []struct {
		name   string
		filter *model.EpisodeFilter
		rows   []int
	}{
		{"providerCode null", &model.EpisodeFilter{ProviderCode: &model.StringFilter{IsNull: yes}}, []int{5, 6, 7, 9}},
		{"treatmentSpecialty null", &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{IsNull: yes}}, []int{5, 6, 7}},
		{"mainSpecialty null", &model.EpisodeFilter{MainSpecialty: &model.StringFilter{IsNull: yes}}, []int{5, 6, 7}},
		{"admissionDate null", &model.EpisodeFilter{AdmissionDate: &model.DateFilter{IsNull: yes}}, []int{5, 6, 7, 9}},
		{"episodeStart null", &model.EpisodeFilter{EpisodeStart: &model.DateFilter{IsNull: yes}}, []int{5, 6, 7, 8}},
		{"episodeEnd null", &model.EpisodeFilter{EpisodeEnd: &model.DateFilter{IsNull: yes}}, []int{5, 6, 7, 9}},
		{"startAge null", &model.EpisodeFilter{StartAge: &model.IntFilter{IsNull: yes}}, []int{5, 6, 7, 9}},
		{"episodeDuration null", &model.EpisodeFilter{EpisodeDuration: &model.IntFilter{IsNull: yes}}, []int{5, 6, 7, 8}},
		{"patient ethnicity null", &model.EpisodeFilter{Patient: &model.PatientFilter{Ethnicity: &model.StringFilter{IsNull: yes}}}, []int{4, 5, 9}},
		{"patient birthYear null", &model.EpisodeFilter{Patient: &model.PatientFilter{BirthYear: &model.IntFilter{IsNull: yes}}}, []int{4, 5, 9}},
		{"providerCode not null", &model.EpisodeFilter{ProviderCode: &model.StringFilter{IsNull: no}}, []int{1, 2, 3, 4, 8, 10}},
		{"startAge not null and below 65", &model.EpisodeFilter{StartAge: &model.IntFilter{Lt: ptr(65), IsNull: no}}, []int{8, 10}},
		{"episodeStart not null", &model.EpisodeFilter{EpisodeStart: &model.DateFilter{IsNull: no}}, []int{1, 2, 3, 4, 9, 10}},
		{"patient region not null", &model.EpisodeFilter{Patient: &model.PatientFilter{Region: &model.StringFilter{IsNull: no}}}, []int{1, 2, 3, 6, 7, 8, 10}},
		{"startAge ne", &model.EpisodeFilter{StartAge: &model.IntFilter{Ne: ptr(70)}}, []int{8, 10}},
		{"providerCode notIn", &model.EpisodeFilter{ProviderCode: &model.StringFilter{NotIn: []string{"RXX"}}}, []int{8}},
		{"not startAge", &model.EpisodeFilter{Not: &model.EpisodeFilter{StartAge: &model.IntFilter{Gte: ptr(65)}}}, []int{5, 6, 7, 8, 9, 10}},
		{"not providerCode", &model.EpisodeFilter{Not: &model.EpisodeFilter{ProviderCode: &model.StringFilter{Eq: ptr("RXX")}}}, []int{5, 6, 7, 8, 9}},
		{"not episodeEnd", &model.EpisodeFilter{Not: &model.EpisodeFilter{EpisodeEnd: &model.DateFilter{Lt: ptr(model.Date{Time: mustDate(t, "2022-01-01")})}}}, []int{5, 6, 7, 9, 10}},
		{"not patient birthYear", &model.EpisodeFilter{Not: &model.EpisodeFilter{Patient: &model.PatientFilter{BirthYear: &model.IntFilter{Lt: ptr(1970)}}}}, []int{2, 4, 5, 7, 8, 9}},
		{"not diagnosis", &model.EpisodeFilter{Not: &model.EpisodeFilter{Diagnosis: &model.CodeFilter{StartsWith: ptr("L")}}}, []int{3, 5, 6, 7, 9}},
		{"not primaryDiagnosis", &model.EpisodeFilter{Not: &model.EpisodeFilter{PrimaryDiagnosis: &model.CodeFilter{StartsWith: ptr("L")}}}, []int{3, 5, 6, 7, 9}},
		{"secondary diagnosis only", &model.EpisodeFilter{Diagnosis: &model.CodeFilter{Eq: ptr("L40.0")}, PrimaryDiagnosis: &model.CodeFilter{Eq: ptr("l401")}}, []int{2}},
		{"x or not x", &model.EpisodeFilter{Or: []*model.EpisodeFilter{
			{EpisodeDuration: &model.IntFilter{Gt: ptr(1)}},
			{Not: &model.EpisodeFilter{EpisodeDuration: &model.IntFilter{Gt: ptr(1)}}},
		}}, all},
		{"not not", &model.EpisodeFilter{Not: &model.EpisodeFilter{Not: &model.EpisodeFilter{AdmissionDate: &model.DateFilter{Gte: ptr(model.Date{Time: mustDate(t, "2021-01-01")})}}}}, []int{1, 2, 3, 4, 10}},
		{"not empty", &model.EpisodeFilter{Not: &model.EpisodeFilter{}}, nil},
		// startsWith is a literal prefix: LIKE wildcards in it match themselves.
		{"startsWith", &model.EpisodeFilter{ProviderCode: &model.StringFilter{StartsWith: ptr("RX")}}, []int{1, 2, 3, 4, 10}},
		{"startsWith underscore", &model.EpisodeFilter{ProviderCode: &model.StringFilter{StartsWith: ptr("R_X")}}, nil},
		{"startsWith percent", &model.EpisodeFilter{ProviderCode: &model.StringFilter{StartsWith: ptr("%")}}, nil},
		{"startsWith backslash", &model.EpisodeFilter{Patient: &model.PatientFilter{PseudoID: &model.StringFilter{StartsWith: ptr(`TESTEDGE\`)}}}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := model.EpisodeQuery{Filter: c.filter}
			want := w.edgeIDs(c.rows...)
			if got := w.expectEpisodes(q); !slices.Equal(got, want) {
				t.Fatalf("oracle: %v, want %v", got, want)
			}
			walk(t, rand.New(rand.NewPCG(3, 3)), listEpisodes(fx.db, q), want, 2)
		})
	}

	// The same rules on the patient listing, where TESTEDGEN has no sex,
	// ethnicity, birth year or region.
	pat := func(pseudo ...string) []int64 {
		var ids []int64
		for _, p := range w.patients {
			if slices.Contains(pseudo, p.pseudo) {
				ids = append(ids, p.id)
			}
		}
		return ids
	}
	pcases := []struct {
		name   string
		filter *model.PatientFilter
		want   []int64
	}{
		{"birthYear null", &model.PatientFilter{BirthYear: &model.IntFilter{IsNull: yes}}, pat("TESTEDGEN")},
		{"sex", &model.PatientFilter{Sex: []model.Sex{model.SexMale, model.SexFemale}}, pat("TESTEDGEA", "TESTEDGEB")},
		{"not sex", &model.PatientFilter{Not: &model.PatientFilter{Sex: []model.Sex{model.SexMale}}}, pat("TESTEDGEB", "TESTEDGEN")},
		{"not birthYear", &model.PatientFilter{Not: &model.PatientFilter{BirthYear: &model.IntFilter{Gt: ptr(1970)}}}, pat("TESTEDGEA", "TESTEDGEN")},
		{"hasEpisode null start", &model.PatientFilter{HasEpisode: &model.EpisodeFilter{EpisodeStart: &model.DateFilter{IsNull: yes}}}, pat("TESTEDGEA", "TESTEDGEB", "TESTEDGEN")},
		{"hasEpisode with age", &model.PatientFilter{HasEpisode: &model.EpisodeFilter{StartAge: &model.IntFilter{Lt: ptr(1)}}}, pat("TESTEDGEA", "TESTEDGEB")},
		{"no episode with age", &model.PatientFilter{Not: &model.PatientFilter{HasEpisode: &model.EpisodeFilter{StartAge: &model.IntFilter{IsNull: no}}}}, nil},
	}
	for _, c := range pcases {
		t.Run(c.name, func(t *testing.T) {
			q := model.PatientQuery{Filter: c.filter}
			if got := w.expectPatients(q); !slices.Equal(got, c.want) {
				t.Fatalf("oracle: %v, want %v", got, c.want)
			}
			walk(t, rand.New(rand.NewPCG(3, 4)), listPatients(fx.db, q), c.want, 1)
		})
	}
}

func mustDate(t testing.TB, s string) time.Time {
	t.Helper()
	d, err := model.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d.Time
}

// Empty and single-row results, and the page size limits.
func TestEnginePageBounds(t *testing.T) {
	fx := newFixture(t, 300)
	ctx := context.Background()
	d := fx.db

	t.Run("empty", func(t *testing.T) {
		q := model.EpisodeQuery{Filter: &model.EpisodeFilter{ProviderCode: &model.StringFilter{Eq: ptr("NONE")}}}
		for _, p := range []model.Page{{}, {First: ptr(5)}, {Last: ptr(5)}} {
			q.Page = p
			conn, err := d.ListEpisodes(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			pi := conn.PageInfo
			if len(conn.Edges) != 0 || len(conn.Nodes) != 0 || pi.HasNextPage || pi.HasPreviousPage || pi.StartCursor != nil || pi.EndCursor != nil {
				t.Errorf("page %s: %d edges, pageInfo %s; want none, false/false, null cursors", describe(p), len(conn.Edges), describe(pi))
			}
		}
		pc, err := d.ListPatients(ctx, model.PatientQuery{Filter: &model.PatientFilter{PseudoID: &model.StringFilter{Eq: ptr("nobody")}}})
		if err != nil {
			t.Fatal(err)
		}
		if len(pc.Edges) != 0 || pc.PageInfo.HasNextPage || pc.PageInfo.HasPreviousPage || pc.PageInfo.StartCursor != nil {
			t.Errorf("patients: %d edges, pageInfo %s", len(pc.Edges), describe(pc.PageInfo))
		}
	})

	t.Run("single row", func(t *testing.T) {
		q := model.EpisodeQuery{Filter: &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{Eq: ptr("257")}, ProviderCode: &model.StringFilter{Eq: ptr("RYY")}}}
		want := fx.w.edgeIDs(8)
		for _, p := range []model.Page{{First: ptr(1)}, {First: ptr(20)}, {Last: ptr(1)}, {Last: ptr(20)}} {
			q.Page = p
			conn, err := d.ListEpisodes(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			pi := conn.PageInfo
			if len(conn.Edges) != 1 || conn.Edges[0].Node.RowID != want[0] || pi.HasNextPage || pi.HasPreviousPage ||
				pi.StartCursor == nil || pi.EndCursor == nil || *pi.StartCursor != conn.Edges[0].Cursor || *pi.EndCursor != conn.Edges[0].Cursor {
				t.Errorf("page %s: %d edges, pageInfo %s; want row %d alone", describe(p), len(conn.Edges), describe(pi), want[0])
			}
		}
	})

	t.Run("first 0", func(t *testing.T) {
		conn, err := d.ListEpisodes(ctx, model.EpisodeQuery{Page: model.Page{First: ptr(0)}})
		if err != nil {
			t.Fatal(err)
		}
		// Rows exist beyond the empty page, so Relay's hasNextPage is true.
		if len(conn.Edges) != 0 || conn.PageInfo.StartCursor != nil || conn.PageInfo.EndCursor != nil || !conn.PageInfo.HasNextPage {
			t.Errorf("first: 0 gave %d edges, pageInfo %s", len(conn.Edges), describe(conn.PageInfo))
		}
		empty, err := d.ListEpisodes(ctx, model.EpisodeQuery{Page: model.Page{First: ptr(0)},
			Filter: &model.EpisodeFilter{EpisodeDuration: &model.IntFilter{Lt: ptr(-1)}}})
		if err != nil {
			t.Fatal(err)
		}
		if empty.PageInfo.HasNextPage {
			t.Errorf("first: 0 over no rows says hasNextPage")
		}
	})

	t.Run("first and last 100", func(t *testing.T) {
		all := fx.w.expectEpisodes(model.EpisodeQuery{})
		for _, p := range []model.Page{{First: ptr(100)}, {Last: ptr(100)}} {
			conn, err := d.ListEpisodes(ctx, model.EpisodeQuery{Page: p})
			if err != nil {
				t.Fatal(err)
			}
			want := all[:100]
			if p.Last != nil {
				want = all[len(all)-100:]
			}
			var got []int64
			for _, e := range conn.Edges {
				got = append(got, e.Node.RowID)
			}
			if !slices.Equal(got, want) || conn.PageInfo.HasNextPage != (p.First != nil) || conn.PageInfo.HasPreviousPage != (p.Last != nil) {
				t.Errorf("page %s: %d edges (want %d), pageInfo %s", describe(p), len(got), len(want), describe(conn.PageInfo))
			}
		}
	})

	cursor := func() string {
		conn, err := d.ListEpisodes(ctx, model.EpisodeQuery{Page: model.Page{First: ptr(2)}})
		if err != nil {
			t.Fatal(err)
		}
		return conn.Edges[1].Cursor
	}()
	bad := []struct {
		name  string
		page  model.Page
		field string
	}{
		{"first 101", model.Page{First: ptr(101)}, "first"},
		{"last 101", model.Page{Last: ptr(101)}, "last"},
		{"first 101 after", model.Page{First: ptr(101), After: &cursor}, "first"},
		{"first negative", model.Page{First: ptr(-1)}, "first"},
		{"last negative", model.Page{Last: ptr(-5), Before: &cursor}, "last"},
		{"first and last", model.Page{First: ptr(5), Last: ptr(5)}, ""},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			wantInputError(t, d, b.field, func() error {
				_, err := d.ListEpisodes(ctx, model.EpisodeQuery{Page: b.page})
				return err
			})
			wantInputError(t, d, b.field, func() error {
				_, err := d.ListPatients(ctx, model.PatientQuery{Page: b.page})
				return err
			})
			wantInputError(t, d, b.field, func() error {
				_, err := d.ListEpisodes(ctx, model.EpisodeQuery{PatientID: fx.w.patients[0].id, Page: b.page})
				return err
			})
		})
	}
}

// wantInputError runs call and requires a BAD_USER_INPUT model.Error naming
// field (any field when field is empty), with no SQL sent.
func wantInputError(t *testing.T, d *db.DB, field string, call func() error) {
	t.Helper()
	before := d.StatementsTotal()
	err := call()
	if n := d.StatementsTotal() - before; n != 0 {
		t.Errorf("%d SQL statements ran for invalid input", n)
	}
	var me *model.Error
	if !errors.As(err, &me) {
		t.Fatalf("error %v (%T), want a *model.Error", err, err)
	}
	if me.Code != model.ErrBadUserInput {
		t.Errorf("code %s, want %s (%v)", me.Code, model.ErrBadUserInput, me)
	}
	if field != "" && me.Field != field {
		t.Errorf("field %q, want %q (%v)", me.Field, field, me)
	}
	if field == "" && me.Field == "" {
		t.Errorf("error names no input field: %v", me)
	}
}

// Invalid filters are refused with the path of the offending input and
// before any SQL runs.
func TestEngineInvalidFilters(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	day := func(s string) *model.Date { return &model.Date{Time: mustDate(t, s)} }
	episodes := []struct {
		filter *model.EpisodeFilter
		field  string
	}{
		{&model.EpisodeFilter{And: []*model.EpisodeFilter{{StartAge: &model.IntFilter{Gt: ptr(10), Lt: ptr(5)}}}}, "filter.and[0].startAge"},
		{&model.EpisodeFilter{And: []*model.EpisodeFilter{{}, {StartAge: &model.IntFilter{In: []int{}}}}}, "filter.and[1].startAge.in"},
		{&model.EpisodeFilter{StartAge: &model.IntFilter{Gt: ptr(5), Lt: ptr(6)}}, "filter.startAge"},
		{&model.EpisodeFilter{EpisodeDuration: &model.IntFilter{Gt: ptr(5), Gte: ptr(6)}}, "filter.episodeDuration"},
		{&model.EpisodeFilter{StartAge: &model.IntFilter{Eq: ptr(5), IsNull: ptr(true)}}, "filter.startAge.isNull"},
		{&model.EpisodeFilter{ProviderCode: &model.StringFilter{In: []string{}}}, "filter.providerCode.in"},
		{&model.EpisodeFilter{ProviderCode: &model.StringFilter{NotIn: []string{}}}, "filter.providerCode.notIn"},
		{&model.EpisodeFilter{ProviderCode: &model.StringFilter{StartsWith: ptr("")}}, "filter.providerCode.startsWith"},
		{&model.EpisodeFilter{ProviderCode: &model.StringFilter{Eq: ptr("RXX"), IsNull: ptr(true)}}, "filter.providerCode.isNull"},
		{&model.EpisodeFilter{EpisodeStart: &model.DateFilter{Gt: day("2021-01-02"), Lt: day("2021-01-01")}}, "filter.episodeStart"},
		{&model.EpisodeFilter{EpisodeStart: &model.DateFilter{Gte: day("2021-01-01"), Lt: day("2021-01-01")}}, "filter.episodeStart"},
		{&model.EpisodeFilter{AdmissionDate: &model.DateFilter{Eq: day("2021-01-01"), IsNull: ptr(true)}}, "filter.admissionDate.isNull"},
		{&model.EpisodeFilter{Diagnosis: &model.CodeFilter{Eq: ptr("1234")}}, "filter.diagnosis.eq"},
		{&model.EpisodeFilter{Diagnosis: &model.CodeFilter{Eq: ptr("L4.0x")}}, "filter.diagnosis.eq"},
		{&model.EpisodeFilter{Diagnosis: &model.CodeFilter{StartsWith: ptr("L4.0x")}}, "filter.diagnosis.startsWith"},
		{&model.EpisodeFilter{Diagnosis: &model.CodeFilter{StartsWith: ptr("L%")}}, "filter.diagnosis.startsWith"},
		{&model.EpisodeFilter{PrimaryDiagnosis: &model.CodeFilter{}}, "filter.primaryDiagnosis"},
		{&model.EpisodeFilter{PrimaryDiagnosis: &model.CodeFilter{In: []string{}}}, "filter.primaryDiagnosis.in"},
		{&model.EpisodeFilter{Procedure: &model.CodeFilter{In: []string{"S068", "S06"}}}, "filter.procedure.in[1]"},
		{&model.EpisodeFilter{Procedure: &model.CodeFilter{StartsWithAny: []string{"S0", "S0X"}}}, "filter.procedure.startsWithAny[1]"},
		{&model.EpisodeFilter{Procedure: &model.CodeFilter{StartsWithAny: []string{}}}, "filter.procedure.startsWithAny"},
		{&model.EpisodeFilter{Or: []*model.EpisodeFilter{}}, "filter.or"},
		{&model.EpisodeFilter{Not: &model.EpisodeFilter{Or: []*model.EpisodeFilter{{}, {Patient: &model.PatientFilter{Sex: []model.Sex{}}}}}}, "filter.not.or[1].patient.sex"},
		{&model.EpisodeFilter{Patient: &model.PatientFilter{HasEpisode: &model.EpisodeFilter{Procedure: &model.CodeFilter{Eq: ptr("1234")}}}}, "filter.patient.hasEpisode.procedure.eq"},
	}
	for _, c := range episodes {
		t.Run(c.field, func(t *testing.T) {
			wantInputError(t, d, c.field, func() error {
				_, err := d.ListEpisodes(ctx, model.EpisodeQuery{Filter: c.filter})
				return err
			})
			wantInputError(t, d, c.field, func() error {
				_, err := d.CountEpisodes(ctx, model.EpisodeQuery{Filter: c.filter})
				return err
			})
		})
	}
	patients := []struct {
		filter *model.PatientFilter
		field  string
	}{
		{&model.PatientFilter{HasEpisode: &model.EpisodeFilter{And: []*model.EpisodeFilter{{StartAge: &model.IntFilter{In: []int{}}}}}}, "filter.hasEpisode.and[0].startAge.in"},
		{&model.PatientFilter{BirthYear: &model.IntFilter{Gte: ptr(2000), Lte: ptr(1990)}}, "filter.birthYear"},
		{&model.PatientFilter{Or: []*model.PatientFilter{}}, "filter.or"},
		{&model.PatientFilter{Not: &model.PatientFilter{PseudoID: &model.StringFilter{StartsWith: ptr("")}}}, "filter.not.pseudoId.startsWith"},
	}
	for _, c := range patients {
		t.Run(c.field, func(t *testing.T) {
			wantInputError(t, d, c.field, func() error {
				_, err := d.ListPatients(ctx, model.PatientQuery{Filter: c.filter})
				return err
			})
		})
	}
	t.Run("unknown sort field", func(t *testing.T) {
		wantInputError(t, d, "orderBy[1].field", func() error {
			_, err := d.ListEpisodes(ctx, model.EpisodeQuery{OrderBy: []*model.EpisodeOrder{
				{Field: model.EpisodeSortFieldEpisodeStart}, {Field: "DROP TABLE episodes"},
			}})
			return err
		})
	})
}

// A patient listing whose caller selects neither edges nor pageInfo signs
// no cursor, and is otherwise the same page.
func TestListPatientsWithoutCursors(t *testing.T) {
	ctx := context.Background()
	fx := newFixture(t, 300)
	for _, page := range []model.Page{{First: ptr(20)}, {Last: ptr(7)}} {
		with, err := fx.db.ListPatients(ctx, model.PatientQuery{Page: page})
		if err != nil {
			t.Fatal(err)
		}
		bare, err := fx.db.ListPatients(ctx, model.PatientQuery{Page: page, NoCursors: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(with.Nodes) == 0 || len(bare.Nodes) != len(with.Nodes) || len(bare.Edges) != len(with.Edges) {
			t.Fatalf("%d patients without cursors, %d with", len(bare.Nodes), len(with.Nodes))
		}
		for i, e := range bare.Edges {
			if e.Cursor != "" || with.Edges[i].Cursor == "" || e.Node.RowID != with.Edges[i].Node.RowID {
				t.Errorf("row %d: patient %d cursor %q without cursors, patient %d cursor %q with", i, e.Node.RowID, e.Cursor, with.Edges[i].Node.RowID, with.Edges[i].Cursor)
			}
		}
		if bare.PageInfo.HasNextPage != with.PageInfo.HasNextPage || bare.PageInfo.HasPreviousPage != with.PageInfo.HasPreviousPage ||
			bare.PageInfo.StartCursor != nil || bare.PageInfo.EndCursor != nil {
			t.Errorf("page info without cursors %+v, with %+v", bare.PageInfo, with.PageInfo)
		}
	}
}

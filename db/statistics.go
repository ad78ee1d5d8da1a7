package db

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// Tabulations count finished consultant episodes (FCEs) with one GROUP BY
// statement: the database does the counting, only the grouped rows come
// back. Each dimension groups by a whitelisted SQL expression whose value
// also sorts the rows in a meaningful order (age bands by age, chapters by
// number); the label shown to the caller is derived from that value here.

// MaxTabulationRows bounds the groups of one tabulation. A finer table is
// mostly suppressed cells, and its rows would be held in memory twice over
// (as values and as JSON); the caller is asked to filter instead.
const MaxTabulationRows = 10000

// TabulationRow is one group of a tabulation with its exact counts. A nil key
// is the group of episodes for which the dimension is not recorded.
type TabulationRow struct {
	Keys       []*string
	Episodes   int64 // finished consultant episodes
	Admissions int64 // of those, first episodes of a spell (EPIORDER 1)
	Patients   int64 // distinct patients among those episodes
	Spells     int64 // distinct spells of those episodes, when asked for
}

// dimension is the SQL side of one tabulation dimension.
type dimension struct {
	// expr is the grouping expression over episodes e (and spells when
	// spell is set). Its values order the groups. Patient attributes are
	// read from their copies on episodes (patient_sex): a join to
	// patients would read every episode's patient row.
	expr string
	// spell marks dimensions over the episode's spell (alias ss).
	spell bool
	// label turns a group value into the key shown to callers; nil keeps it.
	label func(string) string
	// numeric marks expressions whose values are numbers, which sort as
	// numbers (the published tables keep them apart to sort them so).
	numeric bool
}

var dimensions = map[model.Dimension]dimension{
	model.DimensionFinancialYear:      {expr: "e.fyear"},
	model.DimensionProvider:           {expr: "e.procode3"},
	model.DimensionTreatmentSpecialty: {expr: "e.tretspef"},
	model.DimensionSex: {
		// Ordered as the Sex enum lists its values.
		expr:    "CASE e.patient_sex WHEN '1' THEN 1 WHEN '2' THEN 2 WHEN '9' THEN 3 WHEN '0' THEN 4 WHEN 'X' THEN 4 END",
		numeric: true,
		label: func(v string) string {
			return map[string]string{"1": "MALE", "2": "FEMALE", "3": "NOT_SPECIFIED", "4": "NOT_KNOWN"}[v]
		},
	},
	model.DimensionAgeBand: {
		// The band's lowest age: 0, then 1-4, then five-year bands to 90+.
		// STARTAGE codes 7001-7007 (under one) are stored as age 0.
		expr: "CASE WHEN e.start_age IS NULL THEN NULL WHEN e.start_age < 1 THEN 0 WHEN e.start_age < 5 THEN 1 " +
			"WHEN e.start_age >= 90 THEN 90 ELSE e.start_age DIV 5 * 5 END",
		label:   ageBandLabel,
		numeric: true,
	},
	model.DimensionAdmissionMethodGroup: {
		expr: "CASE WHEN e.admimeth IN ('11','12','13') THEN 1 " +
			"WHEN e.admimeth IN ('21','22','23','24','25','26','27','28','2A','2B','2C','2D') THEN 2 " +
			"WHEN e.admimeth IN ('31','32') THEN 3 " +
			"WHEN e.admimeth IS NULL OR e.admimeth IN ('98','99') THEN 5 ELSE 4 END",
		numeric: true,
		label: func(v string) string {
			return map[string]string{"1": "ELECTIVE", "2": "EMERGENCY", "3": "MATERNITY", "4": "OTHER", "5": "UNKNOWN"}[v]
		},
	},
	model.DimensionPrimaryDiagnosisChapter: {expr: "e.primary_chapter", label: chapterNumeral, numeric: true},
	model.DimensionPrimaryDiagnosis3:       {expr: "LEFT(e.primary_diag, 3)"},
}

// chapterNumerals are the ICD-10 chapter numbers in roman numerals.
var chapterNumerals = []string{"", "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X",
	"XI", "XII", "XIII", "XIV", "XV", "XVI", "XVII", "XVIII", "XIX", "XX", "XXI", "XXII"}

func chapterNumeral(v string) string {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n >= len(chapterNumerals) {
		return v
	}
	return chapterNumerals[n]
}

func ageBandLabel(v string) string {
	switch v {
	case "0":
		return "0"
	case "1":
		return "1-4"
	case "90":
		return "90+"
	}
	lo, err := strconv.Atoi(v)
	if err != nil {
		return v
	}
	return fmt.Sprintf("%d-%d", lo, lo+4)
}

// fceCond is the HES definition of a finished consultant episode: EPISTAT 3,
// excluding regular day and night attenders (CLASSPAT 3 and 4). An episode
// with no patient classification recorded is not a regular attender, so it
// counts.
var fceCond = sq.And{
	sq.Eq{"e.epistat": "3"},
	sq.Or{sq.Eq{"e.classpat": nil}, sq.NotEq{"e.classpat": []string{"3", "4"}}},
}

// resolveDimensions checks groupBy and returns its dimensions.
func resolveDimensions(groupBy []model.Dimension) ([]dimension, error) {
	if len(groupBy) == 0 {
		return nil, model.InputError("groupBy", "must list at least one dimension")
	}
	seen := make(map[model.Dimension]bool, len(groupBy))
	dims := make([]dimension, len(groupBy))
	for i, g := range groupBy {
		dim, ok := dimensions[g]
		if !ok {
			return nil, model.InputError(fmt.Sprintf("groupBy[%d]", i), "unknown dimension %q", g)
		}
		if seen[g] {
			return nil, model.InputError(fmt.Sprintf("groupBy[%d]", i), "dimension %s is listed twice", g)
		}
		seen[g] = true
		dims[i] = dim
	}
	return dims, nil
}

// tabulateBase counts on the base tables, with one grouped statement.
func (d *DB) tabulateBase(ctx context.Context, filter *model.EpisodeFilter, dims []dimension, o tabulateOptions) ([]*TabulationRow, error) {
	exprs := make([]string, len(dims))
	for i, dim := range dims {
		exprs[i] = dim.expr
		o.joinSpell = o.joinSpell || dim.spell
	}
	cond, err := episodeCond(filter, "e", "filter", &aliases{})
	if err != nil {
		return nil, err
	}
	cols := make([]string, 0, len(exprs)+3)
	for i, x := range exprs {
		cols = append(cols, fmt.Sprintf("%s AS k%d", x, i))
	}
	cols = append(cols,
		"COUNT(*)",
		"COALESCE(SUM(e.epiorder = 1), 0)",
		"COUNT(DISTINCT e.patient_id)")
	if o.spells {
		cols = append(cols, "COUNT(DISTINCT "+statsSpellLinkAlias+".spell_id)")
	}
	groups := make([]string, len(exprs))
	for i := range exprs {
		groups[i] = fmt.Sprintf("k%d", i)
	}
	q := builder.Select(cols...).From("episodes e")
	if o.spells || o.joinSpell {
		q = joinSpells(q, o.joinSpell)
	}
	q = q.Where(fceCond).Where(cond)
	if s := episodeScope(ctx, "e"); s != nil {
		q = q.Where(s)
	}
	q = q.GroupBy(groups...).OrderBy(groups...).Limit(MaxTabulationRows + 1)

	var out []*TabulationRow
	keys := make([]sql.NullString, len(dims))
	dest := make([]any, 0, len(dims)+3)
	for i := range keys {
		dest = append(dest, &keys[i])
	}
	var row TabulationRow
	dest = append(dest, &row.Episodes, &row.Admissions, &row.Patients)
	if o.spells {
		dest = append(dest, &row.Spells)
	}
	err = d.scanAll(ctx, q, func(rows *sql.Rows) error {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		r := &TabulationRow{Keys: make([]*string, len(dims)), Episodes: row.Episodes, Admissions: row.Admissions, Patients: row.Patients, Spells: row.Spells}
		for i, k := range keys {
			r.Keys[i] = labelled(dims[i], k)
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, tooManyGroups(len(out))
}

// tooManyGroups refuses a tabulation of more than MaxTabulationRows groups.
func tooManyGroups(n int) error {
	if n > MaxTabulationRows {
		return model.Errorf(model.ErrTooComplex,
			"the tabulation has more than %d groups: add a filter or group by fewer dimensions", MaxTabulationRows)
	}
	return nil
}

// labelled is the key shown for group value v of dim.
func labelled(dim dimension, k sql.NullString) *string {
	if !k.Valid {
		return nil
	}
	v := k.String
	if dim.label != nil {
		v = dim.label(v)
	}
	return &v
}

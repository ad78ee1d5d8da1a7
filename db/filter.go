package db

import (
	"fmt"
	"regexp"
	"strings"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// Filters are translated into squirrel expressions over explicit table
// aliases; every client value becomes a placeholder argument and column names
// come only from the maps below. Translation validates as it goes, so invalid
// input is reported before any SQL runs.

// aliases hands out distinct table aliases for nested EXISTS subqueries.
type aliases struct{ n int }

func (a *aliases) next(prefix string) string {
	a.n++
	return fmt.Sprintf("%s%d", prefix, a.n)
}

var (
	icd10Full   = regexp.MustCompile(`^[A-Z][0-9]{2}[0-9X]$`)
	opcs4Full   = regexp.MustCompile(`^[A-Z][0-9]{3}$`)
	icd10Prefix = regexp.MustCompile(`^[A-Z]([0-9]([0-9]([0-9X])?)?)?$`)
	opcs4Prefix = regexp.MustCompile(`^[A-Z]([0-9]{0,3})$`)
)

// codeKind describes one classification's code shapes for validation.
type codeKind struct {
	name         string
	full, prefix *regexp.Regexp
}

var (
	// ICD-9 in HES form: 001-999 with an optional 4th digit, V01-V82 with
	// an optional 4th digit, E800-E999.
	icd9Full   = regexp.MustCompile(`^([0-9]{3}[0-9]?|V[0-9]{2}[0-9]?|E[89][0-9]{2})$`)
	icd9Prefix = regexp.MustCompile(`^([0-9]{1,4}|V[0-9]{0,3}|E([89][0-9]{0,2})?)$`)
	icd9Kind   = codeKind{"ICD-9", icd9Full, icd9Prefix}

	icd10Kind = codeKind{"ICD-10", icd10Full, icd10Prefix}
	opcs4Kind = codeKind{"OPCS-4", opcs4Full, opcs4Prefix}
)

// episodeCond translates an EpisodeFilter over the episodes table alias e.
func episodeCond(f *model.EpisodeFilter, e, path string, al *aliases) (sq.Sqlizer, error) {
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
	for i, sub := range f.And {
		if err := add(episodeCond(sub, e, fmt.Sprintf("%s.and[%d]", path, i), al)); err != nil {
			return nil, err
		}
	}
	if f.Or != nil {
		if len(f.Or) == 0 {
			return nil, model.InputError(path+".or", "must list at least one filter")
		}
		var or sq.Or
		for i, sub := range f.Or {
			c, err := episodeCond(sub, e, fmt.Sprintf("%s.or[%d]", path, i), al)
			if err != nil {
				return nil, err
			}
			or = append(or, c)
		}
		conds = append(conds, or)
	}
	if f.Not != nil {
		c, err := episodeCond(f.Not, e, path+".not", al)
		if err != nil {
			return nil, err
		}
		conds = append(conds, notExpr(c))
	}
	strs := []struct {
		name, col string
		f         *model.StringFilter
	}{
		{"financialYear", "fyear", f.FinancialYear},
		{"providerCode", "procode3", f.ProviderCode},
		{"treatmentSpecialty", "tretspef", f.TreatmentSpecialty},
		{"mainSpecialty", "mainspef", f.MainSpecialty},
		{"admissionMethod", "admimeth", f.AdmissionMethod},
		{"patientClassification", "classpat", f.PatientClassification},
		{"administrativeCategory", "admincat", f.AdministrativeCategory},
		{"episodeStatus", "epistat", f.EpisodeStatus},
	}
	for _, s := range strs {
		if err := add(stringCond(s.f, e+"."+s.col, path+"."+s.name)); err != nil {
			return nil, err
		}
	}
	dates := []struct {
		name, col string
		f         *model.DateFilter
	}{
		{"admissionDate", "admidate", f.AdmissionDate},
		{"episodeStart", "epistart", f.EpisodeStart},
		{"episodeEnd", "epiend", f.EpisodeEnd},
	}
	for _, d := range dates {
		if err := add(dateCond(d.f, e+"."+d.col, path+"."+d.name)); err != nil {
			return nil, err
		}
	}
	if err := add(intCond(f.StartAge, e+".start_age", path+".startAge")); err != nil {
		return nil, err
	}
	if err := add(intCond(f.EpisodeDuration, e+".epidur", path+".episodeDuration")); err != nil {
		return nil, err
	}
	if f.PrimaryDiagnosis != nil {
		if err := add(primaryDiagnosisCond(f.PrimaryDiagnosis, e, path+".primaryDiagnosis", al)); err != nil {
			return nil, err
		}
	}
	if f.Diagnosis != nil {
		if err := add(diagnosisExists(f.Diagnosis, e+".id", path+".diagnosis", al, false, false)); err != nil {
			return nil, err
		}
	}
	if f.Procedure != nil {
		if f.Procedure.Classification != nil {
			return nil, model.InputError(path+".procedure.classification", "applies to diagnoses only: procedures are OPCS-4")
		}
		if err := add(codeExists(f.Procedure, "procedures", e+".id", opcs4Kind, path+".procedure", al, false)); err != nil {
			return nil, err
		}
	}
	if f.Patient != nil {
		p := al.next("p")
		c, err := patientCond(f.Patient, p, path+".patient", al)
		if err != nil {
			return nil, err
		}
		sub := builder.Select("1").From("patients " + p).Where(p + ".id = " + e + ".patient_id").Where(c)
		conds = append(conds, existsExpr(sub))
	}
	return conds, nil
}

// patientCond translates a PatientFilter over the patients table alias p.
func patientCond(f *model.PatientFilter, p, path string, al *aliases) (sq.Sqlizer, error) {
	if f == nil {
		return sq.And{}, nil
	}
	var conds sq.And
	for i, sub := range f.And {
		c, err := patientCond(sub, p, fmt.Sprintf("%s.and[%d]", path, i), al)
		if err != nil {
			return nil, err
		}
		conds = append(conds, c)
	}
	if f.Or != nil {
		if len(f.Or) == 0 {
			return nil, model.InputError(path+".or", "must list at least one filter")
		}
		var or sq.Or
		for i, sub := range f.Or {
			c, err := patientCond(sub, p, fmt.Sprintf("%s.or[%d]", path, i), al)
			if err != nil {
				return nil, err
			}
			or = append(or, c)
		}
		conds = append(conds, or)
	}
	if f.Not != nil {
		c, err := patientCond(f.Not, p, path+".not", al)
		if err != nil {
			return nil, err
		}
		conds = append(conds, notExpr(c))
	}
	if f.Sex != nil {
		if len(f.Sex) == 0 {
			return nil, model.InputError(path+".sex", "must list at least one value")
		}
		codes := make([]string, len(f.Sex))
		for i, s := range f.Sex {
			codes[i] = s.HESCode()
		}
		conds = append(conds, sq.Eq{p + ".sex": codes})
	}
	for _, s := range []struct {
		name, col string
		f         *model.StringFilter
	}{
		{"ethnicity", "ethnicity", f.Ethnicity},
		{"region", "region", f.Region},
		{"pseudoId", "pseudo_id", f.PseudoID},
	} {
		c, err := stringCond(s.f, p+"."+s.col, path+"."+s.name)
		if err != nil {
			return nil, err
		}
		if c != nil {
			conds = append(conds, c)
		}
	}
	c, err := intCond(f.BirthYear, p+".birth_year", path+".birthYear")
	if err != nil {
		return nil, err
	}
	if c != nil {
		conds = append(conds, c)
	}
	if f.HasEpisode != nil {
		e := al.next("e")
		c, err := episodeCond(f.HasEpisode, e, path+".hasEpisode", al)
		if err != nil {
			return nil, err
		}
		sub := builder.Select("1").From("episodes " + e).Where(e + ".patient_id = " + p + ".id").Where(c)
		conds = append(conds, existsExpr(sub))
	}
	return conds, nil
}

// notExpr is the complement of c: rows c does not match. SQL's NOT would
// also drop rows where c is unknown because a column is NULL, so that
// not: {startAge: {gte: 65}} would silently lose episodes of unknown age.
func notExpr(c sq.Sqlizer) sq.Sqlizer { return sq.Expr("(?) IS NOT TRUE", c) }

func existsExpr(sub sq.SelectBuilder) sq.Sqlizer { return sq.Expr("EXISTS (?)", sub) }

func stringCond(f *model.StringFilter, col, path string) (sq.Sqlizer, error) {
	if f == nil {
		return nil, nil
	}
	var c sq.And
	if f.Eq != nil {
		c = append(c, exactIn(col, []string{*f.Eq}))
	}
	if f.Ne != nil {
		c = append(c, notExact(col, []string{*f.Ne}))
	}
	if f.In != nil {
		if len(f.In) == 0 {
			return nil, model.InputError(path+".in", "must list at least one value")
		}
		c = append(c, exactIn(col, f.In))
	}
	if f.NotIn != nil {
		if len(f.NotIn) == 0 {
			return nil, model.InputError(path+".notIn", "must list at least one value")
		}
		c = append(c, notExact(col, f.NotIn))
	}
	if f.StartsWith != nil {
		if *f.StartsWith == "" {
			return nil, model.InputError(path+".startsWith", "must not be empty")
		}
		c = append(c, sq.Like{col: likePrefix(*f.StartsWith)})
	}
	return withNull(c, f.IsNull, col, path)
}

// String equality is exact. The text columns' collation (utf8mb4_bin)
// pads with spaces, as MariaDB's and MySQL's _bin collations do, so that
// `procode3 = 'RHM '` also matches 'RHM' (and 'RHM' matches a stored
// 'RHM '), while LIKE, and so startsWith, does not pad. Each equality is
// therefore made twice: `col IN (…)`, which the column's index serves (a
// ref or range read, checked by the EXPLAIN tests), and the same values
// against the column's bytes, `CAST(col AS BINARY) IN (…)`, which does not
// pad and only drops the rows that differ from a value in trailing spaces.
// The statement's text depends on the number of values only, never on
// their content. A NO PAD collation on the columns would do the same, but
// MariaDB and MySQL name theirs differently, and giving one to the
// comparison instead loses the index.

// exactIn matches rows whose col is exactly one of vals.
func exactIn(col string, vals []string) sq.Sqlizer {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = v
	}
	if len(vals) == 1 {
		return sq.And{sq.Eq{col: vals[0]}, sq.Expr("CAST("+col+" AS BINARY) = ?", args...)}
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(vals)), ",")
	return sq.And{sq.Eq{col: vals}, sq.Expr("CAST("+col+" AS BINARY) IN ("+marks+")", args...)}
}

// notExact matches rows whose col is not null and exactly none of vals,
// as col NOT IN (…) does for a collation without padding.
func notExact(col string, vals []string) sq.Sqlizer {
	return sq.Expr("NOT (?)", exactIn(col, vals))
}

func intCond(f *model.IntFilter, col, path string) (sq.Sqlizer, error) {
	if f == nil {
		return nil, nil
	}
	var c sq.And
	if f.Eq != nil {
		c = append(c, sq.Eq{col: *f.Eq})
	}
	if f.Ne != nil {
		c = append(c, sq.NotEq{col: *f.Ne})
	}
	if f.In != nil {
		if len(f.In) == 0 {
			return nil, model.InputError(path+".in", "must list at least one value")
		}
		c = append(c, sq.Eq{col: f.In})
	}
	lo, hi := bound(f.Gt, f.Gte, 1), bound(f.Lt, f.Lte, -1)
	if f.Gt != nil && f.Gte != nil {
		return nil, model.InputError(path, "give gt or gte, not both")
	}
	if f.Lt != nil && f.Lte != nil {
		return nil, model.InputError(path, "give lt or lte, not both")
	}
	if lo != nil && hi != nil && *lo > *hi {
		return nil, model.InputError(path, "contradictory bounds: the range is empty")
	}
	if f.Gt != nil {
		c = append(c, sq.Gt{col: *f.Gt})
	}
	if f.Gte != nil {
		c = append(c, sq.GtOrEq{col: *f.Gte})
	}
	if f.Lt != nil {
		c = append(c, sq.Lt{col: *f.Lt})
	}
	if f.Lte != nil {
		c = append(c, sq.LtOrEq{col: *f.Lte})
	}
	return withNull(c, f.IsNull, col, path)
}

// bound turns a strict or inclusive integer bound into an inclusive one.
func bound(strict, inclusive *int, step int) *int {
	switch {
	case strict != nil:
		v := *strict + step
		return &v
	case inclusive != nil:
		v := *inclusive
		return &v
	}
	return nil
}

func dateCond(f *model.DateFilter, col, path string) (sq.Sqlizer, error) {
	if f == nil {
		return nil, nil
	}
	if f.Gt != nil && f.Gte != nil {
		return nil, model.InputError(path, "give gt or gte, not both")
	}
	if f.Lt != nil && f.Lte != nil {
		return nil, model.InputError(path, "give lt or lte, not both")
	}
	lo, loStrict := f.Gte, false
	if f.Gt != nil {
		lo, loStrict = f.Gt, true
	}
	hi, hiStrict := f.Lte, false
	if f.Lt != nil {
		hi, hiStrict = f.Lt, true
	}
	if lo != nil && hi != nil && (lo.After(hi.Time) || (lo.Equal(hi.Time) && (loStrict || hiStrict))) {
		return nil, model.InputError(path, "contradictory bounds: the range is empty")
	}
	var c sq.And
	if f.Eq != nil {
		c = append(c, sq.Eq{col: f.Eq.String()})
	}
	if f.Gt != nil {
		c = append(c, sq.Gt{col: f.Gt.String()})
	}
	if f.Gte != nil {
		c = append(c, sq.GtOrEq{col: f.Gte.String()})
	}
	if f.Lt != nil {
		c = append(c, sq.Lt{col: f.Lt.String()})
	}
	if f.Lte != nil {
		c = append(c, sq.LtOrEq{col: f.Lte.String()})
	}
	return withNull(c, f.IsNull, col, path)
}

// withNull applies isNull and rejects it alongside value operators, which
// could never match together.
func withNull(c sq.And, isNull *bool, col, path string) (sq.Sqlizer, error) {
	if isNull == nil {
		if len(c) == 0 {
			return nil, nil
		}
		return c, nil
	}
	if *isNull {
		if len(c) > 0 {
			return nil, model.InputError(path+".isNull", "contradicts the other operators: a null value matches none of them")
		}
		return sq.Eq{col: nil}, nil
	}
	return append(c, sq.NotEq{col: nil}), nil
}

// normCode puts a code into HES form: upper case, without surrounding
// spaces or the dot of the dotted form, which can only follow the
// three-character category ("L40.0", "S06.8"). A dot anywhere else is kept so
// that validation rejects the code: "L4.0X" is not L40X misspelt but a
// malformed input.
func normCode(s string) string {
	s = strings.ToUpper(strings.TrimSpace(s))
	if len(s) > 3 && s[3] == '.' {
		s = s[:3] + s[4:]
	}
	return s
}

// codeCond matches col against f. code3, when not "", is the column holding
// col's first three characters (diagnoses and procedures have one): a prefix
// of three characters or more is then also an equality on it, which the
// (code3, episode_id, code) index serves with the episodes in id order.
func codeCond(f *model.CodeFilter, col, code3 string, kind codeKind, path string) (sq.Sqlizer, error) {
	var c sq.And
	if f.Eq != nil {
		v := normCode(*f.Eq)
		if !kind.full.MatchString(v) {
			return nil, model.InputError(path+".eq", "%q is not a 4-character %s code in HES form", *f.Eq, kind.name)
		}
		c = append(c, sq.Eq{col: v})
	}
	if f.In != nil {
		if len(f.In) == 0 {
			return nil, model.InputError(path+".in", "must list at least one code")
		}
		vals := make([]string, len(f.In))
		for i, s := range f.In {
			vals[i] = normCode(s)
			if !kind.full.MatchString(vals[i]) {
				return nil, model.InputError(fmt.Sprintf("%s.in[%d]", path, i), "%q is not a 4-character %s code in HES form", s, kind.name)
			}
		}
		c = append(c, sq.Eq{col: vals})
	}
	var prefixes []string
	var prefixPaths []string
	if f.StartsWith != nil {
		prefixes, prefixPaths = append(prefixes, *f.StartsWith), append(prefixPaths, path+".startsWith")
	}
	if f.StartsWithAny != nil {
		if len(f.StartsWithAny) == 0 {
			return nil, model.InputError(path+".startsWithAny", "must list at least one prefix")
		}
		for i, s := range f.StartsWithAny {
			prefixes, prefixPaths = append(prefixes, s), append(prefixPaths, fmt.Sprintf("%s.startsWithAny[%d]", path, i))
		}
	}
	var or sq.Or
	for i, s := range prefixes {
		v := normCode(s)
		if !kind.prefix.MatchString(v) {
			return nil, model.InputError(prefixPaths[i], "%q is not the start of an %s code", s, kind.name)
		}
		if code3 != "" {
			or = append(or, sq.And{code3Cond(code3, v), sq.Like{col: v + "%"}})
		} else {
			or = append(or, sq.Like{col: v + "%"})
		}
	}
	if f.StartsWith != nil && f.StartsWithAny != nil {
		// Both given: each is a condition of its own, ANDed like other operators.
		c = append(c, or[0], or[1:])
	} else if len(or) == 1 {
		c = append(c, or[0])
	} else if len(or) > 1 {
		c = append(c, or)
	}
	if len(c) == 0 {
		return nil, model.InputError(path, "give at least one operator")
	}
	return c, nil
}

// diagnosisKind returns the code shapes and stored classification a
// diagnosis filter asks for; ICD-10 unless it says ICD9.
func diagnosisKind(f *model.CodeFilter) (codeKind, string) {
	if f.Classification != nil && *f.Classification == model.DiagnosisClassificationIcd9 {
		return icd9Kind, "ICD9"
	}
	return icd10Kind, "ICD10"
}

// hasCodeOperator reports whether f gives any code to match.
func hasCodeOperator(f *model.CodeFilter) bool {
	return f.Eq != nil || f.In != nil || f.StartsWith != nil || f.StartsWithAny != nil
}

// mayMatchICD9 reports whether an ICD-10 filter's codes could also match
// ICD-9 codes: only ICD-9's V and E codes start with a letter, so only
// ICD-10 codes or prefixes starting with V or E need the classification
// checked, and the others keep their plans on the (code, episode_id) index.
func mayMatchICD9(f *model.CodeFilter) bool {
	vals := append([]string{}, f.In...)
	vals = append(vals, f.StartsWithAny...)
	for _, p := range []*string{f.Eq, f.StartsWith} {
		if p != nil {
			vals = append(vals, *p)
		}
	}
	for _, v := range vals {
		if v = normCode(v); v == "" || v[0] == 'V' || v[0] == 'E' {
			return true
		}
	}
	return false
}

// diagnosisExists matches episodes (by the id expression episodeID, e.id)
// with a diagnosis satisfying f, at position 1 only when primary is set.
// ICD-10 codes never match ICD-9 ones of the same spelling.
func diagnosisExists(f *model.CodeFilter, episodeID, path string, al *aliases, primary, code3 bool) (sq.Sqlizer, error) {
	a := al.next("d")
	where, err := diagnosisMatch(f, a, path, primary, code3)
	if err != nil {
		return nil, err
	}
	sub := builder.Select("1").From("diagnoses " + a).Where(a + ".episode_id = " + episodeID).Where(where)
	return existsExpr(sub), nil
}

// diagnosisMatch matches the rows of diagnoses alias a that satisfy f,
// comparing prefixes on code3 too when asked (see codeCond).
func diagnosisMatch(f *model.CodeFilter, a, path string, primary, code3 bool) (sq.Sqlizer, error) {
	kind, cls := diagnosisKind(f)
	var c sq.And
	if hasCodeOperator(f) || f.Classification == nil {
		cc, err := codeCond(f, a+".code", code3Column(a, code3), kind, path)
		if err != nil {
			return nil, err
		}
		c = append(c, cc)
	}
	if cls == "ICD9" || f.Classification != nil || mayMatchICD9(f) {
		c = append(c, sq.Eq{a + ".classification": cls})
	}
	if primary {
		c = append(c, sq.Eq{a + ".position": 1})
	}
	if len(c) == 1 {
		return c[0], nil // the statement an ICD-10 filter has always had
	}
	return c, nil
}

// primaryDiagnosisCond matches the diagnosis at position 1. episodes.primary_diag
// holds ICD-10 primary diagnoses only, so an ICD-10 filter reads it; an ICD-9
// one looks at the diagnoses.
func primaryDiagnosisCond(f *model.CodeFilter, e, path string, al *aliases) (sq.Sqlizer, error) {
	if _, cls := diagnosisKind(f); cls == "ICD9" || !hasCodeOperator(f) && f.Classification != nil {
		return diagnosisExists(f, e+".id", path, al, true, false)
	}
	return codeCond(f, e+".primary_diag", "", icd10Kind, path)
}

// codeExists matches episodes (by the id expression episodeID) having a row
// in table (diagnoses or procedures) whose code satisfies f; the (code,
// episode_id) index serves it, or (code3, episode_id, code) for a prefix.
func codeExists(f *model.CodeFilter, table, episodeID string, kind codeKind, path string, al *aliases, code3 bool) (sq.Sqlizer, error) {
	a := al.next(table[:1])
	c, err := codeCond(f, a+".code", code3Column(a, code3), kind, path)
	if err != nil {
		return nil, err
	}
	sub := builder.Select("1").From(table + " " + a).Where(a + ".episode_id = " + episodeID).Where(c)
	return existsExpr(sub), nil
}

// code3Column is the code3 column of code table alias a, or "" when the
// prefixes of a filter are not to be compared on it. Only the code-driven
// listing (codelisting.go) compares them: inside EXISTS on episodes the
// code3 equality makes MariaDB materialise every code table's episodes of
// the category and sort them all (W4 ordered by EPISODE_START at 1M
// episodes: 0.65-1.1 s against 0.15-0.4 s with the (code, episode_id)
// range alone).
func code3Column(a string, code3 bool) string {
	if !code3 {
		return ""
	}
	return a + ".code3"
}

// code3Cond says that column code3 holds the first three characters of
// prefix v, when v has three: the statement's text does not depend on v's
// length, and the server, given the prefix as a literal, folds the
// condition to code3 = 'L40' (a ref on the code3 index) or, for a shorter
// prefix, to nothing.
func code3Cond(code3, v string) sq.Sqlizer {
	return sq.Expr("("+code3+" = LEFT(?, 3) OR CHAR_LENGTH(?) < 3)", v, v)
}

// likePrefix escapes LIKE wildcards in a literal prefix.
func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

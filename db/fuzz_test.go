package db

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/graph/model"
)

// Fuzz targets for the two places client input meets the engine without a
// database in between: cursor decoding and filter translation. Neither needs
// a server, so they run at full speed; the listing tests prove the SQL they
// produce against MariaDB.

var fuzzCursorKey = []byte("fuzz-cursor-key")

// fuzzOrderings are the orderings a fuzzed cursor is decoded against: every
// key kind, both directions, several keys, and a nested listing.
func fuzzOrderings() []ordering {
	desc := model.SortDirectionDesc
	var out []ordering
	for _, order := range [][]*model.EpisodeOrder{
		nil,
		{{Field: model.EpisodeSortFieldEpisodeStart}},
		{{Field: model.EpisodeSortFieldStartAge, Direction: &desc}},
		{{Field: model.EpisodeSortFieldProviderCode}, {Field: model.EpisodeSortFieldEpisodeDuration, Direction: &desc}, {Field: model.EpisodeSortFieldFinancialYear}},
	} {
		o, err := episodeOrdering("e", order, bindingOf("episodes", order, nil, int64(0)))
		if err != nil {
			panic(err)
		}
		out = append(out, o)
	}
	for _, order := range [][]*model.PatientOrder{
		{{Field: model.PatientSortFieldBirthYear, Direction: &desc}},
		{{Field: model.PatientSortFieldPseudoID}},
	} {
		o, err := patientOrdering("p", order, bindingOf("patients", order, nil))
		if err != nil {
			panic(err)
		}
		out = append(out, o)
	}
	return out
}

// sign makes a cursor of body with a valid signature, so that the fuzzer
// can reach what lies behind the signature check.
func sign(body []byte) string {
	mac := hmac.New(sha256.New, fuzzCursorKey)
	mac.Write(body)
	return base64.RawURLEncoding.EncodeToString(append(mac.Sum(nil)[:16], body...))
}

// FuzzDecodeCursor feeds arbitrary cursors, and arbitrary signed cursor
// bodies, to the decoder: it never panics, refuses with BAD_USER_INPUT
// naming the argument, and what it accepts is a position of the ordering's
// shape that seeks and round-trips.
func FuzzDecodeCursor(f *testing.F) {
	d := &DB{cursorKey: fuzzCursorKey}
	orderings := fuzzOrderings()
	for i, o := range orderings {
		vals := make([]any, len(o.keys))
		for j, k := range o.keys {
			switch k.kind {
			case kindInt:
				vals[j] = int64(40 + j)
			case kindDate:
				vals[j] = "2021-05-01"
			default:
				vals[j] = "RXX"
			}
		}
		good := d.encodeCursor(o, position{Values: vals, ID: 1234})
		f.Add(good, false, uint8(i))
		f.Add(good[:len(good)-3], false, uint8(i))
		raw, _ := base64.RawURLEncoding.DecodeString(good)
		f.Add(string(raw[16:]), true, uint8(i))
		env, _ := json.Marshal(cursorEnvelope{Binding: o.binding, Pos: position{Values: make([]any, len(o.keys)), ID: -1}})
		f.Add(string(env), true, uint8(i))
	}
	f.Add("", false, uint8(0))
	f.Add("not a cursor", false, uint8(1))
	f.Add(`{"b":"","p":{"v":[1.5],"i":1e300}}`, true, uint8(2))

	f.Fuzz(func(t *testing.T, s string, signed bool, which uint8) {
		o := orderings[int(which)%len(orderings)]
		cursor := s
		if signed {
			cursor = sign([]byte(s))
		}
		arg := []string{"after", "before"}[which/128]
		pos, err := d.decodeCursor(o, arg, cursor)
		if err != nil {
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.ErrBadUserInput || me.Field != arg {
				t.Fatalf("error %#v, want a BAD_USER_INPUT model.Error on %s", err, arg)
			}
			return
		}
		if len(pos.Values) != len(o.keys) {
			t.Fatalf("%d values for %d keys", len(pos.Values), len(o.keys))
		}
		for i, k := range o.keys {
			switch v := pos.Values[i].(type) {
			case nil:
			case int64:
				if k.kind != kindInt {
					t.Fatalf("key %s: integer %d", k.col, v)
				}
			case string:
				if k.kind == kindInt {
					t.Fatalf("key %s: string %q", k.col, v)
				}
			default:
				t.Fatalf("key %s: value %#v of type %T", k.col, v, v)
			}
		}
		for _, backward := range []bool{false, true} {
			text, args, err := o.seek(pos, backward).ToSql()
			if err != nil {
				t.Fatalf("seek: %v", err)
			}
			if strings.Count(text, "?") != len(args) {
				t.Fatalf("seek %q has %d arguments", text, len(args))
			}
		}
		again, err := d.decodeCursor(o, arg, d.encodeCursor(o, pos))
		if err != nil {
			t.Fatalf("re-encoded cursor refused: %v", err)
		}
		if again.ID != pos.ID || !slices.Equal(again.Values, pos.Values) {
			t.Fatalf("round trip: %+v, want %+v", again, pos)
		}
	})
}

// filterValues supplies the client strings a fuzzed filter is built from.
// The fuzzer's own values and neutral stand-ins build the same shape, so
// their SQL texts must be identical.
type filterValues interface {
	str(i int) string
	code(i int, kind codeKind, prefix bool) string
}

type fuzzedValues [3]string

func (v fuzzedValues) str(i int) string                      { return v[i%3] }
func (v fuzzedValues) code(i int, _ codeKind, _ bool) string { return v[i%3] }

// neutralValues are valid wherever they are used, so that a filter valid
// with the fuzzed values is valid with these.
type neutralValues struct{}

func (neutralValues) str(int) string { return "neutral" }
func (neutralValues) code(_ int, kind codeKind, prefix bool) string {
	switch {
	case kind.name == opcs4Kind.name && prefix:
		return "S"
	case kind.name == opcs4Kind.name:
		return "S068"
	case prefix:
		return "L"
	}
	return "L400"
}

// fuzzFilter builds an EpisodeFilter whose shape comes from the bits of
// shape and whose values come from v and n, m.
func fuzzFilter(v filterValues, n, m int, shape uint64, depth int) *model.EpisodeFilter {
	bits := func(at, width uint) int { return int(shape >> at & (1<<width - 1)) }
	f := &model.EpisodeFilter{}
	strFields := []**model.StringFilter{&f.FinancialYear, &f.ProviderCode, &f.TreatmentSpecialty, &f.MainSpecialty,
		&f.AdmissionMethod, &f.PatientClassification, &f.AdministrativeCategory, &f.EpisodeStatus}
	*strFields[bits(0, 3)] = fuzzStringFilter(v, bits(3, 3))
	icd := func(op int) *model.CodeFilter {
		return fuzzCodeFilter(v.code(1, icd10Kind, false), v.code(0, icd10Kind, true), v.code(1, icd10Kind, true), op)
	}
	if bits(6, 1) == 1 {
		f.Diagnosis = icd(bits(7, 2))
	}
	if bits(9, 1) == 1 {
		c := v.code(2, opcs4Kind, false)
		f.Procedure = fuzzCodeFilter(c, v.code(2, opcs4Kind, true), c, bits(10, 2))
	}
	if bits(12, 1) == 1 {
		f.PrimaryDiagnosis = icd(bits(13, 2))
	}
	if bits(15, 1) == 1 {
		f.StartAge = fuzzIntFilter(n, m, bits(16, 3))
	}
	if bits(19, 1) == 1 {
		day := func(k int) *model.Date { return &model.Date{Time: time.Unix(int64(k%40000)*86400, 0).UTC()} }
		switch bits(20, 2) {
		case 0:
			f.EpisodeStart = &model.DateFilter{Eq: day(n)}
		case 1:
			f.EpisodeEnd = &model.DateFilter{Gte: day(n), Lt: day(m)}
		case 2:
			f.AdmissionDate = &model.DateFilter{Gt: day(n), IsNull: ptrTo(false)}
		default:
			f.EpisodeStart = &model.DateFilter{IsNull: ptrTo(n%2 == 0), Lte: day(m)}
		}
	}
	if bits(22, 1) == 1 {
		p := &model.PatientFilter{
			PseudoID:  fuzzStringFilter(v, bits(23, 3)),
			BirthYear: fuzzIntFilter(m, n, bits(26, 3)),
			Sex:       []model.Sex{model.AllSex[bits(29, 2)]},
		}
		if depth > 0 && bits(31, 1) == 1 {
			p.HasEpisode = fuzzFilter(v, m, n, shape>>7|shape<<57, depth-1)
		}
		if bits(32, 1) == 1 {
			p = &model.PatientFilter{Not: p, Region: fuzzStringFilter(v, bits(33, 3))}
		}
		f.Patient = p
	}
	if depth > 0 {
		rotated := shape>>11 | shape<<53
		switch bits(36, 2) {
		case 1:
			f.Not = fuzzFilter(v, n, m, rotated, depth-1)
		case 2:
			f.Or = []*model.EpisodeFilter{fuzzFilter(v, m, n, rotated, depth-1), fuzzFilter(v, n+1, m, rotated>>5, depth-1)}
		case 3:
			f.And = []*model.EpisodeFilter{fuzzFilter(v, n, m, rotated, depth-1)}
		}
	}
	return f
}

func ptrTo[T any](v T) *T { return &v }

func fuzzStringFilter(v filterValues, op int) *model.StringFilter {
	a, b, c := v.str(0), v.str(1), v.str(2)
	switch op {
	case 0:
		return &model.StringFilter{Eq: &a}
	case 1:
		return &model.StringFilter{Ne: &b}
	case 2:
		return &model.StringFilter{In: []string{a, b}}
	case 3:
		return &model.StringFilter{NotIn: []string{c, a}}
	case 4:
		return &model.StringFilter{StartsWith: &c}
	case 5:
		return &model.StringFilter{Eq: &b, IsNull: ptrTo(false)}
	case 6:
		return &model.StringFilter{In: []string{a, b, c}, StartsWith: &a}
	}
	return &model.StringFilter{IsNull: ptrTo(true)}
}

// fuzzCodeFilter uses one value as the full code and two as prefixes, so
// that one well-formed value per classification makes every operator valid.
func fuzzCodeFilter(full, prefix1, prefix2 string, op int) *model.CodeFilter {
	switch op {
	case 0:
		return &model.CodeFilter{Eq: &full}
	case 1:
		return &model.CodeFilter{In: []string{full, full}}
	case 2:
		return &model.CodeFilter{StartsWith: &prefix1}
	}
	return &model.CodeFilter{StartsWithAny: []string{prefix1, prefix2}, StartsWith: &prefix2}
}

func fuzzIntFilter(n, m int, op int) *model.IntFilter {
	switch op {
	case 0:
		return &model.IntFilter{Eq: &n}
	case 1:
		return &model.IntFilter{Ne: &m}
	case 2:
		return &model.IntFilter{In: []int{n, m}}
	case 3:
		return &model.IntFilter{Gt: &n, Lt: &m}
	case 4:
		return &model.IntFilter{Gte: &n, Lte: &m}
	case 5:
		return &model.IntFilter{Gt: &n, Gte: &m}
	case 6:
		return &model.IntFilter{Lte: &m, IsNull: ptrTo(false)}
	}
	return &model.IntFilter{IsNull: ptrTo(true)}
}

// filterColumns is every column a filter may name; anything else in the SQL
// text would be client input or a translation mistake.
var filterColumns = map[string]bool{
	"id": true, "patient_id": true, "episode_id": true, "code": true, "code3": true,
	"fyear": true, "procode3": true, "tretspef": true, "mainspef": true, "admimeth": true, "classpat": true,
	"admincat": true, "epistat": true, "admidate": true, "epistart": true, "epiend": true,
	"start_age": true, "epidur": true, "primary_diag": true,
	"sex": true, "ethnicity": true, "region": true, "pseudo_id": true, "birth_year": true,
}

var sqlWords = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true, "EXISTS": true,
	"IN": true, "IS": true, "NULL": true, "LIKE": true, "TRUE": true, "CAST": true, "AS": true, "BINARY": true,
	"LEFT": true, "CHAR_LENGTH": true,
	"episodes": true, "patients": true, "diagnoses": true, "procedures": true,
}

var (
	identifier = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)?`)
	tableAlias = regexp.MustCompile(`^(e|[edp][0-9]+)$`)
)

// checkFilterSQL requires the SQL text to consist of keywords, table
// aliases and whitelisted columns only.
func checkFilterSQL(t *testing.T, text string) {
	t.Helper()
	if strings.ContainsAny(text, "'\"`\\;#") || strings.Contains(text, "--") || strings.Contains(text, "/*") {
		t.Fatalf("SQL text has quotes or comments: %s", text)
	}
	for _, id := range identifier.FindAllString(text, -1) {
		alias, col, qualified := strings.Cut(id, ".")
		switch {
		case qualified && tableAlias.MatchString(alias) && filterColumns[col]:
		case !qualified && (sqlWords[id] || tableAlias.MatchString(id)):
		default:
			t.Fatalf("unexpected identifier %q in %s", id, text)
		}
	}
}

// FuzzFilterToSQL builds filters of fuzzed shape from fuzzed strings and
// integers: translation never panics, refuses invalid input with
// BAD_USER_INPUT under "filter", and the SQL it produces carries every
// client value as an argument and none in its text, which names only
// whitelisted columns.
func FuzzFilterToSQL(f *testing.F) {
	f.Add("RXX", "330", "L40", 40, 65, uint64(0), 1)
	f.Add("L4", "L400", "S068", 3, 9, uint64(10835551482428756784), 3)
	f.Add("l4", "l40.0", "s06.8", 3, 9, uint64(7192083273564156480), 3)
	f.Add("C44", "C443", "S065", 18, 65, uint64(10694527364688230216), 2)
	f.Add("x' OR '1'='1", "L40", "S068", -1, 1<<40, uint64(1<<22|1<<31|1<<32|2<<36), 3)
	f.Add("100%_\\", "C44", "S0", 7, 7, uint64(4<<3|1<<6|3<<7|1<<12|1<<19|3<<20), 2)
	f.Add("", "1234", "L4.0x", 0, 0, uint64(1<<36|1<<6|1<<12), 1)
	f.Add("episodes", "SELECT", "pseudo_id", 3, 2, uint64(6<<3|1<<22|7<<23|1<<36), 2)

	f.Fuzz(func(t *testing.T, a, b, c string, n, m int, shape uint64, depth int) {
		depth = min(max(depth, 0), 3)
		fuzzed := fuzzFilter(fuzzedValues{a, b, c}, n, m, shape, depth)
		cond, err := episodeCond(fuzzed, "e", "filter", &aliases{})
		if err != nil {
			var me *model.Error
			if !errors.As(err, &me) || me.Code != model.ErrBadUserInput || !strings.HasPrefix(me.Field, "filter") {
				t.Fatalf("error %#v, want BAD_USER_INPUT naming a filter path", err)
			}
			return
		}
		text, args, err := builder.Select("e.id").From("episodes e").Where(cond).ToSql()
		if err != nil {
			t.Fatalf("ToSql: %v", err)
		}
		neutralCond, err := episodeCond(fuzzFilter(neutralValues{}, n, m, shape, depth), "e", "filter", &aliases{})
		if err != nil {
			t.Fatalf("the neutral filter of the same shape is refused: %v", err)
		}
		neutralText, neutralArgs, err := builder.Select("e.id").From("episodes e").Where(neutralCond).ToSql()
		if err != nil {
			t.Fatalf("ToSql: %v", err)
		}
		for _, s := range []string{a, b, c} {
			if len(s) > 3 && !strings.Contains(neutralText, s) && strings.Contains(text, s) {
				t.Fatalf("client value %q is in the SQL text %s", s, text)
			}
		}
		if text != neutralText || len(args) != len(neutralArgs) {
			t.Fatalf("SQL depends on client values:\n%s\n%s", text, neutralText)
		}
		if strings.Count(text, "?") != len(args) {
			t.Fatalf("%d placeholders for %d arguments", strings.Count(text, "?"), len(args))
		}
		checkFilterSQL(t, text)
		for _, want := range expectedArgs(fuzzed) {
			if !slices.Contains(args, want) {
				t.Fatalf("client value %#v is not among the arguments %#v", want, args)
			}
		}
	})
}

// expectedArgs lists arguments a translated filter must carry for its
// string and code operators, in the form the database compares.
func expectedArgs(f *model.EpisodeFilter) []any {
	if f == nil {
		return nil
	}
	var out []any
	str := func(s *model.StringFilter) {
		if s == nil {
			return
		}
		for _, p := range []*string{s.Eq, s.Ne} {
			if p != nil {
				out = append(out, *p)
			}
		}
		for _, v := range append(slices.Clone(s.In), s.NotIn...) {
			out = append(out, v)
		}
		if s.StartsWith != nil {
			out = append(out, likePrefix(*s.StartsWith))
		}
	}
	code := func(c *model.CodeFilter) {
		if c == nil {
			return
		}
		if c.Eq != nil {
			out = append(out, normCode(*c.Eq))
		}
		for _, v := range c.In {
			out = append(out, normCode(v))
		}
		for _, v := range append(slices.Clone(c.StartsWithAny), derefAll(c.StartsWith)...) {
			out = append(out, normCode(v)+"%")
		}
	}
	for _, s := range []*model.StringFilter{f.FinancialYear, f.ProviderCode, f.TreatmentSpecialty, f.MainSpecialty,
		f.AdmissionMethod, f.PatientClassification, f.AdministrativeCategory, f.EpisodeStatus} {
		str(s)
	}
	code(f.Diagnosis)
	code(f.PrimaryDiagnosis)
	code(f.Procedure)
	if p := f.Patient; p != nil {
		for p != nil {
			str(p.PseudoID)
			str(p.Region)
			out = append(out, expectedArgs(p.HasEpisode)...)
			p = p.Not
		}
	}
	for _, sub := range append(slices.Clone(f.And), f.Or...) {
		out = append(out, expectedArgs(sub)...)
	}
	return append(out, expectedArgs(f.Not)...)
}

func derefAll(p *string) []string {
	if p == nil {
		return nil
	}
	return []string{*p}
}

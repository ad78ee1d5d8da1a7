package db

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"hash"
	"strconv"

	sq "github.com/Masterminds/squirrel"

	"github.com/hesgql/hesgql/graph/model"
)

// Keyset pagination. An ordering is a list of whitelisted columns ending in
// the row id, so it is total. A page continues from a cursor with the
// expanded seek predicate k1 > v1 OR (k1 = v1 AND k2 > v2) ..., which both
// MariaDB and MySQL serve from the (key, id) indexes; row-value comparisons
// are avoided because MariaDB does not use indexes for them.
//
// NULL sorts as the smallest value (first ascending, last descending), which
// is MySQL's own rule, so ORDER BY needs no NULLS FIRST emulation and the
// seek predicate spells out where NULLs fall.

// keyKind says how a sort column's cursor value is decoded.
type keyKind int

const (
	kindString keyKind = iota
	kindInt
	kindDate
)

// sortKey is one resolved ORDER BY term.
type sortKey struct {
	col  string // column on the listing's table alias
	kind keyKind
	desc bool
	// unique marks a NOT NULL column under a unique index: it orders rows
	// totally by itself. Nothing after it is needed, not even the id, and
	// leaving the id out is what lets the unique index serve the ORDER BY
	// (MariaDB does not extend a unique index with the primary key).
	unique bool
}

// ordering is a complete, total order: keys then the id tie-breaker.
type ordering struct {
	keys    []sortKey
	idDesc  bool
	idCol   string
	binding string // what a cursor must have been made under
	// byUnique: the last key is unique, so the id is not part of the order.
	byUnique bool
}

var episodeSortColumns = map[model.EpisodeSortField]sortKey{
	model.EpisodeSortFieldEpisodeStart:    {col: "epistart", kind: kindDate},
	model.EpisodeSortFieldEpisodeEnd:      {col: "epiend", kind: kindDate},
	model.EpisodeSortFieldAdmissionDate:   {col: "admidate", kind: kindDate},
	model.EpisodeSortFieldDischargeDate:   {col: "disdate", kind: kindDate},
	model.EpisodeSortFieldProviderCode:    {col: "procode3", kind: kindString},
	model.EpisodeSortFieldStartAge:        {col: "start_age", kind: kindInt},
	model.EpisodeSortFieldEpisodeDuration: {col: "epidur", kind: kindInt},
	model.EpisodeSortFieldFinancialYear:   {col: "fyear", kind: kindString},
}

var patientSortColumns = map[model.PatientSortField]sortKey{
	model.PatientSortFieldPseudoID:  {col: "pseudo_id", kind: kindString, unique: true},
	model.PatientSortFieldBirthYear: {col: "birth_year", kind: kindInt},
}

// newOrdering resolves sort terms against a whitelist. The id tie-breaker
// follows the direction of the last key so that a single-key ordering is
// one index scan in either direction.
func newOrdering(alias string, terms []sortKey, binding string) ordering {
	o := ordering{idCol: alias + ".id", binding: binding}
	seen := map[string]bool{}
	for _, t := range terms {
		if seen[t.col] {
			continue // a repeated key adds nothing to the order
		}
		seen[t.col] = true
		t.col = alias + "." + t.col
		o.keys = append(o.keys, t)
		if t.unique {
			o.byUnique = true
			break
		}
	}
	if n := len(o.keys); n > 0 {
		o.idDesc = o.keys[n-1].desc
	}
	return o
}

func episodeOrdering(alias string, order []*model.EpisodeOrder, binding string) (ordering, error) {
	terms := make([]sortKey, 0, len(order))
	for i, t := range order {
		k, ok := episodeSortColumns[t.Field]
		if !ok {
			return ordering{}, model.InputError(fmt.Sprintf("orderBy[%d].field", i), "unknown sort field %q", t.Field)
		}
		k.desc = t.Direction != nil && *t.Direction == model.SortDirectionDesc
		terms = append(terms, k)
	}
	return newOrdering(alias, terms, binding), nil
}

func patientOrdering(alias string, order []*model.PatientOrder, binding string) (ordering, error) {
	terms := make([]sortKey, 0, len(order))
	for i, t := range order {
		k, ok := patientSortColumns[t.Field]
		if !ok {
			return ordering{}, model.InputError(fmt.Sprintf("orderBy[%d].field", i), "unknown sort field %q", t.Field)
		}
		k.desc = t.Direction != nil && *t.Direction == model.SortDirectionDesc
		terms = append(terms, k)
	}
	return newOrdering(alias, terms, binding), nil
}

// orderBy returns the ORDER BY terms, reversed for backward pages.
func (o ordering) orderBy(reverse bool) []string {
	dir := func(desc bool) string {
		if desc != reverse {
			return " DESC"
		}
		return " ASC"
	}
	out := make([]string, 0, len(o.keys)+1)
	for _, k := range o.keys {
		out = append(out, k.col+dir(k.desc))
	}
	if o.byUnique {
		return out
	}
	return append(out, o.idCol+dir(o.idDesc))
}

// columns lists the sort key columns that a cursor must capture.
func (o ordering) columns() []string {
	cols := make([]string, 0, len(o.keys))
	for _, k := range o.keys {
		cols = append(cols, k.col)
	}
	return cols
}

// position is a row's place in an ordering: its key values and id.
type position struct {
	Values []any `json:"v"`
	ID     int64 `json:"i"`
}

// seek returns the predicate for rows strictly after p in the ordering, or
// strictly before it when backward is set.
func (o ordering) seek(p position, backward bool) sq.Sqlizer {
	var or sq.Or
	var prefix sq.And
	for i, k := range o.keys {
		v := p.Values[i]
		desc := k.desc != backward
		// Rows beyond v on this key, with NULL as the smallest value.
		var beyond sq.Sqlizer
		switch {
		case v == nil && !desc:
			beyond = sq.NotEq{k.col: nil}
		case v == nil && desc:
			beyond = nil // nothing sorts below NULL
		case !desc:
			beyond = sq.Gt{k.col: v}
		default:
			beyond = sq.Or{sq.Lt{k.col: v}, sq.Eq{k.col: nil}}
		}
		if beyond != nil {
			or = append(or, append(append(sq.And{}, prefix...), beyond))
		}
		prefix = append(prefix, sq.Eq{k.col: v}) // sq.Eq with nil renders IS NULL
	}
	if o.byUnique {
		return or // no other row shares the unique key's value
	}
	var idBeyond sq.Sqlizer = sq.Gt{o.idCol: p.ID}
	if o.idDesc != backward {
		idBeyond = sq.Lt{o.idCol: p.ID}
	}
	or = append(or, append(append(sq.And{}, prefix...), idBeyond))
	return or
}

// cursorEnvelope is what a cursor carries, signed.
type cursorEnvelope struct {
	Binding string   `json:"b"`
	Pos     position `json:"p"`
}

// encodeCursor signs a position together with the ordering binding.
func (d *DB) encodeCursor(o ordering, p position) string {
	raw := make([]byte, 16, 128)
	raw = appendEnvelope(raw, o.binding, p)
	d.sign(raw, raw[16:])
	// A page encodes a cursor per row: encoded in a stack buffer, the
	// string is the one allocation.
	var out [256]byte
	if n := base64.RawURLEncoding.EncodedLen(len(raw)); n <= len(out) {
		base64.RawURLEncoding.Encode(out[:n], raw)
		return string(out[:n])
	}
	return base64.RawURLEncoding.EncodeToString(raw)
}

// appendEnvelope appends the JSON of cursorEnvelope{binding, p} to b, byte
// for byte as json.Marshal writes it (decodeCursor reads it with
// json.Unmarshal), without json.Marshal's reflection and copies per row:
// strings that need no escaping and int64s are written directly, any other
// value through json.Marshal.
func appendEnvelope(b []byte, binding string, p position) []byte {
	b = append(b, `{"b":`...)
	b = appendJSONValue(b, binding)
	b = append(b, `,"p":{"v":`...)
	if p.Values == nil {
		b = append(b, "null"...)
	} else {
		b = append(b, '[')
		for i, v := range p.Values {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendJSONValue(b, v)
		}
		b = append(b, ']')
	}
	b = append(b, `,"i":`...)
	b = strconv.AppendInt(b, p.ID, 10)
	return append(b, "}}"...)
}

func appendJSONValue(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "null"...)
	case int64:
		return strconv.AppendInt(b, v, 10)
	case string:
		if plainJSONString(v) {
			b = append(b, '"')
			b = append(b, v...)
			return append(b, '"')
		}
	}
	enc, err := json.Marshal(v)
	if err != nil {
		// Key values are strings and numbers; json.Marshal could only fail
		// on a type no ordering produces.
		panic(fmt.Sprintf("cursor value %T: %v", v, err))
	}
	return append(b, enc...)
}

// plainJSONString reports whether json.Marshal writes s between quotes
// unchanged: printable ASCII with nothing it escapes.
func plainJSONString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

// sign writes the first 16 bytes of body's HMAC to dst[:16]. A page signs
// a cursor per row, so the keyed hashes are pooled rather than set up anew.
func (d *DB) sign(dst, body []byte) {
	mac, _ := d.macs.Get().(hash.Hash)
	if mac == nil {
		mac = hmac.New(sha256.New, d.cursorKey)
	}
	mac.Reset()
	mac.Write(body)
	var sum [sha256.Size]byte
	copy(dst[:16], mac.Sum(sum[:0]))
	d.macs.Put(mac)
}

// decodeCursor verifies a cursor and returns its position, checking that it
// was made under the same ordering and filter.
func (d *DB) decodeCursor(o ordering, arg, s string) (position, error) {
	bad := func(why string) (position, error) {
		return position{}, model.InputError(arg, "invalid cursor: %s", why)
	}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) <= 16 {
		return bad("not a cursor of this API")
	}
	var want [16]byte
	d.sign(want[:], raw[16:])
	if !hmac.Equal(want[:], raw[:16]) {
		return bad("signature does not match")
	}
	var env cursorEnvelope
	if err := json.Unmarshal(raw[16:], &env); err != nil {
		return bad("unreadable")
	}
	if env.Binding != o.binding {
		return bad("it was made for another orderBy or filter")
	}
	if len(env.Pos.Values) != len(o.keys) {
		return bad("wrong number of sort keys")
	}
	for i, k := range o.keys {
		v, ok := normaliseCursorValue(env.Pos.Values[i], k.kind)
		if !ok {
			return bad("malformed sort key")
		}
		env.Pos.Values[i] = v
	}
	return env.Pos, nil
}

// normaliseCursorValue turns a JSON-decoded value back into a SQL argument.
func normaliseCursorValue(v any, kind keyKind) (any, bool) {
	if v == nil {
		return nil, true
	}
	switch kind {
	case kindInt:
		f, ok := v.(float64)
		if !ok || f != float64(int64(f)) {
			return nil, false
		}
		return int64(f), true
	default:
		s, ok := v.(string)
		return s, ok
	}
}

// bindingOf fingerprints what a cursor is valid for: the listing, its
// ordering and its filter.
func bindingOf(parts ...any) string {
	body, _ := json.Marshal(parts)
	sum := sha256.Sum256(body)
	return base64.RawURLEncoding.EncodeToString(sum[:12])
}

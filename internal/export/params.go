package export

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
)

// The filter and orderBy parameters are JSON values of the `episodes`
// field's argument types. They are coerced against the GraphQL schema
// itself, as variables of a query would be, so that an extract accepts
// exactly what the field accepts and names the offending path when it does
// not: unknown fields, wrong types, bad enum values and malformed dates are
// all refused before any SQL runs.

var (
	schema      = graph.NewExecutableSchema(graph.Config{}).Schema()
	episodeArgs = schema.Query.Fields.ForName("episodes").Arguments
	filterType  = episodeArgs.ForName("filter").Type
	orderByType = episodeArgs.ForName("orderBy").Type
)

// request is a parsed extract request.
type request struct {
	filter  *model.EpisodeFilter
	orderBy []*model.EpisodeOrder
	columns []string
	// rawFilter and rawOrderBy are kept for the audit record.
	rawFilter, rawOrderBy string
}

// parseRequest reads the raw query string of an extract request. A query
// string that does not parse is refused as a whole: url.URL.Query drops a
// pair with a bad escape or a ";" separator without a word, and a dropped
// filter would silently widen the extract to every row.
func parseRequest(rawQuery string, limits graph.Limits) (*request, error) {
	v, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, malformedQuery(rawQuery, err)
	}
	for name, vals := range v {
		switch name {
		case "filter", "orderBy", "columns":
			if len(vals) > 1 {
				return nil, model.InputError(name, "give the parameter once")
			}
		case "":
			return nil, model.InputError("query", "a parameter without a name: write name=value pairs separated by &")
		default:
			return nil, model.InputError(name, "unknown parameter %q: the extract takes filter, orderBy and columns", name)
		}
	}
	req := &request{rawFilter: v.Get("filter"), rawOrderBy: v.Get("orderBy")}
	// An empty value is refused rather than read as "no filter": it is what
	// a script sends when the variable it meant to interpolate is unset.
	// JSON null is the argument's own "none", as in GraphQL.
	if v.Has("filter") {
		if err := decodeInput(req.rawFilter, filterType, "filter", limits, &req.filter); err != nil {
			return nil, err
		}
	}
	if v.Has("orderBy") {
		if err := decodeInput(req.rawOrderBy, orderByType, "orderBy", limits, &req.orderBy); err != nil {
			return nil, err
		}
	}
	if !v.Has("columns") {
		req.columns = db.DefaultExportColumns()
		return req, nil
	}
	for _, c := range strings.Split(v.Get("columns"), ",") {
		c = strings.TrimSpace(c)
		if c == "" {
			return nil, model.InputError("columns", "empty column name: list column names separated by commas")
		}
		if known, _ := db.ExportColumnInfo(c); !known {
			return nil, model.InputError("columns", "unknown column %q: columns are %s", c, strings.Join(db.ExportColumnNames(), ", "))
		}
		if slices.Contains(req.columns, c) {
			return nil, model.InputError("columns", "column %q is listed twice", c)
		}
		req.columns = append(req.columns, c)
	}
	return req, nil
}

// malformedQuery names the parameter whose pair does not parse, or "query"
// when its name itself is malformed or the pairs are split by ";".
func malformedQuery(rawQuery string, err error) error {
	hint := "percent-encode parameter values (curl -G --data-urlencode) and separate pairs with &"
	for _, pair := range strings.Split(rawQuery, "&") {
		if _, perr := url.ParseQuery(pair); perr == nil {
			continue
		}
		key, _, _ := strings.Cut(pair, "=")
		name, kerr := url.QueryUnescape(key)
		if kerr != nil || strings.Contains(pair, ";") || name == "" {
			break
		}
		return model.InputError(name, "the value does not decode (%v): %s", err, hint)
	}
	return model.InputError("query", "the query string does not parse (%v): %s", err, hint)
}

// identifiableColumns returns the requested columns that are HES restricted.
func (r *request) identifiableColumns() []string {
	var out []string
	for _, c := range r.columns {
		if _, ident := db.ExportColumnInfo(c); ident {
			out = append(out, c)
		}
	}
	return out
}

// decodeInput coerces the JSON text raw to the GraphQL input type t and
// stores it in out. The value must also keep within the filter limits of
// the GraphQL arguments (nesting depth and size), which are checked first,
// before coercion walks it and before the database sees it.
func decodeInput(raw string, t *ast.Type, path string, limits graph.Limits, out any) error {
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if strings.TrimSpace(raw) == "" {
		return model.InputError(path, "empty: give a JSON value, or leave the parameter out")
	}
	if err := dec.Decode(&v); err != nil {
		return model.InputError(path, "not valid JSON: %v", err)
	}
	if dec.More() {
		return model.InputError(path, "not valid JSON: more than one value")
	}
	if _, lerr := graph.CheckInput(path, v, limits); lerr != nil {
		field, _ := lerr.Extensions["field"].(string)
		return &model.Error{Code: model.ErrTooComplex, Field: field, Message: lerr.Message}
	}
	coerced, err := coerce(v, t, path)
	if err != nil {
		return err
	}
	body, err := json.Marshal(coerced)
	if err != nil {
		return err
	}
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(out); err != nil {
		// The value has been checked against the schema, so this is a
		// mismatch between schema and model, not the caller's fault.
		return fmt.Errorf("decode %s: %w", path, err)
	}
	return nil
}

// coerce checks v against type t following GraphQL input coercion and
// returns it in the form the model types decode: dates become RFC 3339
// timestamps at midnight UTC, which model.Date reads through time.Time.
func coerce(v any, t *ast.Type, path string) (any, error) {
	if v == nil {
		if t.NonNull {
			return nil, model.InputError(path, "must not be null (type %s)", t)
		}
		return nil, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			list = []any{v} // a single value stands for a list of one
		}
		out := make([]any, len(list))
		for i, e := range list {
			c, err := coerce(e, t.Elem, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return nil, fmt.Errorf("%s: type %s is not in the schema", path, t.NamedType)
	}
	switch def.Kind {
	case ast.InputObject:
		obj, ok := v.(map[string]any)
		if !ok {
			return nil, model.InputError(path, "must be an object (type %s)", def.Name)
		}
		out := make(map[string]any, len(obj))
		for name, fv := range obj {
			f := def.Fields.ForName(name)
			if f == nil {
				return nil, model.InputError(path+"."+name, "unknown field %q of %s", name, def.Name)
			}
			c, err := coerce(fv, f.Type, path+"."+name)
			if err != nil {
				return nil, err
			}
			out[name] = c
		}
		for _, f := range def.Fields {
			if _, given := obj[f.Name]; !given && f.Type.NonNull && f.DefaultValue == nil {
				return nil, model.InputError(path+"."+f.Name, "is required (type %s)", f.Type)
			}
		}
		return out, nil
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			names := make([]string, len(def.EnumValues))
			for i, e := range def.EnumValues {
				names[i] = e.Name
			}
			return nil, model.InputError(path, "must be one of %s", strings.Join(names, ", "))
		}
		return s, nil
	case ast.Scalar:
		return coerceScalar(v, def.Name, path)
	}
	return nil, fmt.Errorf("%s: type %s cannot be an input", path, def.Name)
}

func coerceScalar(v any, name, path string) (any, error) {
	switch name {
	case "String", "ID":
		s, ok := v.(string)
		if !ok {
			return nil, model.InputError(path, "must be a string")
		}
		return s, nil
	case "Boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, model.InputError(path, "must be true or false")
		}
		return b, nil
	case "Int":
		n, ok := v.(json.Number)
		if !ok {
			return nil, model.InputError(path, "must be an integer")
		}
		i, err := n.Int64()
		if err != nil || i < math.MinInt32 || i > math.MaxInt32 {
			return nil, model.InputError(path, "must be a 32-bit integer")
		}
		return i, nil
	case "Date":
		s, ok := v.(string)
		if !ok {
			return nil, model.InputError(path, "a Date must be a string in YYYY-MM-DD form")
		}
		d, err := model.ParseDate(s)
		if err != nil {
			return nil, model.InputError(path, "%v", err)
		}
		return d.Time.Format(time.RFC3339), nil
	}
	return nil, fmt.Errorf("%s: scalar %s is not supported in an extract", path, name)
}

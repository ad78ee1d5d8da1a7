package graph_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql/introspection"

	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/graph/model"
)

// post sends a query to a handler with no resolvers: whatever the limits
// let through would fail in a resolver, so a limit error proves the
// rejection came first.
func post(t *testing.T, h http.Handler, query string, vars map[string]any) (int, []map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	var out struct{ Errors []map[string]any }
	if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
		t.Fatalf("decode %q: %v", w.Body.String(), err)
	}
	return w.Code, out.Errors
}

func limitOf(errs []map[string]any) string {
	if len(errs) != 1 {
		return ""
	}
	ext, _ := errs[0]["extensions"].(map[string]any)
	if ext["code"] != model.ErrTooComplex {
		return ""
	}
	s, _ := ext["limit"].(string)
	return s
}

func newHandler(l graph.Limits) http.Handler {
	es := graph.NewExecutableSchema(graph.Config{})
	return graph.NewHandler(es, graph.HandlerOptions{Introspection: true, Limits: l, Logger: slog.New(slog.DiscardHandler)})
}

// chain is a query exactly depth fields deep, one row per connection.
func chain(depth int) string {
	fields := []string{"patients(first: 1)", "nodes"}
	for len(fields) < depth-1 {
		fields = append(fields, "episodes(first: 1)", "nodes", "patient")
	}
	fields = fields[:depth-1]
	leaf := "id"
	if strings.HasSuffix(fields[len(fields)-1], ")") {
		leaf = "totalCount"
	}
	return "{ " + strings.Join(fields, " { ") + " { " + leaf + strings.Repeat(" }", len(fields)) + " }"
}

func TestLimits(t *testing.T) {
	h := newHandler(graph.Limits{})
	cases := map[string]struct {
		query string
		vars  map[string]any
		limit string // "" = not rejected by a limit
	}{
		"Depth12":             {chain(12), nil, ""},
		"Depth13":             {chain(13), nil, "depth"},
		"DepthInFrag":         {`query { ...A } fragment A on Query { patients { nodes { ...B } } } fragment B on Patient { episodes { nodes { patient { episodes { nodes { patient { episodes { nodes { patient { episodes { nodes { id } } } } } } } } } } } }`, nil, "depth"},
		"Aliases30":           {`{ patients { nodes { ` + aliases(30) + ` } } }`, nil, ""},
		"Aliases31":           {`{ patients { nodes { ` + aliases(31) + ` } } }`, nil, "aliases"},
		"AliasesInFrag":       {`query { patients { nodes { ...F ...G } } } fragment F on Patient { ` + aliases(16) + ` } fragment G on Patient { ...F }`, nil, "aliases"},
		"RootFields10":        {`{ ` + roots(10) + ` }`, nil, ""},
		"RootFields11":        {`{ ` + roots(11) + ` }`, nil, "rootFields"},
		"SameFieldTwiceIsOne": {`{ viewer { roles } viewer { orgs } }`, nil, ""},
		"Complexity":          {`{ patients(first: 100) { nodes { episodes(first: 100) { nodes { id episodeKey } } } } }`, nil, ""},
		"ComplexityOver":      {`{ patients(first: 100) { nodes { episodes(first: 100) { nodes { id episodeKey diagnoses { code description chapter } } } } } }`, nil, "complexity"},
		"DefaultPage":         {`{ patients { nodes { episodes { nodes { patient { episodes { nodes { id episodeKey financialYear providerCode siteCode admissionDate episodeStart episodeEnd } } } } } } } }`, nil, "complexity"},
		"LastCounts":          {`query($n: Int) { episodes(last: $n) { nodes { patient { episodes(last: $n) { nodes { diagnoses { code description chapter position } } } } } } }`, map[string]any{"n": 100}, "complexity"},
		"Introspection":       {introspection.Query, nil, ""},
		"QueryBytes":          {`{ viewer { roles } }` + strings.Repeat(" ", graph.DefaultMaxQueryBytes), nil, "queryBytes"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			_, errs := post(t, h, c.query, c.vars)
			if got := limitOf(errs); got != c.limit {
				t.Errorf("limit = %q, want %q; errors %v", got, c.limit, errs)
			}
		})
	}
}

func TestLimitsConfigurable(t *testing.T) {
	h := newHandler(graph.Limits{MaxDepth: 3, MaxAliases: 1, MaxRootFields: 1, MaxComplexity: 10})
	for q, want := range map[string]string{
		`{ patients { nodes { episodes { totalCount } } } }`: "depth",
		`{ viewer { a: roles b: orgs } }`:                    "aliases",
		`{ viewer { roles } dataReleases { id } }`:           "rootFields",
		`{ patients(first: 11) { nodes { id } } }`:           "complexity",
		// Each value of a filter counts in the cost: 3 fields, 13 values
		// (the filter, financialYear, in and its ten entries).
		`{ statistics(filter: {financialYear: {in: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]}}, groupBy: [SEX]) { rows { keys } } }`: "complexity",
	} {
		if _, errs := post(t, h, q, nil); limitOf(errs) != want {
			t.Errorf("%s: %v, want %s", q, errs, want)
		}
	}
}

// A limit refuses the request as a whole, like a validation failure: a
// GraphQL request error, 200 for application/json and 400 for
// application/graphql-response+json (GraphQL over HTTP), with no data.
func TestLimitRejectionIsRequestError(t *testing.T) {
	h := newHandler(graph.Limits{})
	for accept, want := range map[string]int{"": http.StatusOK, "application/json": http.StatusOK, "application/graphql-response+json": http.StatusBadRequest} {
		body, _ := json.Marshal(map[string]any{"query": `{ ` + roots(20) + ` }`})
		r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		if accept != "" {
			r.Header.Set("Accept", accept)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var out map[string]json.RawMessage
		if err := json.Unmarshal(w.Body.Bytes(), &out); err != nil {
			t.Fatalf("decode %q: %v", w.Body.String(), err)
		}
		var errs []map[string]any
		_ = json.Unmarshal(out["errors"], &errs)
		if w.Code != want || limitOf(errs) != "rootFields" {
			t.Errorf("Accept %q: status %d, errors %v; want %d QUERY_TOO_COMPLEX", accept, w.Code, errs, want)
		}
		if _, ok := out["data"]; ok {
			t.Errorf("Accept %q: a refused request has a data entry: %s", accept, w.Body)
		}
	}
}

func aliases(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("a" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('a'+i/26)) + ": pseudoId ")
	}
	return b.String()
}

func roots(n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		b.WriteString("r" + string(rune('a'+i)) + ": viewer { roles } ")
	}
	return b.String()
}

// A filter within the limits costs its values and no more.
func TestFilterCost(t *testing.T) {
	h := newHandler(graph.Limits{MaxComplexity: 16})
	q := `{ statistics(filter: {financialYear: {in: ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]}}, groupBy: [SEX]) { rows { keys } } }`
	if _, errs := post(t, h, q, nil); limitOf(errs) != "" {
		t.Errorf("cost 16 refused at limit 16: %v", errs)
	}
	if _, errs := post(t, newHandler(graph.Limits{MaxFilterDepth: 2}), `{ statistics(filter: {not: {startAge: {gte: 1}}}, groupBy: [SEX]) { rows { keys } } }`, nil); limitOf(errs) != "filterDepth" {
		t.Errorf("depth 3 at limit 2: %v, want filterDepth", errs)
	}
	if _, errs := post(t, newHandler(graph.Limits{MaxFilterNodes: 12}), q, nil); limitOf(errs) != "filterSize" {
		t.Errorf("13 values at limit 12: %v, want filterSize", errs)
	}
}

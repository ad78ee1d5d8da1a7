package graph

import (
	"bytes"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
)

// decodeBody accepts exactly the bodies that are one JSON object with
// parameters of the right types, and nothing more: whatever it accepts
// re-reads to the same parameters with the standard library.
func FuzzDecodeBody(f *testing.F) {
	for _, seed := range []string{
		`{"query":"{ viewer { authenticated } }"}`,
		`{"query":"{ a }"} xyz`,
		`{"query":"{ a }"}{"query":"{ b }"}`,
		`{"query":"{ a }","variables":{"n":1.50},"extensions":null,"operationName":"A"}`,
		`{"query":0}`, `[]`, `null`, ``, ` {"query":"q"} `, `{"extensions":{"persistedQuery":{"sha256Hash":"ab"}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var p graphql.RawParams
		if decodeBody(body, &p) != nil {
			return
		}
		trimmed := bytes.TrimSpace(body)
		if !json.Valid(trimmed) || trimmed[0] != '{' {
			t.Fatalf("accepted %q, which is not one JSON object", body)
		}
		// Parameter names are case-sensitive (GraphQL over HTTP), so the
		// reference decodes into a map rather than a struct.
		var m map[string]any
		if err := json.Unmarshal(trimmed, &m); err != nil {
			t.Fatalf("accepted %q: %v", body, err)
		}
		query, _ := m["query"].(string)
		name, _ := m["operationName"].(string)
		vars, _ := m["variables"].(map[string]any)
		if p.Query != query || p.OperationName != name || len(p.Variables) != len(vars) {
			t.Fatalf("%q decoded to %+v, want query %q, operationName %q, %d variables", body, p, query, name, len(vars))
		}
		for _, k := range []string{"query", "operationName"} {
			if v, ok := m[k]; ok && v != nil {
				if _, isString := v.(string); !isString {
					t.Fatalf("accepted %q, whose %s is not a string", body, k)
				}
			}
		}
		if p.Query == "" && persistedHash(p.Extensions) == "" {
			t.Fatalf("accepted %q, which has no query", body)
		}
	})
}

// BenchmarkDecodeBody measures the strict body decoding against a plain
// decode of the same body into gqlgen's parameters (what its POST transport
// does), to show what the strictness costs per request.
func BenchmarkDecodeBody(b *testing.B) {
	body := []byte(`{"query":"query Episodes($f: EpisodeFilter, $n: Int) { episodes(first: $n, filter: $f) { totalCount nodes { episodeKey diagnoses { code description } } } }",` +
		`"operationName":"Episodes","variables":{"n":20,"f":{"financialYear":{"eq":"2324"},"treatmentSpecialty":{"in":["330","257"]},"diagnosis":{"startsWith":"L40"}}}}`)
	b.Run("Strict", func(b *testing.B) {
		for b.Loop() {
			var p graphql.RawParams
			if err := decodeBody(body, &p); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("Plain", func(b *testing.B) {
		for b.Loop() {
			var p graphql.RawParams
			dec := json.NewDecoder(bytes.NewReader(body))
			dec.UseNumber()
			if err := dec.Decode(&p); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// A GET request's variables and extensions are a JSON object or null, and
// anything else is refused with what it is.
func TestDecodeQueryStringObjects(t *testing.T) {
	for raw, want := range map[string]string{
		`[1]`:        "variables: must be a JSON object, not an array",
		`"x"`:        "variables: must be a JSON object, not a string",
		`{"n":`:      "variables: not valid JSON",
		`{"n":1} {}`: "variables: data after the JSON object",
		`null`:       "",
		`{"n":1.50}`: "",
	} {
		var p graphql.RawParams
		err := decodeQueryString("query=%7Ba%7D&variables="+url.QueryEscape(raw), &p)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", raw, err)
		case want != "" && (err == nil || !strings.HasPrefix(err.Error(), want)):
			t.Errorf("%s: error %v, want %q", raw, err, want)
		}
		if raw == `{"n":1.50}` && p.Variables["n"] != json.Number("1.50") {
			t.Errorf("number not kept exact: %#v", p.Variables["n"])
		}
	}
}

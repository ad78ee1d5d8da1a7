package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/load"
)

// A response body is what json.Marshal writes for it, whoever wrote each
// value: descriptions holding what encoding/json escapes for HTML (<, >, &,
// U+2028), one copied by graph's string writer and one with a quote, which
// gqlgen's writer escapes, come out escaped, the first alone on a page and
// then both together.
func TestResponseEscapesAsEncodingJSON(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	d := dbtest.Open(t, dsn)
	s := apptest.Start(t, d, app.Options{})
	if _, err := load.File(context.Background(), d, "../../testdata/icd9_rows.csv", load.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")}); err != nil {
		t.Fatal(err)
	}
	// A description graph's string writer copies as it is, on the first
	// episode; one with a quote, which gqlgen's writer escapes, on the
	// second.
	dbtest.ExecUnchecked(t, dsn,
		"UPDATE icd9_codes SET description = 'Other <psoriasis> & more \u2028 – end' WHERE code = '6961'",
		`UPDATE icd9_codes SET description = 'Fall "down" <stairs>' WHERE code = 'E880'`)
	for _, tc := range []struct {
		first   int
		escaped []string
	}{
		{1, []string{`"Other \u003cpsoriasis\u003e \u0026 more \u2028 – end"`}},
		{50, []string{`"Other \u003cpsoriasis\u003e \u0026 more \u2028 – end"`, `"Fall \"down\" \u003cstairs\u003e"`}},
	} {
		r := s.Do(t, apptest.Request{Query: `query($n: Int!) { episodes(first: $n, orderBy: [{field: EPISODE_START}]) {
			edges { cursor node { id episodeKey episodeStart patient { sex } diagnoses { code description } } }
			pageInfo { hasNextPage } __typename } }`, Variables: map[string]any{"n": tc.first}})
		if r.Status != 200 || len(r.Errors) > 0 {
			t.Fatalf("status %d, errors %v", r.Status, r.Errors)
		}
		checkEscaped(t, r.Body, tc.escaped)
	}
}

func checkEscaped(t *testing.T, body []byte, escaped []string) {
	t.Helper()
	// json.Marshal of the body as raw JSON compacts and escapes it as it
	// does the data of a graphql.Response, keeping its members' order.
	want, err := json.Marshal(json.RawMessage(body))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(body, want) {
		t.Errorf("body differs from json.Marshal's:\n got %s\nwant %s", body, want)
	}
	for _, e := range escaped {
		if !bytes.Contains(body, []byte(e)) {
			t.Errorf("no %s in %s", e, body)
		}
	}
}

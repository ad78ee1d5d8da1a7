package app_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/load"
)

// ICD-9 diagnoses of the years before 1995-96 load with their classification,
// and a diagnosis filter matches codes of one classification only: an
// ICD-10 filter never returns an ICD-9 code spelt the same (E849, V270).
func TestICD9DiagnosesOverHTTP(t *testing.T) {
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{})
	sum, err := load.File(context.Background(), d, "../../testdata/icd9_rows.csv", load.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Loaded != 6 || sum.Rejected != 0 || sum.TotalWarnings() != 3 {
		t.Fatalf("summary %+v", sum)
	}

	const list = `query($f: EpisodeFilter) { episodes(first: 50, filter: $f, orderBy: [{field: EPISODE_START}]) {
		nodes { episodeKey primaryDiagnosis { code classification } diagnoses { position code classification description chapter } } } }`
	type diag struct {
		Position             int
		Code, Classification string
		Description, Chapter *string
	}
	type result struct {
		Episodes struct {
			Nodes []struct {
				EpisodeKey       string
				PrimaryDiagnosis *diag
				Diagnoses        []diag
			}
		}
	}
	keys := func(filter string) []string {
		t.Helper()
		var f map[string]any
		if filter != "" {
			if err := json.Unmarshal([]byte(filter), &f); err != nil {
				t.Fatal(err)
			}
		}
		var r result
		s.Query(t, list, map[string]any{"f": f}, &r)
		var out []string
		for _, n := range r.Episodes.Nodes {
			out = append(out, n.EpisodeKey)
		}
		slices.Sort(out)
		return out
	}

	var all result
	s.Query(t, list, nil, &all)
	got := map[string][]diag{}
	for _, n := range all.Episodes.Nodes {
		got[n.EpisodeKey] = n.Diagnoses
	}
	first := got["930000000001"]
	if len(first) != 3 || first[0].Code != "6961" || first[0].Classification != "ICD9" || first[0].Chapter == nil ||
		*first[0].Chapter != "XII" || first[0].Description == nil || *first[0].Description != "Other psoriasis" ||
		first[1].Code != "V270" || first[1].Classification != "ICD9" || *first[1].Chapter != "VCODE" {
		t.Errorf("1993-94 diagnoses %+v", first)
	}
	if g := got["010000000006"]; len(g) != 2 || g[0].Code != "E849" || g[0].Classification != "ICD10" || *g[0].Chapter != "IV" {
		t.Errorf("2001-02 diagnoses %+v", g)
	}

	cases := []struct {
		filter string
		want   []string
	}{
		{`{"diagnosis": {"startsWith": "E84"}}`, []string{"010000000006", "950000000005"}},
		{`{"diagnosis": {"startsWith": "E84", "classification": "ICD10"}}`, []string{"010000000006", "950000000005"}},
		{`{"diagnosis": {"startsWith": "E84", "classification": "ICD9"}}`, []string{"930000000004"}},
		{`{"diagnosis": {"eq": "V270"}}`, []string{"950000000005"}},
		{`{"diagnosis": {"eq": "V270", "classification": "ICD9"}}`, []string{"930000000001"}},
		{`{"diagnosis": {"startsWith": "799", "classification": "ICD9"}}`, []string{"930000000001", "930000000002"}},
		{`{"diagnosis": {"startsWith": "E"}}`, []string{"010000000006", "950000000005"}},
		{`{"diagnosis": {"startsWith": "L40"}}`, []string{"010000000006", "930000000002"}},
		{`{"diagnosis": {"classification": "ICD9"}}`, []string{"930000000001", "930000000002", "930000000003", "930000000004"}},
		{`{"primaryDiagnosis": {"eq": "E849"}}`, []string{"010000000006"}},
		{`{"primaryDiagnosis": {"eq": "E849", "classification": "ICD9"}}`, []string{"930000000004"}},
		{`{"primaryDiagnosis": {"startsWith": "E"}}`, []string{"010000000006"}},
	}
	for _, c := range cases {
		if k := keys(c.filter); !slices.Equal(k, c.want) {
			t.Errorf("%s: %v, want %v", c.filter, k, c.want)
		}
	}

	// Codes are validated in the classification asked for.
	for filter, path := range map[string]string{
		`{"diagnosis": {"eq": "7999"}}`:                           "diagnosis.eq",
		`{"diagnosis": {"eq": "L400", "classification": "ICD9"}}`: "diagnosis.eq",
		`{"procedure": {"eq": "S068", "classification": "ICD9"}}`: "procedure.classification",
	} {
		var f map[string]any
		json.Unmarshal([]byte(filter), &f)
		resp := s.Do(t, apptest.Request{Query: list, Variables: map[string]any{"f": f}})
		if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
			t.Errorf("%s: errors %+v, want one BAD_USER_INPUT at %s", filter, resp.Errors, path)
		}
	}
}

package app_test

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/hes"
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

// Generated 1993-94 and 1994-95 episodes load with ICD-9 diagnoses, which an
// ICD-10 filter never returns.
func TestGeneratedICD9YearsOverHTTP(t *testing.T) {
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{})
	var buf bytes.Buffer
	if err := hes.Generate(&buf, hes.GenerateOptions{Seed: 5, Episodes: 3000, FromYear: 1993}); err != nil {
		t.Fatal(err)
	}
	sum, err := load.Stream(context.Background(), d, "from1993.txt", &buf, 0, load.Options{RejectsPath: filepath.Join(t.TempDir(), "r.csv")})
	if err != nil || sum.Rejected != 0 || sum.TotalWarnings() != 0 || !slices.Contains(sum.FinancialYears, "9394") {
		t.Fatalf("load: %+v %v", sum, err)
	}
	const q = `query($f: EpisodeFilter) { episodes(first: 100, filter: $f) { totalCount
		nodes { financialYear diagnoses { code classification } } } }`
	type res struct {
		Episodes struct {
			TotalCount int
			Nodes      []struct {
				FinancialYear string
				Diagnoses     []struct{ Code, Classification string }
			}
		}
	}
	var icd9 res
	s.Query(t, q, map[string]any{"f": map[string]any{"diagnosis": map[string]any{"classification": "ICD9"}}}, &icd9)
	if icd9.Episodes.TotalCount == 0 {
		t.Fatal("no ICD-9 episodes")
	}
	for _, n := range icd9.Episodes.Nodes {
		if n.FinancialYear != "9394" && n.FinancialYear != "9495" {
			t.Errorf("ICD-9 diagnosis in %s", n.FinancialYear)
		}
		for _, x := range n.Diagnoses {
			if x.Classification != "ICD9" {
				t.Errorf("%s episode has %s diagnosis %s", n.FinancialYear, x.Classification, x.Code)
			}
		}
	}
	// The generator writes ICD-9 V158 for its personal-history Z codes: an
	// ICD-10 V prefix must not find them, nor any other ICD-10 filter.
	for _, prefix := range []string{"V", "E", "Z"} {
		var r res
		s.Query(t, q, map[string]any{"f": map[string]any{"and": []any{
			map[string]any{"diagnosis": map[string]any{"startsWith": prefix}},
			map[string]any{"financialYear": map[string]any{"in": []string{"9394", "9495"}}},
		}}}, &r)
		if r.Episodes.TotalCount != 0 {
			t.Errorf("ICD-10 startsWith %q returned %d ICD-9-era episodes", prefix, r.Episodes.TotalCount)
		}
	}
	var v158 res
	s.Query(t, q, map[string]any{"f": map[string]any{"diagnosis": map[string]any{"startsWith": "V15", "classification": "ICD9"}}}, &v158)
	if v158.Episodes.TotalCount == 0 {
		t.Error("ICD-9 V15 found nothing")
	}

	// Spells match diagnoses by the same rule.
	const spells = `query($f: SpellFilter) { spells(first: 100, filter: $f) { totalCount
		nodes { episodes { diagnoses { code classification } } } } }`
	type spellRes struct {
		Spells struct {
			TotalCount int
			Nodes      []struct {
				Episodes []struct {
					Diagnoses []struct{ Code, Classification string }
				}
			}
		}
	}
	spellsWith := func(cf map[string]any) spellRes {
		t.Helper()
		var r spellRes
		s.Query(t, spells, map[string]any{"f": map[string]any{"diagnosis": cf}}, &r)
		return r
	}
	if r := spellsWith(map[string]any{"startsWith": "V15"}); r.Spells.TotalCount != 0 {
		t.Errorf("ICD-10 V15 matched %d spells of ICD-9 V15 diagnoses", r.Spells.TotalCount)
	}
	r9 := spellsWith(map[string]any{"startsWith": "V15", "classification": "ICD9"})
	if r9.Spells.TotalCount == 0 {
		t.Error("no spell with an ICD-9 V15 diagnosis")
	}
	for _, sp := range r9.Spells.Nodes {
		found := false
		for _, e := range sp.Episodes {
			for _, x := range e.Diagnoses {
				found = found || x.Classification == "ICD9" && len(x.Code) >= 3 && x.Code[:3] == "V15"
			}
		}
		if !found {
			t.Errorf("spell without an ICD-9 V15 diagnosis returned: %+v", sp)
		}
	}
	resp := s.Do(t, apptest.Request{Query: spells, Variables: map[string]any{"f": map[string]any{
		"procedure": map[string]any{"eq": "S068", "classification": "ICD9"}}}})
	if len(resp.Errors) != 1 || resp.Errors[0].Code() != "BAD_USER_INPUT" {
		t.Errorf("spells procedure classification: errors %+v, want one BAD_USER_INPUT", resp.Errors)
	}
}

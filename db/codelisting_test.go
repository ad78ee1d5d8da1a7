package db_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/load"
)

// commonCategory is the 3-character category shared by most of codes.
func commonCategory(codes [][]string) string {
	n := map[string]int{}
	for _, cs := range codes {
		seen := map[string]bool{}
		for _, c := range cs {
			if len(c) >= 3 && !seen[c[:3]] {
				seen[c[:3]] = true
				n[c[:3]]++
			}
		}
	}
	best := ""
	for c, k := range n {
		if k > n[best] || k == n[best] && c < best {
			best = c
		}
	}
	return best
}

// codeDriven reports whether q's first page is read from a code table
// (the statement's derived table of ids).
func codeDriven(t *testing.T, d *db.DB, ctx context.Context, q model.EpisodeQuery) bool {
	t.Helper()
	ctx, trace := db.WithTrace(ctx)
	q.Page = model.Page{First: ptr(5)}
	if _, err := d.ListEpisodes(ctx, q); err != nil {
		t.Fatal(err)
	}
	stmts := trace.Statements()
	if len(stmts) != 1 {
		t.Fatalf("%d statements for a page of ids, want 1", len(stmts))
	}
	return strings.Contains(stmts[0].SQL, "FROM (SELECT")
}

// Listings in id order filtered by broad code prefixes start from the code
// table; every page, forward and backward from any cursor, is what the
// oracle lists, an episode with two matching codes appears once, and the
// count agrees.
func TestCodeDrivenListingsMatchOracle(t *testing.T) {
	fx := newFixture(t, 3000)
	var diags, procs [][]string
	for _, e := range fx.w.episodes {
		diags, procs = append(diags, e.diags), append(procs, e.procs)
	}
	dc, pc := commonCategory(diags), commonCategory(procs)
	var fullDiag string
	for _, e := range fx.w.episodes {
		for _, c := range e.diags {
			if strings.HasPrefix(c, dc) && len(c) == 4 && fullDiag == "" {
				fullDiag = c
			}
		}
	}
	dotted := strings.ToLower(fullDiag[:3] + "." + fullDiag[3:])
	code := func(prefix string) *model.CodeFilter { return &model.CodeFilter{StartsWith: ptr(prefix)} }
	cases := []struct {
		name   string
		filter *model.EpisodeFilter
		driven bool
	}{
		{"diagnosis category", &model.EpisodeFilter{Diagnosis: code(dc)}, true},
		{"diagnosis and procedure categories", &model.EpisodeFilter{Diagnosis: code(dc), Procedure: code(pc)}, true},
		{"procedure category", &model.EpisodeFilter{Procedure: code(pc)}, true},
		{"full diagnosis code as a prefix, dotted", &model.EpisodeFilter{Diagnosis: code(dotted), Procedure: code(pc)}, true},
		{"procedure drives a short diagnosis prefix", &model.EpisodeFilter{Diagnosis: code(dc[:2]), Procedure: code(pc)}, true},
		{"with episode conditions", &model.EpisodeFilter{Diagnosis: code(dc), Procedure: code(pc),
			TreatmentSpecialty: &model.StringFilter{In: []string{"330", "257"}}}, true},
		{"with a patient condition", &model.EpisodeFilter{Diagnosis: code(dc),
			Patient: &model.PatientFilter{Sex: []model.Sex{model.SexFemale}}}, true},
		{"other code filter with alternatives", &model.EpisodeFilter{Diagnosis: code(dc),
			Procedure: &model.CodeFilter{StartsWithAny: []string{pc, "S0"}}}, true},
		{"under not", &model.EpisodeFilter{Diagnosis: code(dc), Not: &model.EpisodeFilter{Procedure: code(pc)}}, true},
		{"two-character prefixes", &model.EpisodeFilter{Diagnosis: code(dc[:2]), Procedure: code(pc[:2])}, false},
		{"prefix list", &model.EpisodeFilter{Diagnosis: &model.CodeFilter{StartsWithAny: []string{dc, "C44"}}}, false},
	}
	r := rand.New(rand.NewPCG(3, 3))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := model.EpisodeQuery{Filter: c.filter}
			if got := codeDriven(t, fx.db, context.Background(), q); got != c.driven {
				t.Errorf("read from the code table: %v, want %v", got, c.driven)
			}
			want := fx.w.expectEpisodes(q)
			if len(want) == 0 {
				t.Fatalf("the filter selects nothing: %s", describe(c.filter))
			}
			walk(t, r, listEpisodes(fx.db, q), want, min(db.MaxPageSize, 1+len(want)/7))
			if n, err := fx.db.CountEpisodes(context.Background(), q); err != nil || n != len(want) {
				t.Errorf("CountEpisodes = %d (%v), want %d", n, err, len(want))
			}
		})
	}
}

// listAll pages through q in ctx and returns the row ids.
func listAll(t *testing.T, d *db.DB, ctx context.Context, q model.EpisodeQuery) []int64 {
	t.Helper()
	var ids []int64
	q.Page = model.Page{First: ptr(3)}
	for {
		conn, err := d.ListEpisodes(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range conn.Nodes {
			ids = append(ids, e.RowID)
		}
		if !conn.PageInfo.HasNextPage {
			return ids
		}
		q.Page.After = conn.PageInfo.EndCursor
	}
}

// The code-driven statement keeps what the EXISTS form means: a clinician's
// scope, and ICD-9 codes never matching an ICD-10 filter spelt the same.
// The same filter wrapped in and: [...] is not driven, and is the reference.
func TestCodeDrivenListingsKeepScopeAndClassification(t *testing.T) {
	ctx := context.Background()
	d := dbtest.New(t)
	if _, err := load.File(ctx, d, "../testdata/icd9_rows.csv", load.Options{RejectsPath: filepath.Join(t.TempDir(), "rejects.csv")}); err != nil {
		t.Fatal(err)
	}
	loadExtract(t, d, "edge.txt", edgeExtract)
	icd9 := model.DiagnosisClassificationIcd9
	icd10 := model.DiagnosisClassificationIcd10
	filters := []*model.EpisodeFilter{
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("L40")}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("L40")}, Procedure: &model.CodeFilter{StartsWith: ptr("S06")}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("E84")}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("E84"), Classification: &icd10}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("E84"), Classification: &icd9}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("V27")}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("V27"), Classification: &icd9}},
		{Diagnosis: &model.CodeFilter{StartsWith: ptr("799"), Classification: &icd9}},
		{Procedure: &model.CodeFilter{StartsWith: ptr("S06")}, Diagnosis: &model.CodeFilter{StartsWith: ptr("V"), Classification: &icd9}},
	}
	scopes := map[string]context.Context{
		"unscoped": ctx,
		"scoped":   db.WithScope(ctx, &db.Scope{Orgs: []string{"RXX"}}),
	}
	nonEmpty := 0
	for i, f := range filters {
		for name, sctx := range scopes {
			t.Run(fmt.Sprintf("%d %s", i, name), func(t *testing.T) {
				q := model.EpisodeQuery{Filter: f}
				if !codeDriven(t, d, sctx, q) {
					t.Fatalf("not read from the code table: %s", describe(f))
				}
				ref := model.EpisodeQuery{Filter: &model.EpisodeFilter{And: []*model.EpisodeFilter{f}}}
				if codeDriven(t, d, sctx, ref) {
					t.Fatal("the reference is read from the code table too")
				}
				got, want := listAll(t, d, sctx, q), listAll(t, d, sctx, ref)
				if !slices.Equal(got, want) {
					t.Errorf("%s: got %v, want %v", describe(f), got, want)
				}
				if len(want) > 0 {
					nonEmpty++
				}
				if !sort.SliceIsSorted(got, func(a, b int) bool { return got[a] < got[b] }) {
					t.Errorf("not in id order: %v", got)
				}
			})
		}
	}
	// Most listings must find something, or the comparisons prove little.
	if nonEmpty < len(filters) {
		t.Errorf("only %d of %d listings found episodes", nonEmpty, 2*len(filters))
	}
}

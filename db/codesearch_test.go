package db_test

import (
	"context"
	"encoding/csv"
	"errors"
	"os"
	"slices"
	"strings"
	"testing"
	"unicode"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
)

// lookupRows reads an embedded code list directly, as the reference.
func lookupRows(t *testing.T, file string) [][]string {
	t.Helper()
	f, err := os.Open("codes/" + file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return rows[1:]
}

// referenceSearch applies the documented rule in Go: a code-shaped search is
// a code prefix; otherwise every word must start a word of the description.
func referenceSearch(rows [][]string, prefix string, words []string) []string {
	var out []string
	for _, r := range rows {
		if prefix != "" {
			if strings.HasPrefix(r[0], prefix) {
				out = append(out, r[0])
			}
			continue
		}
		descWords := strings.FieldsFunc(strings.ToLower(r[1]), func(c rune) bool {
			return !unicode.IsLetter(c) && !unicode.IsDigit(c)
		})
		all := true
		for _, w := range words {
			if !slices.ContainsFunc(descWords, func(dw string) bool { return strings.HasPrefix(dw, w) }) {
				all = false
				break
			}
		}
		if all {
			out = append(out, r[0])
		}
	}
	slices.Sort(out)
	return out
}

// searchAll pages through a search with the given page size.
func searchAll(t *testing.T, d *db.DB, q db.CodeQuery, size int) ([]string, []*model.Code) {
	t.Helper()
	var codes []string
	var nodes []*model.Code
	q.First = &size
	for pages := 0; ; pages++ {
		conn, err := d.SearchCodes(context.Background(), q)
		if err != nil {
			t.Fatalf("search %q: %v", q.Search, err)
		}
		for _, n := range conn.Nodes {
			codes = append(codes, n.Code)
			nodes = append(nodes, n)
		}
		if !conn.PageInfo.HasNextPage {
			return codes, nodes
		}
		q.After = conn.PageInfo.EndCursor
		if pages > 1000 {
			t.Fatal("paging does not end")
		}
	}
}

func TestSearchCodesMatchesReference(t *testing.T) {
	d := dbtest.New(t)
	icd, opcs := lookupRows(t, "icd10.csv"), lookupRows(t, "opcs4.csv")
	cases := []struct {
		system db.CodeSystem
		search string
		prefix string
		words  []string
	}{
		{db.ICD10, "L40", "L40", nil},
		{db.ICD10, " l40.1 ", "L401", nil},
		{db.ICD10, "C4", "C4", nil},
		{db.ICD10, "L", "L", nil},
		{db.ICD10, "psoriasis", "", []string{"psoriasis"}},
		{db.ICD10, "Psoria VULG", "", []string{"psoria", "vulg"}},
		{db.ICD10, "malignant melanoma", "", []string{"malignant", "melanoma"}},
		{db.ICD10, "ulcer of low", "", []string{"ulcer", "of", "low"}},
		{db.ICD10, "stage ii", "", []string{"stage", "ii"}},
		{db.ICD10, "skin, with", "", []string{"skin", "with"}},
		{db.ICD10, "patient's decision", "", []string{"patient", "s", "decision"}},
		{db.OPCS4, "S06", "S06", nil},
		{db.OPCS4, "s0", "S0", nil},
		{db.OPCS4, "excision lesion", "", []string{"excision", "lesion"}},
		{db.OPCS4, "biops", "", []string{"biops"}},
	}
	for _, tc := range cases {
		rows := icd
		if tc.system == db.OPCS4 {
			rows = opcs
		}
		want := referenceSearch(rows, tc.prefix, tc.words)
		if len(want) == 0 {
			t.Errorf("search %q: the reference finds nothing, so the case proves nothing", tc.search)
		}
		got, nodes := searchAll(t, d, db.CodeQuery{System: tc.system, Search: tc.search}, 7)
		if !slices.Equal(got, want) {
			t.Errorf("search %q: got %v, want %v", tc.search, got, want)
		}
		n, err := d.CountCodes(context.Background(), db.CodeQuery{System: tc.system, Search: tc.search})
		if err != nil || n != len(want) {
			t.Errorf("count %q = %d, %v; want %d", tc.search, n, err, len(want))
		}
		for _, c := range nodes {
			if c.Description == nil || c.Chapter == nil {
				t.Errorf("code %s has no description or chapter", c.Code)
			}
		}
	}
	all, _ := searchAll(t, d, db.CodeQuery{System: db.OPCS4}, 100)
	if len(all) != len(opcs) {
		t.Errorf("an empty search lists %d OPCS-4 codes, the list has %d", len(all), len(opcs))
	}
}

func TestSearchCodesRefusesBadInput(t *testing.T) {
	d := dbtest.New(t)
	ctx := context.Background()
	n := func(v int) *int { return &v }
	first, err := d.SearchCodes(ctx, db.CodeQuery{System: db.ICD10, Search: "L4", First: n(2)})
	if err != nil {
		t.Fatal(err)
	}
	before := d.StatementsTotal()
	for _, tc := range []struct {
		q     db.CodeQuery
		field string
	}{
		{db.CodeQuery{First: n(101)}, "first"},
		{db.CodeQuery{First: n(-1)}, "first"},
		{db.CodeQuery{Search: "!!! ..."}, "search"},
		{db.CodeQuery{Search: "a b c d e f g h i j k"}, "search"},
		{db.CodeQuery{Search: "L5", After: first.PageInfo.EndCursor}, "after"},
		{db.CodeQuery{System: db.OPCS4, Search: "L4", After: first.PageInfo.EndCursor}, "after"},
		{db.CodeQuery{After: new("garbage")}, "after"},
	} {
		_, err := d.SearchCodes(ctx, tc.q)
		var me *model.Error
		if !errors.As(err, &me) || me.Code != model.ErrBadUserInput || me.Field != tc.field {
			t.Errorf("%+v: got %v, want BAD_USER_INPUT at %s", tc.q, err, tc.field)
		}
	}
	if ran := d.StatementsTotal() - before; ran != 0 {
		t.Errorf("refused searches ran %d statements", ran)
	}
}

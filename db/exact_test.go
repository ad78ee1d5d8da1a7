package db_test

import (
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// String equality is exact: a value with a trailing space matches only the
// same value stored with it, as startsWith does, although the columns'
// collation pads with spaces. The want counts are worked out in Go over
// every stored value, not in SQL.
func TestStringEqualityExact(t *testing.T) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 7, loadedSize)
	var code string
	if err := conn.QueryRow(`SELECT procode3 FROM episodes WHERE procode3 IS NOT NULL GROUP BY procode3 ORDER BY COUNT(*) DESC LIMIT 1`).Scan(&code); err != nil {
		t.Fatal(err)
	}
	other := ""
	if err := conn.QueryRow(`SELECT procode3 FROM episodes WHERE procode3 <> ? GROUP BY procode3 ORDER BY COUNT(*) DESC LIMIT 1`, code).Scan(&other); err != nil {
		t.Fatal(err)
	}
	// A few episodes stored with a trailing space, as a careless load might.
	if _, err := conn.Exec(`UPDATE episodes SET procode3 = CONCAT(procode3, ' ') WHERE procode3 = ? ORDER BY id LIMIT 7`, code); err != nil {
		t.Fatal(err)
	}
	stored := map[int64]*string{}
	rows, err := conn.Query(`SELECT id, procode3 FROM episodes`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var v sql.NullString
		if err := rows.Scan(&id, &v); err != nil {
			t.Fatal(err)
		}
		if v.Valid {
			stored[id] = &v.String
		} else {
			stored[id] = nil
		}
	}
	rows.Close()
	literal := func(match func(string) bool) int {
		n := 0
		for _, v := range stored {
			if v != nil && match(*v) {
				n++
			}
		}
		return n
	}
	in := func(vals ...string) func(string) bool {
		return func(s string) bool {
			for _, v := range vals {
				if s == v {
					return true
				}
			}
			return false
		}
	}
	not := func(f func(string) bool) func(string) bool { return func(s string) bool { return !f(s) } }
	prefix := func(p string) func(string) bool { return func(s string) bool { return strings.HasPrefix(s, p) } }

	d, err := db.Open(ctx, dsn, db.Options{CursorKey: []byte("exact"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	padded := code + " "
	for _, c := range []struct {
		name string
		f    model.StringFilter
		want func(string) bool
	}{
		{"eq", model.StringFilter{Eq: ptr(code)}, in(code)},
		{"eq padded", model.StringFilter{Eq: ptr(padded)}, in(padded)},
		{"eq two spaces", model.StringFilter{Eq: ptr(code + "  ")}, in(code + "  ")},
		{"in", model.StringFilter{In: []string{code, other}}, in(code, other)},
		{"in padded", model.StringFilter{In: []string{padded, other}}, in(padded, other)},
		{"in padded and not", model.StringFilter{In: []string{padded, code}}, in(padded, code)},
		{"ne", model.StringFilter{Ne: ptr(code)}, not(in(code))},
		{"ne padded", model.StringFilter{Ne: ptr(padded)}, not(in(padded))},
		{"notIn padded", model.StringFilter{NotIn: []string{padded, other}}, not(in(padded, other))},
		{"startsWith padded", model.StringFilter{StartsWith: ptr(padded)}, prefix(padded)},
		{"startsWith", model.StringFilter{StartsWith: ptr(code)}, prefix(code)},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := c.f
			got, err := d.CountEpisodes(ctx, model.EpisodeQuery{Filter: &model.EpisodeFilter{ProviderCode: &f}})
			if err != nil {
				t.Fatal(err)
			}
			if want := literal(c.want); got != want {
				t.Errorf("count %d, want %d", got, want)
			}
		})
	}
	// The trailing-space rows exist and are told apart both ways.
	if literal(in(padded)) != 7 || literal(in(code)) == 0 {
		t.Fatalf("fixture: %d padded, %d plain rows", literal(in(padded)), literal(in(code)))
	}
}

// Exact equality keeps the column's index.
func TestExplainExactEquality(t *testing.T) { exactEqualityPlans(t, loadedSize) }

// exactEqualityPlans checks the exact-equality plans with the optimiser's
// statistics at scale (planChecks runs it at 10M too).
func exactEqualityPlans(t *testing.T, scale planScale) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 3, scale)
	tap, tapped := newStatementTap(t, dsn)
	d, err := db.Open(ctx, tapped, db.Options{CursorKey: []byte("explain"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	var a, b string
	if err := conn.QueryRow(`SELECT MIN(procode3), MAX(procode3) FROM episodes`).Scan(&a, &b); err != nil {
		t.Fatal(err)
	}
	for name, f := range map[string]model.StringFilter{
		"eq":                {Eq: ptr(a)},
		"in":                {In: []string{a, b}},
		"in of two lengths": {In: []string{a, b + " "}},
	} {
		t.Run(name, func(t *testing.T) {
			f := f
			plan := explainOnly(t, tap, conn, func() error {
				_, err := d.CountEpisodes(ctx, model.EpisodeQuery{Filter: &model.EpisodeFilter{ProviderCode: &f}})
				return err
			})
			for _, r := range plan {
				if r["table"] == "e" && (r["key"] != "episodes_procode3" || (r["type"] != "ref" && r["type"] != "range")) {
					t.Errorf("episodes read by %s on key %q, want a ref or range on episodes_procode3", r["type"], r["key"])
				}
			}
		})
	}
}

package db_test

import (
	"bytes"
	"context"
	"database/sql"
	"log/slog"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/hes"
)

// Tabulations read nearly every episode, so a plan that reads the episode
// rows themselves rather than a covering index is what makes them slow on
// a full extract: each shape here must read episodes from an index alone.
func TestExplainTabulationPlans(t *testing.T) {
	ctx := context.Background()
	dsn := dbtest.NewDSN(t)
	loader := dbtest.Open(t, dsn)
	var buf bytes.Buffer
	if err := hes.Generate(&buf, hes.GenerateOptions{Seed: 5, Episodes: 20_000}); err != nil {
		t.Fatal(err)
	}
	loadExtract(t, loader, "generated.txt", buf.String())
	conn, err := sql.Open("mysql", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Exec("ANALYZE TABLE episodes, patients"); err != nil {
		t.Fatal(err)
	}
	tap, tapped := newStatementTap(t, dsn)
	d, err := db.Open(ctx, tapped, db.Options{CursorKey: []byte("explain"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()

	shapes := []struct {
		name   string
		filter *model.EpisodeFilter
		dims   []model.Dimension
	}{
		{"financial year", nil, []model.Dimension{model.DimensionFinancialYear}},
		{"specialty by age band", nil, []model.Dimension{model.DimensionTreatmentSpecialty, model.DimensionAgeBand}},
		{"age band in one year", &model.EpisodeFilter{FinancialYear: &model.StringFilter{Eq: ptr("2223")}},
			[]model.Dimension{model.DimensionAgeBand}},
		{"year for one specialty", &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{Eq: ptr("330")}},
			[]model.Dimension{model.DimensionFinancialYear}},
		{"sex by age band", nil, []model.Dimension{model.DimensionSex, model.DimensionAgeBand}},
	}
	for _, s := range shapes {
		t.Run(s.name, func(t *testing.T) {
			tap.take()
			if _, err := d.Tabulate(ctx, s.filter, s.dims); err != nil {
				t.Fatal(err)
			}
			queries := tap.take()
			if len(queries) != 1 {
				t.Fatalf("captured %d statements, want 1: %q", len(queries), queries)
			}
			plan := explain(t, conn, queries[0])
			t.Logf("%s%s", queries[0], formatPlan(plan))
			found := false
			for _, r := range plan {
				if r["table"] != "e" {
					continue
				}
				found = true
				if r["type"] == "ALL" {
					t.Errorf("full scan of episodes")
				}
				if !strings.Contains(r["extra"], "Using index") {
					t.Errorf("episodes are read row by row, not from a covering index: key=%s %s", r["key"], r["extra"])
				}
			}
			if !found {
				t.Errorf("the plan has no row for episodes")
			}
		})
	}
}

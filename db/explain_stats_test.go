package db_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// Tabulations on the base tables read nearly every episode, so a plan that
// reads the episode rows themselves rather than a covering index is what
// makes them slow on a full extract: each shape here must read episodes
// from an index alone. (Unfiltered shapes of up to two dimensions are
// served from the published tables; their plan is checked below, and the
// base-table statement is still what filtered and scoped requests run.)
func TestExplainTabulationPlans(t *testing.T) { tabulationPlans(t, loadedSize) }

// tabulationPlans checks the tabulation plans with the optimiser's
// statistics at scale (planChecks runs it at 10M too).
func tabulationPlans(t *testing.T, scale planScale) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 5, scale)
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
			plan := explainOnly(t, tap, conn, func() error {
				_, err := d.TabulateBaseForTest(ctx, s.filter, s.dims)
				return err
			})
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
	// The published tables are read by their primary key, never scanned.
	t.Run("published table", func(t *testing.T) {
		// The first request reads the current release; the one explained
		// is then a single statement.
		if _, err := d.Tabulate(ctx, nil, []model.Dimension{model.DimensionProvider}); err != nil {
			t.Fatal(err)
		}
		plan := explainOnly(t, tap, conn, func() error {
			_, err := d.Tabulate(ctx, nil, []model.Dimension{model.DimensionAgeBand, model.DimensionSex})
			return err
		})
		for _, r := range plan {
			if r["table"] == "e" || r["type"] == "ALL" {
				t.Errorf("the published table is not read by key: %v", r)
			}
		}
		if len(plan) == 0 {
			t.Error("no plan")
		}
	})
}

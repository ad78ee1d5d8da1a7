package db_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// Tabulations read nearly every episode, so a plan that reads the episode
// rows themselves rather than a covering index is what makes them slow on
// a full extract: each shape here must read episodes from an index alone.
func TestExplainTabulationPlans(t *testing.T) {
	ctx := context.Background()
	dsn, conn := explainFixture(t, 5)
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
				_, err := d.Tabulate(ctx, s.filter, s.dims)
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
}

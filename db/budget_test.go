package db_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// A budget bounds the request, not each statement: a statement gets what
// is left of it since the request began. The same real tabulation answers
// under a fresh budget and ends in QUERY_TOO_COMPLEX, quickly, once the
// request has already spent its budget (as earlier statements of it
// would have).
func TestStatementBudgetIsPerRequest(t *testing.T) {
	fx := newFixture(t, 3000)
	d := fx.db
	nested := &model.EpisodeFilter{Patient: &model.PatientFilter{HasEpisode: &model.EpisodeFilter{
		Patient: &model.PatientFilter{HasEpisode: &model.EpisodeFilter{StartAge: &model.IntFilter{Gte: ptr(1)}}},
	}}}
	dims := []model.Dimension{model.DimensionProvider, model.DimensionPrimaryDiagnosis3}
	base := db.WithoutStatisticsCache(context.Background())
	const budget = 400 * time.Millisecond

	t.Run("OKFresh", func(t *testing.T) {
		ctx := db.WithStatementBudget(base, db.Budget{Limit: time.Minute, Who: "public"})
		if _, err := d.Tabulate(ctx, nested, dims); err != nil {
			t.Fatalf("under a fresh budget: %v", err)
		}
	})
	t.Run("ErrSpent", func(t *testing.T) {
		ctx := db.WithStatementBudget(base, db.Budget{Limit: budget, Who: "public"})
		time.Sleep(budget) // the request's time so far, spent outside this statement
		start := time.Now()
		_, err := d.Tabulate(ctx, nested, dims)
		if model.ErrorCode(err) != model.ErrTooComplex || !strings.Contains(err.Error(), "narrow") {
			t.Fatalf("after the budget was spent: %v, want %s telling what to narrow", err, model.ErrTooComplex)
		}
		if took := time.Since(start); took > budget {
			t.Errorf("the statement ran %v, longer than the whole budget", took)
		}
	})
}

package db_test

import (
	"context"
	"testing"

	"github.com/hesgql/hesgql/graph/model"
)

// The cursor EpisodeCursorAt makes for row n is the one a client walking
// the listing page by page holds after n rows: the same string, and the
// page after it starts at row n+1.
func TestEpisodeCursorAt(t *testing.T) {
	fx := newFixture(t, 300)
	d := fx.db
	ctx := context.Background()
	desc := model.SortDirectionDesc
	for _, q := range []model.EpisodeQuery{
		{Filter: &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{In: []string{"330", "257"}}},
			OrderBy: []*model.EpisodeOrder{{Field: model.EpisodeSortFieldEpisodeStart, Direction: &desc}}},
		{OrderBy: []*model.EpisodeOrder{{Field: model.EpisodeSortFieldStartAge}, {Field: model.EpisodeSortFieldProviderCode, Direction: &desc}}},
		{},
	} {
		// Walk the listing in pages of 7, keeping every row's cursor.
		var cursors, keys []string
		var after *string
		for {
			q.Page = model.Page{First: ptr(7), After: after}
			conn, err := d.ListEpisodes(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range conn.Edges {
				cursors, keys = append(cursors, e.Cursor), append(keys, e.Node.EpisodeKey)
			}
			if !conn.PageInfo.HasNextPage {
				break
			}
			after = conn.PageInfo.EndCursor
		}
		if len(keys) < 40 {
			t.Fatalf("listing %s has %d rows; the test needs more", describe(q), len(keys))
		}
		q.Page = model.Page{}
		for _, n := range []int{1, 7, 8, 23, len(keys) - 1} {
			cursor, next, err := d.EpisodeCursorAt(ctx, q, n)
			if err != nil {
				t.Fatalf("%s at %d: %v", describe(q), n, err)
			}
			if cursor != cursors[n-1] || next != keys[n] {
				t.Errorf("%s at %d: cursor %q next %s; the walk's %q next %s", describe(q), n, cursor, next, cursors[n-1], keys[n])
			}
		}
		if _, _, err := d.EpisodeCursorAt(ctx, q, len(keys)); err == nil {
			t.Errorf("%s: a cursor at the last row, which has none after it", describe(q))
		}
		if _, _, err := d.EpisodeCursorAt(ctx, q, 0); model.ErrorCode(err) != model.ErrBadUserInput {
			t.Errorf("position 0: %v, want %s", err, model.ErrBadUserInput)
		}
	}
}

package bench

import (
	"context"
	"fmt"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// cursorAtDepth returns the cursor a client paging through W1's listing
// would hold after depth rows. Paging there would take depth/100 requests
// (50,000 at 5M rows); instead one OFFSET statement finds the row and the
// API's own encoder makes its cursor (db.EpisodeCursorAt), and the API is
// then asked for the page after it: the cursor must be accepted as one of
// the listing's and the page must start at the row after depth.
func cursorAtDepth(ctx context.Context, cl *client, d *db.DB, depth int) (string, error) {
	q, err := listingQuery()
	if err != nil {
		return "", err
	}
	cursor, nextKey, err := d.EpisodeCursorAt(ctx, q, depth)
	if err != nil {
		return "", err
	}
	var page struct {
		Episodes struct {
			Edges []struct{ Node struct{ EpisodeKey string } }
		}
	}
	vars := map[string]any{"from": listingFrom, "to": listingTo, "after": cursor}
	if err := cl.query(ctx, newRequest("setup", w1Query, vars), &page); err != nil {
		return "", fmt.Errorf("the API refused the cursor: %w", err)
	}
	if e := page.Episodes.Edges; len(e) == 0 || e[0].Node.EpisodeKey != nextKey {
		return "", fmt.Errorf("the page after the cursor does not start at row %d (episode %s)", depth+1, nextKey)
	}
	return cursor, nil
}

// listingQuery is W1's listing as the API's resolver passes it to db.
func listingQuery() (model.EpisodeQuery, error) {
	from, err := model.ParseDate(listingFrom)
	if err != nil {
		return model.EpisodeQuery{}, err
	}
	to, err := model.ParseDate(listingTo)
	if err != nil {
		return model.EpisodeQuery{}, err
	}
	desc := model.SortDirectionDesc
	return model.EpisodeQuery{
		Filter: &model.EpisodeFilter{
			TreatmentSpecialty: &model.StringFilter{In: []string{"330", "257"}},
			EpisodeStart:       &model.DateFilter{Gte: &from, Lte: &to},
		},
		OrderBy: []*model.EpisodeOrder{{Field: model.EpisodeSortFieldEpisodeStart, Direction: &desc}},
	}, nil
}

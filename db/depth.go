package db

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/hesgql/hesgql/graph/model"
)

// EpisodeCursorAt returns the cursor the API would give the listing's row
// at position n (1-based), made with the API's own ordering, binding and
// signature, and the episode key of the row after it: what a client that
// paged there would see next. One OFFSET statement reaches a depth that
// paging would need thousands of requests for; the benchmark uses it to
// start its deep-page workload, and checks the page against the key.
func (d *DB) EpisodeCursorAt(ctx context.Context, q model.EpisodeQuery, n int) (cursor, nextKey string, err error) {
	if n < 1 {
		return "", "", model.InputError("n", "position %d: want 1 or more", n)
	}
	ord, err := episodeOrdering("e", q.OrderBy, bindingOf("episodes", q.OrderBy, q.Filter, q.PatientID))
	if err != nil {
		return "", "", err
	}
	sel, err := d.episodeListing(ctx, q)
	if err != nil {
		return "", "", err
	}
	r := newEpisodeReader(map[string]bool{"episodeKey": true}, ord)
	sel = sel.Column(r.columns("e")).OrderBy(ord.orderBy(false)...).Offset(uint64(n - 1)).Limit(2)
	var rows []*model.Episode
	er := r.rows()
	if err := d.scanAll(ctx, sel, func(rs *sql.Rows) error {
		e, err := er.scan(rs)
		rows = append(rows, e)
		return err
	}); err != nil {
		return "", "", err
	}
	if len(rows) < 2 {
		return "", "", fmt.Errorf("the listing has no row after position %d", n)
	}
	return d.encodeCursor(ord, episodePosition(rows[0], ord.columns())), rows[1].EpisodeKey, nil
}

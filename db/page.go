package db

import (
	"github.com/hesgql/hesgql/graph/model"
)

// Page size limits (API.md, Root fields).
const (
	DefaultPageSize = 20
	MaxPageSize     = model.MaxPageSize
)

// window is a validated page request against one ordering.
type window struct {
	limit    int
	backward bool // last/before: read in reverse order, then flip
	after    *position
	before   *position
}

// pageWindow validates first/last/after/before and decodes the cursors.
func (d *DB) pageWindow(o ordering, p model.Page) (window, error) {
	if p.First != nil && p.Last != nil {
		return window{}, model.InputError("first", "give first or last, not both")
	}
	w := window{limit: DefaultPageSize}
	switch {
	case p.First != nil:
		w.limit = *p.First
	case p.Last != nil:
		w.limit, w.backward = *p.Last, true
	case p.Before != nil && p.After == nil:
		w.backward = true
	}
	arg := "first"
	if w.backward {
		arg = "last"
	}
	if w.limit < 0 {
		return window{}, model.InputError(arg, "must not be negative")
	}
	if w.limit > MaxPageSize {
		return window{}, model.InputError(arg, "must be at most %d", MaxPageSize)
	}
	if p.After != nil {
		pos, err := d.decodeCursor(o, "after", *p.After)
		if err != nil {
			return window{}, err
		}
		w.after = &pos
	}
	if p.Before != nil {
		pos, err := d.decodeCursor(o, "before", *p.Before)
		if err != nil {
			return window{}, err
		}
		w.before = &pos
	}
	return w, nil
}

// pageInfo works out Relay page information for rows fetched with limit+1.
// A cursor on the side we came from means a row exists beyond it (the row
// the cursor was made from).
func (w window) pageInfo(fetched int, start, end string) *model.PageInfo {
	more := fetched > w.limit
	pi := &model.PageInfo{}
	if w.backward {
		pi.HasPreviousPage = more
		pi.HasNextPage = w.before != nil
	} else {
		pi.HasNextPage = more
		pi.HasPreviousPage = w.after != nil
	}
	if start != "" {
		pi.StartCursor, pi.EndCursor = &start, &end
	}
	return pi
}

// keysetPage finishes a page read with limit+1 rows: it drops the probe row,
// puts a backward page back in listing order, signs each row's cursor with
// pos, and works out the page information. The caller builds its edges
// from rows and cursors, which stay index-aligned. A nil pos signs no
// cursor, for a caller that reads none: cursors is then nil (cursorAt).
func keysetPage[T any](d *DB, ord ordering, w window, rows []T, pos func(T) position) (kept []T, cursors []string, info *model.PageInfo) {
	fetched := len(rows)
	if fetched > w.limit {
		rows = rows[:w.limit]
	}
	if rows == nil {
		rows = []T{} // an empty page is an empty list, never null
	}
	if w.backward {
		reverse(rows)
	}
	if pos == nil {
		return rows, nil, w.pageInfo(fetched, "", "")
	}
	cursors = make([]string, len(rows))
	for i, r := range rows {
		cursors[i] = d.encodeCursor(ord, pos(r))
	}
	start, end := "", ""
	if n := len(cursors); n > 0 {
		start, end = cursors[0], cursors[n-1]
	}
	return rows, cursors, w.pageInfo(fetched, start, end)
}

// cursorAt is the cursor of row i of a page, "" when the page signs none.
func cursorAt(cursors []string, i int) string {
	if cursors == nil {
		return ""
	}
	return cursors[i]
}

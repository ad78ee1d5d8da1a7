package db_test

import (
	"context"
	"encoding/base64"
	"log/slog"
	"slices"
	"testing"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// flipByte returns the cursor with one decoded byte changed, re-encoded so
// that only the signature check can notice.
func flipByte(t *testing.T, cursor string, i int) string {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		t.Fatalf("a cursor of the API is not base64url: %v", err)
	}
	if i < 0 {
		i += len(raw)
	}
	raw[i] ^= 0x01
	return base64.RawURLEncoding.EncodeToString(raw)
}

// Cursors that were altered, cut short, made for another listing or signed
// with another key are refused as BAD_USER_INPUT before any SQL runs; the
// genuine ones they were derived from still work.
func TestCursorsRejected(t *testing.T) {
	fx := newFixture(t, 300)
	d := fx.db
	ctx := context.Background()
	desc := model.SortDirectionDesc
	byStart := []*model.EpisodeOrder{{Field: model.EpisodeSortFieldEpisodeStart}}
	byStartDesc := []*model.EpisodeOrder{{Field: model.EpisodeSortFieldEpisodeStart, Direction: &desc}}
	byAge := []*model.EpisodeOrder{{Field: model.EpisodeSortFieldStartAge}}
	dermatology := &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{In: []string{"330", "257"}}}
	plastics := &model.EpisodeFilter{TreatmentSpecialty: &model.StringFilter{In: []string{"160"}}}

	episodeCursor := func(d *db.DB, q model.EpisodeQuery) string {
		t.Helper()
		q.Page = model.Page{First: ptr(3)}
		conn, err := d.ListEpisodes(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(conn.Edges) < 2 {
			t.Fatalf("listing %s has %d rows; the test needs more", describe(q), len(conn.Edges))
		}
		return conn.Edges[1].Cursor
	}
	base := model.EpisodeQuery{OrderBy: byStart, Filter: dermatology}
	good := episodeCursor(d, base)

	// Two patients with several episodes each, for nested listings.
	var nested []int64
	for _, p := range fx.w.patients {
		if len(p.episodes) >= 3 {
			nested = append(nested, p.id)
		}
	}
	if len(nested) < 2 {
		t.Fatal("the generated extract has too few patients with three episodes")
	}
	nestedA := model.EpisodeQuery{PatientID: nested[0]}
	nestedB := model.EpisodeQuery{PatientID: nested[1]}
	goodNested := episodeCursor(d, nestedA)

	pconn, err := d.ListPatients(ctx, model.PatientQuery{Page: model.Page{First: ptr(3)}})
	if err != nil {
		t.Fatal(err)
	}
	patientCursor := pconn.Edges[1].Cursor

	other, err := db.Open(ctx, fx.dsn, db.Options{CursorKey: []byte("another-cursor-key"), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	foreign := episodeCursor(other, base)
	if foreign == good {
		t.Fatal("cursors signed with different keys are identical")
	}

	// The genuine cursors continue their listings as the oracle says, in
	// both directions, so that a rejection below is not one of everything.
	t.Run("OK", func(t *testing.T) {
		for _, c := range []struct {
			d      *db.DB
			q      model.EpisodeQuery
			cursor string
		}{{d, base, good}, {d, nestedA, goodNested}, {other, base, foreign}} {
			want := fx.w.expectEpisodes(c.q)
			i := slices.Index(want, mustEdgeID(t, c.d, c.q, 1))
			after, before := c.q, c.q
			after.Page = model.Page{First: ptr(2), After: &c.cursor}
			before.Page = model.Page{Last: ptr(1), Before: &c.cursor}
			if got := ids(t, c.d, after); !slices.Equal(got, want[i+1:min(i+3, len(want))]) {
				t.Errorf("after %s: %v, want %v", describe(c.q), got, want[i+1:min(i+3, len(want))])
			}
			if got := ids(t, c.d, before); !slices.Equal(got, want[i-1:i]) {
				t.Errorf("before %s: %v, want %v", describe(c.q), got, want[i-1:i])
			}
		}
	})

	bad := []struct {
		name   string
		cursor string
		q      model.EpisodeQuery
	}{
		{"signature byte flipped", flipByte(t, good, 0), base},
		{"last signature byte flipped", flipByte(t, good, 15), base},
		{"body byte flipped", flipByte(t, good, 20), base},
		{"last body byte flipped", flipByte(t, good, -1), base},
		{"character changed", changeChar(good, 10), base},
		{"truncated by one", good[:len(good)-1], base},
		{"truncated to half", good[:len(good)/2], base},
		{"signature only", base64.RawURLEncoding.EncodeToString(must(base64.RawURLEncoding.DecodeString(good))[:16]), base},
		{"not base64", "this is not a cursor!", base},
		{"padding added", good + "==", base},
		{"standard alphabet", "+/+/" + good[4:], base},
		{"empty", "", base},
		{"JSON", `{"b":"x","p":{"v":[],"i":1}}`, base},
		{"another direction", good, model.EpisodeQuery{OrderBy: byStartDesc, Filter: dermatology}},
		{"another sort field", good, model.EpisodeQuery{OrderBy: byAge, Filter: dermatology}},
		{"default order", good, model.EpisodeQuery{Filter: dermatology}},
		{"another filter", good, model.EpisodeQuery{OrderBy: byStart, Filter: plastics}},
		{"no filter", good, model.EpisodeQuery{OrderBy: byStart}},
		{"another patient", goodNested, nestedB},
		{"nested cursor at the top", goodNested, model.EpisodeQuery{}},
		{"top cursor in a nested listing", episodeCursor(d, model.EpisodeQuery{}), nestedA},
		{"patient listing cursor", patientCursor, model.EpisodeQuery{}},
		{"another cursor key", foreign, base},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			after, before := b.q, b.q
			after.Page = model.Page{First: ptr(5), After: &b.cursor}
			before.Page = model.Page{Last: ptr(5), Before: &b.cursor}
			wantInputError(t, d, "after", func() error { _, err := d.ListEpisodes(ctx, after); return err })
			wantInputError(t, d, "before", func() error { _, err := d.ListEpisodes(ctx, before); return err })
			// Only the right store can vouch for a cursor it signed.
			if b.cursor != foreign {
				wantInputError(t, other, "after", func() error { _, err := other.ListEpisodes(ctx, after); return err })
			}
		})
	}

	// Patient.episodes for a page of patients hands out per-patient cursors.
	t.Run("batched nested listing", func(t *testing.T) {
		conns, err := d.ListEpisodesForPatients(ctx, nested[:2], model.EpisodeQuery{Page: model.Page{First: ptr(1)}})
		if err != nil {
			t.Fatal(err)
		}
		a, b := conns[nested[0]].PageInfo.EndCursor, conns[nested[1]].PageInfo.EndCursor
		if a == nil || b == nil || *a == *b {
			t.Fatalf("batched cursors %v %v", a, b)
		}
		// Its own cursor continues a patient's listing, in a batch or alone.
		for _, next := range []func(model.EpisodeQuery) error{
			func(q model.EpisodeQuery) error {
				_, err := d.ListEpisodesForPatients(ctx, []int64{q.PatientID}, q)
				return err
			},
			func(q model.EpisodeQuery) error { _, err := d.ListEpisodes(ctx, q); return err },
		} {
			if err := next(model.EpisodeQuery{PatientID: nested[0], Page: model.Page{First: ptr(1), After: a}}); err != nil {
				t.Errorf("patient's own cursor: %v", err)
			}
			wantInputError(t, d, "after", func() error {
				return next(model.EpisodeQuery{PatientID: nested[1], Page: model.Page{First: ptr(1), After: a}})
			})
		}
	})

	t.Run("patient listing", func(t *testing.T) {
		desc := model.SortDirectionDesc
		for name, q := range map[string]model.PatientQuery{
			"episode cursor": {Page: model.Page{First: ptr(2), After: &good}},
			"tampered":       {Page: model.Page{First: ptr(2), After: ptr(flipByte(t, patientCursor, -2))}},
			"another order":  {OrderBy: []*model.PatientOrder{{Field: model.PatientSortFieldPseudoID, Direction: &desc}}, Page: model.Page{Last: ptr(2), Before: &patientCursor}},
			"another filter": {Filter: &model.PatientFilter{Sex: []model.Sex{model.SexFemale}}, Page: model.Page{First: ptr(2), After: &patientCursor}},
		} {
			field := "after"
			if q.Page.Before != nil {
				field = "before"
			}
			t.Run(name, func(t *testing.T) {
				wantInputError(t, d, field, func() error { _, err := d.ListPatients(ctx, q); return err })
			})
		}
		q := model.PatientQuery{Page: model.Page{First: ptr(1), After: &patientCursor}}
		conn, err := d.ListPatients(ctx, q)
		if err != nil || len(conn.Edges) != 1 || conn.Edges[0].Node.RowID != fx.w.expectPatients(q)[2] {
			t.Errorf("the genuine patient cursor does not continue the listing: %v", err)
		}
	})
}

// changeChar replaces the character at i with another of the base64url
// alphabet, as a client editing the text would.
func changeChar(s string, i int) string {
	c := byte('A')
	if s[i] == c {
		c = 'B'
	}
	return s[:i] + string(c) + s[i+1:]
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// ids lists the row ids of one page.
func ids(t *testing.T, d *db.DB, q model.EpisodeQuery) []int64 {
	t.Helper()
	conn, err := d.ListEpisodes(context.Background(), q)
	if err != nil {
		t.Fatalf("%s: %v", describe(q), err)
	}
	var out []int64
	for _, e := range conn.Edges {
		out = append(out, e.Node.RowID)
	}
	return out
}

// mustEdgeID is the row id at index i of the first page of q.
func mustEdgeID(t *testing.T, d *db.DB, q model.EpisodeQuery, i int) int64 {
	t.Helper()
	q.Page = model.Page{First: ptr(3)}
	return ids(t, d, q)[i]
}

package db

import (
	"reflect"
	"testing"

	sq "github.com/Masterminds/squirrel"
)

// A remembered statement is the one squirrel builds for the same ids, and
// one with arguments besides the ids is never remembered.
func TestIDStatement(t *testing.T) {
	for _, ids := range [][]int64{{3, 1, 2}, {9, 8, 7}, {5}, {}, {300, 400, 500, 600}} {
		want, wantArgs, err := diagnosesByEpisode.build(ids).ToSql()
		if err != nil {
			t.Fatal(err)
		}
		for range 2 { // building, then remembered
			got, args, err := diagnosesByEpisode.with(ids).ToSql()
			if err != nil || got != want || (len(args) > 0 || len(wantArgs) > 0) && !reflect.DeepEqual(args, wantArgs) {
				t.Fatalf("%v: %q %v (%v), want %q %v", ids, got, args, err, want, wantArgs)
			}
		}
	}
	if _, ok := diagnosesByEpisode.texts.Load(3); !ok {
		t.Error("the text for three ids was not remembered")
	}
	other := newIDStatement(func(ids []int64) sq.Sqlizer {
		return builder.Select("id").From("episodes").Where(sq.Eq{"id": ids}).Where(sq.Eq{"fyear": "2021"})
	})
	other.with([]int64{1, 2})
	if _, ok := other.texts.Load(2); ok {
		t.Error("a statement with another argument was remembered")
	}
}

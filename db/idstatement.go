package db

import (
	"sync"

	sq "github.com/Masterminds/squirrel"
)

// idStatement memoises, by the number of ids, the text of a statement
// whose only arguments are one IN list of ids, such as the nested reads of
// a page (diagnoses, procedures, patients by id). Building a statement
// with squirrel walks its builder by reflection; for these three it was
// about a tenth of a listing's CPU, and their text depends on nothing but
// the list's length. The text is still squirrel's, built on a length's
// first use, and kept only when the arguments it came with are exactly the
// ids in order.
type idStatement struct {
	build func(ids []int64) sq.Sqlizer
	texts sync.Map // len(ids) → string
}

// maxMemoIDs bounds the lengths remembered, so that the memo stays small
// whatever lists callers send.
const maxMemoIDs = 1024

func newIDStatement(build func(ids []int64) sq.Sqlizer) *idStatement {
	return &idStatement{build: build}
}

// with returns the statement for ids.
func (s *idStatement) with(ids []int64) sq.Sqlizer {
	if len(ids) > maxMemoIDs {
		return s.build(ids)
	}
	if text, ok := s.texts.Load(len(ids)); ok {
		args := make([]any, len(ids))
		for i, id := range ids {
			args[i] = id
		}
		return rawSQL{text: text.(string), args: args}
	}
	b := s.build(ids)
	text, args, err := b.ToSql()
	if err != nil || !onlyIDs(args, ids) {
		return b
	}
	s.texts.Store(len(ids), text)
	return rawSQL{text: text, args: args}
}

func onlyIDs(args []any, ids []int64) bool {
	if len(args) != len(ids) {
		return false
	}
	for i, a := range args {
		if id, ok := a.(int64); !ok || id != ids[i] {
			return false
		}
	}
	return true
}

package graph

import (
	"bytes"
	"math"
	"testing"

	"github.com/99designs/gqlgen/graphql"

	"github.com/hesgql/hesgql/graph/model"
)

// idAt and intAt write what gqlgen's ID and Int marshallers write, and
// cost no allocation, boxed or written into the executor's buffer.
func TestScalarsAsGqlgen(t *testing.T) {
	for _, key := range []int64{1, 42, math.MaxInt64} {
		e := &model.Episode{RowID: key}
		var got, want bytes.Buffer
		newIDAt(e).MarshalGQL(&got)
		graphql.MarshalID(e.ID()).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Errorf("episode %d: wrote %s, gqlgen writes %s", key, got.String(), want.String())
		}
		p := &model.Patient{RowID: key}
		got.Reset()
		want.Reset()
		newIDAt(p).MarshalGQL(&got)
		graphql.MarshalID(p.ID()).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Errorf("patient %d: wrote %s, gqlgen writes %s", key, got.String(), want.String())
		}
	}
	for _, n := range []int{0, -7, 1993, math.MaxInt} {
		var got, want bytes.Buffer
		intAt{&n}.MarshalGQL(&got)
		graphql.MarshalInt(n).MarshalGQL(&want)
		if got.String() != want.String() {
			t.Errorf("%d: wrote %s, gqlgen writes %s", n, got.String(), want.String())
		}
	}

	e, n := &model.Episode{RowID: 123456}, 1993
	var buf bytes.Buffer
	buf.Grow(1 << 10)
	var m graphql.Marshaler
	if a := testing.AllocsPerRun(100, func() {
		buf.Reset()
		m = newIDAt(e)
		m.MarshalGQL(&buf)
		m = intAt{&n}
		m.MarshalGQL(&buf)
	}); a != 0 {
		t.Errorf("an id and an int cost %v allocations", a)
	}
}

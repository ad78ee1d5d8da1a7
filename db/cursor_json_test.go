package db

import (
	"encoding/json"
	"testing"
)

// A cursor's envelope is the JSON json.Marshal writes, so that cursors
// made before stay valid and decodeCursor reads them as before.
func TestAppendEnvelope(t *testing.T) {
	positions := []position{
		{Values: []any{"2023-04-01", int64(7)}, ID: 12},
		{Values: []any{nil, "RXA", int64(-3)}, ID: -1},
		{Values: []any{}, ID: 0},
		{ID: 5},
		{Values: []any{`quote " and \ back`, "<b>&", "é", "\u2028", "\xff", "tab\t"}, ID: 9},
		{Values: []any{float64(2021), 1.5, true}, ID: 3}, // as a decoded cursor holds them
	}
	for _, binding := range []string{"episodes|abc", "", "a<b>"} {
		for _, p := range positions {
			want, err := json.Marshal(cursorEnvelope{Binding: binding, Pos: p})
			if err != nil {
				t.Fatal(err)
			}
			if got := appendEnvelope(nil, binding, p); string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		}
	}
}

package db

import (
	"reflect"
	"testing"
)

// Rows are grouped by key whether they arrive in key order or not, and
// appending to one key's rows leaves the next key's alone.
func TestRunsGroupRowsByKey(t *testing.T) {
	r := newRuns[string](2, 2)
	for _, row := range []struct {
		key int64
		v   string
	}{{1, "a"}, {1, "b"}, {2, "c"}, {3, "d"}, {3, "e"}, {1, "f"}} {
		r.add(row.key, row.v)
	}
	got := r.grouped()
	want := map[int64][]string{1: {"a", "b", "f"}, 2: {"c"}, 3: {"d", "e"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("grouped %v, want %v", got, want)
	}
	_ = append(got[2], "x")
	if got[3][0] != "d" {
		t.Errorf("an append to key 2's rows overwrote key 3's: %v", got[3])
	}
	if empty := newRuns[int](0, 0).grouped(); len(empty) != 0 {
		t.Errorf("no rows grouped as %v", empty)
	}
}

package db

import (
	"slices"
	"strings"
	"testing"
)

// TestEpisodeReaderLabelColumns: selecting a label reads its code column and
// not every column (an unknown field would read them all).
func TestEpisodeReaderLabelColumns(t *testing.T) {
	for label, code := range episodeLabelFields {
		r := newEpisodeReader(map[string]bool{"id": true, label: true}, ordering{})
		cols := strings.Split(r.columns("e"), ", ")
		var want string
		for _, c := range episodeColumns {
			if c.field == code {
				want = "e." + c.col
			}
		}
		if want == "" {
			t.Fatalf("%s maps to %s, which has no column", label, code)
		}
		if !slices.Contains(cols, want) || len(cols) >= len(episodeColumns) {
			t.Errorf("%s reads %v; want %s and not every column", label, cols, want)
		}
	}
	if r := newEpisodeReader(map[string]bool{"admissionMethodLabel": true, "mainSpecialty": true}, ordering{}); !slices.Contains(strings.Split(r.columns("e"), ", "), "e.mainspef") {
		t.Error("a code field selected beside a label is not read")
	}
}

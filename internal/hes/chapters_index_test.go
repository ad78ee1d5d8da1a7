package hes

import (
	"fmt"
	"testing"
)

// The chapters looked up by the category's letter are those a scan of
// every chapter finds, for every category from A00 to Z99.
func TestICD10ChaptersByLetterMatchTheScan(t *testing.T) {
	for l := byte('A'); l <= 'Z'; l++ {
		for n := 0; n < 100; n++ {
			category := fmt.Sprintf("%c%02d", l, n)
			var want icd10ChapterRange
			found := false
			for _, r := range icd10ChapterRanges {
				if r.first <= category && category <= r.last {
					want, found = r, true
					break
				}
			}
			got, ok := icd10ChapterOf(category)
			if ok != found || got != want {
				t.Errorf("%s: chapter %d (%t), want %d (%t)", category, got.number, ok, want.number, found)
			}
		}
	}
}

package hes

// ICD10ChapterTitle returns the title of the ICD-10 chapter with the roman
// numeral ("XII"), for labelling tabulations grouped by chapter.
func ICD10ChapterTitle(numeral string) (string, bool) {
	for _, r := range icd10ChapterRanges {
		if r.numeral == numeral {
			return r.title, true
		}
	}
	return "", false
}

package hes

import "strings"

// icd10ChapterRange is one chapter of ICD-10 as a closed range of
// three-character categories. Categories compare correctly as strings because
// every one is a letter followed by two digits.
type icd10ChapterRange struct {
	number  int
	numeral string
	first   string
	last    string
	title   string
}

// icd10ChapterRanges follows the WHO ICD-10 (2016) chapter boundaries, which
// the UK 5th edition used by HES keeps. Chapter XXII (U codes) is listed last,
// as WHO numbers it, even though its letter sorts before chapter XX.
var icd10ChapterRanges = []icd10ChapterRange{
	{1, "I", "A00", "B99", "Certain infectious and parasitic diseases"},
	{2, "II", "C00", "D48", "Neoplasms"},
	{3, "III", "D50", "D89", "Diseases of the blood and blood-forming organs and certain disorders involving the immune mechanism"},
	{4, "IV", "E00", "E90", "Endocrine, nutritional and metabolic diseases"},
	{5, "V", "F00", "F99", "Mental and behavioural disorders"},
	{6, "VI", "G00", "G99", "Diseases of the nervous system"},
	{7, "VII", "H00", "H59", "Diseases of the eye and adnexa"},
	{8, "VIII", "H60", "H95", "Diseases of the ear and mastoid process"},
	{9, "IX", "I00", "I99", "Diseases of the circulatory system"},
	{10, "X", "J00", "J99", "Diseases of the respiratory system"},
	{11, "XI", "K00", "K93", "Diseases of the digestive system"},
	{12, "XII", "L00", "L99", "Diseases of the skin and subcutaneous tissue"},
	{13, "XIII", "M00", "M99", "Diseases of the musculoskeletal system and connective tissue"},
	{14, "XIV", "N00", "N99", "Diseases of the genitourinary system"},
	{15, "XV", "O00", "O99", "Pregnancy, childbirth and the puerperium"},
	{16, "XVI", "P00", "P96", "Certain conditions originating in the perinatal period"},
	{17, "XVII", "Q00", "Q99", "Congenital malformations, deformations and chromosomal abnormalities"},
	{18, "XVIII", "R00", "R99", "Symptoms, signs and abnormal clinical and laboratory findings, not elsewhere classified"},
	{19, "XIX", "S00", "T98", "Injury, poisoning and certain other consequences of external causes"},
	{20, "XX", "V01", "Y98", "External causes of morbidity and mortality"},
	{21, "XXI", "Z00", "Z99", "Factors influencing health status and contact with health services"},
	{22, "XXII", "U00", "U99", "Codes for special purposes"},
}

// ICD10Chapter returns the roman numeral and title of the ICD-10 chapter that
// holds code. It accepts the HES form ("L400", "L97X", "R69X6", "L405A"), the
// dotted form ("L40.0") and bare categories ("L40"), in either case and with
// surrounding spaces. ok is false when code is not shaped like an ICD-10 code
// or its category falls outside every chapter (such as D49 or K95).
func ICD10Chapter(code string) (numeral string, title string, ok bool) {
	r, ok := icd10ChapterOf(code)
	if !ok {
		return "", "", false
	}
	return r.numeral, r.title, true
}

// ICD10ChapterNumber returns the ICD-10 chapter of code as a number from 1 to
// 22, for storing beside each diagnosis so that chapter filters and counts
// need no string ranges. It accepts the same forms as ICD10Chapter.
func ICD10ChapterNumber(code string) (int, bool) {
	r, ok := icd10ChapterOf(code)
	if !ok {
		return 0, false
	}
	return r.number, true
}

func icd10ChapterOf(code string) (icd10ChapterRange, bool) {
	category, ok := icd10Category(code)
	if !ok {
		return icd10ChapterRange{}, false
	}
	// Only the chapters spanning the category's letter can hold it: at
	// most two, against the 22 a scan of the list compares. Every listing
	// of diagnoses asks, once per diagnosis.
	for _, i := range icd10ChaptersByLetter[category[0]-'A'] {
		if r := icd10ChapterRanges[i]; r.first <= category && category <= r.last {
			return r, true
		}
	}
	return icd10ChapterRange{}, false
}

// icd10ChaptersByLetter lists, for each letter, the chapters whose range
// covers some category beginning with it, in icd10ChapterRanges' order.
var icd10ChaptersByLetter = func() (by [26][]uint8) {
	for i, r := range icd10ChapterRanges {
		for l := r.first[0]; l <= r.last[0]; l++ {
			by[l-'A'] = append(by[l-'A'], uint8(i))
		}
	}
	return by
}()

// icd10Category returns the three-character category of an ICD-10 code after
// checking its shape. Characters after the category may be digits, letters
// (X padding, dagger/asterisk markers A and D) or '-', as HES writes them.
func icd10Category(code string) (string, bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) > 4 && c[3] == '.' {
		c = c[:3] + c[4:]
	}
	if len(c) < 3 || len(c) > 7 {
		return "", false
	}
	if !isUpperASCII(c[0]) || !isDigitASCII(c[1]) || !isDigitASCII(c[2]) {
		return "", false
	}
	for i := 3; i < len(c); i++ {
		if !isDigitASCII(c[i]) && !isUpperASCII(c[i]) && c[i] != '-' {
			return "", false
		}
	}
	return c[:3], true
}

// opcs4ChapterTitles maps each OPCS-4 chapter letter to its title. I is not
// used by OPCS-4; O holds the overflow codes added in OPCS-4.6.
var opcs4ChapterTitles = map[byte]string{
	'A': "Nervous system",
	'B': "Endocrine system and breast",
	'C': "Eye",
	'D': "Ear",
	'E': "Respiratory tract",
	'F': "Mouth",
	'G': "Upper digestive system",
	'H': "Lower digestive tract",
	'J': "Other abdominal organs - principally digestive",
	'K': "Heart",
	'L': "Arteries and veins",
	'M': "Urinary",
	'N': "Male genital organs",
	'O': "Overflow codes",
	'P': "Lower female genital tract",
	'Q': "Upper female genital tract",
	'R': "Female genital tract associated with pregnancy, childbirth and the puerperium",
	'S': "Skin",
	'T': "Soft tissue",
	'U': "Diagnostic imaging, testing and rehabilitation",
	'V': "Bones and joints of skull and spine",
	'W': "Other bones and joints",
	'X': "Miscellaneous operations",
	'Y': "Subsidiary classification of methods of operation",
	'Z': "Subsidiary classification of sites of operation",
}

// OPCS4Chapter returns the chapter letter and title of an OPCS-4 code. It
// accepts four-character HES codes ("S069"), dotted codes ("S06.9") and
// three-character categories ("S06"), in either case and with surrounding
// spaces (HES pads "-" to "-   "). ok is false for "-", "&" and anything else
// not shaped like an OPCS-4 code; the X998/X999 placeholders are well formed
// and so report chapter X.
func OPCS4Chapter(code string) (letter, title string, ok bool) {
	c := strings.ToUpper(strings.TrimSpace(code))
	if len(c) == 5 && c[3] == '.' {
		c = c[:3] + c[4:]
	}
	if len(c) != 3 && len(c) != 4 {
		return "", "", false
	}
	for i := 1; i < len(c); i++ {
		if !isDigitASCII(c[i]) {
			return "", "", false
		}
	}
	t, found := opcs4ChapterTitles[c[0]]
	if !found {
		return "", "", false
	}
	return c[:1], t, true
}

func isUpperASCII(b byte) bool { return 'A' <= b && b <= 'Z' }

func isDigitASCII(b byte) bool { return '0' <= b && b <= '9' }

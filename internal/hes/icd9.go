package hes

// HES coded diagnoses in ICD-9 until the end of 1994-95 and in ICD-10 from
// 1995-96. A multi-year extract therefore holds both, and ICD-9's V and E
// codes start with letters that ICD-10 uses too (ICD-9 E849 is a place of
// occurrence, ICD-10 E849 cystic fibrosis), so every diagnosis carries its
// classification.

// Classification is the coding system of a diagnosis.
type Classification uint8

const (
	// ICD10 is the WHO ICD-10, in HES from 1995-96.
	ICD10 Classification = iota
	// ICD9 is the WHO ICD-9, in HES up to 1994-95.
	ICD9
)

// String returns the name used in the database and the API: ICD10 or ICD9.
func (c Classification) String() string {
	if c == ICD9 {
		return "ICD9"
	}
	return "ICD10"
}

// LastICD9Year is the last financial year HES coded in ICD-9 (1994-95).
const LastICD9Year = "9495"

// ICD9Year reports whether the financial year fyear ("9394") is one in
// which HES coded diagnoses in ICD-9: 1950-51 to 1994-95.
func ICD9Year(fyear string) bool {
	if len(fyear) != 4 || !isDigitASCII(fyear[0]) || !isDigitASCII(fyear[1]) {
		return false
	}
	yy := int(fyear[0]-'0')*10 + int(fyear[1]-'0')
	return yy >= 50 && yy <= 94
}

// cleanICD9 checks c, already normalised (upper case, no spaces or dots,
// filler removed), against the shape of an ICD-9 code and returns its HES
// form:
//   - diseases 001-999 with an optional 4th digit: "799", "7999";
//   - V codes V01-V82 with an optional 4th digit: "V27", "V270";
//   - E codes E800-E999: "E880". HES diagnosis fields hold four
//     characters, so a 4th digit of an E code ("E8809") is dropped and the
//     code is stored at category level.
func cleanICD9(c []byte) (string, bool) {
	digits := func(b []byte) (int, bool) {
		for _, x := range b {
			if !isDigitASCII(x) {
				return 0, false
			}
		}
		n, _ := atoiDigits(b)
		return n, true
	}
	switch {
	case len(c) == 0:
		return "", false
	case isDigitASCII(c[0]):
		if len(c) != 3 && len(c) != 4 {
			return "", false
		}
		n, ok := digits(c[:3])
		if !ok || n < 1 || len(c) == 4 && !isDigitASCII(c[3]) {
			return "", false
		}
		return string(c), true
	}
	switch c[0] {
	case 'V':
		if len(c) != 3 && len(c) != 4 {
			return "", false
		}
		n, ok := digits(c[1:])
		if !ok {
			return "", false
		}
		if len(c) == 4 {
			n /= 10
		}
		if n < 1 || n > 82 {
			return "", false
		}
		return string(c), true
	case 'E':
		if len(c) != 4 && len(c) != 5 {
			return "", false
		}
		n, ok := digits(c[1:])
		if !ok {
			return "", false
		}
		if len(c) == 5 {
			n /= 10
		}
		if n < 800 || n > 999 {
			return "", false
		}
		return string(c[:4]), true
	}
	return "", false
}

// icd9ChapterRange is one chapter of ICD-9 as a closed range of
// three-character categories, compared as strings within one kind of code.
type icd9ChapterRange struct {
	numeral     string
	first, last string
	title       string
}

// icd9ChapterRanges are the seventeen chapters of WHO ICD-9 and its two
// supplementary classifications, the V codes (factors influencing health
// status) and E codes (external causes), named VCODE and ECODE because V is
// also the numeral of chapter V.
var icd9ChapterRanges = []icd9ChapterRange{
	{"I", "001", "139", "Infectious and parasitic diseases"},
	{"II", "140", "239", "Neoplasms"},
	{"III", "240", "279", "Endocrine, nutritional and metabolic diseases and immunity disorders"},
	{"IV", "280", "289", "Diseases of the blood and blood-forming organs"},
	{"V", "290", "319", "Mental disorders"},
	{"VI", "320", "389", "Diseases of the nervous system and sense organs"},
	{"VII", "390", "459", "Diseases of the circulatory system"},
	{"VIII", "460", "519", "Diseases of the respiratory system"},
	{"IX", "520", "579", "Diseases of the digestive system"},
	{"X", "580", "629", "Diseases of the genitourinary system"},
	{"XI", "630", "676", "Complications of pregnancy, childbirth and the puerperium"},
	{"XII", "680", "709", "Diseases of the skin and subcutaneous tissue"},
	{"XIII", "710", "739", "Diseases of the musculoskeletal system and connective tissue"},
	{"XIV", "740", "759", "Congenital anomalies"},
	{"XV", "760", "779", "Certain conditions originating in the perinatal period"},
	{"XVI", "780", "799", "Symptoms, signs and ill-defined conditions"},
	{"XVII", "800", "999", "Injury and poisoning"},
	{"VCODE", "V01", "V82", "Supplementary classification of factors influencing health status and contact with health services"},
	{"ECODE", "E800", "E999", "Supplementary classification of external causes of injury and poisoning"},
}

// ICD9Chapter returns the chapter numeral and title of an ICD-9 code in HES
// form ("7999", "696", "V270", "E880"); the supplementary classifications
// are VCODE and ECODE. ok is false for a code not shaped like ICD-9.
func ICD9Chapter(code string) (numeral, title string, ok bool) {
	if len(code) < 3 {
		return "", "", false
	}
	if _, valid := cleanICD9([]byte(code)); !valid {
		return "", "", false
	}
	for _, r := range icd9ChapterRanges[:17] {
		if isDigitASCII(code[0]) && r.first <= code[:3] && code[:3] <= r.last {
			return r.numeral, r.title, true
		}
	}
	switch code[0] {
	case 'V':
		r := icd9ChapterRanges[17]
		return r.numeral, r.title, true
	case 'E':
		r := icd9ChapterRanges[18]
		return r.numeral, r.title, true
	}
	return "", "", false
}

// cleanDiagnosisIn reads a diagnosis field of a row whose financial year
// codes in ICD-9 when icd9Year is set. There a code that starts with a digit,
// V or E is ICD-9 and must have its shape; a code with any other letter can
// only be ICD-10 (a multi-year extract may mix them around the change) and
// is read as such. Otherwise it is cleanDiagnosis. The code is out[:n].
func cleanDiagnosisIn(b []byte, icd9Year bool) (out [4]byte, n int, cls Classification, st codeStatus) {
	if icd9Year {
		var buf [8]byte
		c, ok := normalizeCode(&buf, b)
		for ok && len(c) > 0 && c[len(c)-1] == '-' {
			c = c[:len(c)-1]
		}
		if ok && len(c) > 0 && (isDigitASCII(c[0]) || c[0] == 'V' || c[0] == 'E') {
			code, valid := cleanICD9(c)
			if !valid {
				return out, 0, ICD9, codeInvalid
			}
			n = copy(out[:], code)
			return out, n, ICD9, codeOK
		}
	}
	out, st = cleanDiagnosis(b)
	return out, 4, ICD10, st
}

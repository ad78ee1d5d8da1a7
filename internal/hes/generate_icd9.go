package hes

// icd9For returns the ICD-9 code the generator writes for one of its ICD-10
// codes in the years HES coded in ICD-9. The mapping is by category or
// chapter and only as close as synthetic data needs: a real ICD-9 code of
// the same kind of condition. Every code it returns has a row in
// db/codes/icd9.csv (checked by the tests).
func icd9For(icd10 string) string {
	if len(icd10) < 3 {
		return "7999"
	}
	if c, ok := icd9ByCategory[icd10[:3]]; ok {
		return c
	}
	if icd10[0] == 'D' && icd10[1] == '0' {
		return "2329" // carcinoma in situ
	}
	if c, ok := icd9ByLetter[icd10[0]]; ok {
		return c
	}
	return "7999"
}

var icd9ByCategory = map[string]string{
	"C43": "1729", "L40": "6961", "L20": "6918", "L03": "6829", "A46": "035", "R69": "7999",
}

var icd9ByLetter = map[byte]string{
	'A': "035", 'B': "035", 'C': "1739", 'D': "2399", 'E': "2500", 'F': "311", 'G': "3499",
	'I': "4019", 'J': "4939", 'K': "5369", 'L': "7099", 'M': "7159", 'N': "585", 'O': "650",
	'Q': "7579", 'R': "7999", 'S': "9599", 'T': "9599", 'Z': "V158",
}

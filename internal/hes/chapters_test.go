package hes_test

import (
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/internal/hes"
)

func TestICD10Chapter(t *testing.T) {
	tests := []struct {
		code    string
		numeral string
		number  int
	}{
		{"A000", "I", 1},
		{"B99X", "I", 1},
		{"C000", "II", 2},
		{"C439", "II", 2},
		{"D489", "II", 2},
		{"D485", "II", 2},
		{"D500", "III", 3},
		{"D899", "III", 3},
		{"E000", "IV", 4},
		{"E90X", "IV", 4},
		{"F329", "V", 5},
		{"G473", "VI", 6},
		{"H000", "VII", 7},
		{"H599", "VII", 7},
		{"H600", "VIII", 8},
		{"H959", "VIII", 8},
		{"I10X", "IX", 9},
		{"J459", "X", 10},
		{"K938", "XI", 11},
		{"L000", "XII", 12},
		{"L97X", "XII", 12},
		{"L999", "XII", 12},
		{"M199", "XIII", 13},
		{"N189", "XIV", 14},
		{"O800", "XV", 15},
		{"P969", "XVI", 16},
		{"Q825", "XVII", 17},
		{"R69X", "XVIII", 18},
		{"S000", "XIX", 19},
		{"T983", "XIX", 19},
		{"V010", "XX", 20},
		{"Y989", "XX", 20},
		{"Z000", "XXI", 21},
		{"Z999", "XXI", 21},
		{"U071", "XXII", 22},
		{"U000", "XXII", 22},
		// Accepted spellings of the same code.
		{"L40", "XII", 12},
		{"L40.0", "XII", 12},
		{" l400 ", "XII", 12},
		{"R69X6", "XVIII", 18},
		{"L405A", "XII", 12},
		{"M073D", "XIII", 13},
		{"L40-", "XII", 12},
	}
	for _, tt := range tests {
		t.Run(tt.code, func(t *testing.T) {
			numeral, title, ok := hes.ICD10Chapter(tt.code)
			if !ok || numeral != tt.numeral || title == "" {
				t.Errorf("ICD10Chapter(%q) = %q, %q, %v; want %q, non-empty title, true", tt.code, numeral, title, ok, tt.numeral)
			}
			n, ok := hes.ICD10ChapterNumber(tt.code)
			if !ok || n != tt.number {
				t.Errorf("ICD10ChapterNumber(%q) = %d, %v; want %d, true", tt.code, n, ok, tt.number)
			}
		})
	}
}

func TestICD10ChapterTitles(t *testing.T) {
	for _, tt := range []struct{ code, title string }{
		{"L400", "Diseases of the skin and subcutaneous tissue"},
		{"C440", "Neoplasms"},
		{"U071", "Codes for special purposes"},
	} {
		if _, title, _ := hes.ICD10Chapter(tt.code); title != tt.title {
			t.Errorf("ICD10Chapter(%q) title = %q; want %q", tt.code, title, tt.title)
		}
	}
}

func TestICD10ChapterErrInvalid(t *testing.T) {
	for _, code := range []string{
		"", " ", "-", "&", "L", "L4", "4L0", "LL00", "L4A0", "L40.", "L40..0", "L400000X",
		"L40 0", "L40/0", "É400",
		// Categories in no chapter.
		"D490", "D499", "E91X", "H96X", "K94X", "P97X", "T99X", "V00X", "Y99X",
	} {
		if numeral, title, ok := hes.ICD10Chapter(code); ok {
			t.Errorf("ICD10Chapter(%q) = %q, %q, true; want ok false", code, numeral, title)
		}
		if n, ok := hes.ICD10ChapterNumber(code); ok || n != 0 {
			t.Errorf("ICD10ChapterNumber(%q) = %d, %v; want 0, false", code, n, ok)
		}
	}
}

func TestOPCS4Chapter(t *testing.T) {
	tests := []struct{ code, letter, title string }{
		{"A011", "A", "Nervous system"},
		{"S069", "S", "Skin"},
		{"S06.9", "S", "Skin"},
		{"S06", "S", "Skin"},
		{" s069 ", "S", "Skin"},
		{"J183", "J", "Other abdominal organs - principally digestive"},
		{"R249", "R", "Female genital tract associated with pregnancy, childbirth and the puerperium"},
		{"X998", "X", "Miscellaneous operations"},
		{"Y532", "Y", "Subsidiary classification of methods of operation"},
		{"Z942", "Z", "Subsidiary classification of sites of operation"},
	}
	for _, tt := range tests {
		letter, title, ok := hes.OPCS4Chapter(tt.code)
		if !ok || letter != tt.letter || title != tt.title {
			t.Errorf("OPCS4Chapter(%q) = %q, %q, %v; want %q, %q, true", tt.code, letter, title, ok, tt.letter, tt.title)
		}
	}
	for _, c := range "ABCDEFGHJKLMNOPQRSTUVWXYZ" {
		if _, title, ok := hes.OPCS4Chapter(string(c) + "019"); !ok || title == "" {
			t.Errorf("OPCS4Chapter(%q) has no chapter", string(c)+"019")
		}
	}
}

func TestOPCS4ChapterErrInvalid(t *testing.T) {
	for _, code := range []string{
		"", "-", "-   ", "&", "S", "S0", "S0A9", "S06X", "S06.", "S0699", "I011", "1069", "S06.99", "SS069",
	} {
		if letter, title, ok := hes.OPCS4Chapter(code); ok {
			t.Errorf("OPCS4Chapter(%q) = %q, %q, true; want ok false", code, letter, title)
		}
	}
}

// codesRow is one row of a lookup table in db/codes.
type codesRow struct {
	code, description, chapter string
}

func readCodesCSV(t *testing.T, path string) map[string]codesRow {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r := csv.NewReader(f)
	records, err := r.ReadAll()
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(records) < 2 {
		t.Fatalf("%s: no rows", path)
	}
	if got := strings.Join(records[0], ","); got != "code,description,chapter" {
		t.Fatalf("%s: header %q; want %q", path, got, "code,description,chapter")
	}
	rows := make(map[string]codesRow, len(records)-1)
	for i, rec := range records[1:] {
		row := codesRow{rec[0], rec[1], rec[2]}
		if _, dup := rows[row.code]; dup {
			t.Errorf("%s line %d: duplicate code %q", path, i+2, row.code)
		}
		if strings.TrimSpace(row.description) == "" || row.description != strings.TrimSpace(row.description) {
			t.Errorf("%s line %d: code %q has empty or space-padded description %q", path, i+2, row.code, row.description)
		}
		rows[row.code] = row
	}
	return rows
}

var (
	icd10RowCode = regexp.MustCompile(`^[A-Z][0-9]{2}[0-9X]$`)
	opcs4RowCode = regexp.MustCompile(`^[A-Z][0-9]{3}$`)
)

// icd10DermCategories lists every category of ICD-10 chapter XII (WHO 2016,
// UK 5th edition).
var icd10DermCategories = func() []string {
	var cats []string
	for _, span := range [][2]int{{0, 5}, {8, 8}, {10, 14}, {20, 30}, {40, 45}, {50, 60}, {62, 68}, {70, 75}, {80, 95}, {97, 99}} {
		for n := span[0]; n <= span[1]; n++ {
			cats = append(cats, fmt.Sprintf("L%02d", n))
		}
	}
	return cats
}()

// opcs4SkinCategories lists the chapter S categories that the lookup table
// covers with every subcode: .1 to .5, .8 and .9.
var opcs4SkinCategories = []string{
	"S01", "S02", "S03", "S04", "S05", "S06", "S07", "S08", "S09", "S10", "S11", "S13", "S14", "S15",
	"S17", "S18", "S19", "S20", "S21", "S22", "S23", "S24", "S25", "S26", "S27", "S28", "S30",
	"S31", "S33", "S34", "S35", "S36", "S37", "S38", "S39", "S41", "S42", "S43", "S44", "S45",
	"S47", "S48", "S49", "S50", "S51", "S52", "S53", "S54", "S55", "S56", "S57", "S60", "S62",
	"S64", "S70",
}

func TestCodesICD10CSV(t *testing.T) {
	rows := readCodesCSV(t, filepath.Join("..", "..", "db", "codes", "icd10.csv"))

	t.Run("OK", func(t *testing.T) {
		for _, row := range rows {
			if !icd10RowCode.MatchString(row.code) {
				t.Errorf("code %q is not in HES form", row.code)
				continue
			}
			numeral, _, ok := hes.ICD10Chapter(row.code)
			if !ok || numeral != row.chapter {
				t.Errorf("code %q: chapter column %q; ICD10Chapter says %q (ok %v)", row.code, row.chapter, numeral, ok)
			}
		}
	})

	t.Run("DermatologyCategories", func(t *testing.T) {
		byCategory := map[string]int{}
		for code := range rows {
			byCategory[code[:3]]++
		}
		for _, c := range icd10DermCategories {
			if byCategory[c] == 0 {
				t.Errorf("category %s has no row", c)
			}
		}
		for _, c := range []string{"L06", "L07", "L09", "L15", "L31", "L46", "L61", "L69", "L76", "L96"} {
			if byCategory[c] != 0 {
				t.Errorf("category %s does not exist in ICD-10 but has rows", c)
			}
		}
	})

	t.Run("SkinNeoplasms", func(t *testing.T) {
		for _, c := range []string{"C43", "C44", "D03", "D04", "D22", "D23"} {
			for d := 0; d <= 9; d++ {
				code := fmt.Sprintf("%s%d", c, d)
				if _, ok := rows[code]; !ok {
					t.Errorf("missing %s", code)
				}
			}
		}
		if _, ok := rows["D485"]; !ok {
			t.Error("missing D485")
		}
	})

	t.Run("Unsubdivided", func(t *testing.T) {
		for _, code := range []string{"L00X", "L14X", "L22X", "L26X", "L42X", "L45X", "L52X", "L80X", "L82X", "L83X", "L84X", "L86X", "L88X", "L97X"} {
			if _, ok := rows[code]; !ok {
				t.Errorf("missing %s", code)
			}
		}
	})

	t.Run("Sample", func(t *testing.T) {
		diags, _ := readCodesSample(t)
		for code, why := range diags {
			if _, ok := rows[code]; !ok {
				t.Errorf("sample code %s (%s) has no row", code, why)
			}
		}
	})
}

func TestCodesOPCS4CSV(t *testing.T) {
	rows := readCodesCSV(t, filepath.Join("..", "..", "db", "codes", "opcs4.csv"))

	t.Run("OK", func(t *testing.T) {
		for _, row := range rows {
			if !opcs4RowCode.MatchString(row.code) {
				t.Errorf("code %q is not a 4-character OPCS-4 code", row.code)
				continue
			}
			letter, _, ok := hes.OPCS4Chapter(row.code)
			if !ok || letter != row.chapter {
				t.Errorf("code %q: chapter column %q; OPCS4Chapter says %q (ok %v)", row.code, row.chapter, letter, ok)
			}
		}
	})

	t.Run("SkinCategories", func(t *testing.T) {
		for _, c := range opcs4SkinCategories {
			for _, d := range []string{"1", "2", "3", "4", "5", "8", "9"} {
				if _, ok := rows[c+d]; !ok {
					t.Errorf("missing %s%s", c, d)
				}
			}
		}
	})

	t.Run("Sample", func(t *testing.T) {
		_, procs := readCodesSample(t)
		for code := range procs {
			if _, ok := rows[code]; !ok {
				t.Errorf("sample chapter S code %s has no row", code)
			}
		}
	})
}

// readCodesSample returns the diagnosis codes the ICD-10 table must describe
// (every ICD-10 code in any diagnosis position, read as the loader reads it,
// with why it is there) and the chapter S procedure codes, from the
// artificial HES sample in testdata/.
func readCodesSample(t *testing.T) (diags map[string]string, procs map[string]bool) {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "..", "testdata", "artificial_hes_apc_0102_sample.csv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	records, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, name := range records[0] {
		col[name] = i
	}
	field := func(rec []string, name string) string {
		i, ok := col[name]
		if !ok {
			t.Fatalf("sample has no column %s", name)
		}
		return strings.TrimSpace(rec[i])
	}
	skin := regexp.MustCompile(`^(L|C43|C44|D03|D04|D22|D23|D485)`)
	placeholder := regexp.MustCompile(`^(-|&|R69X.*)?$`)
	diags, procs = map[string]string{}, map[string]bool{}
	for _, rec := range records[1:] {
		derm := false
		for _, name := range []string{"TRETSPEF", "MAINSPEF"} {
			if s := field(rec, name); s == "330" || s == "257" {
				derm = true
			}
		}
		for i := 1; i <= 20; i++ {
			code := hesDiagnosisForm(field(rec, fmt.Sprintf("DIAG_4_%02d", i)))
			if _, _, ok := hes.ICD10Chapter(code); !ok || placeholder.MatchString(code) {
				continue // not a code: the loader stores no diagnosis
			}
			switch {
			case skin.MatchString(code):
				diags[code] = "skin code"
			case derm:
				diags[code] = "dermatology episode"
			default:
				diags[code] = "other episode"
			}
		}
		for i := 1; i <= 24; i++ {
			if code := field(rec, fmt.Sprintf("OPERTN_4_%02d", i)); strings.HasPrefix(code, "S") {
				procs[code] = true
			}
		}
	}
	if len(diags) == 0 || len(procs) == 0 {
		t.Fatal("sample gave no codes; columns may have changed")
	}
	return diags, procs
}

// hesDiagnosisForm reads a sample diagnosis field the way the loader stores
// it: upper case without a dot or trailing "-" filler, a 3-character
// category padded with X, a 5th or 6th character dropped.
func hesDiagnosisForm(s string) string {
	s = strings.TrimRight(strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), ".", "")), "-")
	switch {
	case len(s) == 3:
		return s + "X"
	case len(s) > 4:
		return s[:4]
	}
	return s
}

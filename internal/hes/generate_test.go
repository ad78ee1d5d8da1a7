package hes

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

func generated(t testing.TB, seed int64, episodes int) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := Generate(&buf, GenerateOptions{Seed: seed, Episodes: episodes}); err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return buf.Bytes()
}

func TestGenerateDeterministic(t *testing.T) {
	a := generated(t, 42, 3000)
	if b := generated(t, 42, 3000); !bytes.Equal(a, b) {
		t.Error("the same seed gave different output")
	}
	if c := generated(t, 43, 3000); bytes.Equal(a, c) {
		t.Error("different seeds gave the same output")
	}
}

func TestGenerateRowCount(t *testing.T) {
	for _, n := range []int{0, 1, 2, 7, 1000, 4321} {
		var progress []int
		var buf bytes.Buffer
		err := Generate(&buf, GenerateOptions{Seed: 1, Episodes: n, Progress: func(done int) { progress = append(progress, done) }})
		if err != nil {
			t.Fatalf("Generate(%d): %v", n, err)
		}
		lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
		if len(lines) != n+1 {
			t.Errorf("Generate(%d) wrote %d data rows", n, len(lines)-1)
		}
		if lines[0] != strings.Join(generatedColumns, "|") {
			t.Errorf("header %q", lines[0])
		}
		for i, l := range lines {
			if got := strings.Count(l, "|") + 1; got != len(generatedColumns) {
				t.Fatalf("Generate(%d) line %d has %d fields, want %d", n, i+1, got, len(generatedColumns))
			}
		}
		if len(progress) == 0 || progress[len(progress)-1] != n {
			t.Errorf("Generate(%d) progress calls %v, want the last to be %d", n, progress, n)
		}
	}
}

func TestGenerateProgress(t *testing.T) {
	var progress []int
	err := Generate(io.Discard, GenerateOptions{Seed: 1, Episodes: 2*progressEvery + 5, Progress: func(done int) { progress = append(progress, done) }})
	if err != nil {
		t.Fatal(err)
	}
	if want := []int{progressEvery, 2 * progressEvery, 2*progressEvery + 5}; !slices.Equal(progress, want) {
		t.Errorf("progress calls %v, want %v", progress, want)
	}
}

type failingWriter struct{ n int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if w.n -= len(p); w.n < 0 {
		return 0, errBoom
	}
	return len(p), nil
}

func TestGenerateErrors(t *testing.T) {
	if err := Generate(io.Discard, GenerateOptions{Episodes: -1}); err == nil {
		t.Error("negative episode count accepted")
	}
	if err := Generate(&failingWriter{n: 3 << 20}, GenerateOptions{Seed: 1, Episodes: 100_000}); !errors.Is(err, errBoom) {
		t.Errorf("Generate on a failing writer = %v, want %v", err, errBoom)
	}
}

// startAgeCode computes STARTAGE from a date of birth, as HES derives it.
func startAgeCode(dob, start time.Time) int64 {
	years := start.Year() - dob.Year()
	if start.Month() < dob.Month() || start.Month() == dob.Month() && start.Day() < dob.Day() {
		years--
	}
	if years > 0 {
		return int64(min(years, 120))
	}
	days := int(start.Sub(dob).Hours() / 24)
	for i, upTo := range []int{0, 6, 28, 90, 181, 272} {
		if days <= upTo {
			return int64(7001 + i)
		}
	}
	return 7007
}

func financialYear(d time.Time) string {
	y := d.Year()
	if d.Month() < time.April {
		y--
	}
	return fmt.Sprintf("%02d%02d", y%100, (y+1)%100)
}

func days(a, b time.Time) int64 { return int64(b.Sub(a).Hours() / 24) }

func TestGenerateReadsBack(t *testing.T) {
	const n = 30_000
	data := generated(t, 7, n)
	recs, rejs, st := readAll(t, bytes.NewReader(data), ReaderOptions{})
	if len(rejs) > 0 {
		t.Fatalf("%d generated rows rejected, first: %v", len(rejs), rejs[0])
	}
	if st.Rows != n || len(recs) != n {
		t.Fatalf("read %d rows (%d records), want %d", st.Rows, len(recs), n)
	}

	// The messiness of real extracts is there, for the reader to clean.
	for _, mess := range []string{"|R69X|", "|-   |", "|1800-01-01|", "  ", "|X|"} {
		if !bytes.Contains(data, []byte(mess)) {
			t.Errorf("no %q in the generated extract", mess)
		}
	}

	pseudo := regexp.MustCompile(`^TEST[0-9A-Za-z]{28}$`)
	postcode := regexp.MustCompile(`^([A-Z]{1,2}[0-9]{1,2} [0-9]ZZ|ZZ99 3WZ)$`)
	type spellKey struct {
		patient string
		admi    time.Time
	}
	var (
		epikeys     = map[string]bool{}
		patients    = map[string]Record{}
		nhsOwner    = map[string]string{}
		spells      = map[spellKey][]int64{}
		count       = map[string]map[string]int{}
		derm, elec  int
		unfinished  int
		noNHS       int
		withProcs   int
		dermElected int
	)
	tally := func(field, v string) {
		if count[field] == nil {
			count[field] = map[string]int{}
		}
		count[field][v]++
	}
	for _, r := range recs {
		checkRecord(t, r)
		tally("sex", r.Sex)
		tally("fyear", r.FYear)
		tally("classpat", r.PatientClass)
		tally("provider", r.ProviderCode)
		tally("ethnos", r.Ethnicity)
		tally("tretspef", r.TreatmentSpecialty)

		if epikeys[r.EpiKey] || len(r.EpiKey) != 12 {
			t.Fatalf("line %d: EPIKEY %q repeated or not 12 digits", r.Line, r.EpiKey)
		}
		epikeys[r.EpiKey] = true
		if !pseudo.MatchString(r.PseudoID) {
			t.Errorf("line %d: PSEUDO_HESID %q", r.Line, r.PseudoID)
		}
		if !postcode.MatchString(r.Postcode) {
			t.Errorf("line %d: postcode %q", r.Line, r.Postcode)
		}

		// Patient attributes are the same on every episode of a patient.
		if p, ok := patients[r.PseudoID]; ok {
			if p.NHSNumber != r.NHSNumber || !p.DateOfBirth.Equal(r.DateOfBirth) || p.Postcode != r.Postcode ||
				p.Ethnicity != r.Ethnicity {
				t.Errorf("line %d: patient %s changed between episodes", r.Line, r.PseudoID)
			}
		} else {
			patients[r.PseudoID] = r
			if r.NHSNumber == "" {
				noNHS++
			} else if owner, dup := nhsOwner[r.NHSNumber]; dup {
				t.Errorf("NHS number %s given to %s and %s", r.NHSNumber, owner, r.PseudoID)
			} else {
				nhsOwner[r.NHSNumber] = r.PseudoID
			}
		}
		if r.NHSNumber != "" && (!ValidNHSNumber(r.NHSNumber) || !strings.HasPrefix(r.NHSNumber, "999")) {
			t.Errorf("line %d: NHS number %q outside the valid test range", r.Line, r.NHSNumber)
		}

		// Dates agree with each other.
		if r.DateOfBirth.IsZero() || r.BirthYear.Int64 != int64(r.DateOfBirth.Year()) || r.BirthMonth.Int64 != int64(r.DateOfBirth.Month()) {
			t.Errorf("line %d: MYDOB %d/%d does not match DOB %v", r.Line, r.BirthMonth.Int64, r.BirthYear.Int64, r.DateOfBirth)
		}
		if want := startAgeCode(r.DateOfBirth, r.EpisodeStart); r.StartAge.Int64 != want {
			t.Errorf("line %d: STARTAGE %d, want %d from DOB %v and EPISTART %v", r.Line, r.StartAge.Int64, want,
				r.DateOfBirth.Format(time.DateOnly), r.EpisodeStart.Format(time.DateOnly))
		}
		if years, _ := StartAgeYears(r.StartAge); years > 100 {
			t.Errorf("line %d: age %d", r.Line, years)
		}
		if r.FYear != financialYear(r.EpisodeStart) {
			t.Errorf("line %d: FYEAR %s but EPISTART %v", r.Line, r.FYear, r.EpisodeStart)
		}
		if r.EpisodeStart.Before(r.AdmissionDate) || r.AdmissionDate.Before(r.DateOfBirth) {
			t.Errorf("line %d: admitted %v, episode starts %v, born %v", r.Line, r.AdmissionDate, r.EpisodeStart, r.DateOfBirth)
		}
		switch r.EpisodeStatus {
		case "3":
			if r.EpisodeEnd.Before(r.EpisodeStart) || r.EpisodeDuration.Int64 != days(r.EpisodeStart, r.EpisodeEnd) {
				t.Errorf("line %d: EPIDUR %d for %v to %v", r.Line, r.EpisodeDuration.Int64, r.EpisodeStart, r.EpisodeEnd)
			}
			if r.FYear != financialYear(r.EpisodeEnd) {
				t.Errorf("line %d: episode crosses a year end", r.Line)
			}
			if len(r.Diagnoses) == 0 || r.Diagnoses[0].Position != 1 {
				t.Errorf("line %d: finished episode without a primary diagnosis", r.Line)
			}
			if r.DischargeMethod != "8" && (!r.DischargeDate.Equal(r.EpisodeEnd) || r.SpellDuration.Int64 != days(r.AdmissionDate, r.DischargeDate)) {
				t.Errorf("line %d: discharge %v, end %v, SPELDUR %d", r.Line, r.DischargeDate, r.EpisodeEnd, r.SpellDuration.Int64)
			}
		case "1":
			unfinished++
			if !r.EpisodeEnd.IsZero() || !r.DischargeDate.IsZero() || len(r.Diagnoses) != 0 || r.DischargeMethod != "8" {
				t.Errorf("line %d: unfinished episode %+v", r.Line, r)
			}
		default:
			t.Errorf("line %d: EPISTAT %q", r.Line, r.EpisodeStatus)
		}
		for _, p := range r.Procedures {
			if p.Date.Before(r.EpisodeStart) || p.Date.After(r.EpisodeEnd) {
				t.Errorf("line %d: OPDATE %v outside the episode", r.Line, p.Date)
			}
		}
		if len(r.Procedures) > 0 {
			withProcs++
		}

		if r.TreatmentSpecialty == "330" || r.TreatmentSpecialty == "257" {
			derm++
			if strings.HasPrefix(r.AdmissionMethod, "1") {
				dermElected++
			}
		}
		if r.TreatmentSpecialty == "257" && r.StartAge.Int64 >= 17 && r.StartAge.Int64 < 7000 {
			t.Errorf("line %d: paediatric dermatology at age %d", r.Line, r.StartAge.Int64)
		}
		if strings.HasPrefix(r.AdmissionMethod, "1") {
			elec++
		}
		k := spellKey{r.PseudoID, r.AdmissionDate}
		spells[k] = append(spells[k], r.EpisodeOrder.Int64)
	}

	share := func(part, whole int) float64 { return float64(part) / float64(whole) }
	inBand := func(what string, v, lo, hi float64) {
		t.Helper()
		if v < lo || v > hi {
			t.Errorf("%s = %.3f, want between %.2f and %.2f", what, v, lo, hi)
		}
	}
	inBand("share of dermatology (330, 257)", share(derm, n), 0.40, 0.70)
	inBand("share of paediatric dermatology (257)", share(count["tretspef"]["257"], n), 0.01, 0.15)
	inBand("share of elective admissions in dermatology", share(dermElected, derm), 0.60, 1)
	inBand("share of elective admissions", share(elec, n), 0.35, 0.85)
	inBand("share of men", share(count["sex"]["1"], n), 0.40, 0.56)
	inBand("share of women", share(count["sex"]["2"], n), 0.44, 0.60)
	inBand("share of sex not specified or not known", share(count["sex"]["9"]+count["sex"]["0"], n), 0.0005, 0.03)
	inBand("share of unfinished episodes", share(unfinished, n), 0.001, 0.03)
	inBand("share of ordinary and day cases", share(count["classpat"]["1"]+count["classpat"]["2"], n), 0.80, 0.99)
	inBand("share of episodes with a procedure", share(withProcs, n), 0.25, 0.75)
	inBand("share of patients without an NHS number", share(noNHS, len(patients)), 0, 0.03)
	inBand("episodes per patient", share(n, len(patients)), 1.5, 5)
	inBand("episodes per spell", share(n, len(spells)), 1, 1.3)
	if len(count["provider"]) < 30 {
		t.Errorf("%d providers, want at least 30", len(count["provider"]))
	}
	for _, fy := range []string{"1819", "1920", "2021", "2122", "2223", "2324"} {
		if count["fyear"][fy] < n/10 {
			t.Errorf("FYEAR %s has %d episodes", fy, count["fyear"][fy])
		}
	}
	if len(count["fyear"]) != 6 {
		t.Errorf("financial years %v", count["fyear"])
	}
	for e := range count["ethnos"] {
		if !strings.Contains("ABCDEFGHJKLMNPRSZX", e) || len(e) != 1 {
			t.Errorf("ethnicity %q", e)
		}
	}
	if count["classpat"]["3"] == 0 {
		t.Error("no regular day attenders")
	}
	// Each spell numbers its episodes 1, 2, ... in order.
	for k, orders := range spells {
		for i, o := range orders {
			if o != int64(i+1) {
				t.Fatalf("spell of %s admitted %v has EPIORDER %v", k.patient, k.admi.Format(time.DateOnly), orders)
			}
		}
	}
}

// generatorCodes lists every code the generator can write, placeholders
// aside.
func generatorCodes() (icd10, opcs4 []string) {
	add := func(dst []string, ts ...codeTable) []string {
		for _, t := range ts {
			dst = append(dst, t.items...)
		}
		return dst
	}
	for _, s := range scenarios {
		icd10 = add(icd10, s.primary)
		opcs4 = add(opcs4, s.procs, s.extra)
	}
	icd10 = add(icd10, adultSecondary, childSecondary)
	slices.Sort(icd10)
	slices.Sort(opcs4)
	return slices.Compact(icd10), slices.Compact(opcs4)
}

// TestGeneratorPhotodynamicTherapy pins photodynamic therapy to its own
// OPCS-4 category, S07, rather than photodestruction (S09).
func TestGeneratorPhotodynamicTherapy(t *testing.T) {
	var found bool
	for _, s := range scenarios {
		if s.name != "photodynamic therapy" {
			continue
		}
		found = true
		if len(s.procs.items) == 0 {
			t.Fatal("photodynamic therapy scenario writes no procedure")
		}
		for _, c := range append(slices.Clone(s.procs.items), s.extra.items...) {
			if !strings.HasPrefix(c, "S07") {
				t.Errorf("photodynamic therapy writes %s; want an S07 code", c)
			}
		}
	}
	if !found {
		t.Fatal("no photodynamic therapy scenario")
	}
}

func TestGeneratorCodesAreWellFormed(t *testing.T) {
	icd10, opcs4 := generatorCodes()
	for _, c := range icd10 {
		if got, st := cleanDiagnosis([]byte(c)); st != codeOK || string(got[:]) != c {
			t.Errorf("ICD-10 code %q in the generator tables does not read back as itself", c)
		}
	}
	for _, c := range opcs4 {
		if got, st := cleanProcedure([]byte(c)); st != codeOK || string(got[:]) != c || c[0] != 'S' {
			t.Errorf("OPCS-4 code %q in the generator tables is not a chapter S code", c)
		}
	}
	t.Logf("ICD-10 (%d): %s", len(icd10), strings.Join(icd10, " "))
	t.Logf("OPCS-4 (%d): %s", len(opcs4), strings.Join(opcs4, " "))
}

// TestGeneratorCodesInLookups keeps the generator's code lists and the
// lookup tables loaded into the database in step: every code the generator
// writes must have a description.
func TestGeneratorCodesInLookups(t *testing.T) {
	icd10, opcs4 := generatorCodes()
	for _, tc := range []struct {
		path  string
		codes []string
	}{
		{"../../db/codes/icd10.csv", icd10},
		{"../../db/codes/opcs4.csv", opcs4},
	} {
		t.Run(tc.path, func(t *testing.T) {
			f, err := os.Open(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			rows, err := csv.NewReader(f).ReadAll()
			if err != nil {
				t.Fatalf("%s: %v", tc.path, err)
			}
			if len(rows) == 0 || !strings.EqualFold(strings.TrimSpace(rows[0][0]), "code") {
				t.Fatalf("%s: want a header row starting with \"code\"", tc.path)
			}
			have := map[string]bool{}
			for _, r := range rows[1:] {
				have[strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(r[0]), ".", ""))] = true
			}
			var missing []string
			for _, c := range tc.codes {
				if !have[c] {
					missing = append(missing, c)
				}
			}
			if len(missing) > 0 {
				t.Errorf("%s lacks %d code(s) the generator writes: %s", tc.path, len(missing), strings.Join(missing, " "))
			}
		})
	}
}

func TestCodeTable(t *testing.T) {
	tab := weighted("A:1 B:3 C")
	if !slices.Equal(tab.items, []string{"A", "B", "C"}) || !slices.Equal(tab.cum, []int{1, 4, 5}) {
		t.Errorf("table = %+v", tab)
	}
	m := mergeTables(weighted("A:2"), weighted("B:1 C:4"))
	if !slices.Equal(m.items, []string{"A", "B", "C"}) || !slices.Equal(m.cum, []int{2, 3, 7}) {
		t.Errorf("merge = %+v", m)
	}
	defer func() {
		if recover() == nil {
			t.Error("table accepted a zero weight")
		}
	}()
	weighted("A:0")
}

func TestCivilDays(t *testing.T) {
	for _, d := range []time.Time{
		time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1923, 3, 1, 0, 0, 0, 0, time.UTC),
		time.Date(2000, 2, 29, 0, 0, 0, 0, time.UTC),
		time.Date(2024, 3, 31, 0, 0, 0, 0, time.UTC),
	} {
		z := daysFromCivil(d.Year(), int(d.Month()), d.Day())
		if want := int(d.Unix() / 86400); z != want {
			t.Errorf("daysFromCivil(%v) = %d, want %d", d, z, want)
		}
		if y, m, dd := civilFromDays(z); y != d.Year() || m != int(d.Month()) || dd != d.Day() {
			t.Errorf("civilFromDays(%d) = %d-%d-%d, want %v", z, y, m, dd, d)
		}
		if got := string(appendDate(nil, z)); got != d.Format(time.DateOnly) {
			t.Errorf("appendDate = %s, want %s", got, d.Format(time.DateOnly))
		}
	}
}

func BenchmarkGenerate(b *testing.B) {
	const episodes = 100_000
	for b.Loop() {
		if err := Generate(io.Discard, GenerateOptions{Seed: 1, Episodes: episodes}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(episodes*b.N)/b.Elapsed().Seconds(), "episodes/s")
}

package hes

import (
	"bufio"
	"cmp"
	"errors"
	"fmt"
	"io"
	"math/bits"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
)

// GenerateOptions configures Generate.
type GenerateOptions struct {
	Seed     int64 // same seed, same bytes
	Episodes int   // number of data rows to write
	// FromYear is the calendar year in which the first financial year
	// starts: 1993 gives 1993-94 onwards. Zero means 2018. Diagnoses of
	// 1994-95 and earlier are written in ICD-9, as HES coded them.
	FromYear int
	// Progress, when set, is called with the number of episodes written so
	// far, every progressEvery episodes and once at the end.
	Progress func(done int)
}

const (
	progressEvery = 100_000
	maxDiagnoses  = 20
	maxProcedures = 24
)

// The synthetic data covers the financial years from 2018-19, or
// GenerateOptions.FromYear, to 2023-24.
var (
	genFirstYear = 2018
	genLastDay   = daysFromCivil(2024, 3, 31)
)

// Bounds of GenerateOptions.FromYear: OPCS-4, which the procedures use,
// started in 1990-91.
const (
	MinFromYear = 1990
	MaxFromYear = 2023
)

// generatedColumns is the header Generate writes: real HES field names, in
// the order the row writer emits them.
var generatedColumns = func() []string {
	cols := []string{
		"FYEAR", "EPIKEY", "PSEUDO_HESID", "NEWNHSNO", "DOB", "MYDOB", "SEX", "ETHNOS",
		"HOMEADD", "RESGOR", "PROCODE3", "SITETRET", "ADMIDATE", "ADMIMETH", "ADMISORC",
		"ADMINCAT", "CLASSPAT", "EPISTART", "EPIEND", "EPIORDER", "EPISTAT", "EPITYPE",
		"EPIDUR", "DISDATE", "DISMETH", "DISDEST", "SPELDUR", "STARTAGE", "TRETSPEF", "MAINSPEF",
	}
	for i := 1; i <= maxDiagnoses; i++ {
		cols = append(cols, fmt.Sprintf("DIAG_4_%02d", i))
	}
	for i := 1; i <= maxProcedures; i++ {
		cols = append(cols, fmt.Sprintf("OPERTN_4_%02d", i))
	}
	for i := 1; i <= maxProcedures; i++ {
		cols = append(cols, fmt.Sprintf("OPDATE_%02d", i))
	}
	return cols
}()

// weightedList draws items with probability proportional to their weights.
type weightedList[T any] struct {
	items []T
	cum   []int // running totals of the weights
}

// codeTable is a weighted list of codes.
type codeTable = weightedList[string]

func (t *weightedList[T]) add(item T, weight int) {
	if weight <= 0 {
		panic(fmt.Sprintf("hes: weight %d for %v", weight, item))
	}
	total := weight
	if n := len(t.cum); n > 0 {
		total += t.cum[n-1]
	}
	t.items = append(t.items, item)
	t.cum = append(t.cum, total)
}

// pick draws an item. The lists are short, so a linear scan beats a binary
// search.
func (t *weightedList[T]) pick(r *rand.Rand) T {
	x := r.IntN(t.cum[len(t.cum)-1])
	for i, c := range t.cum {
		if x < c {
			return t.items[i]
		}
	}
	return t.items[len(t.items)-1]
}

func (t *weightedList[T]) empty() bool { return len(t.items) == 0 }

// weighted parses "CODE:weight CODE:weight ..."; a code without a weight
// counts 1. It panics on a malformed literal, which the tests exercise.
func weighted(spec string) codeTable {
	var t codeTable
	for item := range strings.FieldsSeq(spec) {
		code, w, found := strings.Cut(item, ":")
		weight := 1
		if found {
			var err error
			if weight, err = strconv.Atoi(w); err != nil {
				panic("hes: bad weight in code table: " + item)
			}
		}
		t.add(code, weight)
	}
	return t
}

// Age groups used to weight scenarios: children, adults, older people.
const (
	ageChild = iota
	ageAdult
	ageOlder
	ageGroups
)

func ageGroup(years int) int {
	switch {
	case years < 16:
		return ageChild
	case years < 65:
		return ageAdult
	}
	return ageOlder
}

// scenario is a kind of hospital stay: who is treated, by which specialty,
// how they are admitted and what is coded.
type scenario struct {
	name       string         // what the scenario stands for; tests find scenarios by it
	weight     [ageGroups]int // relative frequency per age group; 0 = never
	femaleOnly bool
	tretspef   codeTable
	classpat   codeTable
	admimeth   codeTable
	primary    codeTable
	procPct    int       // share of episodes with a procedure, percent
	procs      codeTable // main procedure
	extraPct   int       // share of those with a second procedure, percent
	extra      codeTable
	los        [2]int    // shortest and longest ordinary admission, days
	multiPct   int       // share of ordinary admissions with a transfer to another consultant
	next       codeTable // specialty after such a transfer
}

// Clinical code lists. Every ICD-10 and OPCS-4 code below must have a row in
// db/codes/icd10.csv or db/codes/opcs4.csv (checked by the tests).
var (
	skinCancer = weighted("C441:3 C442:5 C443:30 C444:10 C445:12 C446:6 C447:6 C449:3 " +
		"C433:3 C434:3 C435:5 C436:3 C437:3 C439:1 D043:6 D044:2 D045:3 D046:1 D047:1 D049:1")
	excision    = weighted("S065:50 S068:25 S069:15")
	mohs        = weighted("S058:3 S059:1")
	repairs     = weighted("S352:2 S353:1 S361:3 S368:1 S274:2 S278:1") // grafts and local flaps
	biopsies    = weighted("S138:3 S139:2 S148:2 S149:1 S158:2 S159:1")
	debridement = weighted("S571:3 S578:1")
	// OPCS-4 codes photodynamic therapy of skin in its own category, S07, not
	// as photodestruction (S09, laser and other light destruction).
	photodynamicTherapy = weighted("S078:4 S079:1")

	adultSecondary = weighted("I10X:20 E119:10 E109:1 Z867:5 J459:6 J449:4 N183:4 F329:5 F419:4 " +
		"I489:6 E785:6 E039:4 K219:4 M199:3 E669:3 Z921:3 I251:3 F03X:2 Z880:3 I872:3 I739:2")
	childSecondary = weighted("J459:30 L209:20 Z880:10 T784:5 L500:5")
)

// mergeTables joins code tables into one, keeping their weights.
func mergeTables(ts ...codeTable) codeTable {
	var out codeTable
	for _, t := range ts {
		prev := 0
		for i, c := range t.cum {
			out.add(t.items[i], c-prev)
			prev = c
		}
	}
	return out
}

// scenarios weights the synthetic activity towards dermatology: about half
// of the episodes are under TRETSPEF 330 (Dermatology) or 257 (Paediatric
// dermatology); the rest are skin conditions seen by other specialties and
// a little unrelated activity so that filters have something to exclude.
var scenarios = []scenario{
	{ // skin cancer surgery
		weight:   [ageGroups]int{0, 14, 26},
		tretspef: weighted("330:80 160:20"), classpat: weighted("2:85 1:15"), admimeth: weighted("11:45 12:35 13:20"),
		primary: skinCancer,
		procPct: 97, procs: mergeTables(excision, mohs),
		extraPct: 12, extra: repairs,
		los: [2]int{1, 4}, multiPct: 2, next: weighted("330"),
	},
	{ // benign lesions and cysts
		weight:   [ageGroups]int{3, 8, 5},
		tretspef: weighted("330:85 160:15"), classpat: weighted("2:95 1:5"), admimeth: weighted("11:50 12:40 13:10"),
		primary: weighted("D223:4 D224:2 D225:8 D226:3 D227:3 D229:2 L82X:8 L720:6 L721:3 D485:3 L910:2 D180:2"),
		procPct: 90, procs: excision,
		los: [2]int{0, 2}, next: weighted("330"),
	},
	{ // diagnostic biopsy
		weight:   [ageGroups]int{1, 5, 5},
		tretspef: weighted("330"), classpat: weighted("2"), admimeth: weighted("11:40 12:40 13:20"),
		primary: weighted("L439:4 L930:3 L120:3 D485:4 L570:3 L409:3 L281:2 L309:3 L519:1"),
		procPct: 100, procs: biopsies,
		los: [2]int{0, 1}, next: weighted("330"),
	},
	{
		name:     "photodynamic therapy",
		weight:   [ageGroups]int{0, 2, 5},
		tretspef: weighted("330"), classpat: weighted("2"), admimeth: weighted("12:50 13:50"),
		primary: weighted("L570:10 D043:4 D044:2 D046:1 C443:3 C444:1 C445:2"),
		procPct: 100, procs: photodynamicTherapy,
		los: [2]int{0, 1}, next: weighted("330"),
	},
	{ // inflammatory skin disease: day treatment and regular attendance
		weight:   [ageGroups]int{2, 14, 6},
		tretspef: weighted("330"), classpat: weighted("2:45 3:45 1:10"), admimeth: weighted("13:50 12:30 11:20"),
		primary: weighted("L400:25 L401:3 L403:4 L404:3 L405:3 L409:5 L209:10 L208:5 L200:2 L309:3 " +
			"L732:8 L700:2 L500:2 L501:3 L120:5 L100:3 L930:2 L439:2 L80X:2"),
		procPct: 8, procs: biopsies,
		los: [2]int{1, 10}, multiPct: 5, next: weighted("330"),
	},
	{ // severe inflammatory disease needing admission
		weight:   [ageGroups]int{1, 4, 4},
		tretspef: weighted("330:80 300:20"), classpat: weighted("1"), admimeth: weighted("21:30 22:25 28:10 11:25 81:10"),
		primary: weighted("L401:4 L408:2 L200:3 L209:4 L120:5 L100:3 L511:1 L512:1 L270:2 L732:2"),
		procPct: 10, procs: biopsies,
		los: [2]int{2, 21}, multiPct: 15, next: weighted("330:60 300:20 430:20"),
	},
	{ // cellulitis and skin infection
		weight:   [ageGroups]int{2, 10, 12},
		tretspef: weighted("300:60 430:15 100:15 330:10"), classpat: weighted("1:90 2:10"),
		admimeth: weighted("21:55 22:25 28:10 81:5 12:5"),
		primary:  weighted("L031:50 L039:15 L032:6 L033:5 L030:5 L038:3 L024:3 L022:3 L089:2 L010:2"),
		procPct:  5, procs: debridement,
		los: [2]int{1, 14}, multiPct: 15, next: weighted("430:40 330:30 300:30"),
	},
	{ // leg and pressure ulcers
		weight:   [ageGroups]int{0, 2, 10},
		tretspef: weighted("430:45 300:25 330:20 100:10"), classpat: weighted("1:85 2:15"),
		admimeth: weighted("21:40 22:30 11:15 81:10 28:5"),
		primary:  weighted("L97X:40 L890:5 L891:10 L892:8 L893:5 L899:4"),
		procPct:  25, procs: debridement, extraPct: 20, extra: weighted("S352:2 S353:1"),
		los: [2]int{3, 40}, multiPct: 20, next: weighted("430:50 330:25 300:25"),
	},
	{ // abscesses and cysts under the surgeons
		weight:   [ageGroups]int{2, 6, 2},
		tretspef: weighted("100"), classpat: weighted("1:60 2:40"), admimeth: weighted("21:50 22:20 11:20 12:10"),
		primary: weighted("L024:5 L022:5 L023:3 L020:2 L050:4 L732:2 L720:2 L721:1"),
		procPct: 85, procs: weighted("S478:6 S479:1 S068:1 S571:2"),
		los: [2]int{0, 5}, multiPct: 3, next: weighted("100"),
	},
	{ // oncology for skin cancer
		weight:   [ageGroups]int{0, 3, 4},
		tretspef: weighted("800:60 370:40"), classpat: weighted("1:30 2:70"), admimeth: weighted("13:40 12:30 11:10 21:20"),
		primary: weighted("C434:2 C435:3 C436:2 C437:2 C439:1 C445:1 C444:1"),
		los:     [2]int{1, 10}, multiPct: 5, next: weighted("800:50 300:50"),
	},
	{ // paediatric dermatology
		weight:   [ageGroups]int{45, 0, 0},
		tretspef: weighted("257:85 330:15"), classpat: weighted("2:70 1:20 3:10"),
		admimeth: weighted("11:35 12:35 13:15 21:10 22:5"),
		primary: weighted("L209:30 L208:10 L200:5 L400:5 L404:4 D180:8 D225:3 L700:4 L639:3 L010:3 " +
			"L500:3 L80X:3"),
		procPct: 15, procs: weighted("S138:3 S148:2 S065:2"),
		los: [2]int{1, 5}, multiPct: 2, next: weighted("257:50 420:50"),
	},
	{ // children admitted with skin problems
		weight:   [ageGroups]int{30, 0, 0},
		tretspef: weighted("420"), classpat: weighted("1:85 2:15"), admimeth: weighted("21:60 22:25 28:10 12:5"),
		primary: weighted("L209:15 B000:10 L010:10 L039:10 L031:8 L032:5 L500:10 L519:3 J459:5"),
		los:     [2]int{1, 6}, multiPct: 5, next: weighted("257:50 420:50"),
	},
	{ // cardiology
		weight:   [ageGroups]int{0, 4, 8},
		tretspef: weighted("320"), classpat: weighted("1:80 2:20"), admimeth: weighted("21:60 22:15 11:15 81:10"),
		primary: weighted("I489:4 I200:3 I500:3 R074:3"),
		los:     [2]int{1, 10}, multiPct: 10, next: weighted("300:50 430:50"),
	},
	{ // gastroenterology
		weight:   [ageGroups]int{0, 4, 4},
		tretspef: weighted("301"), classpat: weighted("1:50 2:50"), admimeth: weighted("21:40 11:30 12:30"),
		primary: weighted("K297:3 K590:2 K529:2 R104:3"),
		los:     [2]int{1, 8}, multiPct: 5, next: weighted("300"),
	},
	{ // gynaecology
		weight: [ageGroups]int{0, 6, 1}, femaleOnly: true,
		tretspef: weighted("502"), classpat: weighted("1:40 2:60"), admimeth: weighted("11:50 12:20 21:25 31:5"),
		primary: weighted("R103:3 N816:2 N390:2"),
		los:     [2]int{1, 4}, multiPct: 2, next: weighted("502"),
	},
}

// Patient attributes.
var (
	spellCounts = func() (t weightedList[int]) {
		for _, c := range [][2]int{{1, 46}, {2, 22}, {3, 12}, {4, 8}, {5, 5}, {6, 3}, {8, 2}, {12, 2}} {
			t.add(c[0], c[1])
		}
		return t
	}()
	// Age on the last day of the period: bands of years with their weights.
	ageBands   = []struct{ lo, hi, w int }{{0, 4, 4}, {5, 9, 3}, {10, 15, 3}, {16, 29, 8}, {30, 44, 11}, {45, 59, 16}, {60, 69, 16}, {70, 79, 20}, {80, 89, 15}, {90, 100, 4}}
	sexes      = weighted("1:485 2:505 9:3 0:7")
	ethnicity  = weighted("A:700 B:10 C:50 D:10 E:5 F:5 G:5 H:30 J:20 K:10 L:15 M:10 N:20 P:5 R:5 S:15 Z:60 X:10")
	regions    = weighted("A:5 B:13 D:10 E:9 F:11 G:12 H:16 J:17 K:10")
	admisorc   = weighted("19:94 51:3 54:1 65:1 29:1")
	disdest    = weighted("19:93 51:3 54:2 65:1 29:1")
	admincat   = weighted("01:996 02:4")
	paedsMain  = weighted("330:55 420:45")
	cardioMain = weighted("320:80 300:20")
)

// ageTotal is the sum of the age band weights.
var ageTotal = func() int {
	t := 0
	for _, b := range ageBands {
		t += b.w
	}
	return t
}()

// trust is an NHS provider with its region of residence code (RESGOR) and
// its number of treatment sites.
type trust struct {
	code   string
	region byte
	sites  int
}

// trusts is a fixed list of real NHS trust codes (PROCODE3) in England.
var trusts = []trust{
	{"RTD", 'A', 3}, {"RTR", 'A', 2}, {"R0B", 'A', 2}, {"RXP", 'A', 3},
	{"R0A", 'B', 4}, {"RBL", 'B', 2}, {"REM", 'B', 3}, {"RXN", 'B', 2}, {"RBS", 'B', 1}, {"RM3", 'B', 2},
	{"RR8", 'D', 3}, {"RHQ", 'D', 2}, {"RCB", 'D', 3}, {"RWA", 'D', 2}, {"RAE", 'D', 2},
	{"RWE", 'E', 3}, {"RX1", 'E', 2}, {"RTG", 'E', 3}, {"RWD", 'E', 3},
	{"RRK", 'F', 4}, {"RKB", 'F', 2}, {"RL4", 'F', 2}, {"RWP", 'F', 3}, {"RJE", 'F', 2},
	{"RGT", 'G', 1}, {"RM1", 'G', 2}, {"RDE", 'G', 3}, {"RGN", 'G', 2}, {"RAJ", 'G', 3},
	{"RJ1", 'H', 2}, {"RYJ", 'H', 3}, {"RRV", 'H', 2}, {"RJZ", 'H', 2}, {"RAL", 'H', 3}, {"R1H", 'H', 4}, {"RJ7", 'H', 1},
	{"RTH", 'J', 3}, {"RHM", 'J', 2}, {"RHU", 'J', 2}, {"RPA", 'J', 1}, {"RTK", 'J', 2}, {"RVV", 'J', 3},
	{"RVJ", 'K', 2}, {"RA7", 'K', 3}, {"RH8", 'K', 2}, {"RK9", 'K', 1}, {"REF", 'K', 2}, {"RTE", 'K', 2},
}

// districts are real postcode districts of each region. Patients get one with
// the inward code "nZZ", which marks the postcode as synthetic while keeping
// a valid shape.
var districts = map[byte][]string{
	'A': {"NE1", "NE4", "NE6", "SR2", "DH1", "TS1", "DL1"},
	'B': {"M13", "M14", "M20", "L8", "L15", "PR1", "BL1", "WN1", "CH1", "FY1"},
	'D': {"LS6", "LS9", "S10", "S11", "BD7", "HU3", "YO1", "WF1", "DN1"},
	'E': {"LE2", "LE5", "NG7", "NG5", "DE22", "LN2", "NN1"},
	'F': {"B15", "B29", "CV1", "WV1", "ST4", "WR1", "DY1"},
	'G': {"CB1", "CB4", "NR2", "IP4", "CM1", "LU1", "PE1"},
	'H': {"E1", "E8", "N7", "N19", "SE5", "SE15", "SW2", "W2", "NW3"},
	'J': {"OX1", "OX4", "RG1", "BN1", "SO17", "PO4", "GU1", "ME1", "CT1"},
	'K': {"BS1", "BS7", "EX4", "PL1", "BA1", "TR1", "GL1", "DT1"},
}

// trustsByRegion indexes trusts by region code.
var trustsByRegion = func() map[byte][]int {
	m := map[byte][]int{}
	for i, t := range trusts {
		m[t.region] = append(m[t.region], i)
	}
	return m
}()

// Generate writes a synthetic HES APC extract: a pipe-delimited header row
// and opts.Episodes episode rows in HES field formats, patient by patient.
// The output depends only on opts.Seed and opts.Episodes and is written in
// constant memory, so any size can be produced. All NHS numbers are in the
// reserved test range. The rows carry some of the null codes and fillers of
// real extracts (R69X on unfinished episodes, "-   " for no procedure,
// 1800-01-01 discharge dates, padded postcodes, SEX "X") but nothing that
// Reader rejects.
func Generate(w io.Writer, opts GenerateOptions) error {
	if opts.Episodes < 0 {
		return errors.New("hes: generate: negative number of episodes")
	}
	if opts.FromYear != 0 && (opts.FromYear < MinFromYear || opts.FromYear > MaxFromYear) {
		return fmt.Errorf("hes: generate: from year %d outside %d-%d", opts.FromYear, MinFromYear, MaxFromYear)
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	g := newGenerator(bw, opts)
	if _, err := bw.WriteString(strings.Join(generatedColumns, "|") + "\n"); err != nil {
		return fmt.Errorf("hes: generate: %w", err)
	}
	for patient := 0; g.written < opts.Episodes; patient++ {
		if err := g.patient(patient); err != nil {
			return fmt.Errorf("hes: generate: %w", err)
		}
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("hes: generate: %w", err)
	}
	if opts.Progress != nil {
		opts.Progress(g.written)
	}
	return nil
}

// generator holds the state of one Generate call.
type generator struct {
	r        *rand.Rand
	w        *bufio.Writer
	opts     GenerateOptions
	written  int
	buf      []byte
	epikeyAt uint64                          // offset of the EPIKEY permutation
	pidAt    uint64                          // offset of the PSEUDO_HESID permutation
	nhsAt    int                             // offset into the synthetic NHS number sequence
	byGroup  [ageGroups][2]weightedList[int] // scenario indexes by age group, then male/other or female
	diags    []string
	firstDay int // 1 April of the first financial year
}

// Identifier permutations: multiplying by a number coprime to the modulus
// maps distinct indexes to distinct values that do not look sequential.
const (
	epikeySpace = 900_000_000_000     // 12-digit keys from 100000000000
	epikeyMul   = 556_230_512_357     // coprime to 2^11·3^2·5^11
	pidSpace    = 218_340_105_584_896 // 62^8
	pidMul      = 134_934_185_251_009 // coprime to 2^8·31^8
	alnum       = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// permute maps i to (i·mul + add) mod m without overflow; with mul coprime
// to m it is a bijection on [0, m).
func permute(i, mul, add, m uint64) uint64 {
	hi, lo := bits.Mul64(i%m, mul)
	_, rem := bits.Div64(hi, lo, m)
	return (rem + add) % m
}

func newGenerator(w *bufio.Writer, opts GenerateOptions) *generator {
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x9E3779B97F4A7C15))
	g := &generator{
		r: r, w: w, opts: opts,
		buf:      make([]byte, 0, 1024),
		epikeyAt: r.Uint64N(epikeySpace),
		pidAt:    r.Uint64N(pidSpace),
		nhsAt:    r.IntN(SyntheticNHSNumbers),
		firstDay: daysFromCivil(cmp.Or(opts.FromYear, genFirstYear), 4, 1),
	}
	for grp := range ageGroups {
		for sex := range 2 {
			for i, s := range scenarios {
				if s.weight[grp] > 0 && (!s.femaleOnly || sex == 1) {
					g.byGroup[grp][sex].add(i, s.weight[grp])
				}
			}
		}
	}
	return g
}

// person is one synthetic patient.
type person struct {
	id       []byte // PSEUDO_HESID
	nhs      []byte // NEWNHSNO, empty for some
	dob      int    // days since 1970-01-01
	sex      byte
	ethnos   string
	postcode string // HES layout, inward code from the 6th character
	region   byte
	trusts   [2]int // usual providers
	main     int    // scenario of the patient's main condition
}

// patient writes every episode of patient n, within the remaining budget.
func (g *generator) patient(n int) error {
	r := g.r
	p := g.newPerson(n)

	// Admission dates of the spells, in order.
	var adm [12]int
	k := spellCounts.pick(r)
	first := max(g.firstDay, p.dob)
	for i := range k {
		adm[i] = first + r.IntN(genLastDay-first+1)
	}
	slices.Sort(adm[:k])

	prevEnd := first - 1
	for i := range k {
		if g.written >= g.opts.Episodes {
			return nil
		}
		end, ok, err := g.spell(&p, max(adm[i], prevEnd+1))
		if err != nil {
			return err
		}
		if !ok {
			break
		}
		prevEnd = end
	}
	// A few patients are still in hospital at a year end: their last
	// episode is unfinished.
	if g.written < g.opts.Episodes && r.IntN(100) < 2 {
		fyEnd := fyEndOf(prevEnd + 21)
		start := fyEnd - r.IntN(20)
		if start > prevEnd && start >= p.dob && fyEnd <= genLastDay {
			return g.unfinished(&p, start)
		}
	}
	return nil
}

func (g *generator) newPerson(n int) person {
	r := g.r
	var p person

	id := make([]byte, 0, 32)
	id = append(id, "TEST"...)
	v := permute(uint64(n), pidMul, g.pidAt, pidSpace)
	for range 8 {
		id = append(id, alnum[v%62])
		v /= 62
	}
	for range 2 {
		x := r.Uint64()
		for range 10 {
			id = append(id, alnum[x%62])
			x /= 62
		}
	}
	p.id = id
	if r.IntN(100) > 0 {
		p.nhs = appendSyntheticNHSNumber(make([]byte, 0, 10), n+g.nhsAt)
	}

	x := r.IntN(ageTotal)
	age := 0
	for _, b := range ageBands {
		if x < b.w {
			age = b.lo + r.IntN(b.hi-b.lo+1)
			break
		}
		x -= b.w
	}
	y, m, d := civilFromDays(genLastDay)
	p.dob = daysFromCivil(y-age, m, d) - r.IntN(365)

	p.sex = sexes.pick(r)[0]
	p.ethnos = ethnicity.pick(r)
	if r.IntN(100) == 0 {
		// Address not known: HES pseudo postcode, region unknown.
		p.postcode, p.region = "ZZ99 3WZ", 'Y'
		p.trusts = [2]int{r.IntN(len(trusts)), r.IntN(len(trusts))}
	} else {
		p.region = regions.pick(r)[0]
		ds := districts[p.region]
		p.postcode = hesPostcode(ds[r.IntN(len(ds))], byte('0'+r.IntN(10)))
		local := trustsByRegion[p.region]
		p.trusts = [2]int{local[r.IntN(len(local))], local[r.IntN(len(local))]}
	}
	p.main = g.pickScenario(&p, ageAt(p.dob, max(g.firstDay, p.dob)))
	return p
}

// hesPostcode lays out a postcode as HES does: the outward code padded so
// that the inward code starts at the 6th character.
func hesPostcode(outward string, sector byte) string {
	b := make([]byte, 0, 8)
	b = append(b, outward...)
	for len(b) < 5 {
		b = append(b, ' ')
	}
	return string(append(b, sector, 'Z', 'Z'))
}

// scenarioFor picks the scenario of a spell: mostly the patient's main
// condition, otherwise, or once the patient has outgrown it, any scenario
// that fits their age and sex.
func (g *generator) scenarioFor(p *person, age int) *scenario {
	if s := &scenarios[p.main]; s.weight[ageGroup(age)] > 0 && g.r.IntN(100) < 70 {
		return s
	}
	return &scenarios[g.pickScenario(p, age)]
}

func (g *generator) pickScenario(p *person, age int) int {
	sex := 0
	if p.sex == '2' {
		sex = 1
	}
	return g.byGroup[ageGroup(age)][sex].pick(g.r)
}

// episode is one row being written.
type episode struct {
	start, end     int // EPISTART, EPIEND (end < 0: unfinished)
	order          int
	tretspef       string
	final          bool // last episode of a finished spell
	diags          []string
	procs          [maxProcedures]string
	opdates        [maxProcedures]int
	nprocs         int
	dismeth, ddest string
}

// spellInfo is what all episodes of a spell share.
type spellInfo struct {
	admi, disch int
	trust       int
	site        int
	admimeth    string
	admisorc    string
	classpat    string
	admincat    string
	sc          *scenario
	primary     string
}

// spell writes one hospital spell starting on or after day adm and returns
// its discharge day. ok is false when the spell does not fit in the period.
func (g *generator) spell(p *person, adm int) (end int, ok bool, err error) {
	r := g.r
	age := ageAt(p.dob, adm)
	sc := g.scenarioFor(p, age)

	s := spellInfo{sc: sc, trust: p.trusts[0]}
	if r.IntN(100) < 20 {
		s.trust = p.trusts[1]
	}
	s.site = 1 + r.IntN(trusts[s.trust].sites)
	s.classpat = sc.classpat.pick(r)
	s.admimeth = sc.admimeth.pick(r)
	s.admisorc = "19"
	if s.admimeth[0] == '2' || s.admimeth[0] == '8' {
		s.admisorc = admisorc.pick(r)
	}
	s.admincat = admincat.pick(r)
	s.primary = sc.primary.pick(r)

	los, nEpisodes := 0, 1
	switch s.classpat {
	case "1":
		span := sc.los[1] - sc.los[0] + 1
		los = sc.los[0] + r.IntN(r.IntN(span)+1) // skewed towards short stays
		if r.IntN(100) < sc.multiPct {
			nEpisodes = 2 + r.IntN(2)
		}
	case "4":
		los = 1
	}
	nEpisodes = min(nEpisodes, g.opts.Episodes-g.written)

	// Keep each spell inside one financial year so that FYEAR, EPISTART and
	// EPIEND agree; a spell that would cross 31 March starts in April.
	if adm+los > fyEndOf(adm) {
		adm = fyEndOf(adm) + 1 + r.IntN(30)
	}
	if adm < p.dob || adm+los > genLastDay {
		return 0, false, nil
	}
	s.admi, s.disch = adm, adm+los

	// Episode boundaries: sorted cut points within the stay.
	var cuts [4]int
	cuts[0], cuts[nEpisodes] = adm, adm+los
	for i := 1; i < nEpisodes; i++ {
		cuts[i] = adm + r.IntN(los+1)
	}
	slices.Sort(cuts[1:nEpisodes])

	died := s.classpat == "1" && s.admimeth[0] == '2' && age >= 75 && r.IntN(100) < 4
	for i := range nEpisodes {
		e := episode{start: cuts[i], end: cuts[i+1], order: i + 1, final: i == nEpisodes-1}
		e.tretspef = sc.tretspef.pick(r)
		if i > 0 {
			e.tretspef = sc.next.pick(r)
		}
		switch {
		case !e.final:
			e.dismeth, e.ddest = "8", "98"
		case died:
			e.dismeth, e.ddest = "4", "79"
		case r.IntN(200) == 0:
			e.dismeth, e.ddest = "2", "19" // self-discharge
		default:
			e.dismeth, e.ddest = "1", disdest.pick(r)
		}
		g.codeEpisode(&e, &s, age, i)
		if err := g.write(p, &s, &e); err != nil {
			return 0, false, err
		}
	}
	return s.disch, true, nil
}

// codeEpisode chooses the diagnoses and procedures of an episode.
func (g *generator) codeEpisode(e *episode, s *spellInfo, age, index int) {
	r := g.r
	sc := s.sc
	g.diags = append(g.diags[:0], s.primary)
	if index > 0 && r.IntN(100) < 30 {
		g.diags[0] = sc.primary.pick(r) // the next consultant may code it differently
	}
	sec, n := &adultSecondary, r.IntN(4)
	switch ageGroup(age) {
	case ageChild:
		sec, n = &childSecondary, r.IntN(3)
	case ageOlder:
		n = r.IntN(7)
	}
	for range n {
		c := sec.pick(r)
		if !slices.Contains(g.diags, c) {
			g.diags = append(g.diags, c)
		}
	}
	e.diags = g.diags

	if r.IntN(100) >= sc.procPct {
		return
	}
	e.procs[0] = sc.procs.pick(r)
	e.nprocs = 1
	if !sc.extra.empty() && r.IntN(100) < sc.extraPct {
		e.procs[1] = sc.extra.pick(r)
		e.nprocs = 2
	}
	for i := range e.nprocs {
		e.opdates[i] = e.start + r.IntN(e.end-e.start+1)
	}
}

// unfinished writes an episode still open at the end of the financial year:
// no end or discharge date and, as HES advises for unfinished episodes, no
// clinical coding (the R69X placeholder).
func (g *generator) unfinished(p *person, start int) error {
	r := g.r
	sc := g.scenarioFor(p, ageAt(p.dob, start))
	s := spellInfo{
		sc: sc, admi: start, disch: -1, trust: p.trusts[0],
		classpat: "1", admimeth: "21", admisorc: "19", admincat: "01",
	}
	s.site = 1 + r.IntN(trusts[s.trust].sites)
	e := episode{
		start: start, end: -1, order: 1,
		tretspef: sc.tretspef.pick(r),
		dismeth:  "8", ddest: "98",
		diags: append(g.diags[:0], "R69X"),
	}
	return g.write(p, &s, &e)
}

// write appends one episode row in the order of generatedColumns.
func (g *generator) write(p *person, s *spellInfo, e *episode) error {
	b := g.buf[:0]
	fy := fyStartYear(e.start)
	b = append2(b, fy%100)
	b = append2(b, (fy+1)%100)
	b = append(b, '|')
	b = strconv.AppendUint(b, permute(uint64(g.written), epikeyMul, g.epikeyAt, epikeySpace)+100_000_000_000, 10)
	b = append(b, '|')
	b = append(b, p.id...)
	b = append(b, '|')
	b = append(b, p.nhs...)
	b = append(b, '|')
	b = appendDate(b, p.dob)
	b = append(b, '|')
	dy, dm, _ := civilFromDays(p.dob)
	b = append2(b, dm)
	b = strconv.AppendInt(b, int64(dy), 10)
	b = append(b, '|')
	sex := p.sex
	if sex == '0' && fy >= 2022 {
		sex = 'X' // "not known" is X from 2022-23
	}
	b = append(b, sex, '|')
	b = append(b, p.ethnos...)
	b = append(b, '|')
	b = append(b, p.postcode...)
	b = append(b, '|', p.region, '|')
	t := &trusts[s.trust]
	b = append(b, t.code...)
	b = append(b, '|')
	b = append(b, t.code...)
	b = append2(b, s.site)
	b = append(b, '|')
	b = appendDate(b, s.admi)
	b = append(b, '|')
	b = append(b, s.admimeth...)
	b = append(b, '|')
	b = append(b, s.admisorc...)
	b = append(b, '|')
	b = append(b, s.admincat...)
	b = append(b, '|')
	b = append(b, s.classpat...)
	b = append(b, '|')
	b = appendDate(b, e.start)
	b = append(b, '|')
	if e.end >= 0 {
		b = appendDate(b, e.end)
	}
	b = append(b, '|')
	b = append2(b, e.order)
	b = append(b, '|')
	if e.end >= 0 {
		b = append(b, "3|1|"...)
		b = strconv.AppendInt(b, int64(e.end-e.start), 10)
	} else {
		b = append(b, "1|1|"...)
	}
	b = append(b, '|')
	switch {
	case e.end < 0:
		b = append(b, "1800-01-01"...)
	case e.final:
		b = appendDate(b, s.disch)
	}
	b = append(b, '|')
	b = append(b, e.dismeth...)
	b = append(b, '|')
	b = append(b, e.ddest...)
	b = append(b, '|')
	if e.final {
		b = strconv.AppendInt(b, int64(s.disch-s.admi), 10)
	}
	b = append(b, '|')
	b = appendStartAge(b, p.dob, e.start)
	b = append(b, '|')
	b = append(b, e.tretspef...)
	b = append(b, '|')
	b = append(b, mainSpecialty(g.r, e.tretspef)...)
	for i := range maxDiagnoses {
		b = append(b, '|')
		if i < len(e.diags) {
			if fy <= 1994 {
				b = append(b, icd9For(e.diags[i])...)
			} else {
				b = append(b, e.diags[i]...)
			}
		}
	}
	for i := range maxProcedures {
		b = append(b, '|')
		switch {
		case i < e.nprocs:
			b = append(b, e.procs[i]...)
		case i == 0:
			b = append(b, "-   "...) // HES writes "no procedure" space padded
		}
	}
	for i := range maxProcedures {
		b = append(b, '|')
		if i < e.nprocs {
			b = appendDate(b, e.opdates[i])
		}
	}
	b = append(b, '\n')
	g.buf = b
	if _, err := g.w.Write(b); err != nil {
		return err
	}
	g.written++
	if g.opts.Progress != nil && g.written%progressEvery == 0 {
		g.opts.Progress(g.written)
	}
	return nil
}

// mainSpecialty is the specialty the consultant is contracted in (MAINSPEF):
// mostly the treatment specialty; paediatric dermatologists are dermatologists
// or paediatricians.
func mainSpecialty(r *rand.Rand, tretspef string) string {
	switch tretspef {
	case "257":
		return paedsMain.pick(r)
	case "320":
		return cardioMain.pick(r)
	}
	return tretspef
}

// appendStartAge writes STARTAGE: completed years, or the HES under-one
// codes 7001-7007 by age in days.
func appendStartAge(b []byte, dob, day int) []byte {
	if years := ageAt(dob, day); years > 0 {
		return strconv.AppendInt(b, int64(min(years, 120)), 10)
	}
	var code int
	switch days := day - dob; {
	case days < 1:
		code = 7001
	case days <= 6:
		code = 7002
	case days <= 28:
		code = 7003
	case days <= 90:
		code = 7004
	case days <= 181:
		code = 7005
	case days <= 272:
		code = 7006
	default:
		code = 7007
	}
	return strconv.AppendInt(b, int64(code), 10)
}

// ageAt returns the completed years between dob and day.
func ageAt(dob, day int) int {
	y1, m1, d1 := civilFromDays(dob)
	y2, m2, d2 := civilFromDays(day)
	age := y2 - y1
	if m2 < m1 || m2 == m1 && d2 < d1 {
		age--
	}
	return age
}

// Dates are counted in days since 1970-01-01 in the proleptic Gregorian
// calendar (H. Hinnant's civil algorithms): cheaper than time.Time in the
// hot loop and free of time zones.

func daysFromCivil(y, m, d int) int {
	if m <= 2 {
		y--
	}
	era := y / 400
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return era*146097 + doe - 719468
}

func civilFromDays(z int) (y, m, d int) {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	m = mp + 3
	if m > 12 {
		m -= 12
		y++
	}
	return y, m, d
}

// fyStartYear returns the calendar year in which day's financial year
// (April to March) starts.
func fyStartYear(day int) int {
	y, m, _ := civilFromDays(day)
	if m < 4 {
		return y - 1
	}
	return y
}

// fyEndOf returns 31 March closing day's financial year.
func fyEndOf(day int) int {
	return daysFromCivil(fyStartYear(day)+1, 3, 31)
}

// appendDate writes day as YYYY-MM-DD.
func appendDate(b []byte, day int) []byte {
	y, m, d := civilFromDays(day)
	b = append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-')
	b = append2(b, m)
	b = append(b, '-')
	return append2(b, d)
}

// append2 writes a number below 100 as two digits.
func append2(b []byte, n int) []byte {
	return append(b, byte('0'+n/10), byte('0'+n%10))
}

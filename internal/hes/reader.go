package hes

import (
	"bufio"
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxRowBytes bounds one row of an extract unless ReaderOptions says
// otherwise. A real APC row is a few kilobytes; the bound stops a stray
// quote in a CSV file from pulling the rest of a multi-gigabyte file into
// memory.
const DefaultMaxRowBytes = 1 << 20

// ReaderOptions configures NewReader. The zero value detects everything.
type ReaderOptions struct {
	// Delimiter forces the field separator, '|' or ','. Zero detects it
	// from the header row.
	Delimiter byte
	// MaxRowBytes is the longest row accepted; longer rows stop the read
	// with an error. Zero means DefaultMaxRowBytes.
	MaxRowBytes int
	// Strict rejects a row for any field-level problem. By default only a
	// row that cannot be an episode is rejected (wrong field count, not
	// splittable, no usable EPIKEY, patient identifier or FYEAR); any other
	// problem makes the value not known and is reported as a Warning.
	Strict bool
}

// Stats counts what a Reader has read so far.
type Stats struct {
	Rows     int // data rows read, excluding the header and blank lines
	Rejected int // rows returned as *RowError
	Warnings int // field-level problems of accepted rows
}

// Accepted is the number of rows returned as Records.
func (s Stats) Accepted() int { return s.Rows - s.Rejected }

// RowError is a data row the Reader rejected. Reading can go on after it.
type RowError struct {
	Line   int    // 1-based line where the row starts (the header is line 1)
	EpiKey string // EPIKEY as found in the row, possibly empty or invalid
	Reason string // why the row was rejected, naming the HES column(s)
	// Raw is the row as read, without its line terminator. It may hold
	// restricted fields (NEWNHSNO, DOB, HOMEADD): treat it as patient data.
	Raw string
}

// Error describes the rejection without the raw row, so that it can be
// logged where patient data must not be.
func (e *RowError) Error() string {
	if e.EpiKey == "" {
		return fmt.Sprintf("hes: line %d: %s", e.Line, e.Reason)
	}
	return fmt.Sprintf("hes: line %d: EPIKEY %s: %s", e.Line, e.EpiKey, e.Reason)
}

// Reader streams cleaned Records from a HES APC extract with a header row:
// pipe-delimited text as supplied by NHS England, or comma-separated values
// with RFC 4180 quoting. Pipe-delimited rows are not quoted, so one row is
// one line. Memory use does not grow with the size of the input.
type Reader struct {
	br     *bufio.Reader
	delim  byte
	quoted bool
	maxRow int
	strict bool
	header []string
	cols   columns

	line   int      // physical lines consumed
	raw    []byte   // current row as read
	unq    []byte   // unescaped bytes of quoted fields
	fields [][]byte // current row split into fields

	codes map[string]string // interned short codes, to spare allocations
	diags []Diagnosis       // scratch, copied into each Record
	procs []Procedure       // scratch, copied into each Record
	stats Stats
	err   error // sticky: io.EOF or a fatal error
}

// errRowTooLong and errUnterminated are found while splitting a row.
var (
	errRowTooLong   = errors.New("row too long")
	errUnterminated = errors.New("unterminated quoted field")
)

// maxInterned bounds the intern table; codes beyond it are allocated as usual.
const maxInterned = 8192

// NewReader reads the header row of an extract and prepares to read its data
// rows. It fails when the input cannot be read, when the header is neither
// pipe- nor comma-separated HES field names ("unknown delimiter") or when a
// required column is missing (EPIKEY, a patient identifier, FYEAR, EPISTART).
func NewReader(r io.Reader, opts ReaderOptions) (*Reader, error) {
	rd := &Reader{
		br:     bufio.NewReaderSize(r, 64<<10),
		maxRow: opts.MaxRowBytes,
		strict: opts.Strict,
		codes:  make(map[string]string, 256),
	}
	if rd.maxRow <= 0 {
		rd.maxRow = DefaultMaxRowBytes
	}
	if err := rd.readHeader(opts.Delimiter); err != nil {
		return nil, err
	}
	return rd, nil
}

// Header returns the column names of the extract, uppercased.
func (r *Reader) Header() []string { return slices.Clone(r.header) }

// Delimiter returns the field separator in use, '|' or ','.
func (r *Reader) Delimiter() byte { return r.delim }

// Stats returns the counts of rows read so far.
func (r *Reader) Stats() Stats { return r.stats }

// Next returns the next data row as a cleaned Record. A rejected row gives a
// *RowError (use errors.As) and reading may continue; the end of the input
// gives io.EOF; any other error (an I/O error, an oversized row) is fatal and
// is returned again by later calls.
func (r *Reader) Next() (Record, error) {
	if r.err != nil {
		return Record{}, r.err
	}
	for {
		r.raw = r.raw[:0]
		if err := r.readLine(); err != nil {
			return Record{}, r.fail(err)
		}
		if len(bytes.TrimSpace(r.raw)) > 0 {
			break
		}
	}
	line := r.line
	err := r.split()
	if err != nil && !errors.Is(err, errUnterminated) {
		return Record{}, r.fail(err)
	}
	r.stats.Rows++
	if err != nil {
		return Record{}, r.reject(line, err.Error())
	}
	if len(r.fields) != len(r.header) {
		return Record{}, r.reject(line, fmt.Sprintf("expected %d fields, found %d", len(r.header), len(r.fields)))
	}
	rec, reason := r.decode(line)
	if reason != "" {
		return Record{}, r.reject(line, reason)
	}
	return rec, nil
}

// fail records a fatal error (or the end of input) and returns it.
func (r *Reader) fail(err error) error {
	switch {
	case errors.Is(err, io.EOF):
		r.err = io.EOF
	case errors.Is(err, errRowTooLong):
		r.err = fmt.Errorf("hes: line %d: row longer than %d bytes", r.line+1, r.maxRow)
	default:
		r.err = fmt.Errorf("hes: reading line %d: %w", r.line+1, err)
	}
	return r.err
}

// reject builds the RowError for the current row.
func (r *Reader) reject(line int, reason string) *RowError {
	r.stats.Rejected++
	e := &RowError{Line: line, Reason: reason, Raw: string(r.raw)}
	if i := r.cols.epikey; i >= 0 && i < len(r.fields) {
		k := bytes.TrimSpace(r.fields[i])
		if len(k) > 40 {
			k = k[:40]
		}
		e.EpiKey = string(k)
	}
	return e
}

// readLine appends the next physical line to r.raw without its line
// terminator. It returns io.EOF only when no bytes were left.
func (r *Reader) readLine() error {
	start := len(r.raw)
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.raw = append(r.raw, chunk...)
		if len(r.raw) > r.maxRow+2 {
			return errRowTooLong
		}
		switch {
		case err == nil:
			r.line++
			r.raw = r.raw[:len(r.raw)-1]
			r.raw = bytes.TrimSuffix(r.raw, []byte{'\r'})
			return nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF):
			if len(r.raw) == start {
				return io.EOF
			}
			// A last line without a newline is still a row; a truncated
			// one is caught by the field count.
			r.line++
			r.raw = bytes.TrimSuffix(r.raw, []byte{'\r'})
			return nil
		default:
			return err
		}
	}
}

// split cuts r.raw into r.fields. In CSV mode a field that starts with a
// quote runs to the matching quote, across lines if need be, with "" read as
// one quote; text between a closing quote and the next delimiter is kept, as
// lenient CSV readers do.
func (r *Reader) split() error {
	r.fields = r.fields[:0]
	r.unq = r.unq[:0]
	pos := 0
	for {
		if !r.quoted || pos >= len(r.raw) || r.raw[pos] != '"' {
			j := bytes.IndexByte(r.raw[pos:], r.delim)
			if j < 0 {
				r.fields = append(r.fields, r.raw[pos:])
				return nil
			}
			r.fields = append(r.fields, r.raw[pos:pos+j])
			pos += j + 1
			continue
		}
		start := len(r.unq)
		pos++
		for {
			i := bytes.IndexByte(r.raw[pos:], '"')
			if i < 0 {
				// The quoted field goes on to the next line.
				r.unq = append(r.unq, r.raw[pos:]...)
				r.unq = append(r.unq, '\n')
				r.raw = append(r.raw, '\n')
				pos = len(r.raw)
				if err := r.readLine(); err != nil {
					if errors.Is(err, io.EOF) {
						r.raw = r.raw[:len(r.raw)-1]
						return errUnterminated
					}
					return err
				}
				continue
			}
			r.unq = append(r.unq, r.raw[pos:pos+i]...)
			pos += i + 1
			if pos < len(r.raw) && r.raw[pos] == '"' {
				r.unq = append(r.unq, '"')
				pos++
				continue
			}
			break
		}
		j := bytes.IndexByte(r.raw[pos:], r.delim)
		if j < 0 {
			r.unq = append(r.unq, r.raw[pos:]...)
			r.fields = append(r.fields, r.unq[start:])
			return nil
		}
		r.unq = append(r.unq, r.raw[pos:pos+j]...)
		r.fields = append(r.fields, r.unq[start:])
		pos += j + 1
	}
}

// readHeader reads the header row, picks the delimiter and maps the columns.
func (r *Reader) readHeader(delim byte) error {
	for {
		r.raw = r.raw[:0]
		if err := r.readLine(); err != nil {
			if errors.Is(err, io.EOF) {
				return errors.New("hes: empty input: no header row")
			}
			if errors.Is(err, errRowTooLong) {
				return fmt.Errorf("hes: header row longer than %d bytes", r.maxRow)
			}
			return fmt.Errorf("hes: reading header: %w", err)
		}
		if len(bytes.TrimSpace(r.raw)) > 0 {
			break
		}
	}
	r.raw = bytes.TrimPrefix(r.raw, []byte("\xEF\xBB\xBF"))
	switch delim {
	case 0:
		delim = detectDelimiter(r.raw)
		if delim == 0 {
			return fmt.Errorf("hes: unknown delimiter: the header splits into HES field names on neither '|' nor ',' (header starts %q)", truncate(string(r.raw), 80))
		}
	case '|', ',':
	default:
		return fmt.Errorf("hes: unsupported delimiter %q: use '|' or ','", delim)
	}
	r.delim = delim
	r.quoted = delim == ','
	if err := r.split(); err != nil {
		return fmt.Errorf("hes: reading header: %w", err)
	}
	r.header = make([]string, len(r.fields))
	for i, f := range r.fields {
		r.header[i] = strings.ToUpper(string(bytes.Trim(f, " \t\"")))
	}
	cols, err := mapColumns(r.header)
	if err != nil {
		return err
	}
	r.cols = cols
	return nil
}

// detectDelimiter returns the candidate that splits the header into more
// known HES field names, or 0 when neither yields any.
func detectDelimiter(header []byte) byte {
	best, bestN := byte(0), 0
	for _, d := range []byte{'|', ','} {
		n := 0
		for f := range bytes.SplitSeq(header, []byte{d}) {
			if knownField(strings.ToUpper(string(bytes.Trim(f, " \t\"")))) {
				n++
			}
		}
		if n > bestN {
			best, bestN = d, n
		}
	}
	return best
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// patientIDColumns are the names the patient identifier has had over the
// years, in order of preference when an extract carries more than one.
var patientIDColumns = []string{"PSEUDO_HESID", "TOKEN_PERSON_ID", "ENCRYPTED_HESID", "HESID"}

// columns holds the index of every mapped column, -1 when absent.
type columns struct {
	epikey, pseudo, fyear                                        int
	sex, ethnos, mydob, dob, nhs, homeadd, resgor, procode, site int
	admidate, epistart, epiend, disdate                          int
	epiorder, epistat, epitype, classpat, admimeth, admisorc     int
	dismeth, disdest, admincat, tretspef, mainspef               int
	startage, epidur, speldur                                    int
	diags                                                        []codeColumn
	procs                                                        []codeColumn
}

// codeColumn is one numbered diagnosis or procedure position with its
// column index and, for procedures, the index of its OPDATE_nn (-1 if none).
type codeColumn struct {
	pos, code, date int
}

// scalarFields returns the single-valued columns by HES name.
func (c *columns) scalarFields() map[string]*int {
	return map[string]*int{
		"EPIKEY": &c.epikey, "FYEAR": &c.fyear,
		"SEX": &c.sex, "ETHNOS": &c.ethnos, "MYDOB": &c.mydob, "DOB": &c.dob,
		"NEWNHSNO": &c.nhs, "HOMEADD": &c.homeadd, "RESGOR": &c.resgor,
		"PROCODE3": &c.procode, "SITETRET": &c.site,
		"ADMIDATE": &c.admidate, "EPISTART": &c.epistart, "EPIEND": &c.epiend, "DISDATE": &c.disdate,
		"EPIORDER": &c.epiorder, "EPISTAT": &c.epistat, "EPITYPE": &c.epitype, "CLASSPAT": &c.classpat,
		"ADMIMETH": &c.admimeth, "ADMISORC": &c.admisorc, "DISMETH": &c.dismeth, "DISDEST": &c.disdest,
		"ADMINCAT": &c.admincat, "TRETSPEF": &c.tretspef, "MAINSPEF": &c.mainspef,
		"STARTAGE": &c.startage, "EPIDUR": &c.epidur, "SPELDUR": &c.speldur,
	}
}

// knownScalar is the set of single-valued names the reader maps.
var knownScalar = func() map[string]bool {
	var c columns
	m := map[string]bool{}
	for name := range c.scalarFields() {
		m[name] = true
	}
	for _, name := range patientIDColumns {
		m[name] = true
	}
	return m
}()

// numbered splits names such as DIAG_4_07 into prefix "DIAG_4_" and 7.
func numbered(name string) (prefix string, pos int, ok bool) {
	for _, p := range []string{"DIAG_4_", "DIAG_", "OPERTN_4_", "OPERTN_", "OPDATE_"} {
		rest, found := strings.CutPrefix(name, p)
		if !found || len(rest) == 0 || len(rest) > 2 {
			continue
		}
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 {
			continue
		}
		return p, n, true
	}
	return "", 0, false
}

// knownField reports whether name is a HES field the reader understands.
func knownField(name string) bool {
	if knownScalar[name] {
		return true
	}
	_, _, ok := numbered(name)
	return ok
}

// mapColumns finds the columns the reader uses. DIAG_4_nn is preferred to
// DIAG_nn and OPERTN_4_nn to OPERTN_nn for the same position.
func mapColumns(header []string) (columns, error) {
	var c columns
	scalars := c.scalarFields()
	for _, p := range scalars {
		*p = -1
	}
	c.pseudo = -1
	pseudoRank := len(patientIDColumns)
	type pair struct{ preferred, other, date int }
	diag := map[int]*pair{}
	proc := map[int]*pair{}
	get := func(m map[int]*pair, pos int) *pair {
		if m[pos] == nil {
			m[pos] = &pair{-1, -1, -1}
		}
		return m[pos]
	}
	var dup []string
	set := func(dst *int, name string, i int) {
		if *dst >= 0 {
			dup = append(dup, name)
			return
		}
		*dst = i
	}
	for i, name := range header {
		if p, ok := scalars[name]; ok {
			set(p, name, i)
			continue
		}
		if rank := slices.Index(patientIDColumns, name); rank >= 0 {
			if rank == pseudoRank {
				dup = append(dup, name)
			} else if rank < pseudoRank {
				c.pseudo, pseudoRank = i, rank
			}
			continue
		}
		prefix, pos, ok := numbered(name)
		if !ok {
			continue
		}
		switch prefix {
		case "DIAG_4_":
			set(&get(diag, pos).preferred, name, i)
		case "DIAG_":
			set(&get(diag, pos).other, name, i)
		case "OPERTN_4_":
			set(&get(proc, pos).preferred, name, i)
		case "OPERTN_":
			set(&get(proc, pos).other, name, i)
		case "OPDATE_":
			set(&get(proc, pos).date, name, i)
		}
	}
	if len(dup) > 0 {
		return c, fmt.Errorf("hes: header repeats column(s) %s", strings.Join(dup, ", "))
	}
	var missing []string
	if c.epikey < 0 {
		missing = append(missing, "EPIKEY")
	}
	if c.pseudo < 0 {
		missing = append(missing, "a patient identifier ("+strings.Join(patientIDColumns, ", ")+")")
	}
	if c.fyear < 0 {
		missing = append(missing, "FYEAR")
	}
	if c.epistart < 0 {
		missing = append(missing, "EPISTART")
	}
	if len(missing) > 0 {
		return c, fmt.Errorf("hes: header lacks required column(s): %s", strings.Join(missing, ", "))
	}
	pick := func(p *pair) int {
		if p.preferred >= 0 {
			return p.preferred
		}
		return p.other
	}
	for _, pos := range slices.Sorted(maps.Keys(diag)) {
		c.diags = append(c.diags, codeColumn{pos: pos, code: pick(diag[pos]), date: -1})
	}
	for _, pos := range slices.Sorted(maps.Keys(proc)) {
		p := proc[pos]
		c.procs = append(c.procs, codeColumn{pos: pos, code: pick(p), date: p.date})
	}
	return c, nil
}

// field returns the bytes of column i of the current row, nil when absent.
func (r *Reader) field(i int) []byte {
	if i < 0 {
		return nil
	}
	return r.fields[i]
}

// intern returns b as a string, sharing one copy of each distinct short code.
func (r *Reader) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := r.codes[string(b)]; ok {
		return s
	}
	s := string(b)
	if len(b) <= 16 && len(r.codes) < maxInterned {
		r.codes[s] = s
	}
	return s
}

// code reads a categorical field.
func (r *Reader) code(i int) string { return r.intern(cleanCode(r.field(i))) }

// date reads a date column; restricted columns are named without their value.
func (r *Reader) date(p *problems, i int, restricted bool) time.Time {
	if i < 0 {
		return time.Time{}
	}
	t, st := parseDate(r.fields[i])
	if st == dateInvalid {
		reason := fmt.Sprintf("%s: invalid date %q", r.header[i], bytes.TrimSpace(r.fields[i]))
		if restricted {
			reason = r.header[i] + ": invalid date"
		}
		p.add(r.header[i], "invalid date", r.fields[i], restricted, reason)
	}
	return t
}

// count reads a non-negative whole-number column.
func (r *Reader) count(p *problems, i int) sql.NullInt64 {
	if i < 0 {
		return sql.NullInt64{}
	}
	n, null, ok := parseCount(r.fields[i])
	if !ok {
		p.add(r.header[i], "not a non-negative whole number", r.fields[i], false,
			fmt.Sprintf("%s: not a non-negative whole number: %q", r.header[i], bytes.TrimSpace(r.fields[i])))
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: n, Valid: !null}
}

// decode cleans the current row. A non-empty reason rejects it: in strict
// mode any problem does, otherwise only one with a column the row cannot do
// without, and the others become the record's warnings.
func (r *Reader) decode(line int) (Record, string) {
	c := &r.cols
	var p problems
	rec := Record{Line: line}

	if k := bytes.TrimSpace(r.fields[c.epikey]); isDigits(k, 20) {
		rec.EpiKey = string(k)
	} else {
		p.addKey(r.header[c.epikey], "must be 1 to 20 digits", k,
			fmt.Sprintf("%s: must be 1 to 20 digits, found %q", r.header[c.epikey], truncate(string(k), 40)))
	}
	if id := bytes.TrimSpace(r.fields[c.pseudo]); len(id) > 0 {
		rec.PseudoID = string(id)
	} else {
		p.addKey(r.header[c.pseudo], "patient identifier is empty", nil, r.header[c.pseudo]+": patient identifier is empty")
	}
	if fy := bytes.TrimSpace(r.fields[c.fyear]); len(fy) == 4 && isDigits(fy, 4) {
		rec.FYear = r.intern(fy)
	} else {
		p.addKey(r.header[c.fyear], "must be 4 digits", fy,
			fmt.Sprintf("%s: must be 4 digits, found %q", r.header[c.fyear], truncate(string(fy), 40)))
	}

	rec.Sex = r.intern(cleanSex(r.field(c.sex)))
	rec.Ethnicity = r.code(c.ethnos)
	rec.DateOfBirth = r.date(&p, c.dob, true)
	if c.mydob >= 0 {
		m, y, st := parseMYDOB(r.fields[c.mydob])
		switch st {
		case dateOK:
			rec.BirthMonth = sql.NullInt64{Int64: int64(m), Valid: true}
			rec.BirthYear = sql.NullInt64{Int64: int64(y), Valid: true}
		case dateInvalid:
			// MYDOB is named without its value in the quality report: with
			// other fields it can help identify a patient.
			p.add(r.header[c.mydob], "not a month and year MMYYYY", r.fields[c.mydob], true,
				fmt.Sprintf("%s: not a month and year MMYYYY: %q", r.header[c.mydob], bytes.TrimSpace(r.fields[c.mydob])))
		}
	}
	if !rec.BirthYear.Valid && !rec.DateOfBirth.IsZero() {
		rec.BirthYear = sql.NullInt64{Int64: int64(rec.DateOfBirth.Year()), Valid: true}
		rec.BirthMonth = sql.NullInt64{Int64: int64(rec.DateOfBirth.Month()), Valid: true}
	}
	if c.nhs >= 0 {
		if s, ok := cleanNHSNumber(r.fields[c.nhs]); ok {
			rec.NHSNumber = s
		} else {
			p.add(r.header[c.nhs], "not a valid NHS number", r.fields[c.nhs], true,
				r.header[c.nhs]+": not a valid NHS number (10 digits with a modulus 11 check digit)")
		}
	}
	if c.homeadd >= 0 {
		rec.Postcode = cleanPostcode(r.fields[c.homeadd])
	}
	rec.Region = r.code(c.resgor)

	rec.ProviderCode = r.code(c.procode)
	rec.SiteCode = r.code(c.site)
	rec.AdmissionDate = r.date(&p, c.admidate, false)
	rec.EpisodeStart = r.date(&p, c.epistart, false)
	rec.EpisodeEnd = r.date(&p, c.epiend, false)
	rec.DischargeDate = r.date(&p, c.disdate, false)
	if rec.EpisodeOrder = r.count(&p, c.epiorder); rec.EpisodeOrder.Valid &&
		(rec.EpisodeOrder.Int64 == 98 || rec.EpisodeOrder.Int64 == 99) {
		rec.EpisodeOrder = sql.NullInt64{}
	}
	rec.EpisodeStatus = r.code(c.epistat)
	rec.EpisodeType = r.code(c.epitype)
	rec.PatientClass = r.code(c.classpat)
	rec.AdmissionMethod = r.code(c.admimeth)
	rec.AdmissionSource = r.code(c.admisorc)
	rec.DischargeMethod = r.code(c.dismeth)
	rec.DischargeDestination = r.code(c.disdest)
	rec.AdminCategory = r.code(c.admincat)
	rec.TreatmentSpecialty = r.code(c.tretspef)
	rec.MainSpecialty = r.code(c.mainspef)
	if rec.StartAge = r.count(&p, c.startage); rec.StartAge.Valid && !validStartAge(rec.StartAge.Int64) {
		p.add(r.header[c.startage], "not an age code (0-120 or 7001-7007)", r.fields[c.startage], false,
			fmt.Sprintf("%s: not an age code (0-120 or 7001-7007): %d", r.header[c.startage], rec.StartAge.Int64))
		rec.StartAge = sql.NullInt64{}
	}
	rec.EpisodeDuration = r.count(&p, c.epidur)
	rec.SpellDuration = r.count(&p, c.speldur)

	r.decodeCodes(&p, &rec)
	if len(p) > 0 && (r.strict || p.fatal()) {
		return Record{}, p.reason()
	}
	for _, x := range p {
		rec.Warnings = append(rec.Warnings, Warning{Line: line, EpiKey: rec.EpiKey, Column: x.column, Rule: x.rule, Value: x.value})
	}
	r.stats.Warnings += len(p)
	return rec, ""
}

// decodeCodes fills the diagnoses and procedures of rec in position order.
func (r *Reader) decodeCodes(p *problems, rec *Record) {
	r.diags = r.diags[:0]
	icd9 := ICD9Year(rec.FYear)
	rule := "not an ICD-10 code"
	if icd9 {
		rule = "not an ICD-9 or ICD-10 code"
	}
	for _, col := range r.cols.diags {
		code, n, cls, st := cleanDiagnosisIn(r.fields[col.code], icd9)
		switch st {
		case codeOK:
			r.diags = append(r.diags, Diagnosis{Position: col.pos, Code: r.intern(code[:n]), Classification: cls})
		case codeInvalid:
			p.add(r.header[col.code], rule, r.fields[col.code], false,
				fmt.Sprintf("%s: %s: %q", r.header[col.code], rule, truncate(string(bytes.TrimSpace(r.fields[col.code])), 20)))
		}
	}
	r.procs = r.procs[:0]
	for _, col := range r.cols.procs {
		// A date is checked even without its procedure: a malformed date
		// is a sign of a damaged row.
		date := r.date(p, col.date, false)
		if col.code < 0 {
			continue
		}
		code, st := cleanProcedure(r.fields[col.code])
		switch st {
		case codeOK:
			r.procs = append(r.procs, Procedure{Position: col.pos, Code: r.intern(code[:]), Date: date})
		case codeInvalid:
			p.add(r.header[col.code], "not an OPCS-4 code", r.fields[col.code], false,
				fmt.Sprintf("%s: not an OPCS-4 code: %q", r.header[col.code], truncate(string(bytes.TrimSpace(r.fields[col.code])), 20)))
		}
	}
	if len(r.diags) > 0 {
		rec.Diagnoses = slices.Clone(r.diags)
	}
	if len(r.procs) > 0 {
		rec.Procedures = slices.Clone(r.procs)
	}
}

package hes

import (
	"bytes"
	"time"
)

// Cleaning rules for single HES field values. They work on the raw bytes of
// a field so that the reader converts to string only what it keeps.
//
// Values turned into "not known" (zero values):
//   - every field: blank or all spaces;
//   - dates: 1800-01-01 (null), 1801-01-01 (invalid date submitted) and the
//     1600-01-01 and 1582-10-15 fillers seen in older years;
//   - code fields (SEX, ETHNOS, CLASSPAT, TRETSPEF, ...): "&", the HES filler
//     for "not known" used above all in TRETSPEF and MAINSPEF; other codes,
//     including documented "not known" codes such as 99 or 9, are kept as
//     given because they carry meaning a user may filter on;
//   - EPIORDER: 98 (not applicable) and 99 (not known);
//   - MYDOB with one of the null years above.
//
// SEX "X" (not known, from 2022-23) is stored as "0", its code in earlier years.

// dateStatus tells how a date field was read.
type dateStatus uint8

const (
	dateOK      dateStatus = iota
	dateNull               // blank or a HES null code: stored as the zero time
	dateInvalid            // anything else that is not a real YYYY-MM-DD date
)

// parseDate reads a HES date, YYYY-MM-DD. A time of day after the date (as
// written by some database exports: "2001-09-27 00:00:00") is ignored.
func parseDate(b []byte) (time.Time, dateStatus) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return time.Time{}, dateNull
	}
	if len(b) > 10 {
		if (b[10] != ' ' && b[10] != 'T') || !isTimeOfDay(b[11:]) {
			return time.Time{}, dateInvalid
		}
		b = b[:10]
	}
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return time.Time{}, dateInvalid
	}
	y, ok1 := atoiDigits(b[0:4])
	m, ok2 := atoiDigits(b[5:7])
	d, ok3 := atoiDigits(b[8:10])
	if !ok1 || !ok2 || !ok3 {
		return time.Time{}, dateInvalid
	}
	if m == 1 && d == 1 && (y == 1800 || y == 1801 || y == 1600) || y == 1582 && m == 10 && d == 15 {
		return time.Time{}, dateNull
	}
	if y == 0 || m < 1 || m > 12 || d < 1 || d > daysIn(m, y) {
		return time.Time{}, dateInvalid
	}
	return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC), dateOK
}

// isNullYear reports the years HES uses in null-coded dates.
func isNullYear(y int) bool {
	return y == 1800 || y == 1801 || y == 1600 || y == 1582
}

// isTimeOfDay accepts the tail of a timestamp such as "00:00:00.000".
func isTimeOfDay(b []byte) bool {
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if (c < '0' || c > '9') && c != ':' && c != '.' {
			return false
		}
	}
	return true
}

func daysIn(m, y int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// atoiDigits parses a short run of ASCII digits.
func atoiDigits(b []byte) (int, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// parseCount reads a non-negative whole number. HES sometimes writes counts
// as decimals ("5.0"); a fractional part of zeros is accepted. null is true
// for a blank field.
func parseCount(b []byte) (n int64, null, ok bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, true, true
	}
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		for _, c := range b[i+1:] {
			if c != '0' {
				return 0, false, false
			}
		}
		b = b[:i]
	}
	v, ok := atoiDigits(b)
	return int64(v), false, ok
}

// validStartAge reports whether v is a STARTAGE code: whole years 0-120
// (120 meaning 120 or more) or one of the under-one bands 7001-7007.
func validStartAge(v int64) bool {
	return v >= 0 && v <= 120 || v >= 7001 && v <= 7007
}

// cleanCode trims a code field and turns the "not known" filler "&" into "".
func cleanCode(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) == 1 && b[0] == '&' {
		return nil
	}
	return b
}

// cleanSex maps the 2022-23 "X" (not known) onto the "0" of earlier years so
// that one value means the same thing in every year.
func cleanSex(b []byte) []byte {
	b = cleanCode(b)
	if len(b) == 1 && (b[0] == 'X' || b[0] == 'x') {
		return []byte{'0'}
	}
	return b
}

// parseMYDOB reads MYDOB, the month and year of birth written MMYYYY.
func parseMYDOB(b []byte) (month, year int, status dateStatus) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, 0, dateNull
	}
	if len(b) != 6 {
		return 0, 0, dateInvalid
	}
	m, ok1 := atoiDigits(b[:2])
	y, ok2 := atoiDigits(b[2:])
	if !ok1 || !ok2 {
		return 0, 0, dateInvalid
	}
	if isNullYear(y) {
		return 0, 0, dateNull
	}
	if m < 1 || m > 12 || y == 0 {
		return 0, 0, dateInvalid
	}
	return m, y, dateOK
}

// codeStatus tells how a diagnosis or procedure field was read.
type codeStatus uint8

const (
	codeOK      codeStatus = iota
	codeSkip               // blank, "no procedure", "not known" or a placeholder: not stored
	codeInvalid            // not a code of the classification
)

// normalizeCode uppercases b into dst, dropping spaces and dots so that
// "L40.0" and " l400 " read alike. It reports false when b is too long to be
// a code at all.
func normalizeCode(dst *[8]byte, b []byte) ([]byte, bool) {
	n := 0
	for _, c := range b {
		switch {
		case c == ' ' || c == '.' || c == '\t':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		if n == len(dst) {
			return nil, false
		}
		dst[n] = c
		n++
	}
	return dst[:n], true
}

// cleanDiagnosis normalises an ICD-10 code to the 4-character HES form
// without a dot: a 3-character code is padded with X ("L97" → "L97X") and a
// 5th or 6th character (dagger/asterisk marks, "-" filler) is dropped.
// Blank, "-", "&" and the R69X placeholders (R69X, R69X3, R69X6, R69X8, ...)
// are skipped.
func cleanDiagnosis(b []byte) ([4]byte, codeStatus) {
	var out [4]byte
	var buf [8]byte
	c, ok := normalizeCode(&buf, b)
	if !ok {
		return out, codeInvalid
	}
	// A trailing "-" is filler: "L400-" is L400 and "-" on its own is empty.
	for len(c) > 0 && c[len(c)-1] == '-' {
		c = c[:len(c)-1]
	}
	switch {
	case len(c) == 0, len(c) == 1 && c[0] == '&':
		return out, codeSkip
	case len(c) == 3:
		copy(out[:], c)
		out[3] = 'X'
	case len(c) >= 4 && len(c) <= 6:
		copy(out[:], c[:4])
		for _, x := range c[4:] {
			if !isAlnumASCII(x) && x != '-' && x != '*' && x != '+' {
				return out, codeInvalid
			}
		}
	default:
		return out, codeInvalid
	}
	if !isUpperASCII(out[0]) || !isDigitASCII(out[1]) || !isDigitASCII(out[2]) || !isDigitASCII(out[3]) && out[3] != 'X' {
		return out, codeInvalid
	}
	if out == [4]byte{'R', '6', '9', 'X'} {
		return out, codeSkip
	}
	return out, codeOK
}

// cleanProcedure checks an OPCS-4 code: a letter and three digits. Blank,
// "-" (no procedure, often space padded), "&" (not known) and the X998/X999
// placeholders are skipped.
func cleanProcedure(b []byte) ([4]byte, codeStatus) {
	var out [4]byte
	var buf [8]byte
	c, ok := normalizeCode(&buf, b)
	if !ok {
		return out, codeInvalid
	}
	if len(c) == 0 || len(c) == 1 && (c[0] == '-' || c[0] == '&') {
		return out, codeSkip
	}
	if len(c) != 4 || !isUpperASCII(c[0]) || !isDigitASCII(c[1]) || !isDigitASCII(c[2]) || !isDigitASCII(c[3]) {
		return out, codeInvalid
	}
	copy(out[:], c)
	if out == [4]byte{'X', '9', '9', '8'} || out == [4]byte{'X', '9', '9', '9'} {
		return out, codeSkip
	}
	return out, codeOK
}

// cleanPostcode uppercases a postcode and writes it with one space before the
// 3-character inward code ("LS6  4ZZ" → "LS6 4ZZ"); HES pads the outward
// code so that the inward code starts at the 6th character. Values that do
// not look like a postcode are kept, trimmed and uppercased.
func cleanPostcode(b []byte) string {
	var buf [16]byte
	n := 0
	for _, c := range b {
		if c == ' ' || c == '\t' {
			continue
		}
		if n == len(buf) {
			return string(bytes.ToUpper(bytes.TrimSpace(b)))
		}
		if c >= 'a' && c <= 'z' {
			c -= 'a' - 'A'
		}
		buf[n] = c
		n++
	}
	if n == 0 {
		return ""
	}
	c := buf[:n]
	if n < 5 || n > 7 || !isDigitASCII(c[n-3]) || !isUpperASCII(c[n-2]) || !isUpperASCII(c[n-1]) {
		return string(bytes.ToUpper(bytes.TrimSpace(b)))
	}
	var out [8]byte
	k := copy(out[:], c[:n-3])
	out[k] = ' '
	k += 1 + copy(out[k+1:], c[n-3:])
	return string(out[:k])
}

// cleanNHSNumber strips the spaces of the usual 3-3-4 layout. ok is false for
// a non-blank value that is not a valid NHS number.
func cleanNHSNumber(b []byte) (s string, ok bool) {
	var buf [10]byte
	n := 0
	for _, c := range b {
		if c == ' ' || c == '\t' {
			continue
		}
		if n == len(buf) || !isDigitASCII(c) {
			return "", false
		}
		buf[n] = c
		n++
	}
	if n == 0 {
		return "", true
	}
	if n != 10 {
		return "", false
	}
	if c, ok := checkDigit(buf[:9]); !ok || buf[9]-'0' != c {
		return "", false
	}
	return string(buf[:]), true
}

// isDigits reports whether b is 1 to max ASCII digits.
func isDigits(b []byte, max int) bool {
	if len(b) == 0 || len(b) > max {
		return false
	}
	for _, c := range b {
		if !isDigitASCII(c) {
			return false
		}
	}
	return true
}

func isAlnumASCII(c byte) bool { return isDigitASCII(c) || isUpperASCII(c) }

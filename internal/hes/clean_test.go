package hes

import (
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		in     string
		want   time.Time
		status dateStatus
	}{
		{"2001-09-27", day(2001, 9, 27), dateOK},
		{" 2001-09-27 ", day(2001, 9, 27), dateOK},
		{"2000-02-29", day(2000, 2, 29), dateOK},
		{"2001-09-27 00:00:00", day(2001, 9, 27), dateOK},
		{"2001-09-27T00:00:00.000", day(2001, 9, 27), dateOK},
		{"", time.Time{}, dateNull},
		{"   ", time.Time{}, dateNull},
		{"1800-01-01", time.Time{}, dateNull},
		{"1801-01-01", time.Time{}, dateNull},
		{"1600-01-01", time.Time{}, dateNull},
		{"1582-10-15", time.Time{}, dateNull},
		{"2001-13-45", time.Time{}, dateInvalid},
		{"2001-02-29", time.Time{}, dateInvalid},
		{"1900-02-29", time.Time{}, dateInvalid},
		{"2001-00-10", time.Time{}, dateInvalid},
		{"0000-01-01", time.Time{}, dateInvalid},
		{"27/09/2001", time.Time{}, dateInvalid},
		{"20010927", time.Time{}, dateInvalid},
		{"2001-9-27", time.Time{}, dateInvalid},
		{"2001-09-27x", time.Time{}, dateInvalid},
		{"2001-09-27 noon", time.Time{}, dateInvalid},
	}
	for _, tt := range tests {
		got, st := parseDate([]byte(tt.in))
		if st != tt.status || !got.Equal(tt.want) {
			t.Errorf("parseDate(%q) = %v, %d; want %v, %d", tt.in, got, st, tt.want, tt.status)
		}
	}
}

func TestParseCount(t *testing.T) {
	tests := []struct {
		in         string
		n          int64
		null, okay bool
	}{
		{"5", 5, false, true},
		{" 12 ", 12, false, true},
		{"5.0", 5, false, true},
		{"3.00", 3, false, true},
		{"0", 0, false, true},
		{"", 0, true, true},
		{"5.5", 0, false, false},
		{"-1", 0, false, false},
		{"abc", 0, false, false},
		{".", 0, false, false},
	}
	for _, tt := range tests {
		n, null, ok := parseCount([]byte(tt.in))
		if ok != tt.okay || null != tt.null || ok && n != tt.n {
			t.Errorf("parseCount(%q) = %d, %v, %v; want %d, %v, %v", tt.in, n, null, ok, tt.n, tt.null, tt.okay)
		}
	}
}

func TestCleanDiagnosis(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		status codeStatus
	}{
		{"L400", "L400", codeOK},
		{"l400", "L400", codeOK},
		{"L40.0", "L400", codeOK},
		{"L400-", "L400", codeOK},
		{"L409A", "L409", codeOK},
		{"M0799D", "M079", codeOK},
		{"L97", "L97X", codeOK},
		{"L97X", "L97X", codeOK},
		{"L40-", "L40X", codeOK},
		{"I10X-", "I10X", codeOK},
		{"", "", codeSkip},
		{"    ", "", codeSkip},
		{"-", "", codeSkip},
		{"-   ", "", codeSkip},
		{"&", "", codeSkip},
		{"R69X", "", codeSkip},
		{"R69", "", codeSkip},
		{"R69X6", "", codeSkip},
		{"R69X8", "", codeSkip},
		{"R69X3", "", codeSkip},
		{"R690", "R690", codeOK}, // a real code, not the placeholder
		{"0000", "", codeInvalid},
		{"L4", "", codeInvalid},
		{"LL00", "", codeInvalid},
		{"L4X0", "", codeInvalid},
		{"L400ABC", "", codeInvalid},
		{"L400/", "", codeInvalid},
		{"L40000000000", "", codeInvalid},
	}
	for _, tt := range tests {
		got, st := cleanDiagnosis([]byte(tt.in))
		if st != tt.status || st == codeOK && string(got[:]) != tt.want {
			t.Errorf("cleanDiagnosis(%q) = %q, %d; want %q, %d", tt.in, got[:], st, tt.want, tt.status)
		}
	}
}

func TestCleanProcedure(t *testing.T) {
	tests := []struct {
		in     string
		want   string
		status codeStatus
	}{
		{"S065", "S065", codeOK},
		{" s06.5 ", "S065", codeOK},
		{"", "", codeSkip},
		{"-", "", codeSkip},
		{"-   ", "", codeSkip},
		{"&", "", codeSkip},
		{"&   ", "", codeSkip},
		{"X998", "", codeSkip},
		{"X999", "", codeSkip},
		{"X997", "X997", codeOK},
		{"8   ", "", codeInvalid},
		{"S06", "", codeInvalid},
		{"S0655", "", codeInvalid},
		{"SS65", "", codeInvalid},
		{"--", "", codeInvalid},
	}
	for _, tt := range tests {
		got, st := cleanProcedure([]byte(tt.in))
		if st != tt.status || st == codeOK && string(got[:]) != tt.want {
			t.Errorf("cleanProcedure(%q) = %q, %d; want %q, %d", tt.in, got[:], st, tt.want, tt.status)
		}
	}
}

func TestCleanPostcode(t *testing.T) {
	tests := []struct{ in, want string }{
		{"LS6  4ZZ", "LS6 4ZZ"},
		{"E1   4ZZ", "E1 4ZZ"},
		{"DE22 4ZZ", "DE22 4ZZ"},
		{"sw1a1aa", "SW1A 1AA"},
		{"ZZ99 3WZ", "ZZ99 3WZ"},
		{"", ""},
		{"  ", ""},
		{"unknown", "UNKNOWN"},
	}
	for _, tt := range tests {
		if got := cleanPostcode([]byte(tt.in)); got != tt.want {
			t.Errorf("cleanPostcode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestCleanCodeAndSex(t *testing.T) {
	for in, want := range map[string]string{"&": "", " 330 ": "330", "": "", "99": "99", "&&": "&&"} {
		if got := string(cleanCode([]byte(in))); got != want {
			t.Errorf("cleanCode(%q) = %q, want %q", in, got, want)
		}
	}
	for in, want := range map[string]string{"X": "0", "x": "0", "1": "1", "2": "2", "9": "9", "0": "0", "": ""} {
		if got := string(cleanSex([]byte(in))); got != want {
			t.Errorf("cleanSex(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseMYDOB(t *testing.T) {
	tests := []struct {
		in     string
		m, y   int
		status dateStatus
	}{
		{"041968", 4, 1968, dateOK},
		{"121999", 12, 1999, dateOK},
		{"", 0, 0, dateNull},
		{"011800", 0, 0, dateNull},
		{"131968", 0, 0, dateInvalid},
		{"001968", 0, 0, dateInvalid},
		{"41968", 0, 0, dateInvalid},
		{"04-1968", 0, 0, dateInvalid},
	}
	for _, tt := range tests {
		m, y, st := parseMYDOB([]byte(tt.in))
		if st != tt.status || m != tt.m || y != tt.y {
			t.Errorf("parseMYDOB(%q) = %d, %d, %d; want %d, %d, %d", tt.in, m, y, st, tt.m, tt.y, tt.status)
		}
	}
}

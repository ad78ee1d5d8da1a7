package hes

import (
	"strings"
	"testing"
)

func TestValidNHSNumber(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"9434765919", true}, // example used in NHS documentation
		{"4010232137", true},
		{"4505577104", true},
		{"9876543210", true}, // remainder 0 gives check digit 0
		{"9990000026", true},
		{"9434765918", false}, // wrong check digit
		{"9434765910", false},
		{"1234567890", false}, // first nine digits have no valid check digit
		{"943476591", false},  // nine digits
		{"94347659190", false},
		{"943 476 5919", false}, // the reader strips spaces; the check does not
		{"94347659I9", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := ValidNHSNumber(tt.in); got != tt.want {
			t.Errorf("ValidNHSNumber(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestNHSCheckDigit(t *testing.T) {
	tests := []struct {
		body   string
		digit  int
		wantOK bool
	}{
		{"943476591", 9, true},
		{"401023213", 7, true},
		{"987654321", 0, true},
		{"123456789", 0, false},
		{"12345678", 0, false},
		{"12345678x", 0, false},
	}
	for _, tt := range tests {
		d, ok := NHSCheckDigit(tt.body)
		if ok != tt.wantOK || ok && d != tt.digit {
			t.Errorf("NHSCheckDigit(%q) = %d, %v; want %d, %v", tt.body, d, ok, tt.digit, tt.wantOK)
		}
	}
}

func TestSyntheticNHSNumber(t *testing.T) {
	seen := make(map[string]int, SyntheticNHSNumbers)
	for n := range SyntheticNHSNumbers {
		s := SyntheticNHSNumber(n)
		if !ValidNHSNumber(s) {
			t.Fatalf("SyntheticNHSNumber(%d) = %q: not valid", n, s)
		}
		if !strings.HasPrefix(s, "999") {
			t.Fatalf("SyntheticNHSNumber(%d) = %q: outside the test range 9990000000-9999999999", n, s)
		}
		if m, dup := seen[s]; dup {
			t.Fatalf("SyntheticNHSNumber(%d) = SyntheticNHSNumber(%d) = %q", n, m, s)
		}
		seen[s] = n
	}
	if a, b := SyntheticNHSNumber(5), SyntheticNHSNumber(5+SyntheticNHSNumbers); a != b {
		t.Errorf("sequence does not wrap: %q != %q", a, b)
	}
	if a, b := SyntheticNHSNumber(-1), SyntheticNHSNumber(SyntheticNHSNumbers-1); a != b {
		t.Errorf("negative n: %q != %q", a, b)
	}
}

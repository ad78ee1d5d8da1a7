package resolvers

import "testing"

// A HES financial year (FYEAR, "1819") is labelled as the years it spans;
// the two-digit years from 89 on are of the 1900s, as HES's own begin in
// 1989-90.
func TestFinancialYearLabel(t *testing.T) {
	for fy, want := range map[string]string{"1819": "2018-19", "8990": "1989-90", "9900": "1999-00", "0001": "2000-01", "2324": "2023-24"} {
		if got, ok := financialYearLabel(fy); !ok || got != want {
			t.Errorf("%s: %q %v, want %q", fy, got, ok, want)
		}
	}
	for _, bad := range []string{"", "181", "18190", "ab19"} {
		if got, ok := financialYearLabel(bad); ok {
			t.Errorf("%q labelled %q", bad, got)
		}
	}
}

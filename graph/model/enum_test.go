package model

import (
	"bytes"
	"io"
	"strconv"
	"strings"
	"testing"
)

// Every enum value is written as the quoted string gqlgen's own
// marshaller wrote, and a name too long for the stack buffer still is.
func TestEnumsMarshal(t *testing.T) {
	check(t, AllAdmissionMethodGroup)
	check(t, AllCodedField)
	check(t, AllDiagnosisClassification)
	check(t, AllDimension)
	check(t, AllEpisodeSortField)
	check(t, AllPatientSortField)
	check(t, AllRole)
	check(t, AllSex)
	check(t, AllSortDirection)
	check(t, AllSpellSortField)
	long := strings.Repeat("LONG_", 20)
	var b bytes.Buffer
	writeEnum(&b, long)
	if b.String() != strconv.Quote(long) {
		t.Errorf("long name: wrote %s", b.String())
	}
}

// check compares each value's MarshalGQL with the quoted value.
func check[E interface {
	MarshalGQL(io.Writer)
	String() string
}](t *testing.T, values []E) {
	t.Helper()
	for _, v := range values {
		var b bytes.Buffer
		v.MarshalGQL(&b)
		if want := strconv.Quote(v.String()); b.String() != want {
			t.Errorf("%s: wrote %s, want %s", v, b.String(), want)
		}
	}
}

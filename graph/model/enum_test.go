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
	var values []interface {
		MarshalGQL(io.Writer)
		String() string
	}
	for _, v := range AllAdmissionMethodGroup {
		values = append(values, v)
	}
	for _, v := range AllCodedField {
		values = append(values, v)
	}
	for _, v := range AllDiagnosisClassification {
		values = append(values, v)
	}
	for _, v := range AllDimension {
		values = append(values, v)
	}
	for _, v := range AllEpisodeSortField {
		values = append(values, v)
	}
	for _, v := range AllPatientSortField {
		values = append(values, v)
	}
	for _, v := range AllRole {
		values = append(values, v)
	}
	for _, v := range AllSex {
		values = append(values, v)
	}
	for _, v := range AllSortDirection {
		values = append(values, v)
	}
	for _, v := range AllSpellSortField {
		values = append(values, v)
	}
	for _, v := range values {
		var b bytes.Buffer
		v.MarshalGQL(&b)
		if want := strconv.Quote(v.String()); b.String() != want {
			t.Errorf("%s: wrote %s, want %s", v, b.String(), want)
		}
	}
	long := strings.Repeat("LONG_", 20)
	var b bytes.Buffer
	writeEnum(&b, long)
	if b.String() != strconv.Quote(long) {
		t.Errorf("long name: wrote %s", b.String())
	}
}

package model

import (
	"bytes"
	"strconv"
	"testing"
	"time"
)

// A date is written as the JSON string of its YYYY-MM-DD form.
func TestDateMarshalGQL(t *testing.T) {
	for _, day := range []time.Time{
		time.Date(2019, 4, 1, 0, 0, 0, 0, time.UTC),
		time.Date(1993, 12, 31, 0, 0, 0, 0, time.UTC),
		time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
	} {
		var b bytes.Buffer
		Date{day}.MarshalGQL(&b)
		if want := strconv.Quote(day.Format(time.DateOnly)); b.String() != want {
			t.Errorf("%v: wrote %s, want %s", day, b.String(), want)
		}
	}
}

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

// AppendISO writes what AppendFormat writes with DateLayout, day by day
// over years either side of the four-digit range and in it.
func TestDateAppendISO(t *testing.T) {
	for _, span := range [][2]int{{-2, 2}, {998, 1001}, {1899, 1901}, {1999, 2001}, {2023, 2025}, {9998, 10001}} {
		for day := time.Date(span[0], 1, 1, 0, 0, 0, 0, time.UTC); day.Year() < span[1]; day = day.AddDate(0, 0, 1) {
			d := Date{day}
			if got, want := string(d.AppendISO([]byte("x"))), "x"+day.Format(DateLayout); got != want {
				t.Fatalf("%v: %q, want %q", day, got, want)
			}
			if got := d.String(); got != day.Format(DateLayout) {
				t.Fatalf("%v: String %q", day, got)
			}
		}
	}
	// A time of day late in a zone is still that zone's date.
	late := time.Date(2024, 3, 31, 23, 30, 0, 0, time.FixedZone("X", 5*3600))
	if got := (Date{late}).String(); got != "2024-03-31" {
		t.Errorf("zoned date: %q", got)
	}
}

package model

import (
	"fmt"
	"io"
	"time"
)

// DateLayout is the wire and storage form of dates.
const DateLayout = "2006-01-02"

// Date is a calendar date without time of day or zone (GraphQL scalar Date).
type Date struct{ time.Time }

// NewDate wraps t as a Date, or returns nil for the zero time (SQL NULL).
func NewDate(t time.Time) *Date {
	if t.IsZero() {
		return nil
	}
	return &Date{t}
}

// ParseDate parses a YYYY-MM-DD string.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(DateLayout, s)
	if err != nil {
		return Date{}, fmt.Errorf("invalid date %q: want YYYY-MM-DD", s)
	}
	return Date{t}, nil
}

// String formats the date as YYYY-MM-DD.
func (d Date) String() string { return d.Format(DateLayout) }

// MarshalGQL writes the date as a JSON string.
func (d Date) MarshalGQL(w io.Writer) {
	// Digits and dashes need no escaping: written in one buffer rather
	// than formatted, then quoted, then copied (every episode of a page
	// has a few dates).
	var b [24]byte
	buf := append(b[:0], '"')
	buf = d.AppendFormat(buf, DateLayout)
	WriteBytes(w, append(buf, '"'))
}

// UnmarshalGQL accepts a YYYY-MM-DD string.
func (d *Date) UnmarshalGQL(v any) error {
	s, ok := v.(string)
	if !ok {
		return &Error{Code: ErrBadUserInput, Message: "a Date must be a string in YYYY-MM-DD form"}
	}
	p, err := ParseDate(s)
	if err != nil {
		return &Error{Code: ErrBadUserInput, Message: err.Error()}
	}
	*d = p
	return nil
}

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
func (d Date) String() string {
	var b [16]byte
	return string(d.AppendISO(b[:0]))
}

// AppendISO appends the date as YYYY-MM-DD, as AppendFormat(b, DateLayout)
// does. Every episode of a page writes a few dates and signs one in its
// cursor; AppendFormat reads its layout anew each time, some hundreds of
// instructions to write ten bytes.
func (d Date) AppendISO(b []byte) []byte {
	y, m, day := d.Date()
	if y < 0 || y > 9999 {
		return d.AppendFormat(b, DateLayout)
	}
	return append(b, byte('0'+y/1000), byte('0'+y/100%10), byte('0'+y/10%10), byte('0'+y%10), '-',
		byte('0'+m/10), byte('0'+m%10), '-', byte('0'+day/10), byte('0'+day%10))
}

// MarshalGQL writes the date as a JSON string.
func (d Date) MarshalGQL(w io.Writer) {
	// Digits and dashes need no escaping: written in one buffer rather
	// than formatted, then quoted, then copied (every episode of a page
	// has a few dates).
	var b [24]byte
	buf := append(b[:0], '"')
	buf = d.AppendISO(buf)
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

package db

import (
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Integer columns are scanned through these rather than into *int64 and
// sql.NullInt64 directly. database/sql has no direct case for either: it
// assigns the driver's int64 through reflection (and would make a string
// of text-protocol bytes and parse it), some hundreds of instructions per
// value, and a page of episodes with their codes scans several hundred
// integers. Each is one pointer, so boxing it as a scan destination
// allocates nothing.

// int64Col scans a NOT NULL integer column into *p.
type int64Col struct{ p *int64 }

func (c int64Col) Scan(src any) error {
	n, err := scanInt(src)
	if err != nil {
		return err
	}
	*c.p = n
	return nil
}

// intCol scans a NOT NULL integer column into *p.
type intCol struct{ p *int }

func (c intCol) Scan(src any) error {
	n, err := scanInt(src)
	if err != nil {
		return err
	}
	if int64(int(n)) != n {
		return fmt.Errorf("integer %d out of range", n)
	}
	*c.p = int(n)
	return nil
}

// nullInt64Col scans a nullable integer column into *p.
type nullInt64Col struct{ p *sql.NullInt64 }

func (c nullInt64Col) Scan(src any) error {
	if src == nil {
		*c.p = sql.NullInt64{}
		return nil
	}
	n, err := scanInt(src)
	if err != nil {
		return err
	}
	*c.p = sql.NullInt64{Int64: n, Valid: true}
	return nil
}

var errNullInteger = errors.New("converting NULL to an integer is unsupported")

// scanInt reads an integer as the driver returns it: text-protocol bytes,
// or an int64 from the binary protocol.
func scanInt(src any) (int64, error) {
	switch v := src.(type) {
	case []byte:
		if n, ok := parseDecimal(v); ok {
			return n, nil
		}
		n, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return 0, fmt.Errorf("converting %q to an integer: %w", v, err)
		}
		return n, nil
	case int64:
		return v, nil
	case uint64: // an unsigned column through the binary protocol
		if v > math.MaxInt64 {
			return 0, fmt.Errorf("integer %d out of range", v)
		}
		return int64(v), nil
	case nil:
		return 0, errNullInteger
	}
	return 0, fmt.Errorf("converting %T to an integer is unsupported", src)
}

// parseDecimal parses an optionally negative decimal of at most 18 digits,
// which cannot overflow; anything else is left to strconv.
func parseDecimal(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

package db

import (
	"database/sql"
	"math"
	"strconv"
	"testing"
)

// Integer columns read as database/sql would read them into *int64 and
// sql.NullInt64, from either protocol, and refuse what it refuses.
func TestIntegerColumns(t *testing.T) {
	for _, src := range []any{
		[]byte("0"), []byte("-5"), []byte("42"), []byte("123456789012345678"),
		[]byte("9223372036854775807"), []byte("-9223372036854775808"), // past parseDecimal: strconv
		int64(-7), uint64(math.MaxInt64),
	} {
		var want int64
		if err := convertLikeDatabaseSQL(&want, src); err != nil {
			t.Fatalf("%v: database/sql refuses it: %v", src, err)
		}
		var got int64
		if err := (int64Col{&got}).Scan(src); err != nil || got != want {
			t.Errorf("int64Col %v: %d, %v; want %d", src, got, err, want)
		}
		var n sql.NullInt64
		if err := (nullInt64Col{&n}).Scan(src); err != nil || !n.Valid || n.Int64 != want {
			t.Errorf("nullInt64Col %v: %+v, %v; want %d", src, n, err, want)
		}
	}
	for _, src := range []any{nil, []byte(""), []byte("-"), []byte("12a"), []byte("9223372036854775808"), uint64(math.MaxUint64)} {
		var got int64
		if err := (int64Col{&got}).Scan(src); err == nil {
			t.Errorf("int64Col accepted %#v as %d", src, got)
		}
	}
	n := sql.NullInt64{Int64: 3, Valid: true}
	if err := (nullInt64Col{&n}).Scan(nil); err != nil || n.Valid {
		t.Errorf("nullInt64Col NULL: %+v, %v", n, err)
	}
	var pos int
	if err := (intCol{&pos}).Scan([]byte("12")); err != nil || pos != 12 {
		t.Errorf("intCol: %d, %v", pos, err)
	}
}

// convertLikeDatabaseSQL is what database/sql does with src for an *int64.
func convertLikeDatabaseSQL(dst *int64, src any) error {
	switch v := src.(type) {
	case []byte:
		n, err := strconv.ParseInt(string(v), 10, 64)
		*dst = n
		return err
	case int64:
		*dst = v
	case uint64:
		*dst = int64(v)
	}
	return nil
}

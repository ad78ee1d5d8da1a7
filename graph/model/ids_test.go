package model

import (
	"encoding/base64"
	"strconv"
	"testing"
)

// IDs are a contract: the allocation-free encoding must give exactly the
// bytes of base64url("Type:key"), and parse back.
func TestGlobalIDEncoding(t *testing.T) {
	for _, c := range []struct {
		typ string
		key int64
	}{{TypeEpisode, 1}, {TypePatient, 58247}, {TypeEpisode, 9223372036854775807}, {"AuditEvent", 42}, {"AVeryLongTypeNameThatDoesNotFitTheStackBuffer", 7}} {
		want := base64.RawURLEncoding.EncodeToString([]byte(c.typ + ":" + strconv.FormatInt(c.key, 10)))
		got := GlobalID(c.typ, c.key)
		if got != want {
			t.Errorf("GlobalID(%s, %d) = %q, want %q", c.typ, c.key, got, want)
		}
		typ, key, err := ParseGlobalID(got)
		if err != nil || typ != c.typ || key != c.key {
			t.Errorf("ParseGlobalID(%q) = %s, %d, %v", got, typ, key, err)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = GlobalID(TypeEpisode, 123456789) }); n > 1 {
		t.Errorf("GlobalID allocates %.0f times, want at most 1", n)
	}
}

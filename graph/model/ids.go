package model

import (
	"encoding/base64"
	"strconv"
	"strings"
)

// Node type names used inside global IDs.
const (
	TypePatient = "Patient"
	TypeEpisode = "Episode"
)

// GlobalID returns the opaque Relay ID of a row: base64 of "Type:key".
func GlobalID(typ string, key int64) string {
	// Built in stack buffers: every node of a page has an id, and the
	// plain concatenate-then-encode form cost four allocations each.
	var raw [40]byte
	b := append(raw[:0], typ...)
	b = append(b, ':')
	b = strconv.AppendInt(b, key, 10)
	var out [56]byte
	n := base64.RawURLEncoding.EncodedLen(len(b))
	if n > len(out) {
		return base64.RawURLEncoding.EncodeToString(b)
	}
	base64.RawURLEncoding.Encode(out[:n], b)
	return string(out[:n])
}

// ParseGlobalID decodes an ID made by GlobalID. A malformed ID is a
// BAD_USER_INPUT error; callers treat a well-formed ID of another type as
// not found.
func ParseGlobalID(id string) (typ string, key int64, err error) {
	raw, decErr := base64.RawURLEncoding.DecodeString(strings.TrimRight(id, "="))
	if decErr != nil {
		return "", 0, InputError("id", "malformed id")
	}
	typ, num, ok := strings.Cut(string(raw), ":")
	if !ok {
		return "", 0, InputError("id", "malformed id")
	}
	key, convErr := strconv.ParseInt(num, 10, 64)
	if convErr != nil || key <= 0 {
		return "", 0, InputError("id", "malformed id")
	}
	return typ, key, nil
}

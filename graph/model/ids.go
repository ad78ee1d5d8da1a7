package model

import (
	"bytes"
	"encoding/base64"
	"io"
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
	// Built in a stack buffer: every node of a page has an id, and the
	// plain concatenate-then-encode form cost four allocations each.
	var out [64]byte
	return string(AppendGlobalID(out[:0], typ, key))
}

// AppendGlobalID appends GlobalID(typ, key) to b.
func AppendGlobalID(b []byte, typ string, key int64) []byte {
	var raw [40]byte
	r := append(raw[:0], typ...)
	r = append(r, ':')
	r = strconv.AppendInt(r, key, 10)
	return base64.RawURLEncoding.AppendEncode(b, r)
}

// WriteBytes writes b to w, which gqlgen's executor makes a *DataBuffer,
// without b escaping to the heap: a marshaller can then build what it
// writes in a stack buffer. Another writer gets a copy.
func WriteBytes(w io.Writer, b []byte) {
	switch bw := w.(type) {
	case *DataBuffer:
		_, _ = bw.Write(b)
	case *bytes.Buffer:
		bw.Write(b)
	default:
		_, _ = w.Write(bytes.Clone(b))
	}
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

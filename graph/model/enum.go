package model

import (
	"io"
	"strconv"
)

// writeEnum writes an enum value as a JSON string. The generated enums'
// MarshalGQL call it (graph/internal/rewrite) in place of fmt.Fprint of a
// quoted copy, which cost some thousands of instructions per value: a page
// of episodes writes each patient's sex. Enum values are GraphQL Names,
// with nothing to escape.
func writeEnum(w io.Writer, name string) {
	var buf [64]byte
	if len(name) > len(buf)-2 {
		_, _ = io.WriteString(w, strconv.Quote(name))
		return
	}
	b := append(buf[:0], '"')
	b = append(b, name...)
	WriteBytes(w, append(b, '"')) // the buffer stays on the stack
}

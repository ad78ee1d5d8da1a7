package graph

import "bytes"

// A response's data is marshalled into a bytes.Buffer (graph/databuf.go).
// The writers here append to it directly when they find one: io.WriteString
// checks the writer's type for every piece, and an object wrote four
// pieces per field, which with the string writes was about a twentieth of
// a listing's instructions.

// marshalTo writes the object into a buffer.
func (o objectJSON) marshalTo(b *bytes.Buffer) {
	var written map[string]struct{} // for objects too wide to scan
	if len(o.fields) > 16 {
		written = make(map[string]struct{}, len(o.fields))
	}
	b.WriteByte('{')
	first := true
	for i := range o.fields {
		alias := o.fields[i].Alias
		if written != nil {
			if _, ok := written[alias]; ok {
				continue
			}
			written[alias] = struct{}{}
		} else if aliased(o.fields[:i], alias) {
			continue
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		// An alias is a GraphQL Name ([_A-Za-z][_0-9A-Za-z]*, the parser
		// accepts no other): nothing in it to escape.
		b.WriteByte('"')
		b.WriteString(alias)
		b.WriteString(`":`)
		o.values[i].MarshalGQL(b)
	}
	b.WriteByte('}')
}

// plainString reports whether gqlgen writes s between quotes unchanged:
// it escapes only control characters, backslashes and quotes.
func plainString(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '\\' || c == '"' {
			return false
		}
	}
	return true
}

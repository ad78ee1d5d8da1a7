package graph

import "github.com/hesgql/hesgql/graph/model"

// A response's data is marshalled into a model.DataBuffer (graph/databuf.go).
// The writers here append to it directly when they find one: io.WriteString
// checks the writer's type for every piece, and an object wrote four
// pieces per field, which with the string writes was about a twentieth of
// a listing's instructions. What they append they have checked, so the
// buffer need not check it again.

// marshalTo writes the object into a buffer.
func (o objectJSON) marshalTo(b *model.DataBuffer) {
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
			b.VerbatimByte(',')
		}
		first = false
		// An alias is a GraphQL Name ([_A-Za-z][_0-9A-Za-z]*, the parser
		// accepts no other): nothing in it to escape.
		b.VerbatimByte('"')
		b.Verbatim(alias)
		b.Verbatim(`":`)
		o.values[i].MarshalGQL(b)
	}
	b.VerbatimByte('}')
}

// What a string's bytes need when written in a response (stringNeeds).
const (
	// gqlgen escapes control characters, backslashes and quotes.
	gqlgenEscapes = 1 << iota
	// encoding/json escapes <, > and & for HTML, and U+2028 and U+2029,
	// which start with 0xE2 as other characters do.
	htmlMayEscape
)

var stringByteNeeds = func() (t [256]uint8) {
	for c := range 0x20 {
		t[c] = gqlgenEscapes
	}
	t['\\'], t['"'] = gqlgenEscapes, gqlgenEscapes
	t['<'], t['>'], t['&'], t[0xE2] = htmlMayEscape, htmlMayEscape, htmlMayEscape, htmlMayEscape
	return t
}()

// stringNeeds returns what writing s as a JSON string needs: nothing when
// gqlgen writes it between quotes unchanged and encoding/json leaves that
// as it is.
func stringNeeds(s string) uint8 {
	var need uint8
	for i := 0; i < len(s); i++ {
		need |= stringByteNeeds[s[i]]
	}
	return need
}

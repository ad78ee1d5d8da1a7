package model

// DataBuffer is what gqlgen's executor marshals a response's data into
// (graph/internal/rewrite). Besides the bytes, it knows whether
// encoding/json, embedding them in the response document, could change
// them: compact whitespace away, or escape <, >, & and U+2028/U+2029 for
// HTML. When nothing written could, the response goes out without
// checking the data byte by byte again (graph/response.go).
//
// Write, WriteString and WriteByte, which every marshaller may call, check
// what they are given, conservatively: whitespace or any of those bytes,
// even inside a string, counts. Writers that know what they write (object
// keys, strings checked as they are copied) use the Verbatim methods. The
// buffer has no other way in: a marshaller that io.Copy's into it goes
// through Write.
type DataBuffer struct {
	b         []byte
	mayChange bool
}

// NewDataBuffer returns an empty buffer writing into b's storage.
func NewDataBuffer(b []byte) *DataBuffer { return &DataBuffer{b: b[:0]} }

// changing marks the bytes that DataBuffer's checked writes look for:
// whitespace, what encoding/json escapes for HTML and the first byte of
// U+2028 and U+2029 (and of other characters: the check is conservative).
var changing = [256]bool{' ': true, '\t': true, '\n': true, '\r': true, '<': true, '>': true, '&': true, 0xE2: true}

// mayChangeBytes reports whether p holds any byte changing marks.
func mayChangeBytes[T ~string | ~[]byte](p T) bool {
	for i := 0; i < len(p); i++ {
		if changing[p[i]] {
			return true
		}
	}
	return false
}

func (d *DataBuffer) Write(p []byte) (int, error) {
	if !d.mayChange {
		d.mayChange = mayChangeBytes(p)
	}
	d.b = append(d.b, p...)
	return len(p), nil
}

func (d *DataBuffer) WriteString(s string) (int, error) {
	if !d.mayChange {
		d.mayChange = mayChangeBytes(s)
	}
	d.b = append(d.b, s...)
	return len(s), nil
}

func (d *DataBuffer) WriteByte(c byte) error {
	d.mayChange = d.mayChange || changing[c]
	d.b = append(d.b, c)
	return nil
}

// Verbatim appends s, which the caller knows encoding/json leaves as it
// is in a JSON document where s is written: punctuation, a GraphQL name,
// or a whole string whose content has nothing it escapes.
func (d *DataBuffer) Verbatim(s string) { d.b = append(d.b, s...) }

// VerbatimByte appends c, as Verbatim does.
func (d *DataBuffer) VerbatimByte(c byte) { d.b = append(d.b, c) }

// MayChange records that what was appended verbatim may change after all
// (a string with what encoding/json escapes for HTML).
func (d *DataBuffer) MayChange() { d.mayChange = true }

// Bytes returns what was written. The buffer must not be written to while
// they are in use.
func (d *DataBuffer) Bytes() []byte { return d.b }

// Unchanged reports whether encoding/json leaves what was written as it
// is: nothing was written that may change.
func (d *DataBuffer) Unchanged() bool { return !d.mayChange }

package graph

import (
	"bytes"
	"encoding/json"
	"strconv"

	"github.com/99designs/gqlgen/graphql"
)

// responseParts encodes a response as json.Marshal does, without
// json.Marshal's pass over the data: the data is gqlgen's already-encoded
// JSON (json.RawMessage), which encoding/json re-scans byte by byte to
// compact it and escape <, >, & and U+2028/U+2029 for HTML, then copies.
// On a 20 kB listing that was about a tenth of the request's CPU. Data that
// those steps would leave unchanged (compact, nothing to escape: what
// gqlgen's marshallers write) is not copied at all: the encoding is head,
// the data itself, then tail, written one after another. Anything else
// goes through json.Marshal whole, returned as head. The members follow
// graphql.Response's order and omitempty tags. unchanged says that the
// executor already knows those steps would leave the data as it is
// (model.DataBuffer), which spares the check.
func responseParts(r *graphql.Response, unchanged bool) (head, data, tail []byte, err error) {
	if r.Data != nil && !unchanged && !verbatimJSON(r.Data) {
		head, err = json.Marshal(r)
		return head, nil, nil, err
	}
	var h bytes.Buffer
	h.WriteByte('{')
	if len(r.Errors) > 0 {
		if err := member(&h, `"errors":`, r.Errors); err != nil {
			return nil, nil, nil, err
		}
		h.WriteByte(',')
	}
	h.WriteString(`"data":`)
	if r.Data == nil {
		h.WriteString("null")
	}
	var t bytes.Buffer
	if r.Label != "" {
		if err := member(&t, `,"label":`, r.Label); err != nil {
			return nil, nil, nil, err
		}
	}
	if len(r.Path) > 0 {
		if err := member(&t, `,"path":`, r.Path); err != nil {
			return nil, nil, nil, err
		}
	}
	if r.HasNext != nil {
		t.WriteString(`,"hasNext":` + strconv.FormatBool(*r.HasNext))
	}
	if len(r.Extensions) > 0 {
		if err := member(&t, `,"extensions":`, r.Extensions); err != nil {
			return nil, nil, nil, err
		}
	}
	t.WriteByte('}')
	return h.Bytes(), r.Data, t.Bytes(), nil
}

func member(b *bytes.Buffer, key string, v any) error {
	enc, err := json.Marshal(v)
	if err != nil {
		return err
	}
	b.WriteString(key)
	b.Write(enc)
	return nil
}

// verbatimJSON reports whether encoding/json would copy the encoded JSON
// data unchanged into a document: no whitespace outside strings to compact
// away and nothing it escapes for HTML. Most of a response is string
// content, so each string is skipped by a table lookup per byte up to the
// next byte that can matter there.
func verbatimJSON(data []byte) bool {
	for i := 0; i < len(data); i++ {
		switch data[i] {
		case ' ', '\t', '\n', '\r', '<', '>', '&', 0xE2:
			return false // whitespace outside a string; the rest is invalid there
		case '"':
			for i++; ; i++ {
				for i < len(data) && !inStringStop[data[i]] {
					i++
				}
				if i >= len(data) {
					return false // unterminated
				}
				switch c := data[i]; {
				case c == '"':
				case c == '\\':
					i++ // the escaped byte, whatever it is
					continue
				case c == 0xE2 && (i+2 >= len(data) || data[i+1] != 0x80 || data[i+2]&^1 != 0xA8):
					continue // another character starting with 0xE2
				default:
					return false // <, > or &, or U+2028/U+2029
				}
				break
			}
		}
	}
	return true
}

// inStringStop marks the bytes of a string's content that verbatimJSON
// must look at: its end, an escape, what encoding/json escapes for HTML
// and the first byte of U+2028 and U+2029.
var inStringStop = [256]bool{'"': true, '\\': true, '<': true, '>': true, '&': true, 0xE2: true}

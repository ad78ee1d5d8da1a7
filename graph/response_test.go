package graph

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// A response is encoded byte for byte as json.Marshal encodes it, whether
// its data is copied as it is or has to be compacted or escaped.
func TestMarshalResponse(t *testing.T) {
	yes := true
	cases := map[string]*graphql.Response{
		"data":          {Data: json.RawMessage(`{"episodes":{"nodes":[{"id":"RXA6MQ","description":"Other \"specified\" \\ things, left side"}]}}`)},
		"nullData":      {Errors: gqlerror.List{{Message: "no", Path: ast.Path{ast.PathName("a")}}}},
		"errorsAndData": {Data: json.RawMessage(`{"a":null}`), Errors: gqlerror.List{{Message: "bad <x> & y", Extensions: map[string]any{"code": "FORBIDDEN"}}}},
		"incremental":   {Data: json.RawMessage(`{"b":1}`), Label: "L", Path: ast.Path{ast.PathName("a"), ast.PathIndex(2)}, HasNext: &yes, Extensions: map[string]any{"cost": 3}},
		"htmlInData":    {Data: json.RawMessage(`{"d":"fracture & dislocation <wrist>"}`)},
		"lineSeparator": {Data: json.RawMessage("{\"d\":\"a\u2028b\u2029\"}")},
		"spaceOutside":  {Data: json.RawMessage("{ \"a\" :\n[1, 2]}")},
		"escapedQuote":  {Data: json.RawMessage(`{"a":"x\"  y","b":"\\"}`)},
		"emptyObject":   {Data: json.RawMessage(`{}`)},
		"otherE2":       {Data: json.RawMessage(`{"d":"€5 – 6"}`)},
		"escapeAtEnd":   {Data: json.RawMessage(`{"a":"\\","b":"\"<"}`)},
	}
	for name, r := range cases {
		t.Run(name, func(t *testing.T) {
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			head, data, tail, err := responseParts(r, false)
			if err != nil {
				t.Fatal(err)
			}
			got := append(append(head, data...), tail...)
			if string(got) != string(want) {
				t.Errorf("got  %s\nwant %s", got, want)
			}
		})
	}
	if !verbatimJSON([]byte(`{"a":"b c","d":[1,2]}`)) || verbatimJSON([]byte(`{"a": 1}`)) {
		t.Error("verbatimJSON misjudges spaces inside and outside strings")
	}
	if !verbatimJSON([]byte(`{"a":"x\" y","€":"–"}`)) || verbatimJSON([]byte(`{"a":"x\"`)) {
		t.Error("verbatimJSON misjudges escapes, other characters starting 0xE2 or an unterminated string")
	}
}

// writeJSON sends a response with its exact length, in one piece rather
// than chunked, and the data buffer it then gives back serves the next
// response without disturbing the one already written.
func TestWriteJSONLength(t *testing.T) {
	for i, data := range []string{`{"episodes":{"nodes":[{"code":"L400"},{"code":"S068"}]}}`, `{"a":1}`} {
		buf := append(dataBuffer(), data...)
		rec := httptest.NewRecorder()
		writeJSON(rec, mediaGraphQLResponse, http.StatusOK, &graphql.Response{Data: buf})
		want := `{"data":` + data + `}`
		if got := rec.Body.String(); got != want {
			t.Errorf("response %d: body %s, want %s", i, got, want)
		}
		if got := rec.Header().Get("Content-Length"); got != strconv.Itoa(len(want)) {
			t.Errorf("response %d: Content-Length %q, want %d", i, got, len(want))
		}
	}
}

// Data that the executor marshalled into a model.DataBuffer and that the
// buffer calls unchanged is written without the check, so the buffer must
// never call unchanged what encoding/json would change: whatever the
// strings hold and whichever writer wrote them, the response is what
// json.Marshal writes.
func TestUnchangedDataIsVerbatim(t *testing.T) {
	strs := []string{"", "L40.0", "Psoriasis vulgaris", "a\tb", "fracture & dislocation", "<wrist>",
		"€5 – 6", "a\u2028b", `say "x"`, `back\slash`, "line\nbreak", "ctl\x01"}
	field := func(alias string) graphql.CollectedField {
		return graphql.CollectedField{Field: &ast.Field{Alias: alias}}
	}
	for _, s := range strs {
		for name, value := range map[string]graphql.Marshaler{
			"stringAt":      stringAt{&s},
			"MarshalString": graphql.MarshalString(s),
		} {
			obj := objectJSON{
				fields: []graphql.CollectedField{field("code"), field("n"), field("list")},
				values: []graphql.Marshaler{value, graphql.MarshalInt(7), graphql.Array{graphql.MarshalBoolean(true), graphql.Null}},
			}
			buf := newDataBuffer()
			obj.MarshalGQL(buf)
			data := dataOf(context.Background(), buf)
			if buf.Unchanged() && !verbatimJSON(data) {
				t.Errorf("%s(%q): the buffer calls %s unchanged", name, s, data)
			}
			r := &graphql.Response{Data: data}
			want, err := json.Marshal(r)
			if err != nil {
				t.Fatal(err)
			}
			head, body, tail, err := responseParts(r, buf.Unchanged())
			if err != nil {
				t.Fatal(err)
			}
			if got := string(head) + string(body) + string(tail); got != string(want) {
				t.Errorf("%s(%q): got %s, want %s", name, s, got, want)
			}
		}
	}
}

// The executor's note vouches only for the very bytes it was made of: data
// that an interceptor replaced, or shortened, is checked again.
func TestUnchangedDataNote(t *testing.T) {
	ctx, note := withUnchangedData(context.Background())
	buf := newDataBuffer()
	buf.Verbatim(`{"a":1}`)
	data := dataOf(ctx, buf)
	if !note.vouches(data) {
		t.Fatal("the note does not vouch for the data it was made of")
	}
	if note.vouches(json.RawMessage(`{"a":1}`)) || note.vouches(data[:3]) {
		t.Error("the note vouches for other data")
	}
	var none *unchangedData
	if none.vouches(data) {
		t.Error("no note vouches for data")
	}
	buf = newDataBuffer()
	_, _ = buf.WriteString(`{"a":"x y"}`)
	ctx, note = withUnchangedData(context.Background())
	if data := dataOf(ctx, buf); note.vouches(data) {
		t.Error("the note vouches for data with a space written unchecked")
	}
}

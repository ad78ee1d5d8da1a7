package model

import (
	"fmt"
	"io"
	"strings"
	"testing"
)

// Every checked way in notes whitespace and what encoding/json escapes;
// the verbatim ones trust the caller; the bytes are kept in order.
func TestDataBuffer(t *testing.T) {
	writes := map[string]func(*DataBuffer, string){
		"Write":       func(d *DataBuffer, s string) { _, _ = d.Write([]byte(s)) },
		"WriteString": func(d *DataBuffer, s string) { _, _ = d.WriteString(s) },
		"WriteByte": func(d *DataBuffer, s string) {
			for i := 0; i < len(s); i++ {
				_ = d.WriteByte(s[i])
			}
		},
		"io.Copy":    func(d *DataBuffer, s string) { _, _ = io.Copy(d, strings.NewReader(s)) },
		"fmt.Fprint": func(d *DataBuffer, s string) { _, _ = fmt.Fprint(d, s) },
	}
	for name, write := range writes {
		for _, s := range []string{" ", "\t", "\n", "\r", "<", ">", "&", "\u2028", "–"} {
			d := NewDataBuffer(nil)
			write(d, `{"a":"x`)
			if !d.Unchanged() {
				t.Fatalf("%s: plain bytes noted as changing", name)
			}
			write(d, s)
			write(d, `"}`)
			if d.Unchanged() {
				t.Errorf("%s(%q) not noted", name, s)
			}
			if got := string(d.Bytes()); got != `{"a":"x`+s+`"}` {
				t.Errorf("%s: bytes %q", name, got)
			}
		}
	}
	d := NewDataBuffer(make([]byte, 5, 64))
	d.Verbatim(`{"d":"a & b"}`)
	d.VerbatimByte('\n')
	if !d.Unchanged() || string(d.Bytes()) != "{\"d\":\"a & b\"}\n" {
		t.Errorf("verbatim writes: %q, unchanged %v", d.Bytes(), d.Unchanged())
	}
	d.MayChange()
	if d.Unchanged() {
		t.Error("MayChange not noted")
	}
}

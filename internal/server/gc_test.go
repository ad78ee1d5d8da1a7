package server

import (
	"runtime/debug"
	"testing"
)

// A serving process collects less often than Go's default, unless GOGC
// says how often.
func TestTuneGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	if got := TuneGC(func(string) string { return "" }); got != ServingGCPercent {
		t.Errorf("without GOGC: %d, want %d", got, ServingGCPercent)
	}
	if p := debug.SetGCPercent(ServingGCPercent); p != ServingGCPercent {
		t.Errorf("without GOGC the collector runs at %d%%, want %d%%", p, ServingGCPercent)
	}
	debug.SetGCPercent(150) // as GOGC=150 would have at start
	if got := TuneGC(func(k string) string {
		if k == "GOGC" {
			return "150"
		}
		return ""
	}); got != 150 {
		t.Errorf("with GOGC=150: %d, want 150 kept", got)
	}
	if p := debug.SetGCPercent(100); p != 150 {
		t.Errorf("with GOGC=150 the collector runs at %d%%, want it kept", p)
	}
}

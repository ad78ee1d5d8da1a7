package bench

import (
	"context"
	"sync"
	"testing"
	"time"
)

// The two sides of a throughput phase take turns and never overlap, so
// that each turn measures one side alone; what each did is summed over its
// turns.
func TestThroughputPairTakesTurns(t *testing.T) {
	var mu sync.Mutex
	running := map[string]int{}
	var order []string
	side := func(name string, fail bool) func(context.Context) error {
		return func(context.Context) error {
			mu.Lock()
			for other, n := range running {
				if other != name && n > 0 {
					t.Errorf("%s ran while %s was running", name, other)
				}
			}
			running[name]++
			if len(order) == 0 || order[len(order)-1] != name {
				order = append(order, name)
			}
			mu.Unlock()
			time.Sleep(time.Millisecond)
			mu.Lock()
			running[name]--
			mu.Unlock()
			if fail {
				return errResponse
			}
			return nil
		}
	}
	a, b := throughputPair(context.Background(), side("a", false), side("b", true), 4, 100*time.Millisecond)
	if throughputSlices < 2 || len(order) != 2*throughputSlices || order[0] != "a" {
		t.Errorf("turns %v, want a and b alternating, %d turns each", order, throughputSlices)
	}
	if a.done == 0 || a.failed != 0 || b.done != 0 || b.failed == 0 {
		t.Errorf("a done %d failed %d, b done %d failed %d", a.done, a.failed, b.done, b.failed)
	}
	if a.elapsed < 100*time.Millisecond || b.elapsed < 100*time.Millisecond {
		t.Errorf("elapsed %s and %s, want at least the whole duration each", a.elapsed, b.elapsed)
	}
	// Four clients sleeping 1 ms per call complete at most 4000 calls/s.
	if r := a.rps(); r <= 0 || r > 4000 {
		t.Errorf("rps %.0f", r)
	}
	if b.rps() != 0 || b.cpuPerCall() != 0 {
		t.Errorf("a side that completed nothing: rps %.0f, CPU per call %s", b.rps(), b.cpuPerCall())
	}
}

package server

import (
	"runtime"
	"runtime/debug"
)

// ServingGCPercent is the garbage collector's target for a serving process
// unless GOGC says otherwise. A request allocates a few hundred kB that
// are garbage once its response is written, while the live heap (caches,
// pools, the schema) stays a few tens of MB: at Go's default of 100 the
// collector then runs every few dozen requests and, in profiles of the
// listings, took about a tenth of the CPU. At 400 it runs a quarter as
// often, for a heap that may grow to five times the live one.
const ServingGCPercent = 400

// TuneGC applies ServingGCPercent unless the environment sets GOGC, and
// returns the percentage in force.
func TuneGC(getenv func(string) string) int {
	if getenv("GOGC") != "" {
		return GCPercent() // the runtime read it at start
	}
	debug.SetGCPercent(ServingGCPercent)
	return ServingGCPercent
}

// GCPercent returns the garbage collector's target in force: the runtime
// offers it only as what setting another one replaces, so it is put back.
func GCPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// NoHeapSampling stops the runtime from recording a call stack for one
// allocation in every 512 kB, which only a heap profile reads, and a
// serving process writes none. A listing allocates several hundred kB
// through gqlgen's deep call stacks, and walking those stacks took about
// 3 % of its CPU in profiles. `hesgql bench --memprofile` samples again.
func NoHeapSampling() {
	runtime.MemProfileRate = 0
}

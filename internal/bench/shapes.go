package bench

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// shapes gathers what the run measured into the scale targets: each shape
// with its target, the measured figure, the raw-SQL floor of the same run
// and whether the target was met. A shape that was not measured (by
// --workloads) is listed as such rather than left out.
type shapes struct {
	size    datasetSize
	depth   int
	results []result
	worst   *worst
	extract *extract
}

func (sh shapes) byName(prefix string) (result, bool) {
	for _, r := range sh.results {
		if strings.HasPrefix(r.name, prefix+" ") {
			return r, true
		}
	}
	return result{}, false
}

type shapeRow struct{ shape, target, measured, floor, met string }

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "NO"
}

func msf(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

func (sh shapes) rows(cfg Config) []shapeRow {
	var out []shapeRow
	missing := func(shape, target string) {
		out = append(out, shapeRow{shape, target, "not run", "", "-"})
	}
	if r, ok := sh.byName("W7"); ok {
		out = append(out, shapeRow{"public statistics, no filter, 2 dims (W7)", "p50 ≤ 20 ms",
			msf(r.gql.p50), msf(r.floor.p50), yes(r.gql.p50 <= 20*time.Millisecond)})
	} else {
		missing("public statistics, no filter, 2 dims (W7)", "p50 ≤ 20 ms")
	}
	if r, ok := sh.byName("W8"); ok {
		out = append(out, shapeRow{"repeated statistics, cached (W8)", "p50 ≤ 5 ms, 0 SQL",
			fmt.Sprintf("%s, %.3f SQL/request", msf(r.gql.p50), r.statements), "no SQL",
			// The current data release is read again at most every 5 s.
			yes(r.gql.p50 <= 5*time.Millisecond && r.statements < 0.01)})
	} else {
		missing("repeated statistics, cached (W8)", "p50 ≤ 5 ms, 0 SQL")
	}
	target := fmt.Sprintf("≤ %s or coded error", cfg.PublicStatementTimeout)
	if w := sh.worst; w != nil {
		floor := fmt.Sprintf("%.2f s", w.floor.Seconds())
		if w.floorErr != nil {
			floor += " (stopped: budget)"
		}
		out = append(out, shapeRow{fmt.Sprintf("worst public request (W9, %d levels)", w.levels), target,
			fmt.Sprintf("p50 %.2f s, max %.2f s: %s", w.p50.Seconds(), w.max.Seconds(), w.outcome()), floor,
			yes(w.met(cfg.PublicStatementTimeout))})
	} else {
		missing("worst public request (W9)", target)
	}
	w1, ok1 := sh.byName("W1")
	if ok1 {
		out = append(out, shapeRow{"W1 listing, first page", "p50 ≤ 10 ms", msf(w1.gql.p50), msf(w1.floor.p50), yes(w1.gql.p50 <= 10*time.Millisecond)})
	} else {
		missing("W1 listing, first page", "p50 ≤ 10 ms")
	}
	if w2, ok := sh.byName("W2"); ok && ok1 {
		out = append(out, shapeRow{fmt.Sprintf("W2 listing at depth %d", sh.depth), "≤ 1.5× first page",
			fmt.Sprintf("%s = %.2f×", msf(w2.gql.p50), ratio(w2.gql.p50, w1.gql.p50)), msf(w2.floor.p50),
			yes(ratio(w2.gql.p50, w1.gql.p50) <= 1.5)})
	} else {
		missing("W2 listing at depth", "≤ 1.5× first page")
	}
	if r, ok := sh.byName("W4"); ok {
		out = append(out, shapeRow{"W4 two code prefixes", "p50 ≤ 30 ms", msf(r.gql.p50), msf(r.floor.p50), yes(r.gql.p50 <= 30*time.Millisecond)})
	} else {
		missing("W4 two code prefixes", "p50 ≤ 30 ms")
	}
	if x := sh.extract; x != nil {
		floor := fmt.Sprintf("%.0fk rows/s", x.floorRate()/1000)
		if x.floorErr != nil {
			floor = "error: " + x.floorErr.Error()
		}
		out = append(out, shapeRow{fmt.Sprintf("CSV extract, 5 columns, %d rows (X1)", x.rows), "≥ 150k rows/s, peak RSS ≤ 100 MB",
			fmt.Sprintf("%.0fk rows/s in %.1f s, peak RSS %d MB", x.rate()/1000, x.took.Seconds(), x.peakRSS>>20), floor,
			yes(x.rate() >= 150_000 && x.peakRSS <= 100<<20 && x.rows == int(sh.size.episodes))})
	} else {
		missing("CSV extract, 5 columns (X1)", "≥ 150k rows/s, peak RSS ≤ 100 MB")
	}
	if sh.size.loaded > 0 {
		out = append(out, shapeRow{"first load", "report episodes/s",
			fmt.Sprintf("%d episodes in %s: %.0f episodes/s", sh.size.loaded, sh.size.loadTook.Round(time.Second), float64(sh.size.loaded)/sh.size.loadTook.Seconds()),
			"", "reported"})
	} else {
		out = append(out, shapeRow{"first load", "report episodes/s", "not in this run (dataset already loaded)", "", "-"})
	}
	return out
}

func (sh shapes) report(w io.Writer, cfg Config) {
	rows := sh.rows(cfg)
	head := shapeRow{"shape", "target", "measured", "floor", "met?"}
	width := [4]int{}
	for _, r := range append(rows, head) {
		for i, c := range []string{r.shape, r.target, r.measured, r.floor} {
			width[i] = max(width[i], len([]rune(c)))
		}
	}
	line := func(r shapeRow) {
		pad := func(s string, n int) string { return s + strings.Repeat(" ", n-len([]rune(s))) }
		fmt.Fprintf(w, "%s | %s | %s | %s | %s\n", pad(r.shape, width[0]), pad(r.target, width[1]), pad(r.measured, width[2]), pad(r.floor, width[3]), r.met)
	}
	fmt.Fprintf(w, "\nscale targets at %d episodes (the issue's targets are for 10M)\n", sh.size.episodes)
	line(head)
	fmt.Fprintln(w, strings.Repeat("-", width[0]+width[1]+width[2]+width[3]+17))
	for _, r := range rows {
		line(r)
	}
	if x := sh.worst; x != nil {
		fmt.Fprintf(w, "W9: public statistics grouped by PROVIDER × PRIMARY_DIAGNOSIS_3 under %d nested patient.hasEpisode levels (deeper: %d refused before SQL with %s); %.1f statements per request; floor = one replay of its statements, which carry the same budget\n",
			x.levels, x.refused, x.refuseCode, x.statements)
	}
	if x := sh.extract; x != nil {
		fmt.Fprintf(w, "X1: GET /export/episodes.csv?columns=%s as RESEARCHER over loopback; peak RSS is the whole process's (client and server) high-water mark over the extract; floor = the extract's statements replayed\n", extractColumns)
	}
}

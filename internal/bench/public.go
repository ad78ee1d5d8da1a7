package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/hesgql/hesgql/db"
)

// worst is the costliest public request the API accepts: a statistics
// tabulation on the base tables under the most patient.hasEpisode filter
// levels that pass the filter cost and depth limits, the statistics cache
// bypassed. What it must show is that no public request holds the
// database past the public statement budget: it answers in time or ends
// in a coded error.
type worst struct {
	levels     int
	samples    int
	p50, max   time.Duration
	codes      []string // error code of each sample; "" for an answer
	statements float64
	floor      time.Duration // one replay of the same statements
	floorErr   error
	refused    int // deeper levels refused before any SQL
	refuseCode string
}

// worstLeaf matches nearly every episode, so that each level widens the
// patients the next one probes.
const worstLeaf = `{startAge: {gte: 1}}`

func worstQuery(levels int) string {
	f := worstLeaf
	for range levels {
		f = `{patient: {hasEpisode: ` + f + `}}`
	}
	return `{ statistics(filter: ` + f + `, groupBy: [PROVIDER, PRIMARY_DIAGNOSIS_3]) { rows { keys episodes { display } } } }`
}

// measureWorst finds the deepest accepted nesting (from the filter depth
// limit down), then times it as the public would send it.
func measureWorst(ctx context.Context, cl *client, rec *recorder, d *db.DB, samples int, progress io.Writer) (worst, error) {
	var w worst
	var req request
	for levels := maxFilterLevels; levels >= 1; levels-- {
		name := fmt.Sprintf("W9-probe-%d", levels)
		r := publicRequest(uncached(newRequest(name, worstQuery(levels), nil)))
		body, err := cl.do(ctx, r, false)
		code := responseCode(body)
		if err != nil && !errors.Is(err, errResponse) {
			return w, err
		}
		if err != nil && rec.statementsPerRequest(name) == 0 {
			w.refused++ // refused before SQL: what the limits are for
			w.refuseCode = code
			continue
		}
		w.levels, req = levels, r
		break
	}
	if w.levels == 0 {
		return w, fmt.Errorf("every nesting from %d levels down was refused before SQL (%s)", maxFilterLevels, w.refuseCode)
	}
	fmt.Fprintf(progress, "bench: W9 worst public request: %d patient.hasEpisode levels\n", w.levels)
	req.name = "W9"
	if _, err := cl.do(ctx, req, true); err != nil && !errors.Is(err, errResponse) {
		return w, err
	}
	trace := rec.lastTrace()
	start := time.Now()
	_, w.floorErr = d.Replay(ctx, trace)
	w.floor = time.Since(start)

	var ts []time.Duration
	for range samples {
		t0 := time.Now()
		body, err := cl.do(ctx, req, false)
		ts = append(ts, time.Since(t0))
		if err != nil && !errors.Is(err, errResponse) {
			return w, err
		}
		w.codes = append(w.codes, responseCode(body))
	}
	w.samples = len(ts)
	w.p50, _, _ = percentiles(ts)
	w.max = slices.Max(ts)
	w.statements = rec.statementsPerRequest("W9")
	return w, nil
}

// maxFilterLevels is where the probe starts: deeper than the default
// filter depth limit allows, so that the first tries are refused.
const maxFilterLevels = 8

// met: every sample answered within the budget, or ended in a coded error
// no later than the budget plus what it takes to say so.
func (w worst) met(budget time.Duration) bool {
	for _, c := range w.codes {
		if c == "" && w.max > budget {
			return false
		}
	}
	return w.max <= budget+250*time.Millisecond
}

func (w worst) outcome() string {
	seen := map[string]int{}
	for _, c := range w.codes {
		if c == "" {
			c = "answered"
		}
		seen[c]++
	}
	var parts []string
	for c, n := range seen {
		parts = append(parts, fmt.Sprintf("%d× %s", n, c))
	}
	slices.Sort(parts)
	return strings.Join(parts, ", ")
}

// responseCode is the extensions.code of a GraphQL response's first
// error, or "" when it has none.
func responseCode(body []byte) string {
	var out struct {
		Errors []struct {
			Message    string
			Extensions struct{ Code string }
		}
	}
	if json.Unmarshal(body, &out) != nil || len(out.Errors) == 0 {
		return ""
	}
	if c := out.Errors[0].Extensions.Code; c != "" {
		return c
	}
	return "uncoded: " + out.Errors[0].Message
}

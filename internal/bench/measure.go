package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hesgql/hesgql/db"
)

// Headers by which the benchmark tells its own wrapper what a request is;
// the API itself never sees them.
const (
	workloadHeader = "X-Bench-Workload"
	traceHeader    = "X-Bench-Trace"
	noCacheHeader  = "X-Bench-No-Cache"
)

// recorder wraps the API to count each request's SQL statements and, on
// request, record them for the floor.
type recorder struct {
	next http.Handler

	mu       sync.Mutex
	requests map[string]int64
	stmts    map[string]int64
	trace    []db.TracedStatement
}

func newRecorder(next http.Handler) *recorder {
	return &recorder{next: next, requests: map[string]int64{}, stmts: map[string]int64{}}
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, counter := db.WithStatementCounter(r.Context())
	var tr *db.Trace
	if r.Header.Get(traceHeader) != "" {
		ctx, tr = db.WithTrace(ctx)
	}
	if r.Header.Get(noCacheHeader) != "" {
		ctx = db.WithoutStatisticsCache(ctx)
	}
	rec.next.ServeHTTP(w, r.WithContext(ctx))
	name := r.Header.Get(workloadHeader)
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rec.requests[name]++
	rec.stmts[name] += counter.Count()
	if tr != nil {
		rec.trace = tr.Statements()
	}
}

// statementsPerRequest is the mean statement count of a workload so far.
func (rec *recorder) statementsPerRequest(name string) float64 {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if rec.requests[name] == 0 {
		return 0
	}
	return float64(rec.stmts[name]) / float64(rec.requests[name])
}

// lastTrace returns the statements of the last traced request.
func (rec *recorder) lastTrace() []db.TracedStatement {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return rec.trace
}

// client posts GraphQL to the API over loopback HTTP.
type client struct {
	url, token string
	http       *http.Client
}

func newClient(url, token string, conns int) *client {
	tr := &http.Transport{MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2, IdleConnTimeout: time.Minute}
	return &client{url: url, token: token, http: &http.Client{Transport: tr, Timeout: time.Minute}}
}

// request is a prepared GraphQL call.
type request struct {
	name string
	body []byte
	// noCache measures a statistics request as if it were the first:
	// the statistics cache is neither read nor filled.
	noCache bool
	// token, when set, is the caller's in place of the client's own.
	token string
	// public sends r without a token, as anyone on the internet would.
	public bool
}

// bearer is the token r is sent with by a client whose own is token; ""
// for none.
func (r request) bearer(token string) string {
	switch {
	case r.public:
		return ""
	case r.token != "":
		return r.token
	}
	return token
}

// setHeaders writes r's headers for a client whose own token is token.
func (r request) setHeaders(h http.Header, token string) {
	h.Set("Content-Type", "application/json")
	if b := r.bearer(token); b != "" {
		h.Set("Authorization", "Bearer "+b)
	}
	h.Set(workloadHeader, r.name)
	if r.noCache {
		h.Set(noCacheHeader, "1")
	}
}

func newRequest(name, query string, vars map[string]any) request {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return request{name: name, body: b}
}

// do posts r and returns the response body, failing on a transport error,
// a non-200 status or a response carrying errors.
func (c *client) do(ctx context.Context, r request, trace bool) ([]byte, error) {
	var body []byte
	err := c.post(ctx, r, trace, func(b []byte) { body = bytes.Clone(b) })
	return body, err
}

// run posts r as do does, keeping nothing of the response: the latency
// and throughput phases read each body into a pooled buffer, so that the
// client, which shares the process and its garbage collector with the
// server, does not allocate a response's worth per request.
func (c *client) run(ctx context.Context, r request) error {
	return c.post(ctx, r, false, nil)
}

// bodies are the buffers responses are read into.
var bodies = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// post posts r and hands the response body to keep, if any, before
// checking it.
func (c *client) post(ctx context.Context, r request, trace bool, keep func([]byte)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(r.body))
	if err != nil {
		return err
	}
	r.setHeaders(req.Header, c.token)
	if trace {
		req.Header.Set(traceHeader, "1")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	buf := bodies.Get().(*bytes.Buffer)
	defer bodies.Put(buf)
	buf.Reset()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return err
	}
	body := buf.Bytes()
	if keep != nil {
		keep(body)
	}
	// A prefix check keeps the client's own cost small: gqlgen writes a
	// response's "errors" member first.
	if resp.StatusCode != http.StatusOK || bytes.HasPrefix(body, []byte(`{"errors"`)) {
		return fmt.Errorf("%w: status %d: %.300s", errResponse, resp.StatusCode, body)
	}
	return nil
}

// query posts r and decodes its data into v.
func (c *client) query(ctx context.Context, r request, v any) error {
	body, err := c.do(ctx, r, false)
	if err != nil {
		return err
	}
	var env struct{ Data json.RawMessage }
	if err := json.Unmarshal(body, &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Data, v)
}

// measure runs one workload both ways.
func measure(ctx context.Context, cl *client, rec *recorder, d *db.DB, w workload, cfg Config) (result, error) {
	res := result{name: w.name, note: w.note}
	body, err := cl.do(ctx, w.req, true)
	if err != nil {
		return res, err
	}
	res.respBytes = len(body)
	floor := rec.lastTrace()
	res.sql = floor
	if res.floorRows, err = d.Replay(ctx, floor); err != nil {
		return res, fmt.Errorf("floor: %w", err)
	}

	gql := func(ctx context.Context) error { return cl.run(ctx, w.req) }
	sql := func(ctx context.Context) error { _, err := d.Replay(ctx, floor); return err }

	for range cfg.Warmup {
		if err := gql(ctx); err != nil {
			return res, err
		}
		if err := sql(ctx); err != nil {
			return res, err
		}
	}
	// Interleaving the two sides lets both see the same machine: other
	// load on it slows both rather than one.
	gt := make([]time.Duration, 0, cfg.Iterations)
	st := make([]time.Duration, 0, cfg.Iterations)
	stop := time.Now().Add(cfg.MaxLatencyTime)
	for range cfg.Iterations {
		if err := ctx.Err(); err != nil {
			return res, err
		}
		if len(gt) >= 20 && time.Now().After(stop) {
			break // a slow workload gets fewer samples rather than hours
		}
		t0 := time.Now()
		if err := gql(ctx); err != nil {
			res.gql.errors++
		}
		t1 := time.Now()
		if err := sql(ctx); err != nil {
			res.floor.errors++
		}
		gt = append(gt, t1.Sub(t0))
		st = append(st, time.Since(t1))
	}
	// CPU per request is the process's own user+system time over a
	// sequential run of each side: unlike latency, it does not depend on
	// what else the machine is doing.
	cpuRuns := max(len(gt)/3, 10)
	res.gql.cpu = cpuPerCall(ctx, gql, cpuRuns)
	res.floor.cpu = cpuPerCall(ctx, sql, cpuRuns)
	// The server's own cost, without the client or loopback HTTP, against
	// the floor's: the statements plus encoding the same JSON.
	floorJSON, err := floorCall(d, floor, body)
	if err != nil {
		return res, err
	}
	costRuns := max(len(gt), 20)
	res.server = measureCost(ctx, serverCall(rec, cl.token, w.req), costRuns)
	res.floorCost = measureCost(ctx, floorJSON, costRuns)
	res.samples = len(gt)
	res.gql.p50, res.gql.p95, res.gql.p99 = percentiles(gt)
	res.floor.p50, res.floor.p95, res.floor.p99 = percentiles(st)
	res.statements = rec.statementsPerRequest(w.req.name)

	g, f := throughputPair(ctx, gql, sql, cfg.Concurrency, cfg.Duration)
	res.gql.rps, res.gql.loadedCPU, res.gql.errors = g.rps(), g.cpuPerCall(), res.gql.errors+g.failed
	res.floor.rps, res.floor.loadedCPU, res.floor.errors = f.rps(), f.cpuPerCall(), res.floor.errors+f.failed
	return res, nil
}

// measureCostOnly measures one workload's server cost and its floor's
// alone (Config.CostOnly).
func measureCostOnly(ctx context.Context, cl *client, rec *recorder, d *db.DB, w workload, cfg Config) (result, error) {
	res := result{name: w.name, note: w.note}
	body, err := cl.do(ctx, w.req, true)
	if err != nil {
		return res, err
	}
	floorJSON, err := floorCall(d, rec.lastTrace(), body)
	if err != nil {
		return res, err
	}
	sides := []struct {
		name string
		call func(context.Context) error
		cost *cost
	}{{"graphql", serverCall(rec, cl.token, w.req), &res.server}, {"floor", floorJSON, &res.floorCost}}
	for _, s := range sides {
		if cfg.CostOnly != "both" && cfg.CostOnly != s.name {
			continue
		}
		for range cfg.Warmup {
			if err := s.call(ctx); err != nil {
				return res, err
			}
		}
		*s.cost = measureCost(ctx, s.call, cfg.Iterations)
	}
	return res, nil
}

// throughputSlices is how many turns each side of a throughput phase
// takes. Load elsewhere on a shared machine comes and goes over seconds;
// alternating the sides in short turns lets it slow both alike rather than
// whichever ran at the time.
const throughputSlices = 5

// loadRun is what a throughput phase of one side did.
type loadRun struct {
	done, failed int
	elapsed      time.Duration
	cpu          time.Duration // process CPU, client and server
}

func (l loadRun) rps() float64 {
	if l.elapsed <= 0 {
		return 0
	}
	return float64(l.done) / l.elapsed.Seconds()
}

func (l loadRun) cpuPerCall() time.Duration {
	if l.done == 0 {
		return 0
	}
	return l.cpu / time.Duration(l.done)
}

// throughputPair runs a and b, each from n clients for duration in all,
// in alternating turns.
func throughputPair(ctx context.Context, a, b func(context.Context) error, n int, duration time.Duration) (ra, rb loadRun) {
	turn := duration / throughputSlices
	for range throughputSlices {
		ra.add(throughput(ctx, a, n, turn))
		rb.add(throughput(ctx, b, n, turn))
	}
	return ra, rb
}

func (l *loadRun) add(o loadRun) {
	l.done += o.done
	l.failed += o.failed
	l.elapsed += o.elapsed
	l.cpu += o.cpu
}

// throughput runs f from n clients for duration and returns what they
// completed, what failed and the time and process CPU it took, until the
// last call in flight returned.
func throughput(ctx context.Context, f func(context.Context) error, n int, duration time.Duration) loadRun {
	var done, failed atomic.Int64
	cpu0 := processCPU()
	start := time.Now()
	deadline := start.Add(duration)
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				if err := f(ctx); err != nil {
					failed.Add(1)
					continue
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	return loadRun{done: int(done.Load()), failed: int(failed.Load()), elapsed: time.Since(start), cpu: processCPU() - cpu0}
}

func percentiles(ds []time.Duration) (p50, p95, p99 time.Duration) {
	if len(ds) == 0 {
		return 0, 0, 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	at := func(q float64) time.Duration { return s[min(len(s)-1, int(q*float64(len(s))))] }
	return at(0.50), at(0.95), at(0.99)
}

// cpuPerCall runs f n times in a row and returns the process CPU time
// (client and server, all goroutines, GC included) per call.
func cpuPerCall(ctx context.Context, f func(context.Context) error, n int) time.Duration {
	before := processCPU()
	for range n {
		_ = f(ctx)
	}
	return (processCPU() - before) / time.Duration(n)
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"time"

	"github.com/hesgql/hesgql/db"
)

// cost is what a sequential run of one side costs the process per call.
// The server runs in this process, next to the client, so the GraphQL side
// is measured by calling the API's handler directly (no loopback HTTP, no
// client): what is left is the server's own work, from the request body to
// the response bytes, including the runtime's GC and scheduling for it.
type cost struct {
	cpu    time.Duration // utime+stime of the process per call
	allocs float64       // heap allocations per call
	bytes  float64       // heap bytes allocated per call
}

// measureCost runs f n times in a row and returns its CPU and allocation
// per call. GC is forced first so that a collection owed by earlier work is
// not billed to this run.
func measureCost(ctx context.Context, f func(context.Context) error, n int) cost {
	runtime.GC()
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	before := processCPU()
	for range n {
		_ = f(ctx)
	}
	cpu := processCPU() - before
	runtime.ReadMemStats(&m1)
	return cost{
		cpu:    cpu / time.Duration(n),
		allocs: float64(m1.Mallocs-m0.Mallocs) / float64(n),
		bytes:  float64(m1.TotalAlloc-m0.TotalAlloc) / float64(n),
	}
}

// serverCall returns one GraphQL request handled by h in-process, failing
// as the client would on a non-200 status or a response with errors.
func serverCall(h http.Handler, token string, r request) func(context.Context) error {
	return func(ctx context.Context) error {
		req := httptest.NewRequestWithContext(ctx, http.MethodPost, "/graphql", bytes.NewReader(r.body))
		r.setHeaders(req.Header, token)
		w := &discardWriter{header: http.Header{}}
		h.ServeHTTP(w, req)
		if w.status != 0 && w.status != http.StatusOK || w.errorsFirst {
			return fmt.Errorf("%w: status %d", errResponse, w.status)
		}
		return nil
	}
}

// discardWriter is a ResponseWriter that keeps nothing of the body but
// whether it starts with an errors member, so that measuring a request
// does not also measure buffering its response.
type discardWriter struct {
	header      http.Header
	status      int
	written     bool
	errorsFirst bool
}

func (w *discardWriter) Header() http.Header { return w.header }
func (w *discardWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}

func (w *discardWriter) Write(p []byte) (int, error) {
	if !w.written {
		w.written = true
		w.errorsFirst = bytes.HasPrefix(p, []byte(`{"errors"`))
	}
	return len(p), nil
}

// floorCall returns the physical floor of a request: its statements through
// go-sql-driver, then the same response JSON (decoded once from a real
// response) encoded by encoding/json.
func floorCall(d *db.DB, stmts []db.TracedStatement, response []byte) (func(context.Context) error, error) {
	var data any
	if err := json.Unmarshal(response, &data); err != nil {
		return nil, fmt.Errorf("decode the response for the floor: %w", err)
	}
	return func(ctx context.Context) error {
		if _, err := d.Replay(ctx, stmts); err != nil {
			return err
		}
		enc := json.NewEncoder(io.Discard)
		return enc.Encode(data)
	}, nil
}

package server

import (
	"context"
	"log/slog"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"
)

// inflight keeps the requests being served, so that a shutdown whose grace
// period runs out can say which requests it abandoned instead of failing
// with a bare "context deadline exceeded".
type inflight struct {
	mu   sync.Mutex
	reqs map[*tracked]struct{}
}

// tracked is one request in flight. Its id is set by the requestID
// middleware further in, hence atomic.
type tracked struct {
	method, path string
	start        time.Time
	id           atomic.Pointer[string]
}

type trackedKey struct{}

func newInflight() *inflight { return &inflight{reqs: map[*tracked]struct{}{}} }

func (f *inflight) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t := &tracked{method: r.Method, path: r.URL.Path, start: time.Now()}
		f.mu.Lock()
		f.reqs[t] = struct{}{}
		f.mu.Unlock()
		defer func() {
			f.mu.Lock()
			delete(f.reqs, t)
			f.mu.Unlock()
		}()
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), trackedKey{}, t)))
	})
}

// noteRequestID records the id given to the request of ctx, if tracked.
func noteRequestID(ctx context.Context, id string) {
	if t, ok := ctx.Value(trackedKey{}).(*tracked); ok {
		t.id.Store(&id)
	}
}

func (f *inflight) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.reqs)
}

// logAbandoned logs each request still in flight, oldest first, and
// returns how many there were.
func (f *inflight) logAbandoned(log *slog.Logger, now time.Time) int {
	f.mu.Lock()
	reqs := make([]*tracked, 0, len(f.reqs))
	for t := range f.reqs {
		reqs = append(reqs, t)
	}
	f.mu.Unlock()
	sort.Slice(reqs, func(i, j int) bool { return reqs[i].start.Before(reqs[j].start) })
	for _, t := range reqs {
		id := ""
		if p := t.id.Load(); p != nil {
			id = *p
		}
		log.Warn("shutdown: request abandoned", "method", t.method, "path", t.path, "request_id", id,
			"age", now.Sub(t.start).Round(time.Millisecond))
	}
	return len(reqs)
}

// wait returns once no request is in flight or d has passed.
func (f *inflight) wait(d time.Duration) {
	for deadline := time.Now().Add(d); f.count() > 0 && time.Now().Before(deadline); {
		time.Sleep(10 * time.Millisecond)
	}
}

package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"golang.org/x/time/rate"

	"github.com/hesgql/hesgql/graph/model"
)

// outage reports requests that could not reach the database. With the
// database down every field of every request fails: one error per field
// buried the answer under dozens of identical errors, and one log line per
// field wrote ~1,500 lines a second. Here each request gets one UNAVAILABLE
// error, and the log gets at most one line per request, rate limited while
// the outage lasts, counting the requests it did not log.
type outage struct {
	log        *slog.Logger
	limit      *rate.Limiter
	suppressed atomic.Int64
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = (*outage)(nil)

// outageLogBurst and outageLogEvery bound the outage log: a few lines at
// once, then one a second.
const (
	outageLogBurst = 3
	outageLogEvery = time.Second
)

func newOutage(log *slog.Logger) *outage {
	return &outage{log: log, limit: rate.NewLimiter(rate.Every(outageLogEvery), outageLogBurst)}
}

// ExtensionName implements graphql.HandlerExtension.
func (*outage) ExtensionName() string { return "DatabaseOutage" }

// Validate implements graphql.HandlerExtension.
func (*outage) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse folds the UNAVAILABLE errors of a response into one and,
// when nothing could be answered, asks UnavailableStatus for a 503.
func (o *outage) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || ctx.Err() != nil {
		return resp
	}
	var first *gqlerror.Error
	failed := 0
	kept := make(gqlerror.List, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		if code, _ := e.Extensions["code"].(string); code == model.ErrUnavailable {
			if first == nil {
				first = e
			}
			failed++
			continue
		}
		kept = append(kept, e)
	}
	if first == nil {
		return resp
	}
	resp.Errors = append(gqlerror.List{{
		Message:    first.Message,
		Extensions: map[string]any{"code": model.ErrUnavailable, "retryAfterSeconds": model.RetryAfterSeconds},
	}}, kept...)
	answered := !nothingAnswered(resp.Data)
	if !answered {
		if m, ok := ctx.Value(unavailableKey{}).(*atomic.Bool); ok {
			m.Store(true)
		}
	}
	o.report(ctx, first, failed, answered)
	return resp
}

// report logs one line for the request, unless the outage has already
// logged its share of lines this second.
func (o *outage) report(ctx context.Context, first *gqlerror.Error, failed int, answered bool) {
	if !o.limit.Allow() {
		o.suppressed.Add(1)
		return
	}
	var cause error = first
	var me *model.Error
	if errors.As(first, &me) && me.Err != nil {
		cause = me.Err
	}
	o.log.ErrorContext(ctx, "database unavailable",
		"failed_fields", failed, "partly_answered", answered, "err", cause,
		"requests_not_logged", o.suppressed.Swap(0))
}

// nothingAnswered reports whether data holds no answer at all: null, or
// null under every root field.
func nothingAnswered(data json.RawMessage) bool {
	data = bytes.TrimSpace(data)
	if len(data) == 0 || bytes.Equal(data, []byte("null")) {
		return true
	}
	var roots map[string]json.RawMessage
	if err := json.Unmarshal(data, &roots); err != nil {
		return false
	}
	for _, v := range roots {
		if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			return false
		}
	}
	return true
}

type unavailableKey struct{}

// UnavailableStatus answers HTTP 503 with Retry-After for a GraphQL
// response that could not reach the database and so answered nothing, so
// that load balancers and clients that look only at the status retry. A
// response that answered part of the query keeps its 200.
func UnavailableStatus(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mark := new(atomic.Bool)
		uw := &unavailableWriter{ResponseWriter: w, mark: mark}
		next.ServeHTTP(uw, r.WithContext(context.WithValue(r.Context(), unavailableKey{}, mark)))
	})
}

type unavailableWriter struct {
	http.ResponseWriter
	mark  *atomic.Bool
	wrote bool
}

func (u *unavailableWriter) WriteHeader(code int) {
	if !u.wrote {
		u.wrote = true
		if code == http.StatusOK && u.mark.Load() {
			u.Header().Set("Retry-After", strconv.Itoa(model.RetryAfterSeconds))
			code = http.StatusServiceUnavailable
		}
	}
	u.ResponseWriter.WriteHeader(code)
}

func (u *unavailableWriter) Write(b []byte) (int, error) {
	if !u.wrote {
		u.WriteHeader(http.StatusOK)
	}
	return u.ResponseWriter.Write(b)
}

// Unwrap exposes the underlying writer to http.ResponseController.
func (u *unavailableWriter) Unwrap() http.ResponseWriter { return u.ResponseWriter }

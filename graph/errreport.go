package graph

import (
	"context"
	"log/slog"

	"github.com/99designs/gqlgen/graphql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

// clientGone presents an error raised after the caller went away: its
// context is cancelled, so whatever failed failed because the request was
// abandoned, not because of a fault. It is logged at debug, not as an
// internal error (operators were paged for disconnects), and no one reads
// the answer.
func clientGone(ctx context.Context, log *slog.Logger, err error) *gqlerror.Error {
	gqlErr := graphql.DefaultErrorPresenter(ctx, err)
	log.DebugContext(ctx, "client went away", "path", gqlErr.Path.String(), "err", err)
	return &gqlerror.Error{
		Message:    "the request was cancelled by the client",
		Path:       gqlErr.Path,
		Locations:  gqlErr.Locations,
		Extensions: map[string]any{"code": model.ErrInternal, "reason": "CANCELLED"},
	}
}

// errorMetrics counts the errors of each response by code, once the
// response is complete. A response whose caller went away is not counted:
// a disconnect is not an error of the server's.
type errorMetrics struct {
	errors *prometheus.CounterVec
}

var _ interface {
	graphql.HandlerExtension
	graphql.ResponseInterceptor
} = errorMetrics{}

func newErrorMetrics(reg prometheus.Registerer) errorMetrics {
	m := errorMetrics{errors: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "hesgql_graphql_errors_total",
		Help: "Errors in GraphQL responses, by extensions.code (responses to callers that went away are not counted).",
	}, []string{"code"})}
	if reg != nil {
		reg.MustRegister(m.errors)
	}
	return m
}

// ExtensionName implements graphql.HandlerExtension.
func (errorMetrics) ExtensionName() string { return "ErrorMetrics" }

// Validate implements graphql.HandlerExtension.
func (errorMetrics) Validate(graphql.ExecutableSchema) error { return nil }

// InterceptResponse implements graphql.ResponseInterceptor.
func (m errorMetrics) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	resp := next(ctx)
	if resp == nil || ctx.Err() != nil {
		return resp
	}
	for _, e := range resp.Errors {
		code, _ := e.Extensions["code"].(string)
		if code == "" {
			code = model.ErrInternal
		}
		m.errors.WithLabelValues(code).Inc()
	}
	return resp
}

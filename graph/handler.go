package graph

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/errcode"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/go-sql-driver/mysql"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

// HandlerOptions configure the GraphQL handler.
type HandlerOptions struct {
	Logger *slog.Logger
	// Introspection enables schema introspection (GraphiQL needs it).
	Introspection bool
	// FieldSuggestions keeps "did you mean" hints in validation errors.
	// They disclose the schema much as introspection does, so production
	// turns both off.
	FieldSuggestions bool
	// Limits bound each operation; zero values take the defaults.
	Limits Limits
	// APQCacheSize is how many automatic persisted queries are remembered
	// (0 = 1000; negative disables APQ).
	APQCacheSize int
	// AllowList, when not nil, maps the SHA-256 of each registered query to
	// its text, and only those queries run.
	AllowList map[string]string
	// Governance (internal/governance) enforces who may read what and
	// audits restricted reads. Without it every restricted field is refused.
	Governance graphql.HandlerExtension
	// Registerer receives the handler's metrics (nil: not exported).
	Registerer prometheus.Registerer
}

// NewHandler serves an executable schema over HTTP: POST and GET (queries
// only), with parsed queries cached, operations limited and errors
// presented with a code.
func NewHandler(es graphql.ExecutableSchema, opts HandlerOptions) *handler.Server {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := handler.New(es)
	srv.AddTransport(getTransport{})
	srv.AddTransport(postTransport{})
	srv.AddTransport(unsupported{}) // last: answers what the others do not serve
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	srv.SetDisableSuggestion(!opts.FieldSuggestions)
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	// Order matters: the allow-list first decides which text may run, APQ
	// then resolves hashes to text, and the limits see the final text.
	if opts.AllowList != nil {
		srv.Use(allowList{byHash: opts.AllowList})
	}
	if opts.APQCacheSize >= 0 {
		n := opts.APQCacheSize
		if n == 0 {
			n = 1000
		}
		srv.Use(extension.AutomaticPersistedQuery{Cache: lru.New[string](n)})
	}
	srv.Use(enumVariables{schema: es.Schema()})
	srv.Use(newLimitExtension(opts.Limits))
	if opts.Governance != nil {
		srv.Use(opts.Governance)
	}
	// Outermost of the two: errors are counted after the outage folded them.
	srv.Use(newErrorMetrics(opts.Registerer))
	srv.Use(newOutage(log))
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", v, "path", pathOf(ctx))
		return errors.New("internal error")
	})
	return srv
}

// Server error numbers of a statement stopped by its time limit.
const (
	mariaDBStatementTimeout = 1969 // ER_STATEMENT_TIMEOUT (max_statement_time)
	mySQLQueryTimeout       = 3024 // ER_QUERY_TIMEOUT (max_execution_time)
)

// maxMessageBytes bounds an error message shown to the caller.
const maxMessageBytes = 512

func pathOf(ctx context.Context) string {
	if fc := graphql.GetFieldContext(ctx); fc != nil {
		return fc.Path().String()
	}
	return ""
}

// presentError gives every error an extensions.code from API.md. Errors the
// caller can act on keep their message; anything else is logged once and
// shown as "internal error".
func presentError(log *slog.Logger) graphql.ErrorPresenterFunc {
	return func(ctx context.Context, err error) *gqlerror.Error {
		if ctx.Err() != nil {
			return clientGone(ctx, log, err)
		}
		gqlErr := graphql.DefaultErrorPresenter(ctx, err)
		if gqlErr.Extensions == nil {
			gqlErr.Extensions = map[string]any{}
		}
		var me *model.Error
		if errors.As(err, &me) {
			gqlErr.Message = me.Error()
			gqlErr.Extensions["code"] = me.Code
			if me.Field != "" {
				gqlErr.Extensions["field"] = me.Field
			}
			return gqlErr
		}
		var myErr *mysql.MySQLError
		if errors.As(err, &myErr) && (myErr.Number == mariaDBStatementTimeout || myErr.Number == mySQLQueryTimeout) {
			// The per-statement time limit stopped the query: the request
			// asked for more work than the server allows.
			log.WarnContext(ctx, "statement time limit reached", "path", gqlErr.Path.String())
			return &gqlerror.Error{
				Message:    "the query took longer than the server allows; narrow the filter or ask for less",
				Path:       gqlErr.Path,
				Locations:  gqlErr.Locations,
				Extensions: map[string]any{"code": model.ErrTooComplex, "limit": "statementTime"},
			}
		}
		if gqlErr.Err != nil && gqlErr.Err.Error() == "introspection disabled" {
			// gqlgen's refusal when the Introspection extension is off.
			gqlErr.Message = "introspection is disabled on this server"
			gqlErr.Extensions["code"] = model.ErrForbidden
			return gqlErr
		}
		if len(gqlErr.Message) > maxMessageBytes {
			// Parser messages can quote the query text; a message need not.
			gqlErr.Message = gqlErr.Message[:maxMessageBytes] + "…"
		}
		switch gqlErr.Extensions["code"] {
		case errcode.ValidationFailed, errcode.ParseFailed:
			// Malformed or invalid documents and variables are the caller's to fix.
			gqlErr.Extensions["reason"] = gqlErr.Extensions["code"]
			gqlErr.Extensions["code"] = model.ErrBadUserInput
			return gqlErr
		case model.ErrBadUserInput, model.ErrUnauthenticated, model.ErrForbidden, model.ErrNotFound, model.ErrTooComplex:
			return gqlErr
		case "PERSISTED_QUERY_NOT_FOUND":
			// APQ clients recognise this code and resend the query text.
			return gqlErr
		}
		var inner *gqlerror.Error
		if errors.As(err, &inner) && inner.Err == nil && inner.Extensions["code"] == nil {
			// Raised by the executor itself while coercing input, not by a resolver.
			gqlErr.Extensions["code"] = model.ErrBadUserInput
			return gqlErr
		}
		log.ErrorContext(ctx, "internal error", "err", err, "path", gqlErr.Path.String(), "at", time.Now().UTC())
		return &gqlerror.Error{
			Message:    "internal error",
			Path:       gqlErr.Path,
			Locations:  gqlErr.Locations,
			Extensions: map[string]any{"code": model.ErrInternal},
		}
	}
}

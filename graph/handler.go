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
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

// HandlerOptions configure the GraphQL handler.
type HandlerOptions struct {
	Logger *slog.Logger
	// Introspection enables schema introspection (GraphiQL needs it).
	Introspection bool
}

// NewHandler serves an executable schema over HTTP: POST and GET (queries
// only), with parsed queries cached and errors presented with a code.
func NewHandler(es graphql.ExecutableSchema, opts HandlerOptions) *handler.Server {
	log := opts.Logger
	if log == nil {
		log = slog.Default()
	}
	srv := handler.New(es)
	srv.AddTransport(transport.Options{})
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.SetErrorPresenter(presentError(log))
	srv.SetRecoverFunc(func(ctx context.Context, v any) error {
		log.ErrorContext(ctx, "panic in resolver", "panic", v, "path", pathOf(ctx))
		return errors.New("internal error")
	})
	return srv
}

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
		switch gqlErr.Extensions["code"] {
		case errcode.ValidationFailed, errcode.ParseFailed:
			// Malformed or invalid documents and variables are the caller's to fix.
			gqlErr.Extensions["reason"] = gqlErr.Extensions["code"]
			gqlErr.Extensions["code"] = model.ErrBadUserInput
			return gqlErr
		case model.ErrBadUserInput, model.ErrUnauthenticated, model.ErrForbidden, model.ErrNotFound, model.ErrTooComplex:
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

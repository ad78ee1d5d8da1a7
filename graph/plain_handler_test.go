package graph_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph"
	"github.com/hesgql/hesgql/internal/governance"
)

// The handler the server runs (graph.NewHandler with governance, as
// internal/app assembles it) intercepts no field, so plain fields take
// their fast path; a field interceptor added to it turns the path off and
// sees every field, with the same response.
func TestPlainFieldsHonourFieldInterceptors(t *testing.T) {
	es := graph.NewExecutableSchema(graph.Config{Directives: governance.Directives()})
	newSrv := func() *handler.Server {
		return graph.NewHandler(es, graph.HandlerOptions{
			Introspection: true,
			Logger:        slog.New(slog.DiscardHandler),
			Governance:    &governance.Governance{Audit: func(db.AuditRecord) {}},
		})
	}
	const query = `{ __schema { queryType { name fields { name type { kind name } } } } }`
	plain := newSrv()
	probe := &fastProbe{}
	plain.Use(probe)
	want := serve(t, plain, query)
	if !probe.fast {
		t.Fatal("the server's handler intercepts fields: plain fields lose their fast path")
	}
	intercepted := newSrv()
	counter := &fieldCounter{seen: map[string]int{}}
	intercepted.Use(counter)
	probe = &fastProbe{}
	intercepted.Use(probe)
	if got := serve(t, intercepted, query); got != want {
		t.Errorf("with a field interceptor %s, without %s", got, want)
	}
	if probe.fast {
		t.Error("plain fields took their fast path under a field interceptor")
	}
	if counter.seen["__Type.name"] == 0 || counter.seen["__Field.name"] == 0 {
		t.Errorf("the interceptor did not see the plain fields: %v", counter.seen)
	}
}

func serve(t *testing.T, h http.Handler, query string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	r := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	if w.Code != http.StatusOK || strings.Contains(w.Body.String(), `"errors"`) {
		t.Fatalf("status %d: %s", w.Code, w.Body.String())
	}
	return w.Body.String()
}

// fastProbe records whether an operation's plain fields take the fast path.
type fastProbe struct{ fast bool }

func (*fastProbe) ExtensionName() string                   { return "fastProbe" }
func (*fastProbe) Validate(graphql.ExecutableSchema) error { return nil }
func (p *fastProbe) InterceptResponse(ctx context.Context, next graphql.ResponseHandler) *graphql.Response {
	p.fast = graph.PlainFieldsFast(graphql.GetOperationContext(ctx))
	return next(ctx)
}

// fieldCounter is a field interceptor counting the fields it sees.
type fieldCounter struct{ seen map[string]int }

func (*fieldCounter) ExtensionName() string                   { return "fieldCounter" }
func (*fieldCounter) Validate(graphql.ExecutableSchema) error { return nil }
func (c *fieldCounter) InterceptField(ctx context.Context, next graphql.Resolver) (any, error) {
	fc := graphql.GetFieldContext(ctx)
	if fc == nil {
		return nil, errors.New("no field context")
	}
	c.seen[fc.Object+"."+fc.Field.Name]++
	return next(ctx)
}

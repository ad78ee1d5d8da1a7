// Package apptest runs the whole API over HTTP against a real database for
// end-to-end tests, and posts GraphQL to it.
package apptest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/auth"
	"github.com/hesgql/hesgql/internal/hes"
	"github.com/hesgql/hesgql/internal/load"
)

// Server is a running API with its store.
type Server struct {
	*httptest.Server
	DB *db.DB
	// App is the assembled API; Flush it to see audit rows.
	App *app.App
	// Secret signs the tokens the harness mints.
	Secret []byte
}

// TestSecret is the HS256 secret of the harness's token verifier.
var TestSecret = []byte("apptest-secret-of-at-least-32-bytes!")

// NoToken as Request.Token sends no Authorization header (the public role).
const NoToken = "-"

// Token mints a token for roles (and, for clinicians, orgs) signed with the
// server's secret.
func (s *Server) Token(tb testing.TB, roles []model.Role, orgs ...string) string {
	tb.Helper()
	return s.TokenFor(tb, auth.TokenSpec{Subject: "test-" + strings.ToLower(fmt.Sprint(roles)), Roles: roles, Orgs: orgs})
}

// TokenFor mints a token for spec (TTL defaults to an hour).
func (s *Server) TokenFor(tb testing.TB, spec auth.TokenSpec) string {
	tb.Helper()
	if spec.TTL == 0 {
		spec.TTL = time.Hour
	}
	tok, err := auth.Mint(s.Secret, spec, time.Now())
	if err != nil {
		tb.Fatalf("mint token: %v", err)
	}
	return tok
}

// New starts the API over a fresh, migrated database.
func New(tb testing.TB) *Server {
	tb.Helper()
	return Start(tb, dbtest.New(tb), app.Options{Introspection: true, GraphiQL: true})
}

// Start serves the API over d with the given options until the test ends.
// Unless opts.Auth is set, tokens are verified with TestSecret.
func Start(tb testing.TB, d *db.DB, opts app.Options) *Server {
	tb.Helper()
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	if opts.Auth == nil {
		v, err := auth.NewVerifier(context.Background(), auth.Config{Secret: TestSecret})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(v.Close)
		opts.Auth = v
	}
	a, err := app.New(d, opts)
	if err != nil {
		tb.Fatalf("assemble the API: %v", err)
	}
	srv := httptest.NewServer(a)
	// Cleanups run last-in first-out: the server drains, then the audit
	// writer writes out, then (registered earlier) the database closes.
	tb.Cleanup(func() {
		if err := a.Close(context.Background()); err != nil {
			tb.Errorf("close the API: %v", err)
		}
	})
	tb.Cleanup(srv.Close)
	return &Server{Server: srv, DB: d, App: a, Secret: TestSecret}
}

// LoadGenerated loads a synthetic extract of n episodes into d.
func LoadGenerated(tb testing.TB, d *db.DB, n int, seed int64) load.Summary {
	tb.Helper()
	var buf bytes.Buffer
	if err := hes.Generate(&buf, hes.GenerateOptions{Seed: seed, Episodes: n}); err != nil {
		tb.Fatalf("generate: %v", err)
	}
	sum, err := load.Stream(context.Background(), d, "generated.txt", &buf, 0, load.Options{})
	if err != nil {
		tb.Fatalf("load generated extract: %v", err)
	}
	if sum.Rejected != 0 {
		tb.Fatalf("generated extract had %d rejected rows", sum.Rejected)
	}
	return sum
}

// Response is a decoded GraphQL response.
type Response struct {
	Status int
	Data   json.RawMessage `json:"data"`
	Errors []Error         `json:"errors"`
	Body   []byte          `json:"-"`
}

// Error is one GraphQL error.
type Error struct {
	Message    string         `json:"message"`
	Path       []any          `json:"path"`
	Extensions map[string]any `json:"extensions"`
}

// Code returns the error's extensions.code.
func (e Error) Code() string { s, _ := e.Extensions["code"].(string); return s }

// Request describes one GraphQL call.
type Request struct {
	Query     string
	Variables map[string]any
	// Token is the bearer token: "" sends a RESEARCHER token (record-level,
	// pseudonymised: what most data tests need), NoToken sends none.
	Token string
	Ctx   context.Context
}

// Do posts a GraphQL request and decodes the answer; it fails the test only
// on transport errors, so callers can assert on statuses and errors.
func (s *Server) Do(tb testing.TB, r Request) Response {
	tb.Helper()
	body, _ := json.Marshal(map[string]any{"query": r.Query, "variables": r.Variables})
	ctx := r.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	switch r.Token {
	case NoToken:
	case "":
		req.Header.Set("Authorization", "Bearer "+s.Token(tb, []model.Role{model.RoleResearcher}))
	default:
		req.Header.Set("Authorization", "Bearer "+r.Token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		tb.Fatalf("post /graphql: %v", err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	out := Response{Status: resp.StatusCode, Body: raw}
	if err := json.Unmarshal(raw, &out); err != nil {
		tb.Fatalf("decode response (%d): %v\n%s", resp.StatusCode, err, raw)
	}
	return out
}

// Query posts query and unmarshals data into v, failing on any error.
func (s *Server) Query(tb testing.TB, query string, vars map[string]any, v any) {
	tb.Helper()
	resp := s.Do(tb, Request{Query: query, Variables: vars})
	if len(resp.Errors) > 0 {
		tb.Fatalf("query failed: %+v", resp.Errors)
	}
	if v != nil {
		if err := json.Unmarshal(resp.Data, v); err != nil {
			tb.Fatalf("decode data: %v", err)
		}
	}
}

package app_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/auth"
	"github.com/hesgql/hesgql/internal/server"
)

// postAs posts a GraphQL query with an optional token and returns the
// response with its decoded body.
func postAs(t *testing.T, s *apptest.Server, query, token string) (*http.Response, apptest.Response) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"query": query})
	req, _ := http.NewRequest(http.MethodPost, s.URL+"/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out apptest.Response
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("decode (%d): %v", resp.StatusCode, err)
	}
	return resp, out
}

func wantRateLimited(t *testing.T, resp *http.Response, out apptest.Response) {
	t.Helper()
	if resp.StatusCode != http.StatusTooManyRequests || len(out.Errors) != 1 || out.Errors[0].Code() != model.ErrRateLimited {
		t.Fatalf("status %d, errors %+v; want 429 RATE_LIMITED", resp.StatusCode, out.Errors)
	}
	if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q, want whole seconds ≥ 1", resp.Header.Get("Retry-After"))
	}
}

// Past its rate a caller gets 429 RATE_LIMITED with Retry-After, before
// any SQL; other callers (another token subject) are not affected.
func TestRateLimit(t *testing.T) {
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{Logger: quietLogger(), RateLimits: server.RateLimits{Rate: 0.5, Burst: 2}})
	const q = `{ statistics(groupBy: [SEX]) { rows { keys } } }`
	for i := 0; i < 2; i++ {
		if resp, out := postAs(t, s, q, ""); resp.StatusCode != http.StatusOK || len(out.Errors) != 0 {
			t.Fatalf("request %d within the burst: %d %+v", i+1, resp.StatusCode, out.Errors)
		}
	}
	before := d.StatementsTotal()
	resp, out := postAs(t, s, q, "")
	wantRateLimited(t, resp, out)
	if n := d.StatementsTotal() - before; n != 0 {
		t.Errorf("%d SQL statements for a refused request", n)
	}
	if resp.Header.Get("Retry-After") != "2" {
		t.Errorf("Retry-After %q, want 2 (one token at 0.5/s)", resp.Header.Get("Retry-After"))
	}
	tok := s.TokenFor(t, auth.TokenSpec{Subject: "analyst-1", Roles: []model.Role{model.RoleResearcher}})
	if resp, out := postAs(t, s, q, tok); resp.StatusCode != http.StatusOK || len(out.Errors) != 0 {
		t.Errorf("another subject: %d %+v, want 200", resp.StatusCode, out.Errors)
	}
}

// A caller with as many requests in progress as allowed gets 429 for the
// next one until one finishes.
func TestConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	defer unblock() // a failing test must not leave the server waiting
	var entered sync.WaitGroup
	entered.Add(1)
	block := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		entered.Done()
		<-release
		w.WriteHeader(http.StatusNoContent)
	})
	s := apptest.Start(t, dbtest.New(t), app.Options{Logger: quietLogger(),
		RateLimits: server.RateLimits{Concurrent: 1},
		Routes:     map[string]http.Handler{"GET /block": block}})
	done := make(chan int)
	go func() {
		resp, err := s.Client().Get(s.URL + "/block")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	entered.Wait()
	resp, out := postAs(t, s, `{ viewer { roles } }`, "")
	wantRateLimited(t, resp, out)
	unblock()
	if code := <-done; code != http.StatusNoContent {
		t.Fatalf("blocked request: %d", code)
	}
	if resp, out := postAs(t, s, `{ viewer { roles } }`, ""); resp.StatusCode != http.StatusOK || len(out.Errors) != 0 {
		t.Errorf("after the first finished: %d %+v", resp.StatusCode, out.Errors)
	}
}

// A public request past the public statement budget ends in
// QUERY_TOO_COMPLEX saying what to narrow; the same request with a token
// runs under the pool's timeout and answers.
func TestPublicStatementBudget(t *testing.T) {
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{Logger: quietLogger(), PublicStatementTimeout: time.Millisecond})
	apptest.LoadGenerated(t, d, 3000, 5)
	q := `{ statistics(filter: {patient: {hasEpisode: {patient: {hasEpisode: {startAge: {gte: 1}}}}}}, groupBy: [PROVIDER, PRIMARY_DIAGNOSIS_3]) { rows { keys } } }`
	start := time.Now()
	resp, out := postAs(t, s, q, "")
	if len(out.Errors) != 1 || out.Errors[0].Code() != model.ErrTooComplex || !strings.Contains(out.Errors[0].Message, "narrow") {
		t.Fatalf("status %d, errors %+v; want one QUERY_TOO_COMPLEX telling what to narrow", resp.StatusCode, out.Errors)
	}
	if !strings.Contains(out.Errors[0].Message, "public") || !strings.Contains(out.Errors[0].Message, "1ms") {
		t.Errorf("message %q does not name the public budget", out.Errors[0].Message)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("refused after %v", took)
	}
	researcher := s.Token(t, []model.Role{model.RoleResearcher})
	if resp, out := postAs(t, s, q, researcher); resp.StatusCode != http.StatusOK || len(out.Errors) != 0 {
		t.Errorf("with a token: %d %+v, want an answer", resp.StatusCode, out.Errors)
	}
}

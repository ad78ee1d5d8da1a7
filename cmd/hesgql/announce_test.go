package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
)

// lockedBuffer is a bytes.Buffer the server goroutine writes while the test
// reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// serveOnce runs `serve` with env until it has announced its address, then
// fetches / and shuts the server down. It returns what serve printed and
// the status of /.
func serveOnce(t *testing.T, env map[string]string) (stdout string, rootStatus int) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	done := make(chan error, 1)
	go func() { done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0"}, envFunc(env), &out, io.Discard) }()
	addr := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	deadline := time.After(60 * time.Second)
	var base string
	for base == "" {
		select {
		case err := <-done:
			t.Fatalf("serve exited early: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatal("serve did not start")
		case <-time.After(20 * time.Millisecond):
			if m := addr.FindStringSubmatch(out.String()); m != nil {
				base = "http://" + m[1]
			}
		}
	}
	resp, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("serve returned %v after shutdown", err)
	}
	return out.String(), resp.StatusCode
}

// serve names GraphiQL only when it serves it; the API's address is always
// printed.
func TestServeAnnouncesGraphiQLOnlyWhenServed(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	base := map[string]string{"HES_DSN": dsn, "HES_LOG_LEVEL": "warn", "HES_JWT_SECRET": strings.Repeat("p", 40),
		"HES_CURSOR_KEY": strings.Repeat("c", 32)}
	// with returns base plus the given key/value pairs.
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	cases := map[string]struct {
		env      map[string]string
		graphiql bool
	}{
		"Production":             {base, false},
		"ProductionWithGraphiQL": {with("HES_GRAPHIQL", "true"), true},
		"Development":            {with("HES_DEV", "true"), true},
		"DevelopmentWithout":     {with("HES_DEV", "true", "HES_GRAPHIQL", "false"), false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			out, status := serveOnce(t, c.env)
			if !regexp.MustCompile(`(?m)^hesgql: GraphQL API at http://127\.0\.0\.1:\d+/graphql$`).MatchString(out) {
				t.Errorf("no API address printed: %q", out)
			}
			if got := strings.Contains(out, "GraphiQL"); got != c.graphiql {
				t.Errorf("output mentions GraphiQL = %v, want %v: %q", got, c.graphiql, out)
			}
			if want := map[bool]int{true: http.StatusOK, false: http.StatusNotFound}[c.graphiql]; status != want {
				t.Errorf("GET / = %d, want %d", status, want)
			}
		})
	}
}

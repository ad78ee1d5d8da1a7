package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
)

// startServe runs `hesgql serve` with args until the test ends and returns
// its base URL and a stop function that waits for a clean exit.
func startServe(t *testing.T, env func(string) string, stderr io.Writer, args ...string) (base string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), env, pw, stderr)
		pw.Close()
	}()
	addr := make(chan string, 1)
	go func() {
		re := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				addr <- m[1]
			}
		}
	}()
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		cancel()
		t.Fatalf("serve exited early: %v", err)
	case <-time.After(60 * time.Second):
		cancel()
		t.Fatal("serve did not start")
	}
	stopped := false
	stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve returned %v after shutdown", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not shut down")
		}
	}
	t.Cleanup(stop)
	return base, stop
}

// Development mode with the built-in secret warns once per serve, though
// the secret serves both the verifier and GraphiQL's pre-filled token.
func TestServeDevBannerOnce(t *testing.T) {
	env := envFunc(map[string]string{"HES_DSN": dbtest.NewDSN(t), "HES_DEV": "true"})
	var stderr syncBuffer
	base, stop := startServe(t, env, &stderr)
	page, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	if !regexp.MustCompile(`Bearer [A-Za-z0-9._-]+`).Match(html) {
		t.Error("GraphiQL page has no development token")
	}
	stop()
	out := stderr.String()
	if n := strings.Count(out, "DEVELOPMENT MODE"); n != 1 {
		t.Errorf("DEVELOPMENT MODE banner printed %d times, want once:\n%s", n, out)
	}
}

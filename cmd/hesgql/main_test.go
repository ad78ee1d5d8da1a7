package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

func envFunc(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// The command line does what the README says: generate an extract, load it
// (twice: the second load updates), then serve it and shut down cleanly.
func TestCommandLine(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	env := envFunc(map[string]string{"HES_DSN": dsn, "HES_LOG_LEVEL": "warn", "HES_DEV": "true", "HES_JWT_SECRET": strings.Repeat("s", 40)})
	ctx := context.Background()
	dir := t.TempDir()
	extract := filepath.Join(dir, "extract.txt")

	var out, errOut bytes.Buffer
	if err := run(ctx, []string{"generate", "--episodes", "500", "--seed", "3", "-o", extract}, env, &out, &errOut); err != nil {
		t.Fatalf("generate: %v\n%s", err, errOut.String())
	}
	for i, want := range []string{"loaded 500, updated 0, rejected 0", "loaded 500, updated 500, rejected 0"} {
		out.Reset()
		if err := run(ctx, []string{"load", extract}, env, &out, &errOut); err != nil {
			t.Fatalf("load %d: %v\n%s", i, err, errOut.String())
		}
		if !strings.Contains(out.String(), "read 500, "+want) {
			t.Errorf("load %d summary = %q, want it to say %q", i, out.String(), want)
		}
	}

	sctx, cancel := context.WithCancel(ctx)
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		done <- run(sctx, []string{"serve", "--addr", "127.0.0.1:0", "--jwt-max-lifetime", "2h"}, env, pw, io.Discard)
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
	var base string
	select {
	case a := <-addr:
		base = "http://" + a
	case err := <-done:
		t.Fatalf("serve exited early: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("serve did not start")
	}
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("readyz = %d", resp.StatusCode)
	}
	// GraphiQL in development comes with a token that runs the README's
	// first query as written (its lifetime within --jwt-max-lifetime).
	page, err := http.Get(base + "/")
	if err != nil {
		t.Fatal(err)
	}
	html, _ := io.ReadAll(page.Body)
	page.Body.Close()
	m := regexp.MustCompile(`Bearer ([A-Za-z0-9._-]+)`).FindSubmatch(html)
	if m == nil {
		t.Fatalf("GraphiQL page has no development token")
	}
	q := `{"query":"{ episodes(first: 5) { edges { node { episodeKey diagnoses { code description } } } } }"}`
	req, _ := http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(q))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+string(m[1]))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Contains(body, []byte(`"errors"`)) || bytes.Count(body, []byte(`"episodeKey"`)) != 5 {
		t.Errorf("README query with the GraphiQL token: %d %s", resp.StatusCode, body)
	}
	// --jwt-max-lifetime reaches the verifier: a 3-hour token is refused
	// with a coded 401.
	long, err := auth.Mint([]byte(strings.Repeat("s", 40)), auth.TokenSpec{Subject: "svc", Roles: []model.Role{model.RoleResearcher}, TTL: 3 * time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, _ = http.NewRequest(http.MethodPost, base+"/graphql", strings.NewReader(q))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+long)
	if resp, err = http.DefaultClient.Do(req); err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(body, []byte(`"code":"UNAUTHENTICATED"`)) || !bytes.Contains(body, []byte("exceeds the maximum of 2h0m0s")) {
		t.Errorf("3h token against --jwt-max-lifetime 2h: %d %s", resp.StatusCode, body)
	}

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

func TestLoadErrors(t *testing.T) {
	env := envFunc(map[string]string{"HES_DSN": dbtest.NewDSN(t), "HES_LOG_LEVEL": "warn"})
	var out, errOut bytes.Buffer
	bad := filepath.Join(t.TempDir(), "bad.txt")
	if err := os.WriteFile(bad, []byte("EPIKEY|FYEAR\n1|0102\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := map[string][]string{
		"NoFiles":        {"load"},
		"MissingColumns": {"load", bad},
		"UnknownCommand": {"frobnicate"},
	}
	for name, args := range cases {
		t.Run(name, func(t *testing.T) {
			if err := run(context.Background(), args, env, &out, &errOut); err == nil {
				t.Errorf("run %v succeeded, want an error", args)
			}
		})
	}
}

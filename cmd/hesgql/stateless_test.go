package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/auth"
)

// serve refuses production without a cursor key of its own: the built-in
// one is public, and processes behind one load balancer must share a key.
func TestServeRefusesDevelopmentCursorKey(t *testing.T) {
	closed := "nobody@tcp(127.0.0.1:1)/none"
	secret := strings.Repeat("s", 40)
	for name, c := range map[string]struct {
		env    map[string]string
		refuse bool
	}{
		"Unset":       {map[string]string{"HES_DSN": closed, "HES_JWT_SECRET": secret}, true},
		"Development": {map[string]string{"HES_DSN": closed, "HES_JWT_SECRET": secret, "HES_CURSOR_KEY": db.DevCursorKey}, true},
		"Set":         {map[string]string{"HES_DSN": closed, "HES_JWT_SECRET": secret, "HES_CURSOR_KEY": strings.Repeat("k", 32)}, false},
		"DevMode":     {map[string]string{"HES_DSN": closed, "HES_JWT_SECRET": secret, "HES_DEV": "true"}, false},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, envFunc(c.env), io.Discard, io.Discard)
			if err == nil {
				t.Fatal("serve started against a closed port")
			}
			refused := strings.Contains(err.Error(), "HES_CURSOR_KEY")
			if refused != c.refuse {
				t.Errorf("err = %v; want a cursor-key refusal: %v", err, c.refuse)
			}
			if !c.refuse && !strings.Contains(err.Error(), "127.0.0.1:1") {
				t.Errorf("err = %v, want the configuration accepted and the database connection to fail", err)
			}
		})
	}
}

// Two serve processes on one database, configured alike, are
// interchangeable behind a load balancer: a listing walked alternating
// between them gives the same page from either and each one accepts the
// other's cursors. A third process with another cursor key rejects them,
// which shows the cursors are checked at all.
func TestTwoServeProcessesShareCursors(t *testing.T) {
	dsn := dbtest.NewDSN(t)
	const episodes = 60
	apptest.LoadGenerated(t, dbtest.Open(t, dsn), episodes, 13)
	secret := strings.Repeat("j", 40)
	env := map[string]string{"HES_DSN": dsn, "HES_LOG_LEVEL": "warn", "HES_JWT_SECRET": secret,
		"HES_CURSOR_KEY": "shared-cursor-key-of-the-deployment"}
	a, _ := startServe(t, envFunc(env), io.Discard)
	b, _ := startServe(t, envFunc(env), io.Discard)
	other := map[string]string{}
	for k, v := range env {
		other[k] = v
	}
	other["HES_CURSOR_KEY"] = "another-deployment-cursor-key"
	c, _ := startServe(t, envFunc(other), io.Discard)

	token, err := auth.Mint([]byte(secret), auth.TokenSpec{Subject: "walker", Roles: []model.Role{model.RoleResearcher}, TTL: time.Hour}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	const q = `query($after: String) { episodes(first: 7, after: $after) {
		edges { cursor node { episodeKey admissionDate } } pageInfo { hasNextPage endCursor } } }`
	type page struct {
		Episodes struct {
			Edges []struct {
				Cursor string
				Node   map[string]any
			}
			PageInfo struct {
				HasNextPage bool
				EndCursor   *string
			}
		}
	}
	fetch := func(base string, after *string) (page, []apptest.Error) {
		t.Helper()
		body, _ := json.Marshal(map[string]any{"query": q, "variables": map[string]any{"after": after}})
		req, _ := http.NewRequest(http.MethodPost, base+"/graphql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Data   page
			Errors []apptest.Error
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
			t.Fatalf("decode (%d): %v", resp.StatusCode, err)
		}
		return out.Data, out.Errors
	}

	seen := map[any]bool{}
	var after *string
	for i := 0; ; i++ {
		first, second := a, b
		if i%2 == 1 {
			first, second = b, a
		}
		p, errs := fetch(first, after)
		if len(errs) > 0 {
			t.Fatalf("page %d: %+v", i, errs)
		}
		q, errs := fetch(second, after)
		if len(errs) > 0 {
			t.Fatalf("page %d from the other process: %+v", i, errs)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("page %d differs between the processes:\n%+v\n%+v", i, p, q)
		}
		for _, e := range p.Episodes.Edges {
			k := e.Node["episodeKey"]
			if seen[k] {
				t.Fatalf("page %d repeats episode %v", i, k)
			}
			seen[k] = true
		}
		if after != nil {
			if _, errs := fetch(c, after); len(errs) == 0 || errs[0].Code() != "BAD_USER_INPUT" {
				t.Fatalf("a process with another cursor key accepted the cursor: %+v", errs)
			}
		}
		if !p.Episodes.PageInfo.HasNextPage {
			break
		}
		after = p.Episodes.PageInfo.EndCursor
	}
	if len(seen) != episodes {
		t.Errorf("walked %d episodes, want %d", len(seen), episodes)
	}
}

package app_test

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/internal/apptest"
	"github.com/hesgql/hesgql/internal/testtools"
)

// auditResult is one result of graphql-http's auditServer, as
// testdata/graphql-http/audit.mjs prints it.
type auditResult struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Status      string `json:"status"` // ok, notice, warn, error
	Reason      string `json:"reason"`
	HTTPStatus  int    `json:"httpStatus"`
	ContentType string `json:"contentType"`
	Body        string `json:"body"`
}

// TestGraphQLOverHTTPAudit runs the graphql-http audit suite (the reference
// conformance checks for the GraphQL-over-HTTP specification, pinned by
// testdata/graphql-http/package-lock.json) against the real server on a real
// database, and requires every MUST and every SHOULD audit to pass. Each
// result is logged, so a failure shows the audit's reason and the answer
// it judged.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	project, err := filepath.Abs(filepath.Join("testdata", "graphql-http"))
	if err != nil {
		t.Fatal(err)
	}
	installed := testtools.NpmCI(t, project)
	node := testtools.Require(t, map[string]string{"node": "nodejs"})["node"]

	srv := apptest.New(t)

	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	// The installed copy of the script imports graphql-http next to it.
	cmd := exec.CommandContext(ctx, node, filepath.Join(installed, "audit.mjs"), srv.URL+"/graphql")
	cmd.Dir = installed
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("node audit.mjs: %v\n%s", err, stderr.String())
	}
	var results []auditResult
	if err := json.Unmarshal(out, &results); err != nil {
		t.Fatalf("decode audit results: %v\n%s", err, out)
	}
	if len(results) == 0 {
		t.Fatal("the audit reported no results")
	}

	counts := map[string]map[string]int{}
	for _, r := range results {
		level, _, _ := strings.Cut(r.Name, " ")
		if counts[level] == nil {
			counts[level] = map[string]int{}
		}
		counts[level][r.Status]++
		if r.Status == "ok" {
			t.Logf("ok     %s %s", r.ID, r.Name)
			continue
		}
		t.Logf("%-6s %s %s\n\treason: %s\n\tanswer: %d %s %s", r.Status, r.ID, r.Name, r.Reason, r.HTTPStatus, r.ContentType, r.Body)
		if level == "MUST" || level == "SHOULD" {
			t.Errorf("%s audit %s failed: %s: %s", level, r.ID, r.Name, r.Reason)
		}
	}
	t.Logf("audit results by level and status: %v (%d audits)", counts, len(results))
}

package bench

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
)

// bench --cost-only measures the chosen side only and prints the cost
// table alone.
func TestRunCostOnly(t *testing.T) {
	d := dbtest.New(t)
	var out bytes.Buffer
	cfg := Config{Episodes: 2000, Seed: 3, Iterations: 5, Warmup: 1, CostOnly: "graphql", Only: []string{"W1", "W5"}, Out: &out}
	if err := Run(context.Background(), d, cfg); err != nil {
		t.Fatal(err)
	}
	report := out.String()
	if !strings.Contains(report, "server cost per request") || strings.Contains(report, "GraphQL p50") {
		t.Fatalf("not the cost table alone:\n%s", report)
	}
	for _, name := range []string{"W1 ", "W5 "} {
		var row string
		for _, line := range strings.Split(report, "\n") {
			if strings.HasPrefix(line, name) {
				row = line
			}
		}
		cols := strings.Split(row, "|")
		if len(cols) != 4 {
			t.Fatalf("%s: no row in\n%s", name, report)
		}
		graphql, floor := strings.Fields(cols[1]), strings.Fields(cols[2])
		if graphql[0] == "0.000" || graphql[1] == "0" {
			t.Errorf("%s: the API handler was not measured: %s", name, row)
		}
		if floor[0] != "0.000" || floor[1] != "0" {
			t.Errorf("%s: the floor was measured though only graphql was asked for: %s", name, row)
		}
	}
}

package main

import (
	"flag"
	"io"
	"maps"
	"testing"
	"time"

	"github.com/hesgql/hesgql/graph/model"
)

// Each role's statement budget is read from HES_STATEMENT_TIMEOUT_<ROLE>
// or --statement-timeout-<role>; the flag wins, and unset roles have none.
func TestRoleStatementTimeoutSettings(t *testing.T) {
	var cfg serveConfig
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	env := envFunc(map[string]string{"HES_STATEMENT_TIMEOUT_RESEARCHER": "30s", "HES_STATEMENT_TIMEOUT_CLINICIAN": "5s"})
	s := cfg.registerAll(fs, &environment{getenv: env, stdout: io.Discard, stderr: io.Discard})
	if err := s.parse([]string{"--statement-timeout-clinician=8s", "--statement-timeout-admin=1m"}); err != nil {
		t.Fatal(err)
	}
	want := map[model.Role]time.Duration{model.RoleResearcher: 30 * time.Second, model.RoleClinician: 8 * time.Second, model.RoleAdmin: time.Minute}
	if got := cfg.roleStatementTimeouts(); !maps.Equal(got, want) {
		t.Errorf("budgets %v, want %v", got, want)
	}

	var none serveConfig
	s = none.registerAll(flag.NewFlagSet("serve", flag.ContinueOnError), &environment{getenv: envFunc(nil), stdout: io.Discard, stderr: io.Discard})
	if err := s.parse(nil); err != nil {
		t.Fatal(err)
	}
	if got := none.roleStatementTimeouts(); len(got) != 0 {
		t.Errorf("unset: budgets %v, want none", got)
	}
}

package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// A role's statement budget ends its requests past it in QUERY_TOO_COMPLEX
// naming the role and what to narrow; a role without one, and a token with
// several roles of which one is more generous, run the same request to its
// answer. The statement is the real statistics shape (a nested relation
// filter grouped by two base-table dimensions), stopped by the database.
func TestRoleStatementBudgets(t *testing.T) {
	d := dbtest.New(t)
	s := apptest.Start(t, d, app.Options{Logger: quietLogger(), RoleStatementTimeouts: map[model.Role]time.Duration{
		model.RoleResearcher: time.Millisecond,
		model.RoleClinician:  time.Minute,
	}})
	apptest.LoadGenerated(t, d, 3000, 5)
	q := `{ statistics(filter: {patient: {hasEpisode: {patient: {hasEpisode: {startAge: {gte: 1}}}}}}, groupBy: [PROVIDER, PRIMARY_DIAGNOSIS_3]) { rows { keys } } }`

	t.Run("ErrBudget", func(t *testing.T) {
		start := time.Now()
		resp, out := postAs(t, s, q, s.Token(t, []model.Role{model.RoleResearcher}))
		if len(out.Errors) != 1 || out.Errors[0].Code() != model.ErrTooComplex || !strings.Contains(out.Errors[0].Message, "narrow") {
			t.Fatalf("status %d, errors %+v; want one QUERY_TOO_COMPLEX telling what to narrow", resp.StatusCode, out.Errors)
		}
		if msg := out.Errors[0].Message; !strings.Contains(msg, "RESEARCHER") || !strings.Contains(msg, "1ms") {
			t.Errorf("message %q does not name the RESEARCHER budget", msg)
		}
		if took := time.Since(start); took > 2*time.Second {
			t.Errorf("refused after %v", took)
		}
	})
	for name, roles := range map[string][]model.Role{
		"OKNoBudget":       {model.RoleAdmin},
		"OKOneRoleUnbound": {model.RoleResearcher, model.RoleAdmin},
		"OKMostGenerous":   {model.RoleResearcher, model.RoleClinician},
	} {
		t.Run(name, func(t *testing.T) {
			resp, out := postAs(t, s, q, s.Token(t, roles, "RWE", "RTK", "RXH", "RAL"))
			if resp.StatusCode != http.StatusOK || len(out.Errors) != 0 {
				t.Errorf("%v: %d %+v, want an answer", roles, resp.StatusCode, out.Errors)
			}
		})
	}
	t.Run("OKPublicUnbound", func(t *testing.T) {
		if resp, out := postAs(t, s, q, ""); resp.StatusCode != http.StatusOK || len(out.Errors) != 0 {
			t.Errorf("public without a public budget: %d %+v, want an answer", resp.StatusCode, out.Errors)
		}
	})
}

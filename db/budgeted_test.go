package db

import (
	"context"
	"regexp"
	"strconv"
	"testing"
	"time"
)

// A budgeted SELECT carries what is left of its budget in the flavour's
// own form, in front of the statement unchanged; other statements and
// callers without a budget are left alone.
func TestBudgetedStatementText(t *testing.T) {
	ctx := WithStatementBudget(context.Background(), Budget{Limit: 2 * time.Second, Who: "public"})
	maria, mysql := &DB{flavor: FlavorMariaDB}, &DB{flavor: FlavorMySQL}

	got := maria.budgeted(ctx, "SELECT e.id FROM episodes e")
	m := regexp.MustCompile(`^SET STATEMENT max_statement_time = (\d\.\d{6}) FOR SELECT e\.id FROM episodes e$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("MariaDB: %q", got)
	}
	if s, _ := strconv.ParseFloat(m[1], 64); s <= 1.9 || s > 2 {
		t.Errorf("MariaDB: %s s left of a 2 s budget", m[1])
	}
	got = mysql.budgeted(ctx, "SELECT e.id FROM episodes e")
	m = regexp.MustCompile(`^SELECT /\*\+ MAX_EXECUTION_TIME\((\d+)\) \*/ e\.id FROM episodes e$`).FindStringSubmatch(got)
	if m == nil {
		t.Fatalf("MySQL: %q", got)
	}
	if ms, _ := strconv.Atoi(m[1]); ms <= 1900 || ms > 2000 {
		t.Errorf("MySQL: %s ms left of a 2 s budget", m[1])
	}
	// A budget all spent still gives a millisecond, never zero (no limit).
	spent := context.WithValue(context.Background(), budgetKey{}, Budget{Limit: time.Second, start: time.Now().Add(-time.Hour)})
	if got := maria.budgeted(spent, "SELECT 1"); got != "SET STATEMENT max_statement_time = 0.001000 FOR SELECT 1" {
		t.Errorf("spent, MariaDB: %q", got)
	}
	if got := mysql.budgeted(spent, "SELECT 1"); got != "SELECT /*+ MAX_EXECUTION_TIME(1) */ 1" {
		t.Errorf("spent, MySQL: %q", got)
	}
	for _, c := range []struct {
		ctx  context.Context
		text string
	}{{ctx, "KILL QUERY 7"}, {ctx, "SELECTED"}, {context.Background(), "SELECT 1"}} {
		if got := maria.budgeted(c.ctx, c.text); got != c.text {
			t.Errorf("%q became %q", c.text, got)
		}
	}
}

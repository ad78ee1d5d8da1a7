package server

import (
	"net/http"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// StatementBudgets are the statement time budgets of requests by who sends
// them (db.WithStatementBudget). Zero means none: the pool's statement
// timeout alone.
type StatementBudgets struct {
	// Public is the budget of requests without a token: anyone on the
	// internet, so what one request may cost the database is bounded well
	// below the pool-wide statement timeout.
	Public time.Duration
	// Roles are the budgets of requests with a token, by role.
	Roles map[model.Role]time.Duration
}

// StatementBudget returns middleware giving each request the budget of its
// caller. A token with several roles gets the most generous of them, and
// none if one of its roles has none: a budget bounds a role, and a caller
// holding a role is entitled to what it allows. It must run after
// authentication.
func StatementBudget(b StatementBudgets) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if b.Public <= 0 && len(b.Roles) == 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if budget, ok := b.of(auth.FromContext(r.Context())); ok {
				r = r.WithContext(db.WithStatementBudget(r.Context(), budget))
			}
			next.ServeHTTP(w, r)
		})
	}
}

// of returns the budget of viewer v, if it has one.
func (b StatementBudgets) of(v *auth.Viewer) (db.Budget, bool) {
	if !v.Authenticated {
		return db.Budget{Limit: b.Public, Who: "public"}, b.Public > 0
	}
	var most db.Budget
	for _, role := range v.Roles {
		limit := b.Roles[role]
		if limit <= 0 {
			return db.Budget{}, false
		}
		if limit > most.Limit {
			most = db.Budget{Limit: limit, Who: string(role)}
		}
	}
	return most, most.Limit > 0
}

package server

import (
	"net/http"
	"time"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/internal/auth"
)

// PublicStatementBudget returns middleware giving requests without a token
// a statement time budget of limit (db.WithStatementBudget): the public
// is anyone on the internet, so what one request may cost the database is
// bounded well below the pool-wide statement timeout. It must run after
// authentication. A zero limit sets none.
func PublicStatementBudget(limit time.Duration) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		if limit <= 0 {
			return next
		}
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if auth.FromContext(r.Context()).Authenticated {
				next.ServeHTTP(w, r)
				return
			}
			ctx := db.WithStatementBudget(r.Context(), db.Budget{Limit: limit, Who: "public"})
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

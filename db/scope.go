package db

import (
	"context"

	sq "github.com/Masterminds/squirrel"
)

// Row-level scope: every query that reads episodes or patients adds the
// predicate returned here, so that no path can forget it. The caller's
// scope travels in the context.

type scopeKey struct{}

// Scope limits which patients a caller may read. A nil *Scope (the default)
// means no restriction beyond the API's field-level rules.
type Scope struct {
	// Orgs are provider codes (PROCODE3): only patients with an episode at
	// one of them, and only those patients' episodes, are visible.
	Orgs []string
}

// WithScope returns a context whose queries are limited to s.
func WithScope(ctx context.Context, s *Scope) context.Context {
	return context.WithValue(ctx, scopeKey{}, s)
}

func scopeFrom(ctx context.Context) *Scope {
	s, _ := ctx.Value(scopeKey{}).(*Scope)
	return s
}

// patientScope returns the predicate limiting patients (alias p) to the
// caller's scope, or nil when unrestricted.
func patientScope(ctx context.Context, p string) sq.Sqlizer {
	s := scopeFrom(ctx)
	if s == nil {
		return nil
	}
	if len(s.Orgs) == 0 {
		return sq.Expr("1 = 0")
	}
	sub := builder.Select("1").From("episodes se").
		Where("se.patient_id = " + p + ".id").Where(sq.Eq{"se.procode3": s.Orgs})
	return existsExpr(sub)
}

// episodeScope limits episodes (alias e) to patients in scope.
func episodeScope(ctx context.Context, e string) sq.Sqlizer {
	s := scopeFrom(ctx)
	if s == nil {
		return nil
	}
	if len(s.Orgs) == 0 {
		return sq.Expr("1 = 0")
	}
	sub := builder.Select("1").From("episodes se").
		Where("se.patient_id = " + e + ".patient_id").Where(sq.Eq{"se.procode3": s.Orgs})
	return existsExpr(sub)
}

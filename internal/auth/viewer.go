// Package auth establishes who is calling: it verifies bearer JWTs (a
// shared HS256 secret for development and service tokens, an OIDC issuer's
// JWKS in production), puts the resulting Viewer and the clinician row
// scope into the request context, mints development tokens, and records
// who read restricted fields (the audit collector and writer).
package auth

import (
	"context"
	"slices"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// Viewer is the caller of one request.
type Viewer struct {
	// Subject is the token's sub claim; empty for the public.
	Subject string
	Roles   []model.Role
	// Orgs are the provider codes (PROCODE3) a clinician works for.
	Orgs []string
	// Authenticated is true when the request carried a valid token.
	Authenticated bool
}

// public is the viewer of requests without a token.
var public = &Viewer{Roles: []model.Role{}, Orgs: []string{}}

// Public returns the viewer of a request that carried no token.
func Public() *Viewer { return public }

// Has reports whether the viewer holds role r.
func (v *Viewer) Has(r model.Role) bool { return slices.Contains(v.Roles, r) }

// HasAny reports whether the viewer holds at least one of roles.
func (v *Viewer) HasAny(roles []model.Role) bool {
	for _, r := range roles {
		if v.Has(r) {
			return true
		}
	}
	return false
}

// MayReadIdentifiable reports whether the viewer could read any restricted
// field at all: ADMIN always, CLINICIAN for patients of their organisations.
// Others never can, so restricted values are cleared from what they load.
func (v *Viewer) MayReadIdentifiable() bool {
	return v.Has(model.RoleAdmin) || v.Has(model.RoleClinician)
}

// RowScope returns the row scope of the viewer: clinicians see only patients
// with an episode at one of their organisations. A clinician who also holds
// RESEARCHER or ADMIN is entitled to every row, so gets none (their
// restricted-field reads are still checked patient by patient).
func (v *Viewer) RowScope() *db.Scope {
	if !v.Has(model.RoleClinician) || v.Has(model.RoleAdmin) || v.Has(model.RoleResearcher) {
		return nil
	}
	return &db.Scope{Orgs: slices.Clone(v.Orgs)}
}

type viewerKey struct{}

// WithViewer returns a context carrying v.
func WithViewer(ctx context.Context, v *Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// FromContext returns the viewer of the request; without one (no token, or
// code running outside a request) it is the public viewer, who may read only
// public fields.
func FromContext(ctx context.Context) *Viewer {
	if v, ok := ctx.Value(viewerKey{}).(*Viewer); ok && v != nil {
		return v
	}
	return public
}

package resolvers

import (
	"context"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// viewer describes the caller as authenticated for this request, so that a
// client can tell which of its token's claims were honoured.
func viewer(ctx context.Context) *model.Viewer {
	v := auth.FromContext(ctx)
	out := &model.Viewer{
		Roles:         append([]model.Role{}, v.Roles...),
		Orgs:          append([]string{}, v.Orgs...),
		Authenticated: v.Authenticated,
	}
	if v.Subject != "" {
		sub := v.Subject
		out.Subject = &sub
	}
	return out
}

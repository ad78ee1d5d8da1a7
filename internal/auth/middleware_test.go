package auth_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

func TestMiddleware(t *testing.T) {
	v := newVerifier(t, auth.Config{Secret: secret})
	var seen *auth.Viewer
	h := auth.Middleware(v, nil)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen = auth.FromContext(r.Context())
		w.WriteHeader(http.StatusNoContent)
	}))
	do := func(header ...string) *httptest.ResponseRecorder {
		seen = nil
		r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
		for _, h := range header {
			r.Header.Add("Authorization", h)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	t.Run("NoTokenIsPublic", func(t *testing.T) {
		if w := do(); w.Code != http.StatusNoContent || seen == nil || seen.Authenticated || len(seen.Roles) != 0 {
			t.Errorf("status %d, viewer %+v", w.Code, seen)
		}
	})
	t.Run("OK", func(t *testing.T) {
		tok := mint(t, secret, auth.TokenSpec{Roles: []model.Role{model.RoleResearcher}}, time.Now())
		if w := do("bearer " + tok); w.Code != http.StatusNoContent || !seen.Has(model.RoleResearcher) || seen.RowScope() != nil {
			t.Errorf("status %d, viewer %+v", w.Code, seen)
		}
	})
	expired := mint(t, secret, auth.TokenSpec{Roles: []model.Role{model.RoleAdmin}}, time.Now().Add(-3*time.Hour))
	century := mint(t, secret, auth.TokenSpec{Roles: []model.Role{model.RoleAdmin}, TTL: 100 * 365 * 24 * time.Hour}, time.Now())
	for name, hdr := range map[string][]string{
		"ErrExpired":      {"Bearer " + expired},
		"ErrLifetime100y": {"Bearer " + century},
		"ErrBasic":        {"Basic dXNlcjpwYXNz"},
		"ErrEmpty":        {"Bearer "},
		"ErrTwoHeaders":   {"Bearer a", "Bearer b"},
	} {
		t.Run(name, func(t *testing.T) {
			w := do(hdr...)
			if w.Code != http.StatusUnauthorized || seen != nil {
				t.Fatalf("status %d (handler reached: %v), want 401", w.Code, seen != nil)
			}
			var body struct {
				Errors []struct {
					Message    string
					Extensions map[string]any
				}
			}
			if err := json.Unmarshal(w.Body.Bytes(), &body); err != nil || len(body.Errors) != 1 {
				t.Fatalf("body %q: %v", w.Body.String(), err)
			}
			if body.Errors[0].Extensions["code"] != model.ErrUnauthenticated {
				t.Errorf("code = %v, want UNAUTHENTICATED", body.Errors[0].Extensions["code"])
			}
			if ct := w.Header().Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
		})
	}
}

func TestRowScope(t *testing.T) {
	cases := []struct {
		roles  []model.Role
		scoped bool
	}{
		{[]model.Role{model.RoleClinician}, true},
		{[]model.Role{model.RoleClinician, model.RoleAdmin}, false},
		{[]model.Role{model.RoleClinician, model.RoleResearcher}, false},
		{[]model.Role{model.RoleResearcher}, false},
		{nil, false},
	}
	for _, c := range cases {
		v := &auth.Viewer{Roles: c.roles, Orgs: []string{"RTD"}, Authenticated: true}
		if got := v.RowScope() != nil; got != c.scoped {
			t.Errorf("roles %v: scoped = %v, want %v", c.roles, got, c.scoped)
		}
	}
	if v := auth.FromContext(context.Background()); v.Authenticated || len(v.Roles) != 0 {
		t.Errorf("viewer of a bare context = %+v, want public", v)
	}
}

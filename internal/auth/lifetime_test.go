package auth_test

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// HS256 tokens are bounded by the configured maximum lifetime (exp − iat)
// and must say when they were issued; the bound is inclusive.
func TestHS256MaxLifetime(t *testing.T) {
	now := time.Now()
	admin := []model.Role{model.RoleAdmin}
	spec := func(ttl time.Duration) auth.TokenSpec { return auth.TokenSpec{Roles: admin, TTL: ttl} }
	raw := func(claims jwt.MapClaims) string { return signRaw(t, jwt.SigningMethodHS256, secret, claims, "") }
	claims := func(iat any, exp time.Time) jwt.MapClaims {
		c := jwt.MapClaims{"sub": "svc", "roles": []string{"ADMIN"}, "exp": exp.Unix()}
		if iat != nil {
			c["iat"] = iat
		}
		return c
	}

	def := newVerifier(t, auth.Config{Secret: secret})
	if got := def.MaxLifetime(); got != 24*time.Hour {
		t.Fatalf("default max lifetime = %v, want 24h", got)
	}
	short := newVerifier(t, auth.Config{Secret: secret, MaxLifetime: time.Hour})

	cases := []struct {
		name  string
		v     *auth.Verifier
		token string
		want  string // "" = accepted
	}{
		{"OKDefaultAtMax", def, mint(t, secret, spec(24*time.Hour), now), ""},
		{"OKShortAtMax", short, mint(t, secret, spec(time.Hour), now), ""},
		{"ErrDefault100Years", def, mint(t, secret, spec(100*365*24*time.Hour), now), "exceeds the maximum of 24h0m0s"},
		{"ErrDefaultOneSecondOver", def, mint(t, secret, spec(24*time.Hour+time.Second), now), "exceeds"},
		{"ErrShortTwoHours", short, mint(t, secret, spec(2*time.Hour), now), "lifetime 2h0m0s exceeds the maximum of 1h0m0s"},
		{"ErrNoIssuedAt", def, raw(claims(nil, now.Add(time.Minute))), "iat"},
		// An iat far in the past with a near exp is a short remaining
		// validity but a long lifetime: still refused.
		{"ErrOldIssuedAt", def, raw(claims(now.Add(-48*time.Hour).Unix(), now.Add(time.Hour))), "exceeds"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := c.v.Verify(context.Background(), c.token)
			if c.want == "" {
				if err != nil || !got.Has(model.RoleAdmin) {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !errors.Is(err, auth.ErrInvalidToken) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrInvalidToken mentioning %q", err, c.want)
			}
		})
	}

	t.Run("ErrNegative", func(t *testing.T) {
		if _, err := auth.NewVerifier(context.Background(), auth.Config{Secret: secret, MaxLifetime: -time.Hour}); err == nil {
			t.Error("a negative maximum lifetime was accepted")
		}
	})
}

// Tokens from the OIDC issuer keep the issuer's lifetime: the HS256 bound
// does not apply to them, even with iat absent.
func TestOIDCKeepsIssuerLifetime(t *testing.T) {
	srv := newJWKSServer(t)
	k := must(rsa.GenerateKey(rand.Reader, 2048))
	srv.set(rsaJWK("k1", k))
	v := newVerifier(t, auth.Config{
		Secret: secret, MaxLifetime: time.Hour,
		JWKSURL: srv.URL + "/jwks", Issuer: "https://issuer.test", Audience: "hesgql", HTTPClient: srv.Client(),
	})
	now := time.Now()
	for name, c := range map[string]jwt.MapClaims{
		"Week":     {"sub": "svc", "roles": []string{"RESEARCHER"}, "aud": "hesgql", "iss": "https://issuer.test", "iat": now.Unix(), "exp": now.Add(7 * 24 * time.Hour).Unix()},
		"NoIssued": {"sub": "svc", "roles": []string{"RESEARCHER"}, "aud": "hesgql", "iss": "https://issuer.test", "exp": now.Add(48 * time.Hour).Unix()},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := v.Verify(context.Background(), signRaw(t, jwt.SigningMethodRS256, k, c, "k1")); err != nil {
				t.Errorf("OIDC token refused: %v", err)
			}
		})
	}
}

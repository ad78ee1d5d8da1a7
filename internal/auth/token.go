package auth

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hesgql/hesgql/graph/model"
)

// TokenSpec describes a token to mint.
type TokenSpec struct {
	Subject  string
	Roles    []model.Role
	Orgs     []string
	TTL      time.Duration
	Issuer   string
	Audience string
	// NotBefore delays validity (zero: valid from now).
	NotBefore time.Time
}

// Mint signs an HS256 token for spec with secret, valid from now for
// spec.TTL. It is how `hesgql token` and tests obtain tokens; production
// callers get theirs from the OIDC issuer.
func Mint(secret []byte, spec TokenSpec, now time.Time) (string, error) {
	if len(secret) == 0 {
		return "", errors.New("auth: no secret to sign with")
	}
	if spec.TTL <= 0 {
		return "", errors.New("auth: the token lifetime must be positive")
	}
	if spec.Subject == "" {
		return "", errors.New("auth: the token needs a subject")
	}
	roles := make([]string, 0, len(spec.Roles))
	for _, r := range spec.Roles {
		if !r.IsValid() {
			return "", fmt.Errorf("auth: unknown role %q", r)
		}
		roles = append(roles, string(r))
	}
	var id [12]byte
	_, _ = rand.Read(id[:])
	c := Claims{
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   spec.Subject,
			Issuer:    spec.Issuer,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(spec.TTL)),
			ID:        hex.EncodeToString(id[:]),
		},
		Roles: roles,
		Orgs:  spec.Orgs,
	}
	if spec.Audience != "" {
		c.Audience = jwt.ClaimStrings{spec.Audience}
	}
	if !spec.NotBefore.IsZero() {
		c.NotBefore = jwt.NewNumericDate(spec.NotBefore)
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(secret)
}

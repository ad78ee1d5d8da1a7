package auth

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/graph/model"
)

// An accepted HS256 token is answered from memory until it expires, and
// then refused as before; a refused token is never remembered.
func TestAcceptedTokensExpire(t *testing.T) {
	secret := []byte(strings.Repeat("s", 40))
	v, err := NewVerifier(context.Background(), Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	now := time.Now()
	v.now = func() time.Time { return now }
	tok, err := Mint(secret, TokenSpec{Subject: "alice", Roles: []model.Role{model.RoleResearcher}, TTL: time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	first, err := v.Verify(context.Background(), tok)
	if err != nil {
		t.Fatal(err)
	}
	again, err := v.Verify(context.Background(), tok)
	if err != nil || again != first {
		t.Errorf("second verification: %p, %v; want the remembered viewer %p", again, err, first)
	}
	// Past its expiry and the leeway, the token is refused.
	now = now.Add(time.Hour + time.Minute)
	if _, err := v.Verify(context.Background(), tok); err == nil {
		t.Error("an expired token was accepted from memory")
	}
	if v.accepted.Len() != 0 {
		t.Errorf("%d tokens remembered after the only one expired", v.accepted.Len())
	}
	forged := tok[:len(tok)-2] + "xx"
	if _, err := v.Verify(context.Background(), forged); err == nil {
		t.Error("a token with a wrong signature was accepted")
	}
	if v.accepted.Len() != 0 {
		t.Error("a refused token was remembered")
	}
}

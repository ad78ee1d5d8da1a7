package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hesgql/hesgql/internal/auth"
)

// GraphiQL's development token is minted each time the page is served, so
// a server up for longer than the token's lifetime never offers an expired
// one; outside development there is none.
func TestGraphiQLTokenMintedPerPageView(t *testing.T) {
	secret := []byte(strings.Repeat("k", 40))
	c := &authConfig{Dev: true, MaxLifetime: 24 * time.Hour}
	headers := c.graphiqlHeaders(secret)
	if headers == nil {
		t.Fatal("no GraphiQL headers in development")
	}
	v, err := auth.NewVerifier(context.Background(), auth.Config{Secret: secret})
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()

	view := func() (iat, exp int64) {
		t.Helper()
		h, err := headers()
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(h), &m); err != nil {
			t.Fatalf("headers %q: %v", h, err)
		}
		tok, ok := strings.CutPrefix(m["Authorization"], "Bearer ")
		if !ok {
			t.Fatalf("headers %q hold no bearer token", h)
		}
		if _, err := v.Verify(context.Background(), tok); err != nil {
			t.Fatalf("the pre-filled token does not verify: %v", err)
		}
		claims := jwt.MapClaims{}
		if _, _, err := jwt.NewParser().ParseUnverified(tok, claims); err != nil {
			t.Fatal(err)
		}
		i, _ := claims.GetIssuedAt()
		e, _ := claims.GetExpirationTime()
		return i.Unix(), e.Unix()
	}
	iat1, exp1 := view()
	if d := time.Duration(exp1-iat1) * time.Second; d != 24*time.Hour {
		t.Errorf("token lifetime %v, want 24h", d)
	}
	if now := time.Now().Unix(); iat1 < now-2 || iat1 > now {
		t.Errorf("token issued at %d, not now (%d)", iat1, now)
	}
	time.Sleep(1100 * time.Millisecond) // iat has one-second resolution
	iat2, exp2 := view()
	if iat2 <= iat1 || exp2 <= exp1 {
		t.Errorf("second page view got a token issued at %d (exp %d), first at %d (exp %d): not minted per view", iat2, exp2, iat1, exp1)
	}

	short := &authConfig{Dev: true, MaxLifetime: time.Hour}
	h, err := short.graphiqlHeaders(secret)()
	if err != nil {
		t.Fatal(err)
	}
	if h == "" {
		t.Fatal("no headers with a short max lifetime")
	}
	if (&authConfig{Dev: false, MaxLifetime: time.Hour}).graphiqlHeaders(secret) != nil {
		t.Error("GraphiQL headers outside development")
	}
}

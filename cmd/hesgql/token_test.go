package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

func TestTokenCommand(t *testing.T) {
	strong := strings.Repeat("s", 40)
	verify := func(t *testing.T, secret, tok string) *auth.Viewer {
		t.Helper()
		v, err := auth.NewVerifier(context.Background(), auth.Config{Secret: []byte(secret)})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		got, err := v.Verify(context.Background(), strings.TrimSpace(tok))
		if err != nil {
			t.Fatalf("minted token does not verify: %v", err)
		}
		return got
	}
	t.Run("OK", func(t *testing.T) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"token", "--role", "clinician", "--org", "rtd,RX1", "--org", "RWE", "--sub", "dr-who", "--ttl", "5m"},
			envFunc(map[string]string{"HES_JWT_SECRET": strong}), &out, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		v := verify(t, strong, out.String())
		if v.Subject != "dr-who" || !v.Has(model.RoleClinician) || strings.Join(v.Orgs, ",") != "RTD,RX1,RWE" {
			t.Errorf("viewer = %+v", v)
		}
	})
	t.Run("DevSecret", func(t *testing.T) {
		var out bytes.Buffer
		if err := run(context.Background(), []string{"token", "--role", "ADMIN", "--dev"}, envFunc(nil), &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		verify(t, auth.DevSecret, out.String())
	})
	t.Run("OKLongerMaxLifetime", func(t *testing.T) {
		var out bytes.Buffer
		err := run(context.Background(), []string{"token", "--role", "ADMIN", "--ttl", "48h"},
			envFunc(map[string]string{"HES_JWT_SECRET": strong, "HES_JWT_MAX_LIFETIME": "72h"}), &out, io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		v, err := auth.NewVerifier(context.Background(), auth.Config{Secret: []byte(strong), MaxLifetime: 72 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		defer v.Close()
		if _, err := v.Verify(context.Background(), strings.TrimSpace(out.String())); err != nil {
			t.Errorf("48h token under a 72h maximum: %v", err)
		}
	})
	for name, c := range map[string]struct {
		args []string
		env  map[string]string
	}{
		"ErrTTLAboveDefaultMax": {[]string{"token", "--role", "ADMIN", "--ttl", "25h"}, map[string]string{"HES_JWT_SECRET": strong}},
		"ErrTTLAboveEnvMax":     {[]string{"token", "--role", "ADMIN", "--ttl", "2h"}, map[string]string{"HES_JWT_SECRET": strong, "HES_JWT_MAX_LIFETIME": "1h"}},
		"ErrTTLAboveFlagMax":    {[]string{"token", "--role", "ADMIN", "--ttl", "2h", "--jwt-max-lifetime", "90m"}, map[string]string{"HES_JWT_SECRET": strong}},
		"ErrTTL100Years":        {[]string{"token", "--role", "ADMIN", "--ttl", "876000h", "--dev"}, nil},
		"ErrZeroMaxLifetime":    {[]string{"token", "--role", "ADMIN", "--jwt-max-lifetime", "0s"}, map[string]string{"HES_JWT_SECRET": strong}},
		"ErrNoSecret":           {[]string{"token", "--role", "ADMIN"}, nil},
		"ErrWeakSecret":         {[]string{"token", "--role", "ADMIN"}, map[string]string{"HES_JWT_SECRET": "short"}},
		"ErrNoRole":             {[]string{"token"}, map[string]string{"HES_JWT_SECRET": strong}},
		"ErrUnknownRole":        {[]string{"token", "--role", "ROOT"}, map[string]string{"HES_JWT_SECRET": strong}},
	} {
		t.Run(name, func(t *testing.T) {
			if err := run(context.Background(), c.args, envFunc(c.env), io.Discard, io.Discard); err == nil {
				t.Error("token minted")
			}
		})
	}
}

// serve refuses to start on a missing or weak secret outside development,
// before it touches the database.
func TestServeRefusesWeakSecret(t *testing.T) {
	for name, env := range map[string]map[string]string{
		"Missing": {"HES_DSN": "nobody@tcp(127.0.0.1:1)/none"},
		"Weak":    {"HES_DSN": "nobody@tcp(127.0.0.1:1)/none", "HES_JWT_SECRET": "0123456789"},
		"JWKSWithoutAudience": {"HES_DSN": "nobody@tcp(127.0.0.1:1)/none", "HES_OIDC_JWKS_URL": "http://127.0.0.1:1/jwks",
			"HES_OIDC_ISSUER": "https://issuer.test"},
		"ZeroMaxLifetime":     {"HES_DSN": "nobody@tcp(127.0.0.1:1)/none", "HES_JWT_SECRET": strings.Repeat("s", 40), "HES_JWT_MAX_LIFETIME": "0s"},
		"NegativeMaxLifetime": {"HES_DSN": "nobody@tcp(127.0.0.1:1)/none", "HES_JWT_SECRET": strings.Repeat("s", 40), "HES_JWT_MAX_LIFETIME": "-1h"},
	} {
		t.Run(name, func(t *testing.T) {
			err := run(context.Background(), []string{"serve", "--addr", "127.0.0.1:0"}, envFunc(env), io.Discard, io.Discard)
			if err == nil || strings.Contains(err.Error(), "connect") {
				t.Errorf("err = %v, want a refusal over the token configuration", err)
			}
		})
	}
}

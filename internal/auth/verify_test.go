package auth_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

var secret = []byte(strings.Repeat("k", 40))

func TestMain(m *testing.M) {
	// The code under test logs refusals and retries by design; tests assert
	// on behaviour, so keep their output readable.
	slog.SetDefault(slog.New(slog.DiscardHandler))
	os.Exit(m.Run())
}

func newVerifier(t *testing.T, cfg auth.Config) *auth.Verifier {
	t.Helper()
	v, err := auth.NewVerifier(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(v.Close)
	return v
}

func mint(t *testing.T, key []byte, spec auth.TokenSpec, now time.Time) string {
	t.Helper()
	if spec.Subject == "" {
		spec.Subject = "alice"
	}
	if spec.TTL == 0 {
		spec.TTL = time.Hour
	}
	tok, err := auth.Mint(key, spec, now)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// signRaw signs arbitrary claims, for tokens Mint would never make.
func signRaw(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims, kid string) string {
	t.Helper()
	tok := jwt.NewWithClaims(m, claims)
	if kid != "" {
		tok.Header["kid"] = kid
	}
	s, err := tok.SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestVerifyHS256(t *testing.T) {
	v := newVerifier(t, auth.Config{Secret: secret, Audience: "hesgql", Issuer: "https://issuer.test"})
	now := time.Now()
	good := auth.TokenSpec{Roles: []model.Role{model.RoleClinician}, Orgs: []string{"rtd", "RX1"}, Audience: "hesgql", Issuer: "https://issuer.test"}

	t.Run("OK", func(t *testing.T) {
		got, err := v.Verify(context.Background(), mint(t, secret, good, now))
		if err != nil {
			t.Fatal(err)
		}
		if got.Subject != "alice" || !got.Authenticated || !got.Has(model.RoleClinician) || len(got.Roles) != 1 {
			t.Errorf("viewer = %+v", got)
		}
		if strings.Join(got.Orgs, ",") != "RTD,RX1" {
			t.Errorf("orgs = %v, want RTD,RX1 (normalised)", got.Orgs)
		}
		if s := got.RowScope(); s == nil || len(s.Orgs) != 2 {
			t.Errorf("clinician row scope = %+v", s)
		}
	})

	withAud := func(s auth.TokenSpec, aud string) auth.TokenSpec { s.Audience = aud; return s }
	withIss := func(s auth.TokenSpec, iss string) auth.TokenSpec { s.Issuer = iss; return s }
	notBefore := good
	notBefore.NotBefore = now.Add(time.Hour)
	rsaKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: must(x509.MarshalPKIXPublicKey(&rsaKey.PublicKey))})
	base := jwt.MapClaims{"sub": "alice", "roles": []string{"ADMIN"}, "aud": "hesgql", "iss": "https://issuer.test",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	with := func(k string, val any) jwt.MapClaims {
		c := jwt.MapClaims{}
		for kk, vv := range base {
			c[kk] = vv
		}
		if val == nil {
			delete(c, k)
		} else {
			c[k] = val
		}
		return c
	}

	cases := map[string]struct {
		token string
		want  string
	}{
		"ErrExpired":         {mint(t, secret, good, now.Add(-2*time.Hour)), "expired"},
		"ErrNotYetValid":     {mint(t, secret, notBefore, now), "not valid yet"},
		"ErrIssuedInFuture":  {mint(t, secret, good, now.Add(time.Hour)), "not valid yet"},
		"ErrWrongSignature":  {mint(t, []byte(strings.Repeat("x", 40)), good, now), "signature"},
		"ErrWrongAudience":   {mint(t, secret, withAud(good, "another-api"), now), "audience"},
		"ErrNoAudience":      {mint(t, secret, withAud(good, ""), now), "missing"},
		"ErrWrongIssuer":     {mint(t, secret, withIss(good, "https://evil.test"), now), "issuer"},
		"ErrAlgNone":         {signRaw(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, base, ""), "signature"},
		"ErrAlgNoneUnsigned": {unsigned(base), "signature"},
		"ErrRS256NoJWKS":     {signRaw(t, jwt.SigningMethodRS256, rsaKey, base, "k1"), "signature"},
		"ErrHS256WithPubKey": {signRaw(t, jwt.SigningMethodHS256, pubPEM, base, ""), "signature"},
		"ErrHS512":           {signRaw(t, jwt.SigningMethodHS512, secret, base, ""), "signature"},
		"ErrUnknownRole":     {signRaw(t, jwt.SigningMethodHS256, secret, with("roles", []string{"ADMIN", "SUPERUSER"}), ""), "unknown role"},
		"ErrLowercaseRole":   {signRaw(t, jwt.SigningMethodHS256, secret, with("roles", []string{"admin"}), ""), "unknown role"},
		"ErrRolesNotArray":   {signRaw(t, jwt.SigningMethodHS256, secret, with("roles", "ADMIN"), ""), "malformed"},
		"ErrNoExpiry":        {signRaw(t, jwt.SigningMethodHS256, secret, with("exp", nil), ""), "missing"},
		"ErrNoSubject":       {signRaw(t, jwt.SigningMethodHS256, secret, with("sub", nil), ""), "sub"},
		"ErrBadOrg":          {signRaw(t, jwt.SigningMethodHS256, secret, with("orgs", []string{"RTD'--"}), ""), "provider code"},
		"ErrGarbage":         {"not.a.token", "malformed"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := v.Verify(context.Background(), c.token)
			if err == nil {
				t.Fatalf("accepted: %+v", got)
			}
			if !errors.Is(err, auth.ErrInvalidToken) || !strings.Contains(err.Error(), c.want) {
				t.Errorf("err = %v, want ErrInvalidToken mentioning %q", err, c.want)
			}
		})
	}
}

// unsigned builds an alg "none" token by hand, as an attacker would.
func unsigned(claims jwt.MapClaims) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT"})
	p, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// A verifier with no key configured refuses every token.
func TestVerifyNothingConfigured(t *testing.T) {
	v := newVerifier(t, auth.Config{})
	if _, err := v.Verify(context.Background(), mint(t, secret, auth.TokenSpec{Roles: []model.Role{model.RoleAdmin}}, time.Now())); err == nil {
		t.Fatal("token accepted with no key configured")
	}
}

func TestJWKSNeedsIssuerAndAudience(t *testing.T) {
	if _, err := auth.NewVerifier(context.Background(), auth.Config{JWKSURL: "http://127.0.0.1:1/jwks"}); err == nil {
		t.Fatal("JWKS without issuer and audience accepted")
	}
}

// jwksServer serves a key set that the test can rotate.
type jwksServer struct {
	*httptest.Server
	mu       sync.Mutex
	keys     []map[string]string
	requests atomic.Int64
}

func newJWKSServer(t *testing.T) *jwksServer {
	s := &jwksServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		s.mu.Lock()
		body, _ := json.Marshal(map[string]any{"keys": s.keys})
		s.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *jwksServer) set(keys ...map[string]string) {
	s.mu.Lock()
	s.keys = keys
	s.mu.Unlock()
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func rsaJWK(kid string, k *rsa.PrivateKey) map[string]string {
	return map[string]string{"kty": "RSA", "kid": kid, "alg": "RS256", "use": "sig",
		"n": b64(k.N.Bytes()), "e": b64(big.NewInt(int64(k.E)).Bytes())}
}

func ecJWK(kid string, k *ecdsa.PrivateKey) map[string]string {
	pub := must(k.PublicKey.ECDH()).Bytes() // 0x04 || X || Y
	return map[string]string{"kty": "EC", "kid": kid, "alg": "ES256", "use": "sig", "crv": "P-256",
		"x": b64(pub[1:33]), "y": b64(pub[33:])}
}

// Tokens from the OIDC issuer verify against its JWKS; when the issuer
// rotates keys, tokens signed with the new key verify after the key set is
// fetched again, and the retired key stops working.
func TestJWKSRotation(t *testing.T) {
	srv := newJWKSServer(t)
	k1 := must(rsa.GenerateKey(rand.Reader, 2048))
	k2 := must(rsa.GenerateKey(rand.Reader, 2048))
	k3 := must(ecdsa.GenerateKey(elliptic.P256(), rand.Reader))
	srv.set(rsaJWK("k1", k1))

	v := newVerifier(t, auth.Config{
		JWKSURL: srv.URL + "/jwks", Issuer: "https://issuer.test", Audience: "hesgql",
		JWKSRefresh:            300 * time.Millisecond,
		JWKSUnknownKeyInterval: time.Hour, // only one refresh on an unknown key id in this test
		HTTPClient:             srv.Client(),
	})
	now := time.Now()
	claims := jwt.MapClaims{"sub": "svc", "roles": []string{"RESEARCHER"}, "aud": "hesgql", "iss": "https://issuer.test",
		"exp": now.Add(time.Hour).Unix(), "iat": now.Unix()}
	verify := func(tok string) error { _, err := v.Verify(context.Background(), tok); return err }

	if err := verify(signRaw(t, jwt.SigningMethodRS256, k1, claims, "k1")); err != nil {
		t.Fatalf("k1 token: %v", err)
	}
	wrongAud := jwt.MapClaims{}
	for k, val := range claims {
		wrongAud[k] = val
	}
	wrongAud["aud"] = "another-api"
	if err := verify(signRaw(t, jwt.SigningMethodRS256, k1, wrongAud, "k1")); err == nil {
		t.Error("JWKS token for another audience accepted")
	}
	// HS256 with the issuer's public key as the secret: algorithm confusion.
	pubDER := must(x509.MarshalPKIXPublicKey(&k1.PublicKey))
	if err := verify(signRaw(t, jwt.SigningMethodHS256, pubDER, claims, "k1")); err == nil {
		t.Error("HS256 token accepted where only the JWKS is configured")
	}

	// Rotation: k2 replaces k1. The unknown key id triggers a refresh.
	srv.set(rsaJWK("k2", k2))
	if err := verify(signRaw(t, jwt.SigningMethodRS256, k2, claims, "k2")); err != nil {
		t.Fatalf("k2 token after rotation: %v", err)
	}
	start := time.Now()
	if err := verify(signRaw(t, jwt.SigningMethodRS256, k1, claims, "k1")); err == nil {
		t.Error("token of the retired key k1 still accepted")
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("a token with an unknown key id held the request for %v", took)
	}

	// Second rotation, to an EC key: picked up by the periodic refresh (the
	// unknown-key refresh is spent for the hour).
	srv.set(ecJWK("k3", k3))
	deadline := time.Now().Add(10 * time.Second)
	for {
		err := verify(signRaw(t, jwt.SigningMethodES256, k3, claims, "k3"))
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("k3 token never verified after rotation: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if srv.requests.Load() < 3 {
		t.Errorf("JWKS fetched %d times, want at least 3 (start, unknown key, refresh)", srv.requests.Load())
	}
}

func TestMint(t *testing.T) {
	cases := map[string]auth.TokenSpec{
		"ErrNoSubject":   {Roles: []model.Role{model.RoleAdmin}, TTL: time.Hour},
		"ErrNoTTL":       {Subject: "a", Roles: []model.Role{model.RoleAdmin}},
		"ErrUnknownRole": {Subject: "a", Roles: []model.Role{"ROOT"}, TTL: time.Hour},
	}
	for name, spec := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := auth.Mint(secret, spec, time.Now()); err == nil {
				t.Error("minted")
			}
		})
	}
	if _, err := auth.Mint(nil, auth.TokenSpec{Subject: "a", TTL: time.Hour}, time.Now()); err == nil {
		t.Error("minted without a secret")
	}
}

package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// authConfig is how tokens are verified (serve) and minted (token).
type authConfig struct {
	Dev          bool
	Secret       string // HES_JWT_SECRET only: a flag would show it in ps
	OIDCIssuer   string
	OIDCJWKSURL  string
	OIDCAudience string
	// MaxLifetime bounds exp − iat of HS256 tokens: serve refuses longer
	// ones and token will not mint them.
	MaxLifetime time.Duration
}

func (c *authConfig) register(s *settings) {
	fs, env := s.fs, s.env
	c.Secret = env.getenv("HES_JWT_SECRET")
	s.Bool(&c.Dev, "dev", "HES_DEV", false, "development mode: a built-in token secret when HES_JWT_SECRET is unset, GraphiQL, introspection and field suggestions on [HES_DEV]")
	fs.StringVar(&c.OIDCIssuer, "oidc-issuer", env.getenv("HES_OIDC_ISSUER"), "expected iss claim of tokens [HES_OIDC_ISSUER]")
	fs.StringVar(&c.OIDCJWKSURL, "oidc-jwks-url", env.getenv("HES_OIDC_JWKS_URL"), "the OIDC issuer's JWKS URL; RS256/ES256 tokens are verified with its keys [HES_OIDC_JWKS_URL]")
	fs.StringVar(&c.OIDCAudience, "oidc-audience", env.getenv("HES_OIDC_AUDIENCE"), "expected aud claim of tokens [HES_OIDC_AUDIENCE]")
	s.Duration(&c.MaxLifetime, "jwt-max-lifetime", "HES_JWT_MAX_LIFETIME", auth.DefaultMaxLifetime, "longest lifetime (exp - iat) of an HS256 token; OIDC tokens keep the issuer's [HES_JWT_MAX_LIFETIME]")
}

// checkMaxLifetime refuses a zero or negative bound, which would otherwise
// either refuse every token or (as zero means "default" to the verifier)
// silently stand for 24h.
func (c *authConfig) checkMaxLifetime() error {
	if c.MaxLifetime <= 0 {
		return fmt.Errorf("HES_JWT_MAX_LIFETIME / --jwt-max-lifetime must be a positive duration such as 24h or 90m (it is %v)", c.MaxLifetime)
	}
	return nil
}

// secret returns the HS256 secret. Outside development a missing or short
// secret is an error, not a warning: a guessable secret lets anyone mint an
// ADMIN token. With only OIDC configured there is no secret and HS256 is off.
func (c *authConfig) secret(log *slog.Logger) ([]byte, error) {
	s := []byte(c.Secret)
	switch {
	case len(s) >= auth.MinSecretBytes:
		return s, nil
	case len(s) > 0 && c.Dev:
		log.Warn("HES_JWT_SECRET is shorter than 32 bytes; accepted only because this is development mode")
		return s, nil
	case len(s) > 0:
		return nil, fmt.Errorf("HES_JWT_SECRET must be at least %d bytes (it is %d); or run with --dev / HES_DEV=true", auth.MinSecretBytes, len(s))
	case c.Dev:
		log.Warn("##########################################################################")
		log.Warn("DEVELOPMENT MODE: tokens are signed with a built-in, PUBLIC secret. Anyone")
		log.Warn("can mint any role. Never serve real data like this: set HES_JWT_SECRET")
		log.Warn("(32+ random bytes) or HES_OIDC_* and unset HES_DEV.")
		log.Warn("##########################################################################")
		return []byte(auth.DevSecret), nil
	case c.OIDCJWKSURL != "":
		return nil, nil
	}
	return nil, errors.New("no token verification configured: set HES_JWT_SECRET (32+ bytes) or HES_OIDC_ISSUER, HES_OIDC_JWKS_URL and HES_OIDC_AUDIENCE; or run with --dev / HES_DEV=true")
}

// verifier builds the token verifier serve uses, with the HS256 secret
// serve resolved once (secret), so that its warnings are logged once.
func (c *authConfig) verifier(ctx context.Context, log *slog.Logger, secret []byte) (*auth.Verifier, error) {
	if err := c.checkMaxLifetime(); err != nil {
		return nil, err
	}
	return auth.NewVerifier(ctx, auth.Config{
		Secret:      secret,
		JWKSURL:     c.OIDCJWKSURL,
		Issuer:      c.OIDCIssuer,
		Audience:    c.OIDCAudience,
		MaxLifetime: c.MaxLifetime,
		Logger:      log,
	})
}

// listFlag collects a flag given several times or as a comma-separated list.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Set(s string) error {
	*l = append(*l, splitList(s)...)
	return nil
}

func runToken(ctx context.Context, env *environment, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.SetOutput(env.stderr)
	fs.Usage = func() {
		fmt.Fprintln(env.stderr, "usage: hesgql token --role ROLE [--org CODE]... [--ttl 1h] [--sub NAME]\n\nPrints a token signed with HES_JWT_SECRET (or, with --dev, the development secret).")
		fs.PrintDefaults()
	}
	s := newSettings(fs, env)
	var cfg authConfig
	cfg.register(s)
	var roles, orgs listFlag
	fs.Var(&roles, "role", "RESEARCHER, CLINICIAN or ADMIN; repeat or separate with commas")
	fs.Var(&orgs, "org", "provider code (PROCODE3) a clinician works for; repeat or separate with commas")
	var ttl time.Duration
	s.Duration(&ttl, "ttl", "", time.Hour, "how long the token is valid")
	sub := fs.String("sub", "developer", "the token's subject (sub claim), recorded in the audit log")
	if err := s.parse(args); err != nil {
		return err
	}
	if len(roles) == 0 {
		fs.Usage()
		return errors.New("token: give at least one --role")
	}
	if err := cfg.checkMaxLifetime(); err != nil {
		return err
	}
	if ttl > cfg.MaxLifetime {
		return fmt.Errorf("token: --ttl %v is above the maximum token lifetime of %v, which the server would refuse (raise HES_JWT_MAX_LIFETIME / --jwt-max-lifetime on both)", ttl, cfg.MaxLifetime)
	}
	spec := auth.TokenSpec{Subject: *sub, TTL: ttl, Orgs: orgs, Issuer: cfg.OIDCIssuer, Audience: cfg.OIDCAudience}
	for _, r := range roles {
		role := model.Role(strings.ToUpper(r))
		if !role.IsValid() {
			return fmt.Errorf("token: unknown role %q (want RESEARCHER, CLINICIAN or ADMIN)", r)
		}
		spec.Roles = append(spec.Roles, role)
	}
	log := slog.New(slog.NewTextHandler(env.stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	secret, err := cfg.secret(log)
	if err != nil {
		return err
	}
	if secret == nil {
		return errors.New("token: only OIDC is configured; tokens come from the issuer (set HES_JWT_SECRET to mint service tokens)")
	}
	tok, err := auth.Mint(secret, spec, time.Now())
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(env.stdout, tok)
	if err == nil {
		err = ctx.Err()
	}
	return err
}

// graphiqlHeaders returns what pre-fills GraphiQL's headers editor, called
// each time the page is served: in development a RESEARCHER token signed
// with secret (as resolved by serve) and minted for that page view, so that
// the README's first query runs as written however long the server has
// been up; otherwise nil (no headers). The token is written into the page,
// which is why this happens only in dev mode.
func (c *authConfig) graphiqlHeaders(secret []byte) func() (string, error) {
	if !c.Dev || secret == nil {
		return nil
	}
	// A day, or less when the server accepts less: a pre-filled token the
	// server refuses would greet the developer with 401s.
	ttl := min(24*time.Hour, c.MaxLifetime)
	spec := auth.TokenSpec{
		Subject: "graphiql-dev", Roles: []model.Role{model.RoleResearcher}, TTL: ttl,
		Issuer: c.OIDCIssuer, Audience: c.OIDCAudience,
	}
	return func() (string, error) {
		tok, err := auth.Mint(secret, spec, time.Now())
		if err != nil {
			return "", err
		}
		h, err := json.Marshal(map[string]string{"Authorization": "Bearer " + tok})
		return string(h), err
	}
}

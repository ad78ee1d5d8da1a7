package auth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/hesgql/hesgql/graph/model"
)

// MinSecretBytes is the shortest HS256 secret accepted outside development:
// HS256 is only as strong as its key, and RFC 7518 asks for at least the
// hash size.
const MinSecretBytes = 32

// DevSecret signs and verifies tokens in development mode when no secret is
// configured. It is public (it is in the source), so anyone can mint any
// role with it: never use it where real data is served.
const DevSecret = "hesgql-development-only-secret-do-not-use-in-production"

// DefaultMaxLifetime is the longest exp − iat accepted on an HS256 token
// when none is configured. HS256 tokens are minted locally (service
// accounts, `hesgql token`) and cannot be revoked, so a leaked one must not
// stay good for years; a day covers a working session and a nightly job.
const DefaultMaxLifetime = 24 * time.Hour

// Config configures a Verifier.
type Config struct {
	// Secret verifies HS256 tokens (`hesgql token`, service accounts).
	// Empty disables HS256.
	Secret []byte
	// JWKSURL is the OIDC issuer's JWKS endpoint. Set, RS256 and ES256
	// tokens are verified against its keys, which are cached and refreshed.
	JWKSURL string
	// Issuer and Audience, when set, must match the iss and aud claims.
	// Both are required with JWKSURL: an issuer signs tokens for many
	// audiences, and only ours may be accepted.
	Issuer   string
	Audience string
	// MaxLifetime is the longest exp − iat an HS256 token may have
	// (default DefaultMaxLifetime; negative is refused). HS256 tokens must
	// carry iat. Tokens from the OIDC issuer keep the issuer's lifetime:
	// it is the issuer's policy, and its keys can be rotated.
	MaxLifetime time.Duration
	// Leeway tolerates clock skew in exp, nbf and iat (default 30s).
	Leeway time.Duration
	// JWKSRefresh is how often the key set is fetched again (default 15m).
	JWKSRefresh time.Duration
	// JWKSUnknownKeyInterval is the least time between refreshes caused by
	// a token naming a key id not in the cache (default 1m); rotation is
	// picked up at once, but random key ids cannot make us hammer the
	// issuer.
	JWKSUnknownKeyInterval time.Duration
	// HTTPClient fetches the key set (default: 10s timeout).
	HTTPClient *http.Client
	Logger     *slog.Logger
}

// Verifier checks bearer tokens and turns their claims into a Viewer.
type Verifier struct {
	secret      []byte
	maxLifetime time.Duration
	jwks        keyfunc.Keyfunc
	parser      *jwt.Parser
	cancel      context.CancelFunc
	// accepted remembers the HS256 tokens this verifier accepted (see
	// Verify); now is the clock of both.
	accepted *lru.Cache[string, acceptedToken]
	now      func() time.Time
}

// acceptedToken is an accepted token's viewer and when the token expires.
type acceptedToken struct {
	viewer  *Viewer
	expires time.Time
}

// acceptedTokens bounds the remembered HS256 tokens: a client sends the
// same token with every request until it expires.
const acceptedTokens = 1024

// ErrInvalidToken is wrapped by every verification failure.
var ErrInvalidToken = errors.New("invalid token")

// Claims are the claims hesgql reads from a token.
type Claims struct {
	jwt.RegisteredClaims
	// Roles are role names (RESEARCHER, CLINICIAN, ADMIN).
	Roles []string `json:"roles"`
	// Orgs are provider codes (PROCODE3), for clinicians.
	Orgs []string `json:"orgs,omitempty"`
}

// NewVerifier builds a verifier. With a JWKS URL it starts fetching keys in
// the background until Close; an unreachable issuer does not stop the
// server from starting, tokens simply fail until the keys arrive.
func NewVerifier(ctx context.Context, cfg Config) (*Verifier, error) {
	leeway := cfg.Leeway
	if leeway <= 0 {
		leeway = 30 * time.Second
	}
	maxLifetime := cfg.MaxLifetime
	switch {
	case maxLifetime < 0:
		return nil, fmt.Errorf("auth: the maximum token lifetime must be positive (it is %v)", maxLifetime)
	case maxLifetime == 0:
		maxLifetime = DefaultMaxLifetime
	}
	methods := []string{} // non-nil: with no key configured, every algorithm is refused
	v := &Verifier{cancel: func() {}, maxLifetime: maxLifetime, now: time.Now}
	v.accepted, _ = lru.New[string, acceptedToken](acceptedTokens)
	if len(cfg.Secret) > 0 {
		v.secret = append([]byte(nil), cfg.Secret...)
		methods = append(methods, jwt.SigningMethodHS256.Alg())
	}
	if cfg.JWKSURL != "" {
		if cfg.Issuer == "" || cfg.Audience == "" {
			return nil, errors.New("auth: a JWKS URL needs the issuer and the audience to check tokens against")
		}
		kf, cancel, err := newJWKS(ctx, cfg)
		if err != nil {
			return nil, err
		}
		v.jwks, v.cancel = kf, cancel
		methods = append(methods, jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg())
	}
	opts := []jwt.ParserOption{
		// Pinning the algorithms is what refuses alg "none" and any
		// attempt to have a public key used as an HMAC secret.
		jwt.WithValidMethods(methods),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(leeway),
		jwt.WithTimeFunc(func() time.Time { return v.now() }),
	}
	if cfg.Issuer != "" {
		opts = append(opts, jwt.WithIssuer(cfg.Issuer))
	}
	if cfg.Audience != "" {
		opts = append(opts, jwt.WithAudience(cfg.Audience))
	}
	v.parser = jwt.NewParser(opts...)
	return v, nil
}

func newJWKS(ctx context.Context, cfg Config) (keyfunc.Keyfunc, context.CancelFunc, error) {
	refresh := cfg.JWKSRefresh
	if refresh <= 0 {
		refresh = 15 * time.Minute
	}
	unknown := cfg.JWKSUnknownKeyInterval
	if unknown <= 0 {
		unknown = time.Minute
	}
	client := cfg.HTTPClient
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	kctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	kf, err := keyfunc.NewDefaultOverrideCtx(kctx, []string{cfg.JWKSURL}, keyfunc.Override{
		Client:          client,
		RefreshInterval: refresh,
		// A token with an unknown key id waits at most this long for the
		// refresh rate limiter; beyond it the token fails at once instead
		// of holding the request.
		RateLimitWaitMax:  time.Second,
		RefreshUnknownKID: rate.NewLimiter(rate.Every(unknown), 1),
		RefreshErrorHandlerFunc: func(u string) func(context.Context, error) {
			return func(ctx context.Context, err error) {
				log.ErrorContext(ctx, "cannot refresh the OIDC key set", "url", u, "err", err)
			}
		},
	})
	if err != nil {
		cancel()
		return nil, nil, fmt.Errorf("auth: JWKS %s: %w", cfg.JWKSURL, err)
	}
	return kf, cancel, nil
}

// Close stops refreshing the key set.
func (v *Verifier) Close() { v.cancel() }

// Verify checks a raw token (without "Bearer ") and returns its viewer.
//
// An HS256 token it accepted is answered from memory until it expires:
// every check but the expiry depends only on the token and on the secret,
// which does not change while the process runs, and parsing a token
// (base64 and JSON) was a twentieth of a small request's CPU. A token
// signed by the issuer's keys is checked every time, so that one of a
// key the issuer has withdrawn is refused as soon as the key set says so.
func (v *Verifier) Verify(ctx context.Context, raw string) (*Viewer, error) {
	if t, ok := v.accepted.Get(raw); ok {
		if v.now().Before(t.expires) {
			return t.viewer, nil
		}
		v.accepted.Remove(raw)
	}
	var c Claims
	tok, err := v.parser.ParseWithClaims(raw, &c, v.key(ctx))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, reason(err))
	}
	hs256 := tok.Method.Alg() == jwt.SigningMethodHS256.Alg()
	if hs256 {
		if err := v.checkLifetime(&c); err != nil {
			return nil, err
		}
	}
	viewer, err := c.viewer()
	if err == nil && hs256 {
		v.accepted.Add(raw, acceptedToken{viewer: viewer, expires: c.ExpiresAt.Time})
	}
	return viewer, err
}

// checkLifetime bounds an HS256 token's exp − iat. Without iat the lifetime
// is unknown, so the token is refused rather than trusted for as long as its
// exp says.
func (v *Verifier) checkLifetime(c *Claims) error {
	if c.IssuedAt == nil {
		return fmt.Errorf("%w: a required claim is missing (iat)", ErrInvalidToken)
	}
	// exp is required by the parser, so it is set here.
	if life := c.ExpiresAt.Sub(c.IssuedAt.Time); life > v.maxLifetime {
		return fmt.Errorf("%w: lifetime %v exceeds the maximum of %v", ErrInvalidToken, life, v.maxLifetime)
	}
	return nil
}

// MaxLifetime is the longest lifetime this verifier accepts on HS256 tokens.
func (v *Verifier) MaxLifetime() time.Duration { return v.maxLifetime }

// key chooses the verification key by the token's algorithm among the
// pinned ones: the secret for HS256, the issuer's keys for RS256/ES256.
func (v *Verifier) key(ctx context.Context) jwt.Keyfunc {
	return func(t *jwt.Token) (any, error) {
		switch t.Method.Alg() {
		case jwt.SigningMethodHS256.Alg():
			if v.secret != nil {
				return v.secret, nil
			}
		case jwt.SigningMethodRS256.Alg(), jwt.SigningMethodES256.Alg():
			if v.jwks != nil {
				return v.jwks.KeyfuncCtx(ctx)(t)
			}
		}
		return nil, jwt.ErrTokenSignatureInvalid
	}
}

// reason names what was wrong with a token without echoing it.
func reason(err error) string {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return "malformed"
	case errors.Is(err, jwt.ErrTokenExpired):
		return "expired"
	case errors.Is(err, jwt.ErrTokenNotValidYet), errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return "not valid yet"
	case errors.Is(err, jwt.ErrTokenInvalidAudience):
		return "wrong audience"
	case errors.Is(err, jwt.ErrTokenInvalidIssuer):
		return "wrong issuer"
	case errors.Is(err, jwt.ErrTokenRequiredClaimMissing):
		return "a required claim is missing"
	case errors.Is(err, jwt.ErrTokenSignatureInvalid), errors.Is(err, jwt.ErrTokenUnverifiable):
		return "signature not verified"
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return "invalid claims"
	}
	return "not accepted"
}

// orgCode is the shape of a provider code (PROCODE3, or a 5-character code).
var orgCode = regexp.MustCompile(`^[A-Z0-9]{3,5}$`)

// Limits on claims, so that a token cannot make every query carry an
// enormous IN list.
const (
	maxSubjectLen = 255
	maxOrgs       = 256
)

// viewer validates the hesgql claims. A token naming a role we do not know
// is refused rather than partly honoured: it was minted for another system
// or by mistake.
func (c *Claims) viewer() (*Viewer, error) {
	bad := func(format string, args ...any) (*Viewer, error) {
		return nil, fmt.Errorf("%w: %s", ErrInvalidToken, fmt.Sprintf(format, args...))
	}
	if c.Subject == "" || len(c.Subject) > maxSubjectLen {
		return bad("sub must be 1 to %d bytes", maxSubjectLen)
	}
	v := &Viewer{Subject: c.Subject, Roles: []model.Role{}, Orgs: []string{}, Authenticated: true}
	for _, name := range c.Roles {
		r := model.Role(name)
		if !r.IsValid() {
			return bad("unknown role %q", clipForMessage(name))
		}
		if !v.Has(r) {
			v.Roles = append(v.Roles, r)
		}
	}
	if len(c.Orgs) > maxOrgs {
		return bad("more than %d orgs", maxOrgs)
	}
	for _, o := range c.Orgs {
		o = strings.ToUpper(strings.TrimSpace(o))
		if !orgCode.MatchString(o) {
			return bad("org %q is not a provider code", clipForMessage(o))
		}
		if !slices.Contains(v.Orgs, o) {
			v.Orgs = append(v.Orgs, o)
		}
	}
	return v, nil
}

func clipForMessage(s string) string {
	if len(s) > 32 {
		return s[:32] + "…"
	}
	return s
}

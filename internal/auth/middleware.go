package auth

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// maxTokenBytes bounds the bearer token we are willing to parse.
const maxTokenBytes = 16 << 10

// Middleware authenticates each request. Without an Authorization header
// the request continues as the public viewer; with one, the token must be
// valid or the request ends with 401 and a GraphQL-shaped UNAUTHENTICATED
// error, so that a client with a broken token learns of it instead of
// silently seeing public data. A verified viewer, and for clinicians their
// row scope, go into the request context.
func Middleware(v *Verifier, log *slog.Logger) func(http.Handler) http.Handler {
	if log == nil {
		log = slog.Default()
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			headers := r.Header.Values("Authorization")
			if len(headers) == 0 {
				ctx := db.WithoutIdentifiable(WithViewer(r.Context(), public))
				next.ServeHTTP(w, r.WithContext(ctx))
				return
			}
			viewer, err := authenticate(r, v, headers)
			if err != nil {
				log.WarnContext(r.Context(), "request refused: bad bearer token", "err", err, "path", r.URL.Path)
				unauthorized(w, err)
				return
			}
			ctx := WithViewer(r.Context(), viewer)
			if s := viewer.RowScope(); s != nil {
				ctx = db.WithScope(ctx, s)
			}
			if !viewer.MayReadIdentifiable() {
				ctx = db.WithoutIdentifiable(ctx)
			}
			next.ServeHTTP(w, r.WithContext(ctx))
		})
	}
}

func authenticate(r *http.Request, v *Verifier, headers []string) (*Viewer, error) {
	if len(headers) > 1 {
		return nil, errors.New("more than one Authorization header")
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(headers[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return nil, errors.New("the Authorization header must be: Bearer <token>")
	}
	token = strings.TrimSpace(token)
	if token == "" || len(token) > maxTokenBytes {
		return nil, ErrInvalidToken
	}
	if v == nil {
		return nil, errors.New("no token verification is configured")
	}
	return v.Verify(r.Context(), token)
}

// unauthorized answers 401 in the shape of a GraphQL response.
func unauthorized(w http.ResponseWriter, err error) {
	msg := "invalid token"
	if errors.Is(err, ErrInvalidToken) {
		msg = err.Error()
	} else if err != nil {
		msg = "invalid Authorization header: " + err.Error()
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
	w.WriteHeader(http.StatusUnauthorized)
	_ = json.NewEncoder(w).Encode(map[string]any{
		"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": model.ErrUnauthenticated}}},
	})
}

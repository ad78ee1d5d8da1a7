package server

import (
	"net/http"
	"strings"

	"github.com/rs/cors"
)

// corsPolicy decides which browser origins may call the API across origins.
//
// rs/cors reads an empty AllowedOrigins as "every origin", so the list is
// never handed to it directly: the policy answers through AllowOriginFunc,
// and with nothing configured no origin is allowed. Only an explicit "*"
// opens the API to every origin.
type corsPolicy struct {
	all     bool
	origins map[string]bool
}

func newCORSPolicy(origins []string) corsPolicy {
	p := corsPolicy{origins: map[string]bool{}}
	for _, o := range origins {
		o = strings.ToLower(strings.TrimRight(strings.TrimSpace(o), "/"))
		switch o {
		case "":
		case "*":
			p.all = true
		default:
			p.origins[o] = true
		}
	}
	return p
}

// allows reports whether a browser at origin may read the API's answers.
// Origins compare case-insensitively (scheme and host are).
func (p corsPolicy) allows(origin string) bool {
	return p.all || p.origins[strings.ToLower(origin)]
}

// wrap adds CORS to next: allowed origins get the CORS headers, any other
// origin gets none, and a preflight from an origin that is not allowed is
// refused with 403 and a coded error before it reaches next, so that the
// refusal is visible in the browser's network panel and not only as a
// missing header.
func (p corsPolicy) wrap(next http.Handler) http.Handler {
	c := cors.New(cors.Options{
		AllowOriginFunc:  p.allows,
		AllowedMethods:   []string{http.MethodGet, http.MethodPost, http.MethodOptions},
		AllowedHeaders:   []string{"Authorization", "Content-Type", "Accept", "X-Request-Id"},
		ExposedHeaders:   []string{"X-Request-Id"},
		AllowCredentials: false,
		MaxAge:           600,
	})
	h := c.Handler(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isPreflight(r) && !p.allows(r.Header.Get("Origin")) {
			w.Header().Add("Vary", "Origin")
			writeJSONError(w, http.StatusForbidden, "FORBIDDEN",
				"this origin may not call the API from a browser: the server's HES_CORS_ORIGINS lists the origins that may")
			return
		}
		h.ServeHTTP(w, r)
	})
}

// isPreflight reports whether r is a CORS preflight request.
func isPreflight(r *http.Request) bool {
	return r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
}

// preflightOnly answers OPTIONS on a route that serves only GET: CORS
// preflights are answered by the policy's wrapper before they get here, and
// a plain OPTIONS learns which methods the route takes.
var preflightOnly = http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Allow", "GET, HEAD, OPTIONS")
	w.WriteHeader(http.StatusNoContent)
})

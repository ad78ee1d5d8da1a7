package server

import (
	"fmt"
	"math"
	"net"
	"net/http"
	"strconv"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/auth"
)

// RateLimits bound what one subject may ask of the API: the token's sub
// claim, or for the public (no token) the client's address. A request past
// either limit gets 429 RATE_LIMITED with Retry-After before anything runs.
// Zero values switch a limit off.
type RateLimits struct {
	// Rate is the sustained requests per second of one subject.
	Rate float64
	// Burst is how many requests a subject may send at once above Rate.
	Burst int
	// Concurrent bounds a subject's requests in progress at one time.
	Concurrent int
	// Subjects bounds the subjects tracked (default 10,000); the least
	// recently seen is forgotten first, and starts afresh when it returns.
	Subjects int
}

// Default rate limits (docs/operations.md); the command applies them.
const (
	DefaultRate       = 20
	DefaultBurst      = 40
	DefaultConcurrent = 4
	defaultSubjects   = 10_000
)

// subject is the limiter state of one caller.
type subject struct {
	tokens *rate.Limiter
	slots  chan struct{}
}

// RateLimit returns middleware enforcing l per subject. It must run after
// authentication, which puts the viewer it keys on in the context.
func RateLimit(l RateLimits) func(http.Handler) http.Handler {
	if l.Rate <= 0 && l.Concurrent <= 0 {
		return func(next http.Handler) http.Handler { return next }
	}
	if l.Subjects <= 0 {
		l.Subjects = defaultSubjects
	}
	if l.Burst <= 0 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	subjects, _ := lru.New[string, *subject](l.Subjects)
	get := func(key string) *subject {
		if s, ok := subjects.Get(key); ok {
			return s
		}
		s := &subject{}
		if l.Rate > 0 {
			s.tokens = rate.NewLimiter(rate.Limit(l.Rate), l.Burst)
		}
		if l.Concurrent > 0 {
			s.slots = make(chan struct{}, l.Concurrent)
		}
		// Two first requests of one subject may race here; the loser's
		// state is dropped, which at most lets one more request through.
		if prev, ok, _ := subjects.PeekOrAdd(key, s); ok {
			return prev
		}
		return s
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodOptions {
				next.ServeHTTP(w, r) // preflights carry no credentials and do no work
				return
			}
			s := get(subjectKey(r))
			if s.tokens != nil {
				res := s.tokens.Reserve()
				if d := res.Delay(); d > 0 {
					res.Cancel()
					tooMany(w, d, "more than %g requests per second (burst %d) from one caller: retry after the time given in Retry-After", l.Rate, l.Burst)
					return
				}
			}
			if s.slots != nil {
				select {
				case s.slots <- struct{}{}:
					defer func() { <-s.slots }()
				default:
					tooMany(w, time.Second, "more than %d requests at once from one caller: wait for an answer before sending more", l.Concurrent)
					return
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// subjectKey names the caller: the token subject, else the client address
// (without the port, which changes per connection).
func subjectKey(r *http.Request) string {
	if v := auth.FromContext(r.Context()); v.Authenticated && v.Subject != "" {
		return "sub:" + v.Subject
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	return "addr:" + host
}

func tooMany(w http.ResponseWriter, wait time.Duration, format string, args ...any) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
	writeJSONError(w, http.StatusTooManyRequests, model.ErrRateLimited, fmt.Sprintf(format, args...))
}

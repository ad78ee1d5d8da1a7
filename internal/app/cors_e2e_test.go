package app_test

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/db/dbtest"
	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/app"
	"github.com/hesgql/hesgql/internal/apptest"
)

// corsCall is one request of the CORS matrix: an endpoint asked by a
// browser at origin ("" sends no Origin), as a preflight or as the request
// itself.
type corsCall struct {
	endpoint  string // "/graphql" or "/export/episodes.csv"
	origin    string
	preflight bool
}

func (c corsCall) do(t *testing.T, s *apptest.Server, token string) *http.Response {
	t.Helper()
	var req *http.Request
	switch {
	case c.preflight:
		req, _ = http.NewRequest(http.MethodOptions, s.URL+c.endpoint, nil)
		method := http.MethodGet
		if c.endpoint == "/graphql" {
			method = http.MethodPost
		}
		req.Header.Set("Access-Control-Request-Method", method)
		req.Header.Set("Access-Control-Request-Headers", "authorization,content-type")
	case c.endpoint == "/graphql":
		req, _ = http.NewRequest(http.MethodPost, s.URL+c.endpoint, strings.NewReader(`{"query":"{ viewer { authenticated } }"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+token)
	default:
		req, _ = http.NewRequest(http.MethodGet, s.URL+c.endpoint+"?columns=episodeKey", nil)
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.origin != "" {
		req.Header.Set("Origin", c.origin)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// Cross-origin access is closed unless origins are configured, and then
// open to those origins only, for preflights and requests alike, on every
// API endpoint.
func TestCORS(t *testing.T) {
	d := dbtest.New(t)
	apptest.LoadGenerated(t, d, 20, 4)
	const listed, unlisted = "https://dashboard.example.org", "https://evil.example.com"
	closed := apptest.Start(t, d, app.Options{Logger: quietLogger()})
	open := apptest.Start(t, d, app.Options{Logger: quietLogger(), CORSOrigins: []string{listed, "https://other.example.org"}})
	everyone := apptest.Start(t, d, app.Options{Logger: quietLogger(), CORSOrigins: []string{"*"}})

	for _, endpoint := range []string{"/graphql", "/export/episodes.csv"} {
		for _, c := range []struct {
			name    string
			s       *apptest.Server
			origin  string
			allowed bool
		}{
			{"Default/Unlisted", closed, unlisted, false},
			{"Default/Listed", closed, listed, false},
			{"Default/NoOrigin", closed, "", false},
			{"Configured/Listed", open, listed, true},
			{"Configured/ListedOtherCase", open, strings.ToUpper(listed), true},
			{"Configured/Unlisted", open, unlisted, false},
			{"Configured/NoOrigin", open, "", false},
			{"Star/Unlisted", everyone, unlisted, true},
		} {
			tok := c.s.Token(t, []model.Role{model.RoleResearcher})
			t.Run(strings.TrimPrefix(endpoint, "/")+"/"+c.name, func(t *testing.T) {
				t.Run("Request", func(t *testing.T) {
					resp := corsCall{endpoint, c.origin, false}.do(t, c.s, tok)
					if resp.StatusCode != http.StatusOK {
						t.Fatalf("status %d", resp.StatusCode)
					}
					got := resp.Header.Get("Access-Control-Allow-Origin")
					if c.allowed && got != c.origin {
						t.Errorf("Access-Control-Allow-Origin = %q, want %q", got, c.origin)
					}
					if !c.allowed && got != "" {
						t.Errorf("Access-Control-Allow-Origin = %q for an origin that is not allowed", got)
					}
				})
				t.Run("Preflight", func(t *testing.T) {
					resp := corsCall{endpoint, c.origin, true}.do(t, c.s, tok)
					acao := resp.Header.Get("Access-Control-Allow-Origin")
					methods := resp.Header.Get("Access-Control-Allow-Methods")
					headers := strings.ToLower(resp.Header.Get("Access-Control-Allow-Headers"))
					switch {
					case c.allowed:
						if resp.StatusCode/100 != 2 || acao != c.origin || methods == "" || !strings.Contains(headers, "authorization") {
							t.Errorf("preflight from an allowed origin: %d, origin %q, methods %q, headers %q", resp.StatusCode, acao, methods, headers)
						}
					case c.origin != "":
						if resp.StatusCode != http.StatusForbidden || acao != "" || methods != "" || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
							t.Errorf("preflight from %s not refused: %d, origin %q, methods %q", c.origin, resp.StatusCode, acao, methods)
						}
					default:
						if acao != "" || methods != "" {
							t.Errorf("preflight without Origin got CORS headers: origin %q, methods %q", acao, methods)
						}
					}
				})
			})
		}
	}
}

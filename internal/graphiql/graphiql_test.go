package graphiql

import (
	"bytes"
	"compress/gzip"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// newServer mounts Handler the way the package documentation says to and
// returns a test server for it.
func newServer(t *testing.T, endpoint string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	gql := Handler(endpoint)
	mux.Handle("GET /{$}", gql)
	mux.Handle("GET "+AssetPrefix, gql)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// get fetches rawURL and returns the response with its body read.
func get(t *testing.T, rawURL string, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// refPattern finds the URLs that the page loads.
var refPattern = regexp.MustCompile(`(?i)\b(?:src|href)="([^"]*)"`)

// pageRefs returns the src and href URLs in an HTML page, unescaped.
func pageRefs(t *testing.T, page []byte) []string {
	t.Helper()
	var refs []string
	for _, m := range refPattern.FindAllSubmatch(page, -1) {
		refs = append(refs, strings.ReplaceAll(string(m[1]), "&amp;", "&"))
	}
	if len(refs) == 0 {
		t.Fatal("page references no assets")
	}
	return refs
}

func TestPage(t *testing.T) {
	srv := newServer(t, "/graphql")
	resp, body := get(t, srv.URL+"/", nil)

	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET / = %d, want 200", resp.StatusCode)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "text/html; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/html; charset=utf-8", ct)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-cache" {
		t.Errorf("Cache-Control = %q, want no-cache", cc)
	}
	for _, want := range []string{
		"<title>hesgql — HES GraphiQL</title>",
		`data-endpoint="/graphql"`,
		"episodes(first: 5)",
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("page does not contain %q", want)
		}
	}
	if bytes.Contains(body, []byte("<script>")) {
		t.Error("page has an inline script; the CSP allows none")
	}

	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "script-src 'self';", "connect-src 'self';", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q does not contain %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-eval") {
		t.Errorf("Content-Security-Policy %q allows eval", csp)
	}
}

func TestPageAssetsAreLocalAndServed(t *testing.T) {
	srv := newServer(t, "/graphql")
	_, page := get(t, srv.URL+"/", nil)
	base, err := url.Parse(srv.URL + "/")
	if err != nil {
		t.Fatal(err)
	}

	wantTypes := map[string]string{
		"react.production.min.js":     "text/javascript; charset=utf-8",
		"react-dom.production.min.js": "text/javascript; charset=utf-8",
		"graphiql.min.js":             "text/javascript; charset=utf-8",
		"graphiql-init.js":            "text/javascript; charset=utf-8",
		"graphiql.min.css":            "text/css; charset=utf-8",
	}
	seen := make(map[string]bool)
	for _, ref := range pageRefs(t, page) {
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		u, err := url.Parse(ref)
		if err != nil {
			t.Errorf("bad reference %q: %v", ref, err)
			continue
		}
		if u.Scheme != "" || u.Host != "" {
			t.Errorf("page references %q on another host; assets must be local", ref)
			continue
		}
		abs := base.ResolveReference(u)
		name, ok := strings.CutPrefix(abs.Path, AssetPrefix)
		if !ok {
			t.Errorf("reference %q resolves to %s, outside %s", ref, abs.Path, AssetPrefix)
			continue
		}
		seen[name] = true

		resp, body := get(t, abs.String(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", abs.Path, resp.StatusCode)
			continue
		}
		if len(body) == 0 {
			t.Errorf("GET %s: empty body", abs.Path)
		}
		if !bytes.Equal(body, assets[name].body) {
			t.Errorf("GET %s: body differs from the embedded file", abs.Path)
		}
		if got, want := resp.Header.Get("Content-Type"), wantTypes[name]; got != want {
			t.Errorf("GET %s: Content-Type = %q, want %q", abs.Path, got, want)
		}
		if got := resp.Header.Get("Cache-Control"); got != immutable {
			t.Errorf("GET %s: Cache-Control = %q, want %q", abs.Path, got, immutable)
		}
		if got := resp.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("GET %s: X-Content-Type-Options = %q, want nosniff", abs.Path, got)
		}
	}
	for name := range wantTypes {
		if !seen[name] {
			t.Errorf("page does not load %s", name)
		}
	}
}

func TestNotFound(t *testing.T) {
	srv := newServer(t, "/graphql")
	for _, p := range []string{
		AssetPrefix + "nope.js",
		AssetPrefix,
		AssetPrefix + "../graphiql.go",
		AssetPrefix + "graphiql.min.js.map",
		AssetPrefix + "index.html.tmpl",
	} {
		resp, _ := get(t, srv.URL+p, nil)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", p, resp.StatusCode)
		}
	}

	// Paths the mux would not send here still 404 in the handler itself.
	h := Handler("/graphql")
	for _, p := range []string{"/other", "/graphiqlx/graphiql.min.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
		if rec.Code != http.StatusNotFound {
			t.Errorf("Handler GET %s = %d, want 404", p, rec.Code)
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	h := Handler("/graphql")
	for _, p := range []string{"/", AssetPrefix + "graphiql.min.js"} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, p, strings.NewReader("{}")))
		if rec.Code != http.StatusMethodNotAllowed {
			t.Errorf("POST %s = %d, want 405", p, rec.Code)
		}
		if got := rec.Header().Get("Allow"); got != "GET, HEAD" {
			t.Errorf("POST %s: Allow = %q, want GET, HEAD", p, got)
		}
	}
}

func TestHead(t *testing.T) {
	h := Handler("/graphql")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodHead, "/", nil))
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 {
		t.Errorf("HEAD / = %d with %d body bytes, want 200 and none", rec.Code, rec.Body.Len())
	}
}

func TestAssetCaching(t *testing.T) {
	srv := newServer(t, "/graphql")
	a := assets["graphiql.min.js"]
	noGzip := http.Header{"Accept-Encoding": {"identity"}}

	// Without the current version the asset must be revalidated.
	for _, q := range []string{"", "?v=old"} {
		resp, _ := get(t, srv.URL+AssetPrefix+a.name+q, noGzip)
		if got := resp.Header.Get("Cache-Control"); got != "no-cache" {
			t.Errorf("GET %s%s: Cache-Control = %q, want no-cache", a.name, q, got)
		}
	}

	resp, _ := get(t, srv.URL+AssetPrefix+a.name+"?v="+a.version, noGzip)
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	resp, body := get(t, srv.URL+AssetPrefix+a.name, http.Header{
		"Accept-Encoding": {"identity"},
		"If-None-Match":   {etag},
	})
	if resp.StatusCode != http.StatusNotModified || len(body) != 0 {
		t.Errorf("conditional GET = %d with %d bytes, want 304 and none", resp.StatusCode, len(body))
	}
}

func TestAssetGzip(t *testing.T) {
	srv := newServer(t, "/graphql")
	a := assets["graphiql.min.js"]

	// Setting Accept-Encoding ourselves stops the client decompressing.
	resp, body := get(t, srv.URL+AssetPrefix+a.name, http.Header{"Accept-Encoding": {"br;q=1.0, gzip;q=0.8"}})
	if got := resp.Header.Get("Content-Encoding"); got != "gzip" {
		t.Fatalf("Content-Encoding = %q, want gzip", got)
	}
	if got := resp.Header.Get("Vary"); got != "Accept-Encoding" {
		t.Errorf("Vary = %q, want Accept-Encoding", got)
	}
	if len(body) >= len(a.body) {
		t.Errorf("gzipped body is %d bytes, not smaller than %d", len(body), len(a.body))
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(plain, a.body) {
		t.Error("gunzipped body differs from the embedded file")
	}

	resp, body = get(t, srv.URL+AssetPrefix+a.name, http.Header{"Accept-Encoding": {"gzip;q=0"}})
	if got := resp.Header.Get("Content-Encoding"); got != "" || !bytes.Equal(body, a.body) {
		t.Errorf("with gzip;q=0: Content-Encoding = %q, want the plain file", got)
	}
}

func TestAcceptsGzip(t *testing.T) {
	for header, want := range map[string]bool{
		"":                        false,
		"identity":                false,
		"gzip":                    true,
		"GZIP":                    true,
		"deflate, gzip":           true,
		"gzip, deflate, br, zstd": true,
		"gzip;q=0":                false,
		"gzip; q=0.000":           false,
		"gzip;q=0.5":              true,
		"x-gzip":                  true,
		"gzipx":                   false,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestEndpointIsEscaped(t *testing.T) {
	endpoint := `/graphql?a="><script>alert(1)</script>`
	rec := httptest.NewRecorder()
	Handler(endpoint).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	if strings.Contains(rec.Body.String(), "<script>alert") {
		t.Error("endpoint was written into the page unescaped")
	}
	if strings.Contains(rec.Header().Get("Content-Security-Policy"), "alert") {
		t.Error("endpoint leaked into the Content-Security-Policy")
	}
}

func TestContentSecurityPolicyConnectSrc(t *testing.T) {
	for endpoint, want := range map[string]string{
		"/graphql":                             "connect-src 'self';",
		"https://api.example.org/graphql":      "connect-src 'self' https://api.example.org;",
		"http://127.0.0.1:8080/graphql":        "connect-src 'self' http://127.0.0.1:8080;",
		"http://[::1]:8080/graphql":            "connect-src 'self' http://[::1]:8080;",
		"https://a.example;script-src *":       "connect-src 'self';",
		"javascript:alert(1)":                  "connect-src 'self';",
		"https://user:pw@api.example.org/gql":  "connect-src 'self' https://api.example.org;",
		"ftp://files.example.org/graphql":      "connect-src 'self';",
		"//api.example.org/graphql":            "connect-src 'self';",
		"https://api.example.org:443/graphql/": "connect-src 'self' https://api.example.org:443;",
	} {
		if got := contentSecurityPolicy(endpoint); !strings.Contains(got, want) {
			t.Errorf("contentSecurityPolicy(%q) = %q, want it to contain %q", endpoint, got, want)
		}
	}
}

func TestMountUnderPrefix(t *testing.T) {
	mux := http.NewServeMux()
	mux.Handle("GET /explorer/", http.StripPrefix("/explorer", Handler("/graphql")))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	resp, page := get(t, srv.URL+"/explorer/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /explorer/ = %d, want 200", resp.StatusCode)
	}
	base, _ := url.Parse(srv.URL + "/explorer/")
	for _, ref := range pageRefs(t, page) {
		if strings.HasPrefix(ref, "data:") {
			continue
		}
		u, _ := url.Parse(ref)
		abs := base.ResolveReference(u)
		resp, _ := get(t, abs.String(), nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d, want 200", abs.Path, resp.StatusCode)
		}
	}
}

func TestEmbeddedFiles(t *testing.T) {
	for _, name := range []string{
		"graphiql.min.js", "graphiql.min.css", "graphiql-init.js",
		"react.production.min.js", "react-dom.production.min.js",
		"LICENSE-graphiql", "LICENSE-react", "LICENSE-react-dom", "VERSIONS.md",
	} {
		a, ok := assets[name]
		if !ok || len(a.body) == 0 {
			t.Errorf("embedded asset %s is missing or empty", name)
		}
	}
	for name, a := range assets {
		if strings.HasSuffix(name, ".map") {
			t.Errorf("source map %s is embedded; leave it out to keep the binary small", name)
		}
		if strings.HasSuffix(name, ".js") && bytes.Contains(a.body, []byte("https://cdn")) {
			t.Errorf("%s refers to a CDN", name)
		}
	}
}

// The editor's opening comment matches the headers editor: it asks for a
// token only when the server has not put one there.
func TestDefaultQueryCommentMatchesHeaders(t *testing.T) {
	page := func(headers string) string {
		t.Helper()
		mux := http.NewServeMux()
		mux.Handle("GET /{$}", NewHandler("/graphql", Options{DefaultHeaders: headers}))
		srv := httptest.NewServer(mux)
		defer srv.Close()
		_, body := get(t, srv.URL+"/", nil)
		m := regexp.MustCompile(`data-default-query="([^"]*)"`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("page has no default query:\n%s", body)
		}
		return html.UnescapeString(string(m[1]))
	}
	asksForToken := regexp.MustCompile(`(?i)add:\s*#\s*\{"Authorization": "Bearer <token>"\}`)
	saysPrefilled := regexp.MustCompile(`already hold a development token`)
	cases := map[string]struct {
		headers   string
		prefilled bool
	}{
		"NoHeaders":      {"", false},
		"Token":          {`{"Authorization":"Bearer abc.def.ghi"}`, true},
		"LowerCaseToken": {`{"authorization":"Bearer abc.def.ghi"}`, true},
		"OtherHeader":    {`{"X-Trace":"1"}`, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			q := page(c.headers)
			if !strings.Contains(q, "episodes(first: 5)") {
				t.Errorf("default query lost its query: %q", q)
			}
			if got := saysPrefilled.MatchString(q); got != c.prefilled {
				t.Errorf("says a token is pre-filled = %v, want %v:\n%s", got, c.prefilled, q)
			}
			if got := asksForToken.MatchString(q); got == c.prefilled {
				t.Errorf("asks to add a token = %v, want %v:\n%s", got, !c.prefilled, q)
			}
		})
	}
}

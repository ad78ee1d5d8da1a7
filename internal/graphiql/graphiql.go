// Package graphiql serves the GraphiQL in-browser IDE for the hesgql API from
// files embedded in the binary, so the page works offline and loads nothing
// from a CDN.
//
// The embedded files in assets/ are the unmodified distributable builds of
// GraphiQL, React and ReactDOM from the npm registry, plus a small bootstrap
// script; assets/VERSIONS.md records the versions and how to refresh them.
// The bootstrap adds an Examples panel: who the current token makes the
// caller (asked from the API's viewer field), the [Examples] operations and
// a link to the documentation.
//
// A single handler serves both the page and its assets. Mount it at the site
// root and at [AssetPrefix]:
//
//	gql := graphiql.Handler("/graphql")
//	mux.Handle("GET /{$}", gql)
//	mux.Handle("GET "+graphiql.AssetPrefix, gql)
//
// The page refers to its assets with relative URLs, so it can also live under
// a path prefix, as long as the page URL ends in a slash:
//
//	mux.Handle("GET /explorer/", http.StripPrefix("/explorer", gql))
package graphiql

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"net/url"
	"path"
	"regexp"
	"strings"
	"sync"
	"time"
)

// AssetPrefix is the path, relative to where the handler is mounted, under
// which the handler serves GraphiQL's JavaScript, CSS and licence files.
const AssetPrefix = "/graphiql/"

// title is the page title.
const title = "hesgql — HES GraphiQL"

// defaultQuery is shown in the editor the first time a browser opens the
// page; after that GraphiQL restores the user's own tabs from localStorage.
// Its comment says what the headers editor holds, so that it never asks for
// a token the server has already put there.
func defaultQuery(tokenPrefilled bool) string {
	return queryIntro(tokenPrefilled) + `
{
  episodes(first: 5) {
    edges {
      node {
        episodeKey
        diagnoses {
          code
          description
        }
      }
    }
  }
}
`
}

// hasAuthorization reports whether a headers-editor JSON object carries an
// Authorization header.
func hasAuthorization(headers string) bool {
	var m map[string]any
	if json.Unmarshal([]byte(headers), &m) != nil {
		return false
	}
	for k, v := range m {
		if s, ok := v.(string); ok && s != "" && strings.EqualFold(k, "Authorization") {
			return true
		}
	}
	return false
}

// queryIntro is the comment above the default query.
func queryIntro(tokenPrefilled bool) string {
	const head = `# hesgql — HES GraphiQL
#
# Run a query with Ctrl-Enter (Cmd-Enter on a Mac).
`
	if tokenPrefilled {
		return head + `# Headers below already hold a development token, so this query runs
# as that role. To act as another, replace it with one from
#   hesgql token --dev --role ADMIN
`
	}
	return head + `# Without a token you are the public role. To send one, open Headers
# below and add:
#   {"Authorization": "Bearer <token>"}
`
}

// noModTime makes http.ServeContent omit Last-Modified: embedded files have
// no meaningful modification time, so caching relies on ETags instead.
var noModTime time.Time

// immutable is the Cache-Control value for an asset requested with its
// current content version, which makes the URL unique to the content.
const immutable = "public, max-age=31536000, immutable"

//go:embed assets
var assetFiles embed.FS

//go:embed index.html.tmpl
var pageSource string

var pageTemplate = template.Must(template.New("index.html").Parse(pageSource))

// asset is one embedded file ready to be served.
type asset struct {
	name        string
	body        []byte
	contentType string
	version     string // short content hash, used as ?v= and in the ETag

	gzipOnce sync.Once
	gzipBody []byte // nil when compression does not help
}

// assets maps a file name in assets/ to the file.
var assets = loadAssets()

// loadAssets reads every embedded file and hashes it.
func loadAssets() map[string]*asset {
	m := make(map[string]*asset)
	err := fs.WalkDir(assetFiles, "assets", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := assetFiles.ReadFile(p)
		if err != nil {
			return err
		}
		name := strings.TrimPrefix(p, "assets/")
		sum := sha256.Sum256(body)
		m[name] = &asset{
			name:        name,
			body:        body,
			contentType: contentType(name),
			version:     hex.EncodeToString(sum[:6]),
		}
		return nil
	})
	if err != nil {
		panic("graphiql: reading embedded assets: " + err.Error())
	}
	return m
}

// contentType returns the Content-Type for an asset file name.
func contentType(name string) string {
	switch ext := path.Ext(name); ext {
	case ".js":
		return "text/javascript; charset=utf-8"
	case ".css":
		return "text/css; charset=utf-8"
	case "", ".md", ".txt":
		// LICENSE-* files and VERSIONS.md.
		return "text/plain; charset=utf-8"
	default:
		if t := mime.TypeByExtension(ext); t != "" {
			return t
		}
		return "application/octet-stream"
	}
}

// compressible reports whether an asset is worth sending gzipped.
func (a *asset) compressible() bool {
	return strings.HasPrefix(a.contentType, "text/") && len(a.body) >= 1024
}

// gzipped returns the asset compressed with gzip, compressing it on first
// use, or nil if the asset is not worth compressing.
func (a *asset) gzipped() []byte {
	a.gzipOnce.Do(func() {
		if !a.compressible() {
			return
		}
		var buf bytes.Buffer
		zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
		if err != nil {
			return
		}
		if _, err := zw.Write(a.body); err != nil {
			return
		}
		if err := zw.Close(); err != nil {
			return
		}
		if buf.Len() < len(a.body) {
			a.gzipBody = buf.Bytes()
		}
	})
	return a.gzipBody
}

// pageData is what index.html.tmpl is rendered with.
type pageData struct {
	Title          string
	Endpoint       string
	DefaultQuery   string
	DefaultHeaders string
	ExamplesJSON   string
	DocsURL        string
}

// DocsURL is the default documentation link of the Examples panel.
const DocsURL = "https://github.com/hesgql/hesgql#readme"

// Options tune the page.
type Options struct {
	// DefaultHeaders pre-fills GraphiQL's headers editor with this JSON
	// object. It is written into the page, so it must never hold a
	// credential outside development.
	DefaultHeaders string
	// Headers, when set, is called each time the page is served and its
	// JSON object pre-fills the headers editor instead of DefaultHeaders:
	// a development token minted per page view never greets a long-running
	// server's user expired. Development only, like DefaultHeaders.
	Headers func() (string, error)
	// DocsURL is the Examples panel's documentation link ("" means
	// [DocsURL]).
	DocsURL string
}

// Asset returns the relative URL of an embedded asset, versioned by its
// content hash so that browsers may cache it indefinitely.
func (pageData) Asset(name string) (string, error) {
	a, ok := assets[name]
	if !ok {
		return "", fmt.Errorf("graphiql: no embedded asset %q", name)
	}
	return strings.TrimPrefix(AssetPrefix, "/") + a.name + "?v=" + a.version, nil
}

// handler serves the GraphiQL page and its assets.
type handler struct {
	page    []byte // rendered once when the headers are fixed
	etag    string
	csp     string
	data    pageData               // for per-request rendering
	headers func() (string, error) // nil: page is fixed
}

// Handler returns an http.Handler that serves the GraphiQL page at "/" and
// its assets under [AssetPrefix]; every other path is 404. The page sends
// GraphQL requests with POST to endpoint, which may be a path on the same
// origin such as "/graphql" or an absolute http(s) URL.
//
// Only GET and HEAD are allowed. The page is sent with a
// Content-Security-Policy that allows scripts from the serving origin only
// and connections to that origin and to endpoint's origin.
func Handler(endpoint string) http.Handler { return NewHandler(endpoint, Options{}) }

// NewHandler is Handler with options.
func NewHandler(endpoint string, opts Options) http.Handler {
	examples, err := json.Marshal(Examples)
	if err != nil {
		panic("graphiql: encoding examples: " + err.Error())
	}
	docs := opts.DocsURL
	if docs == "" {
		docs = DocsURL
	}
	h := &handler{
		csp: contentSecurityPolicy(endpoint),
		data: pageData{
			Title:          title,
			Endpoint:       endpoint,
			DefaultHeaders: opts.DefaultHeaders,
			ExamplesJSON:   string(examples),
			DocsURL:        docs,
		},
		headers: opts.Headers,
	}
	if h.headers == nil {
		h.page = h.render(opts.DefaultHeaders)
		sum := sha256.Sum256(h.page)
		h.etag = `"` + hex.EncodeToString(sum[:6]) + `"`
	}
	return h
}

// render renders the page with the given headers-editor content.
func (h *handler) render(headers string) []byte {
	d := h.data
	d.DefaultHeaders = headers
	d.DefaultQuery = defaultQuery(hasAuthorization(headers))
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, d); err != nil {
		// The template and its data are fixed at build time, so this is a
		// programming error that the package tests catch.
		panic("graphiql: rendering page: " + err.Error())
	}
	return buf.Bytes()
}

// originPattern matches the origins that may be written into the CSP header.
var originPattern = regexp.MustCompile(`^https?://[A-Za-z0-9.\-]+(:[0-9]+)?$|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]+)?$`)

// contentSecurityPolicy returns the CSP for the page. GraphiQL needs no eval
// and no inline script; its editors set inline styles, and its fonts and
// icons are data: URLs in its stylesheet.
func contentSecurityPolicy(endpoint string) string {
	connect := "'self'"
	if u, err := url.Parse(endpoint); err == nil && u.Host != "" && (u.Scheme == "http" || u.Scheme == "https") {
		if origin := u.Scheme + "://" + u.Host; originPattern.MatchString(origin) {
			connect += " " + origin
		}
	}
	return strings.Join([]string{
		"default-src 'none'",
		"script-src 'self'",
		"style-src 'self' 'unsafe-inline'",
		"img-src 'self' data:",
		"font-src 'self' data:",
		"connect-src " + connect,
		"base-uri 'none'",
		"form-action 'none'",
		"frame-ancestors 'none'",
	}, "; ")
}

// ServeHTTP implements http.Handler.
func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		return
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	switch p := r.URL.Path; {
	case p == "/" || p == "":
		h.servePage(w, r)
	case strings.HasPrefix(p, AssetPrefix):
		serveAsset(w, r, strings.TrimPrefix(p, AssetPrefix))
	default:
		http.NotFound(w, r)
	}
}

// servePage writes the GraphiQL HTML page.
func (h *handler) servePage(w http.ResponseWriter, r *http.Request) {
	hdr := w.Header()
	hdr.Set("Content-Security-Policy", h.csp)
	hdr.Set("X-Frame-Options", "DENY")
	hdr.Set("Referrer-Policy", "no-referrer")
	if h.headers != nil {
		// A page carrying a token minted for this view is never cached,
		// or a browser could show yesterday's expired token.
		headers, err := h.headers()
		if err != nil {
			http.Error(w, "GraphiQL: cannot prepare the development token: "+err.Error(), http.StatusInternalServerError)
			return
		}
		hdr.Set("Content-Type", "text/html; charset=utf-8")
		hdr.Set("Cache-Control", "no-store")
		http.ServeContent(w, r, "", noModTime, bytes.NewReader(h.render(headers)))
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	// The page is small and names the current asset versions, so always
	// revalidate it.
	hdr.Set("Cache-Control", "no-cache")
	hdr.Set("ETag", h.etag)
	http.ServeContent(w, r, "", noModTime, bytes.NewReader(h.page))
}

// serveAsset writes the embedded asset called name, or 404 if there is none.
// A request carrying the asset's current version in ?v= may be cached for a
// year; any other request must revalidate (the ETag makes that cheap).
func serveAsset(w http.ResponseWriter, r *http.Request, name string) {
	a, ok := assets[name]
	if !ok {
		http.NotFound(w, r)
		return
	}
	hdr := w.Header()
	hdr.Set("Content-Type", a.contentType)
	if r.URL.Query().Get("v") == a.version {
		hdr.Set("Cache-Control", immutable)
	} else {
		hdr.Set("Cache-Control", "no-cache")
	}

	body, etag := a.body, `"`+a.version+`"`
	if a.compressible() {
		hdr.Add("Vary", "Accept-Encoding")
		if acceptsGzip(r.Header.Get("Accept-Encoding")) {
			if gz := a.gzipped(); gz != nil {
				body, etag = gz, `"`+a.version+`-gzip"`
				hdr.Set("Content-Encoding", "gzip")
			}
		}
	}
	hdr.Set("ETag", etag)
	http.ServeContent(w, r, "", noModTime, bytes.NewReader(body))
}

// acceptsGzip reports whether an Accept-Encoding header value allows gzip.
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		coding, params, _ := strings.Cut(part, ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" {
			continue
		}
		for param := range strings.SplitSeq(params, ";") {
			k, v, _ := strings.Cut(param, "=")
			if strings.EqualFold(strings.TrimSpace(k), "q") && isZeroQ(strings.TrimSpace(v)) {
				return false
			}
		}
		return true
	}
	return false
}

// isZeroQ reports whether a q-value such as "0", "0.0" or "0.000" is zero.
func isZeroQ(q string) bool {
	if q == "" || q[0] != '0' {
		return false
	}
	return strings.Trim(q[1:], ".0") == ""
}

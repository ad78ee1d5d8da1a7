package graphiql

import (
	"encoding/json"
	"errors"
	"html"
	"net/http"
	"net/http/httptest"
	"regexp"
	"testing"
)

// attr returns the unescaped value of a data-* attribute of the page.
func attr(t *testing.T, page []byte, name string) string {
	t.Helper()
	m := regexp.MustCompile(name + `="([^"]*)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("page has no %s attribute", name)
	}
	return html.UnescapeString(string(m[1]))
}

// Options.Headers is asked for each page view, so a development token is
// minted when the page is served, and such a page is never cached.
func TestHeadersPerPageView(t *testing.T) {
	n := 0
	h := NewHandler("/graphql", Options{Headers: func() (string, error) {
		n++
		b, _ := json.Marshal(map[string]string{"Authorization": "Bearer view-" + string(rune('0'+n))})
		return string(b), nil
	}})
	srv := httptest.NewServer(h)
	defer srv.Close()

	for want := 1; want <= 2; want++ {
		resp, body := get(t, srv.URL+"/", nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET / = %d", resp.StatusCode)
		}
		if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store for a page holding a fresh token", cc)
		}
		if et := resp.Header.Get("ETag"); et != "" {
			t.Errorf("ETag %q on a per-view page", et)
		}
		got := attr(t, body, "data-default-headers")
		wantHeaders := `{"Authorization":"Bearer view-` + string(rune('0'+want)) + `"}`
		if got != wantHeaders {
			t.Errorf("view %d: headers %s, want %s", want, got, wantHeaders)
		}
		if q := attr(t, body, "data-default-query"); !regexp.MustCompile(`already hold a development token`).MatchString(q) {
			t.Errorf("view %d: default query does not say the token is there:\n%s", want, q)
		}
	}
	// Asset requests do not mint.
	get(t, srv.URL+AssetPrefix+"graphiql-init.js", nil)
	if n != 2 {
		t.Errorf("Headers called %d times for 2 page views and an asset", n)
	}
}

// A Headers failure is a clear 500 naming the cause, not a page without
// the token it promises.
func TestHeadersFailure(t *testing.T) {
	srv := httptest.NewServer(NewHandler("/graphql", Options{Headers: func() (string, error) {
		return "", errors.New("no secret")
	}}))
	defer srv.Close()
	resp, body := get(t, srv.URL+"/", nil)
	if resp.StatusCode != http.StatusInternalServerError || !regexp.MustCompile(`no secret`).Match(body) {
		t.Fatalf("GET / = %d %s", resp.StatusCode, body)
	}
}

// The page carries the example operations and the documentation link for
// the Examples panel.
func TestPageCarriesExamplesAndDocs(t *testing.T) {
	srv := httptest.NewServer(NewHandler("/graphql", Options{}))
	defer srv.Close()
	_, body := get(t, srv.URL+"/", nil)
	var got []Example
	if err := json.Unmarshal([]byte(attr(t, body, "data-examples")), &got); err != nil {
		t.Fatalf("data-examples: %v", err)
	}
	if len(got) != len(Examples) || got[0].Query != Examples[0].Query {
		t.Errorf("page has %d examples, want %d", len(got), len(Examples))
	}
	if d := attr(t, body, "data-docs-url"); d != DocsURL {
		t.Errorf("docs link %q, want %q", d, DocsURL)
	}
	srv2 := httptest.NewServer(NewHandler("/graphql", Options{DocsURL: "http://127.0.0.1:9/docs"}))
	defer srv2.Close()
	_, body = get(t, srv2.URL+"/", nil)
	if d := attr(t, body, "data-docs-url"); d != "http://127.0.0.1:9/docs" {
		t.Errorf("docs link %q, want the configured one", d)
	}
}

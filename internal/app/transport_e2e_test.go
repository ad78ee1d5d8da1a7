package app_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/hesgql/hesgql/graph/model"
	"github.com/hesgql/hesgql/internal/apptest"
)

// rawCall is one HTTP request to the API as a client might send it, right
// or wrong.
type rawCall struct {
	method, target string // target: path and raw query string
	contentType    string
	accept         string
	body           string
	header         map[string]string
}

// rawAnswer is what came back.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
	top    map[string]json.RawMessage // the body's top-level keys
	errors []apptest.Error
}

func (c rawCall) do(t *testing.T, s *apptest.Server, token string) rawAnswer {
	t.Helper()
	req, err := http.NewRequest(c.method, s.URL+c.target, strings.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	if c.contentType != "" {
		req.Header.Set("Content-Type", c.contentType)
	}
	if c.accept != "" {
		req.Header.Set("Accept", c.accept)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	for k, v := range c.header {
		req.Header.Set(k, v)
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	a := rawAnswer{status: resp.StatusCode, header: resp.Header}
	a.body, _ = io.ReadAll(resp.Body)
	if err := json.Unmarshal(a.body, &a.top); err != nil {
		t.Fatalf("%s %.80s: body is not JSON (%d, %s): %.300s", c.method, c.target, a.status, resp.Header.Get("Content-Type"), a.body)
	}
	_ = json.Unmarshal(a.top["errors"], &a.errors)
	return a
}

// wantError checks the single JSON error shape of API.md: one error with a
// message and a code, and no data.
func (a rawAnswer) wantError(t *testing.T, status int, code string) {
	t.Helper()
	if a.status != status {
		t.Errorf("status %d, want %d: %.300s", a.status, status, a.body)
	}
	if len(a.errors) != 1 || a.errors[0].Message == "" || a.errors[0].Code() != code {
		t.Errorf("errors %+v, want one with a message and code %s", a.errors, code)
	}
	if _, ok := a.top["data"]; ok {
		t.Errorf("a refused request has a data entry: %.300s", a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.Contains(ct, "json") {
		t.Errorf("Content-Type %q, want JSON", ct)
	}
}

const viewerQuery = `{ viewer { authenticated } }`

// Requests that are not GraphQL over HTTP the server serves are refused
// with the JSON error shape, a code and the status that says why.
func TestTransportErrorsAreCoded(t *testing.T) {
	s := apptest.New(t)
	tok := s.Token(t, []model.Role{model.RoleResearcher})
	body := `{"query":"` + viewerQuery + `"}`
	get := func(rawQuery string) rawCall { return rawCall{method: http.MethodGet, target: "/graphql?" + rawQuery} }
	q := url.QueryEscape(viewerQuery)
	cases := map[string]struct {
		call   rawCall
		status int
	}{
		"POST/TextPlain":          {rawCall{method: http.MethodPost, target: "/graphql", contentType: "text/plain", body: body}, http.StatusUnsupportedMediaType},
		"POST/NoContentType":      {rawCall{method: http.MethodPost, target: "/graphql", body: body}, http.StatusUnsupportedMediaType},
		"POST/ApplicationGraphQL": {rawCall{method: http.MethodPost, target: "/graphql", contentType: "application/graphql", body: viewerQuery}, http.StatusUnsupportedMediaType},
		"POST/Form":               {rawCall{method: http.MethodPost, target: "/graphql", contentType: "application/x-www-form-urlencoded", body: "query=" + q}, http.StatusUnsupportedMediaType},
		"PUT":                     {rawCall{method: http.MethodPut, target: "/graphql", contentType: "application/json", body: body}, http.StatusMethodNotAllowed},
		"DELETE":                  {rawCall{method: http.MethodDelete, target: "/graphql"}, http.StatusMethodNotAllowed},
		"PATCH":                   {rawCall{method: http.MethodPatch, target: "/graphql", contentType: "application/json", body: body}, http.StatusMethodNotAllowed},
		"WebSocket":               {rawCall{method: http.MethodGet, target: "/graphql", header: map[string]string{"Upgrade": "websocket", "Connection": "Upgrade"}}, http.StatusBadRequest},
		"GET/VariablesNotJSON":    {get("query=" + q + "&variables=%7Bnope"), http.StatusBadRequest},
		"GET/VariablesArray":      {get("query=" + q + "&variables=%5B1%5D"), http.StatusBadRequest},
		"GET/VariablesTrailing":   {get("query=" + q + "&variables=%7B%7D%7B%7D"), http.StatusBadRequest},
		"GET/ExtensionsNotJSON":   {get("query=" + q + "&extensions=xyz"), http.StatusBadRequest},
		"GET/ExtensionsString":    {get("query=" + q + "&extensions=%22s%22"), http.StatusBadRequest},
		"GET/BadEscape":           {get("query=" + q + "&x=%ZZ"), http.StatusBadRequest},
		"GET/BadEscapeInQuery":    {get("query=%7B%20viewer%20%7B%20authenticated%20%7D%20%7D%ZZ"), http.StatusBadRequest},
		"GET/Semicolon":           {get("query=" + q + ";operationName=x"), http.StatusBadRequest},
		"GET/QueryTwice":          {get("query=" + q + "&query=" + url.QueryEscape(`{ dataReleases { id } }`)), http.StatusBadRequest},
		"GET/NoQuery":             {get("operationName=x"), http.StatusBadRequest},
		"HeadersTooLarge":         {rawCall{method: http.MethodPost, target: "/graphql", contentType: "application/json", body: body, header: map[string]string{"X-Padding": strings.Repeat("p", 100<<10)}}, http.StatusRequestHeaderFieldsTooLarge},
		"HeadersTooLarge/Healthz": {rawCall{method: http.MethodGet, target: "/healthz", header: map[string]string{"X-Padding": strings.Repeat("p", 100<<10)}}, http.StatusRequestHeaderFieldsTooLarge},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			a := c.call.do(t, s, tok)
			a.wantError(t, c.status, model.ErrBadUserInput)
			switch c.status {
			case http.StatusMethodNotAllowed:
				if allow := a.header.Get("Allow"); !strings.Contains(allow, "GET") || !strings.Contains(allow, "POST") {
					t.Errorf("Allow = %q", allow)
				}
			case http.StatusUnsupportedMediaType:
				if !strings.Contains(a.errors[0].Message, "application/json") {
					t.Errorf("message %q does not say what to send", a.errors[0].Message)
				}
			}
		})
	}
	// The same requests written correctly are served.
	for name, c := range map[string]rawCall{
		"POST":                {method: http.MethodPost, target: "/graphql", contentType: "application/json; charset=utf-8", body: body},
		"POST/TrailingSpace":  {method: http.MethodPost, target: "/graphql", contentType: "application/json", body: body + " \r\n\t"},
		"GET":                 {method: http.MethodGet, target: "/graphql?query=" + q},
		"GET/Variables":       {method: http.MethodGet, target: "/graphql?query=" + url.QueryEscape(`query($n: Int) { diagnosisCodes(first: $n) { totalCount } }`) + "&variables=%7B%22n%22%3A2%7D"},
		"GET/EscapedPercent":  {method: http.MethodGet, target: "/graphql?query=" + q + "&operationName=&x=%25"},
		"HeadersBelowTheCap":  {method: http.MethodPost, target: "/graphql", contentType: "application/json", body: body, header: map[string]string{"X-Padding": strings.Repeat("p", 30<<10)}},
		"POST/NullParameters": {method: http.MethodPost, target: "/graphql", contentType: "application/json", body: `{"query":"` + viewerQuery + `","variables":null,"operationName":null,"extensions":null}`},
	} {
		t.Run("OK/"+name, func(t *testing.T) {
			a := c.do(t, s, tok)
			if a.status != http.StatusOK || len(a.errors) != 0 || len(a.top["data"]) == 0 {
				t.Errorf("status %d: %.300s", a.status, a.body)
			}
		})
	}
}

// A POST body is exactly one JSON object: data after it is refused, not
// ignored.
func TestTrailingBodyDataRefused(t *testing.T) {
	s := apptest.New(t)
	tok := s.Token(t, []model.Role{model.RoleResearcher})
	one := `{"query":"` + viewerQuery + `"}`
	for name, body := range map[string]string{
		"Word":              one + " xyz",
		"TwoObjects":        one + one,
		"TwoObjectsSpaced":  one + "\n" + `{"query":"{ dataReleases { id } }"}`,
		"ClosingBrace":      one + "}",
		"Array":             `[` + one + `]`,
		"Null":              `null`,
		"Truncated":         one[:len(one)-3],
		"Empty":             ``,
		"QueryNotString":    `{"query":{"obj":"ect"}}`,
		"QueryNumber":       `{"query":0}`,
		"NoQuery":           `{"qeury":"` + viewerQuery + `"}`,
		"VariablesString":   `{"query":"` + viewerQuery + `","variables":"string"}`,
		"VariablesArray":    `{"query":"` + viewerQuery + `","variables":["array"]}`,
		"ExtensionsFalse":   `{"query":"` + viewerQuery + `","extensions":false}`,
		"OperationNameZero": `{"query":"` + viewerQuery + `","operationName":0}`,
	} {
		for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
			t.Run(name+"/"+strings.TrimPrefix(accept, "application/"), func(t *testing.T) {
				a := rawCall{method: http.MethodPost, target: "/graphql", contentType: "application/json", accept: accept, body: body}.do(t, s, tok)
				a.wantError(t, http.StatusBadRequest, model.ErrBadUserInput)
			})
		}
	}
}

// GraphQL request errors (the document does not parse or validate, a
// variable does not coerce) follow GraphQL over HTTP: 200 for
// application/json, 400 for application/graphql-response+json, and never
// a data entry; an executed request is 200 in the media type asked for.
func TestRequestErrorStatusByMediaType(t *testing.T) {
	s := apptest.New(t)
	tok := s.Token(t, []model.Role{model.RoleResearcher})
	requestErrors := map[string]string{
		"ParseFailure":      `{"query":"{"}`,
		"ValidationFailure": `{"query":"{ noSuchField8f31 }"}`,
		"UnknownOperation":  `{"query":"query A { viewer { authenticated } }","operationName":"B"}`,
		"VariableCoercion":  `{"query":"query($n: Int!) { diagnosisCodes(first: $n) { totalCount } }","variables":{"n":"two"}}`,
		"NullForNonNull":    `{"query":"query CoerceFailure($id: ID!) { __typename }","variables":{"id":null}}`,
		"EnumCase":          `{"query":"query($g: [Dimension!]!) { statistics(groupBy: $g) { rows { keys } } }","variables":{"g":["sex"]}}`,
		"LimitRefusal":      `{"query":"{ a: viewer { roles } b: viewer { roles } c: viewer { roles } d: viewer { roles } e: viewer { roles } f: viewer { roles } g: viewer { roles } h: viewer { roles } i: viewer { roles } j: viewer { roles } k: viewer { roles } }"}`,
	}
	for name, body := range requestErrors {
		for accept, want := range map[string]struct {
			status int
			media  string
		}{
			"":                                  {http.StatusOK, "application/json"},
			"application/json":                  {http.StatusOK, "application/json"},
			"*/*":                               {http.StatusOK, "application/json"},
			"application/graphql-response+json": {http.StatusBadRequest, "application/graphql-response+json"},
			"application/graphql-response+json, application/json;q=0.9": {http.StatusBadRequest, "application/graphql-response+json"},
		} {
			t.Run(name+"/"+accept, func(t *testing.T) {
				a := rawCall{method: http.MethodPost, target: "/graphql", contentType: "application/json", accept: accept, body: body}.do(t, s, tok)
				if a.status != want.status || !strings.HasPrefix(a.header.Get("Content-Type"), want.media) {
					t.Errorf("status %d %s, want %d %s: %.300s", a.status, a.header.Get("Content-Type"), want.status, want.media, a.body)
				}
				if len(a.errors) == 0 || slices.ContainsFunc(a.errors, func(e apptest.Error) bool { return e.Code() == "" || e.Code() == model.ErrInternal }) {
					t.Errorf("errors without a fitting code: %s", a.body)
				}
				if _, ok := a.top["data"]; ok {
					t.Errorf("a request error has a data entry: %s", a.body)
				}
			})
		}
	}
	t.Run("GETMutation", func(t *testing.T) {
		a := rawCall{method: http.MethodGet, target: "/graphql?query=" + url.QueryEscape(`mutation { __typename }`), accept: "application/graphql-response+json"}.do(t, s, tok)
		if a.status/100 != 4 || len(a.errors) == 0 || a.errors[0].Code() != model.ErrBadUserInput {
			t.Errorf("status %d: %s", a.status, a.body)
		}
	})
	for _, accept := range []string{"application/json", "application/graphql-response+json"} {
		t.Run("Executed/"+accept, func(t *testing.T) {
			a := rawCall{method: http.MethodPost, target: "/graphql", contentType: "application/json", accept: accept, body: `{"query":"` + viewerQuery + `"}`}.do(t, s, tok)
			if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), accept) || len(a.top["data"]) == 0 || len(a.errors) != 0 {
				t.Errorf("status %d %s: %s", a.status, a.header.Get("Content-Type"), a.body)
			}
		})
	}
}

// A path the API does not serve, or a method a path does not take, is
// answered in the same JSON error shape, not the router's plain text.
func TestUnroutedRequestsAreCoded(t *testing.T) {
	s := apptest.New(t)
	tok := s.Token(t, []model.Role{model.RoleResearcher})
	for name, c := range map[string]struct {
		call   rawCall
		status int
		code   string
		allow  string
	}{
		"UnknownPath":         {rawCall{method: http.MethodGet, target: "/graphq1"}, http.StatusNotFound, model.ErrNotFound, ""},
		"UnknownExport":       {rawCall{method: http.MethodGet, target: "/export/patients.csv"}, http.StatusNotFound, model.ErrNotFound, ""},
		"PostHealthz":         {rawCall{method: http.MethodPost, target: "/healthz", contentType: "application/json", body: `{}`}, http.StatusMethodNotAllowed, model.ErrBadUserInput, "GET"},
		"DeleteExtract":       {rawCall{method: http.MethodDelete, target: "/export/episodes.csv"}, http.StatusMethodNotAllowed, model.ErrBadUserInput, "OPTIONS"},
		"PostGraphiQLAsset":   {rawCall{method: http.MethodPost, target: "/graphiql/graphiql.min.js"}, http.StatusMethodNotAllowed, model.ErrBadUserInput, "GET"},
		"PutMetrics":          {rawCall{method: http.MethodPut, target: "/metrics"}, http.StatusMethodNotAllowed, model.ErrBadUserInput, "GET"},
		"UnknownPathWithPost": {rawCall{method: http.MethodPost, target: "/nothing/here", contentType: "application/json", body: `{}`}, http.StatusNotFound, model.ErrNotFound, ""},
	} {
		t.Run(name, func(t *testing.T) {
			a := c.call.do(t, s, tok)
			a.wantError(t, c.status, c.code)
			if c.allow != "" && !strings.Contains(a.header.Get("Allow"), c.allow) {
				t.Errorf("Allow = %q, want it to list %s", a.header.Get("Allow"), c.allow)
			}
		})
	}
	// Routed requests are untouched.
	for _, path := range []string{"/healthz", "/", "/metrics"} {
		req, _ := http.NewRequest(http.MethodGet, s.URL+path, nil)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s = %d", path, resp.StatusCode)
		}
	}
}

// HEAD and a plain OPTIONS on /graphql say which methods it takes.
func TestGraphQLMethodsAdvertised(t *testing.T) {
	s := apptest.New(t)
	for method, want := range map[string]int{http.MethodHead: http.StatusMethodNotAllowed, http.MethodOptions: http.StatusNoContent} {
		req, _ := http.NewRequest(method, s.URL+"/graphql", nil)
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want || resp.Header.Get("Allow") != "GET, POST, OPTIONS" {
			t.Errorf("%s /graphql: %d, Allow %q; want %d with GET, POST, OPTIONS", method, resp.StatusCode, resp.Header.Get("Allow"), want)
		}
	}
}

package graph

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"github.com/hesgql/hesgql/graph/model"
)

// GraphQL over HTTP is served here rather than by gqlgen's stock GET and
// POST transports: those accept data after the body's JSON value, give
// their own errors no extensions.code, answer a method or media type they
// do not serve with a bare "transport not supported", answer request
// errors 422 for application/json and always include "data": null. The
// status codes here follow the GraphQL-over-HTTP specification:
//
//   - a request that is not a well-formed GraphQL-over-HTTP request (body
//     or query string that does not decode, parameters of the wrong type,
//     no query) is 400, whatever the response media type;
//   - a GraphQL request error (the document does not parse or validate, a
//     variable does not coerce, a limit refuses the operation) is 200 for
//     application/json and 400 (401/403/429/503 where the code says so)
//     for application/graphql-response+json;
//   - a request error answer has no "data" entry: nothing was executed.
//
// Every error, here or in execution, carries extensions.code.

// Response media types (GraphQL over HTTP, "Accept").
const (
	mediaJSON            = "application/json"
	mediaGraphQLResponse = "application/graphql-response+json"
)

// responseMedia picks the response media type from the Accept header:
// the first of the two GraphQL media types listed, application/json for a
// wildcard or no Accept (legacy clients), else graphql-response+json.
func responseMedia(r *http.Request) string {
	accept := r.Header.Get("Accept")
	if accept == "" {
		return mediaJSON
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil || params["q"] == "0" {
			continue
		}
		switch mt {
		case "*/*", "application/*", mediaJSON:
			return mediaJSON
		case mediaGraphQLResponse:
			return mediaGraphQLResponse
		}
	}
	return mediaGraphQLResponse
}

// requestError is the answer to a request refused before execution: errors
// and extensions, no data.
type requestError struct {
	Errors     gqlerror.List  `json:"errors"`
	Extensions map[string]any `json:"extensions,omitempty"`
}

// writeJSON writes v as the response body with the given status.
func writeJSON(w http.ResponseWriter, media string, status int, v any) {
	if resp, ok := v.(*graphql.Response); ok {
		writeResponse(w, media, status, resp, nil)
		return
	}
	head, err := json.Marshal(v)
	writeBody(w, media, status, err, head)
}

// writeResponse writes an executed operation's response, whose data the
// executor may have noted as needing no check (unchanged), and gives the
// data's buffer back.
func writeResponse(w http.ResponseWriter, media string, status int, resp *graphql.Response, unchanged *unchangedData) {
	head, data, tail, err := responseParts(resp, unchanged.vouches(resp.Data))
	writeBody(w, media, status, err, head, data, tail)
	releaseData(resp.Data)
}

// writeBody writes the parts of an encoded body, or an internal error if
// encoding failed.
func writeBody(w http.ResponseWriter, media string, status int, err error, parts ...[]byte) {
	if err != nil {
		status = http.StatusInternalServerError
		parts = [][]byte{[]byte(`{"errors":[{"message":"internal error","extensions":{"code":"INTERNAL"}}]}`)}
	}
	n := 0
	for _, part := range parts {
		n += len(part)
	}
	// The length is known, so the body goes out in one piece rather than
	// chunked, however it was assembled.
	w.Header().Set("Content-Type", media)
	w.Header().Set("Content-Length", strconv.Itoa(n))
	w.WriteHeader(status)
	for _, part := range parts {
		if len(part) > 0 {
			if _, err := w.Write(part); err != nil {
				break // the client is gone
			}
		}
	}
}

// badRequest refuses a request that is not well-formed GraphQL over HTTP.
func badRequest(w http.ResponseWriter, media string, status int, format string, args ...any) {
	writeJSON(w, media, status, requestError{Errors: gqlerror.List{{
		Message:    fmt.Sprintf(format, args...),
		Extensions: map[string]any{"code": model.ErrBadUserInput},
	}}})
}

// requestErrorStatus is the status of a GraphQL request error answer.
func requestErrorStatus(media string, errs gqlerror.List) int {
	if media == mediaJSON {
		// Legacy clients read a non-200 application/json answer as
		// coming from a proxy, not from GraphQL.
		return http.StatusOK
	}
	code := ""
	if len(errs) > 0 {
		code, _ = errs[0].Extensions["code"].(string)
	}
	switch code {
	case model.ErrUnauthenticated:
		return http.StatusUnauthorized
	case model.ErrForbidden:
		return http.StatusForbidden
	case "RATE_LIMITED":
		return http.StatusTooManyRequests
	case "UNAVAILABLE":
		return http.StatusServiceUnavailable
	}
	return http.StatusBadRequest
}

// execute runs decoded parameters: request errors are answered without
// data, an operation is executed and answered 200. queryOnly refuses
// mutations (GET).
func execute(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor, p *graphql.RawParams, media string, queryOnly bool) {
	ctx := r.Context()
	p.Headers = r.Header
	p.ReadTime.End = graphql.Now()
	oc, errs := exec.CreateOperationContext(ctx, p)
	if errs != nil {
		resp := exec.DispatchError(graphql.WithOperationContext(ctx, oc), errs)
		writeJSON(w, media, requestErrorStatus(media, resp.Errors), requestError{Errors: resp.Errors, Extensions: resp.Extensions})
		return
	}
	if queryOnly && oc.Operation.Operation != ast.Query {
		w.Header().Set("Allow", http.MethodPost)
		badRequest(w, media, http.StatusMethodNotAllowed, "GET runs queries only: send a %s with POST", oc.Operation.Operation)
		return
	}
	responses, ctx := exec.DispatchOperation(ctx, oc)
	ctx, unchanged := withUnchangedData(ctx)
	writeResponse(w, media, http.StatusOK, responses(ctx), unchanged)
}

// postTransport serves POST with an application/json body.
type postTransport struct{}

var _ graphql.Transport = postTransport{}

func (postTransport) Supports(r *http.Request) bool {
	if r.Method != http.MethodPost || r.Header.Get("Upgrade") != "" {
		return false
	}
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == mediaJSON
}

func (postTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r)
	p := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeJSON(w, media, http.StatusRequestEntityTooLarge, errorBody(model.ErrTooComplex, fmt.Sprintf("the request body is larger than %d bytes", mbe.Limit)))
			return
		}
		badRequest(w, media, http.StatusBadRequest, "cannot read the request body")
		return
	}
	if err := decodeBody(body, p); err != nil {
		badRequest(w, media, http.StatusBadRequest, "%v", err)
		return
	}
	execute(w, r, exec, p, media, false)
}

// getTransport serves GET with the parameters in the query string.
type getTransport struct{}

var _ graphql.Transport = getTransport{}

func (getTransport) Supports(r *http.Request) bool {
	return r.Method == http.MethodGet && r.Header.Get("Upgrade") == ""
}

func (getTransport) Do(w http.ResponseWriter, r *http.Request, exec graphql.GraphExecutor) {
	media := responseMedia(r)
	p := &graphql.RawParams{ReadTime: graphql.TraceTiming{Start: graphql.Now()}}
	if err := decodeQueryString(r.URL.RawQuery, p); err != nil {
		badRequest(w, media, http.StatusBadRequest, "%v", err)
		return
	}
	execute(w, r, exec, p, media, true)
}

// allowedMethods are the methods /graphql takes.
const allowedMethods = "GET, POST, OPTIONS"

// unsupported answers what no other transport serves: OPTIONS (the
// methods), another method or media type, or a WebSocket upgrade. It must
// be added last. (gqlgen's Options transport answers HEAD 405 without the
// Allow header that a 405 must carry.)
type unsupported struct{}

var _ graphql.Transport = unsupported{}

func (unsupported) Supports(*http.Request) bool { return true }

func (unsupported) Do(w http.ResponseWriter, r *http.Request, _ graphql.GraphExecutor) {
	media := responseMedia(r)
	switch {
	case r.Method == http.MethodOptions:
		w.Header().Set("Allow", allowedMethods)
		w.WriteHeader(http.StatusNoContent)
	case r.Header.Get("Upgrade") != "":
		badRequest(w, media, http.StatusBadRequest, "this server does not serve GraphQL over %s: use GET or POST", r.Header.Get("Upgrade"))
	case r.Method == http.MethodPost:
		w.Header().Set("Accept-Post", mediaJSON)
		ct := r.Header.Get("Content-Type")
		if ct == "" {
			ct = "none"
		}
		badRequest(w, media, http.StatusUnsupportedMediaType, "POST a JSON body with Content-Type: application/json (got %.100q)", ct)
	default:
		w.Header().Set("Allow", allowedMethods)
		badRequest(w, media, http.StatusMethodNotAllowed, "method %.20s is not allowed: GraphQL is served with GET (queries) and POST", r.Method)
	}
}

// decodeBody reads a POST body: exactly one JSON object, nothing after it,
// with parameters of the types GraphQL over HTTP gives them.
func decodeBody(body []byte, p *graphql.RawParams) error {
	// One pass decodes the parameters with their values, rather than
	// keeping each as raw JSON to decode again: the query text was read
	// four times over.
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber() // variables' numbers kept exact for the variable coercion
	var params map[string]any
	if err := dec.Decode(&params); err != nil {
		return fmt.Errorf("the request body is not a JSON object: %v", jsonProblem(err))
	}
	if params == nil {
		return errors.New("the request body is not a JSON object: null")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errors.New("the request body has data after its JSON object: send exactly one object")
	}
	var err error
	if p.Query, err = stringValue(params["query"], "query"); err != nil {
		return err
	}
	if p.OperationName, err = stringValue(params["operationName"], "operationName"); err != nil {
		return err
	}
	if p.Variables, err = objectValue(params["variables"], "variables"); err != nil {
		return err
	}
	if p.Extensions, err = objectValue(params["extensions"], "extensions"); err != nil {
		return err
	}
	return needQuery(p)
}

// stringValue is a decoded parameter that must be a string or null.
func stringValue(v any, name string) (string, error) {
	switch v := v.(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("%s: must be a string, not %s", name, kindOf(v))
}

// objectValue is a decoded parameter that must be an object or null.
func objectValue(v any, name string) (map[string]any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case map[string]any:
		return v, nil
	}
	return nil, fmt.Errorf("%s: must be a JSON object, not %s", name, kindOf(v))
}

// decodeQueryString reads GET parameters. A malformed query string is
// refused, never read in part: url.Values drops the pairs it cannot
// decode (a bad %-escape, a ';' separator), which would run something else
// than the caller wrote.
func decodeQueryString(rawQuery string, p *graphql.RawParams) error {
	q, err := url.ParseQuery(rawQuery)
	if err != nil {
		return fmt.Errorf("the query string is malformed (%v): separate name=value pairs with &, and write %% as %%25", err)
	}
	for _, name := range []string{"query", "operationName", "variables", "extensions"} {
		if len(q[name]) > 1 {
			return fmt.Errorf("%s: give the parameter once", name)
		}
	}
	p.Query, p.OperationName = q.Get("query"), q.Get("operationName")
	if v := q.Get("variables"); v != "" {
		if p.Variables, err = objectParam(json.RawMessage(v), "variables"); err != nil {
			return err
		}
	}
	if v := q.Get("extensions"); v != "" {
		if p.Extensions, err = objectParam(json.RawMessage(v), "extensions"); err != nil {
			return err
		}
	}
	return needQuery(p)
}

// needQuery refuses a request with no query text, unless it names a
// persisted query by hash instead.
func needQuery(p *graphql.RawParams) error {
	if p.Query != "" || persistedHash(p.Extensions) != "" {
		return nil
	}
	return errors.New("query: the request has no query (give the GraphQL document in \"query\")")
}

// objectParam decodes a GET parameter that is a JSON object or null,
// numbers kept exact for the variable coercion.
func objectParam(raw json.RawMessage, name string) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%s: not valid JSON: %v", name, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%s: data after the JSON object", name)
	}
	return objectValue(v, name)
}

// kindOf names the kind of a decoded JSON value.
func kindOf(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return "null"
}

// jsonProblem describes a JSON decoding error without quoting the input.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		return fmt.Sprintf("%v at byte %d", syn, syn.Offset)
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return "a " + typ.Value + " where an object belongs"
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "it ends early"
	}
	return err.Error()
}

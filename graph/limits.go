package graph

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"

	"github.com/hesgql/hesgql/graph/model"
)

// Limits bound what one operation may ask for (OWASP GraphQL cheat sheet).
// Every rejection is QUERY_TOO_COMPLEX and happens before any resolver, so
// before any SQL. Zero values take the defaults.
type Limits struct {
	// MaxQueryBytes bounds the query text (default 64 KiB).
	MaxQueryBytes int
	// MaxTokens bounds the lexical tokens of the query (default 10,000).
	MaxTokens int
	// MaxDepth bounds field nesting (default 12). Introspection fields do
	// not count: their nesting is the schema's, not the data's.
	MaxDepth int
	// MaxAliases bounds aliased fields, counted through fragments (default 30).
	MaxAliases int
	// MaxRootFields bounds the distinct top-level fields (default 10).
	MaxRootFields int
	// MaxFields bounds the fields of the operation with every fragment
	// spread expanded (default 2,000), which stops fragment bombs before
	// validation works through them.
	MaxFields int
	// MaxComplexity bounds the estimated cost (default 50,000): each field
	// costs 1 plus the values of its filter arguments (a relation filter
	// weighing RelationFilterWeight times what it holds) plus its children,
	// and a connection's children count once per row it may return
	// (first/last, or DefaultPageSize).
	MaxComplexity int
	// DefaultPageSize is what a connection without first/last returns (20).
	DefaultPageSize int
	// MaxFilterDepth bounds the nesting of objects in one input-object
	// argument, a filter (default 12): each and/or entry, not, patient,
	// hasEpisode and operator object is one level.
	MaxFilterDepth int
	// MaxFilterNodes bounds the values in one input-object argument
	// (default 2,000): every object, field value and list entry counts.
	MaxFilterNodes int
}

// Default limits (docs/governance.md).
const (
	DefaultMaxQueryBytes   = 64 << 10
	DefaultMaxTokens       = 10_000
	DefaultMaxDepth        = 12
	DefaultMaxAliases      = 30
	DefaultMaxRootFields   = 10
	DefaultMaxFields       = 2_000
	DefaultMaxComplexity   = 50_000
	DefaultPageSize        = 20
	DefaultMaxFilterDepth  = 12
	DefaultMaxFilterNodes  = 2_000
	saturated              = 1 << 40
	limitCacheSize         = 1000
	maxAllowListQueryBytes = 1 << 20
)

func (l Limits) withDefaults() Limits {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&l.MaxQueryBytes, DefaultMaxQueryBytes)
	def(&l.MaxTokens, DefaultMaxTokens)
	def(&l.MaxDepth, DefaultMaxDepth)
	def(&l.MaxAliases, DefaultMaxAliases)
	def(&l.MaxRootFields, DefaultMaxRootFields)
	def(&l.MaxFields, DefaultMaxFields)
	def(&l.MaxComplexity, DefaultMaxComplexity)
	def(&l.DefaultPageSize, DefaultPageSize)
	def(&l.MaxFilterDepth, DefaultMaxFilterDepth)
	def(&l.MaxFilterNodes, DefaultMaxFilterNodes)
	return l
}

// tooComplex is a limit rejection naming the limit and the values.
func tooComplex(limit string, got, max int, format string, args ...any) *gqlerror.Error {
	return &gqlerror.Error{
		Message: fmt.Sprintf(format, args...),
		Extensions: map[string]any{
			"code": model.ErrTooComplex, "limit": limit, "value": got, "max": max,
		},
	}
}

// limitExtension enforces Limits in two steps: the shape (size, tokens,
// depth, aliases, root fields, expanded fields) on the raw text before
// gqlgen validates it, since validation itself is costly on hostile
// documents; then the cost, which needs the validated document's types.
type limitExtension struct {
	l    Limits
	seen *lru.LRU[bool] // hashes of query texts whose shape passed
}

var _ interface {
	graphql.HandlerExtension
	graphql.OperationParameterMutator
	graphql.OperationContextMutator
} = &limitExtension{}

func newLimitExtension(l Limits) *limitExtension {
	return &limitExtension{l: l.withDefaults(), seen: lru.New[bool](limitCacheSize)}
}

func (e *limitExtension) ExtensionName() string { return "QueryLimits" }

func (e *limitExtension) Validate(graphql.ExecutableSchema) error { return nil }

// MutateOperationParameters checks the shape of the query text. It runs
// after the allow-list and APQ, so it sees the text that will execute.
func (e *limitExtension) MutateOperationParameters(ctx context.Context, p *graphql.RawParams) *gqlerror.Error {
	if n := len(p.Query); n > e.l.MaxQueryBytes {
		return tooComplex("queryBytes", n, e.l.MaxQueryBytes, "the query is %d bytes; the limit is %d", n, e.l.MaxQueryBytes)
	}
	key := sha256Hex(p.Query) // the text itself could hold 64 KiB per entry
	if _, ok := e.seen.Get(ctx, key); ok {
		return nil
	}
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: p.Query}, e.l.MaxTokens)
	if err != nil {
		var ge *gqlerror.Error
		if errors.As(err, &ge) && strings.HasPrefix(ge.Message, "exceeded token limit") {
			return tooComplex("tokens", e.l.MaxTokens+1, e.l.MaxTokens, "the query has more than %d tokens", e.l.MaxTokens)
		}
		return nil // syntax errors are reported, with positions, by the executor
	}
	if err := checkShape(doc, e.l); err != nil {
		return err
	}
	e.seen.Add(ctx, key, true)
	return nil
}

// MutateOperationContext checks the arguments (page sizes, filter depth and
// size) and then the cost of the validated operation.
func (e *limitExtension) MutateOperationContext(ctx context.Context, oc *graphql.OperationContext) *gqlerror.Error {
	if oc.Operation == nil {
		return nil
	}
	args := argWalker{vars: oc.Variables, l: e.l}
	if err := args.selections(oc.Operation.SelectionSet, nil); err != nil {
		return err
	}
	c := costWalker{vars: oc.Variables, page: e.l.DefaultPageSize, memo: map[string]int{}}
	cost := c.selections(oc.Operation.SelectionSet)
	if cost > e.l.MaxComplexity {
		return tooComplex("complexity", cost, e.l.MaxComplexity,
			"the query's estimated cost is %d; the limit is %d (lower first/last, select less or nest fewer patient/hasEpisode/diagnosis/procedure filters, which weigh %d times what they hold)", cost, e.l.MaxComplexity, RelationFilterWeight)
	}
	return nil
}

// shapeWalker measures a parsed but unvalidated document, expanding
// fragment spreads with memoisation (a fragment is measured once however
// often it is spread) and cycle protection (validation has not run yet).
type shapeWalker struct {
	frags    map[string]*ast.FragmentDefinition
	memo     map[string]shape
	visiting map[string]bool
}

type shape struct{ depth, aliases, fields int }

func sat(n int) int { return min(n, saturated) }

func (w *shapeWalker) selections(set ast.SelectionSet) shape {
	var out shape
	for _, sel := range set {
		var s shape
		switch x := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(x.Name, "__") {
				s = shape{depth: 1, fields: 1}
				if x.Alias != x.Name {
					s.aliases = 1
				}
				sub := w.selections(x.SelectionSet)
				s.aliases, s.fields = sat(s.aliases+sub.aliases), sat(s.fields+sub.fields)
				break
			}
			sub := w.selections(x.SelectionSet)
			s = shape{depth: 1 + sub.depth, aliases: sub.aliases, fields: sat(1 + sub.fields)}
			if x.Alias != x.Name {
				s.aliases = sat(s.aliases + 1)
			}
		case *ast.InlineFragment:
			s = w.selections(x.SelectionSet)
		case *ast.FragmentSpread:
			s = w.fragment(x.Name)
		}
		out.depth = max(out.depth, s.depth)
		out.aliases = sat(out.aliases + s.aliases)
		out.fields = sat(out.fields + s.fields)
	}
	return out
}

func (w *shapeWalker) fragment(name string) shape {
	if s, ok := w.memo[name]; ok {
		return s
	}
	f := w.frags[name]
	if f == nil || w.visiting[name] {
		return shape{} // unknown or cyclic: validation reports it
	}
	w.visiting[name] = true
	s := w.selections(f.SelectionSet)
	delete(w.visiting, name)
	w.memo[name] = s
	return s
}

// rootFields counts the distinct response keys at the top of an operation.
func (w *shapeWalker) rootFields(set ast.SelectionSet, keys map[string]bool, depth int) {
	if depth > 100 {
		return
	}
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if x.Name != "__typename" {
				keys[x.Alias] = true
			}
		case *ast.InlineFragment:
			w.rootFields(x.SelectionSet, keys, depth+1)
		case *ast.FragmentSpread:
			if f := w.frags[x.Name]; f != nil && !w.visiting[x.Name] {
				w.visiting[x.Name] = true
				w.rootFields(f.SelectionSet, keys, depth+1)
				delete(w.visiting, x.Name)
			}
		}
	}
}

func checkShape(doc *ast.QueryDocument, l Limits) *gqlerror.Error {
	w := &shapeWalker{frags: map[string]*ast.FragmentDefinition{}, memo: map[string]shape{}, visiting: map[string]bool{}}
	for _, f := range doc.Fragments {
		w.frags[f.Name] = f
	}
	for _, op := range doc.Operations {
		s := w.selections(op.SelectionSet)
		if s.depth > l.MaxDepth {
			return tooComplex("depth", s.depth, l.MaxDepth, "the query is nested %d deep; the limit is %d", s.depth, l.MaxDepth)
		}
		if s.aliases > l.MaxAliases {
			return tooComplex("aliases", s.aliases, l.MaxAliases, "the query has %d aliases; the limit is %d", s.aliases, l.MaxAliases)
		}
		if s.fields > l.MaxFields {
			return tooComplex("fields", s.fields, l.MaxFields, "the query selects %d fields once fragments are expanded; the limit is %d", s.fields, l.MaxFields)
		}
		keys := map[string]bool{}
		w.rootFields(op.SelectionSet, keys, 0)
		if n := len(keys); n > l.MaxRootFields {
			return tooComplex("rootFields", n, l.MaxRootFields, "the query has %d top-level fields; the limit is %d", n, l.MaxRootFields)
		}
	}
	return nil
}

// costWalker estimates the cost of a validated operation.
type costWalker struct {
	vars map[string]any
	page int
	memo map[string]int
}

func (c *costWalker) selections(set ast.SelectionSet) int {
	total := 0
	for _, sel := range set {
		switch x := sel.(type) {
		case *ast.Field:
			if strings.HasPrefix(x.Name, "__") {
				continue // introspection and __typename: no data behind them
			}
			total = sat(total + sat(1+c.filters(x)+sat(c.rows(x)*c.selections(x.SelectionSet))))
		case *ast.InlineFragment:
			total = sat(total + c.selections(x.SelectionSet))
		case *ast.FragmentSpread:
			n, ok := c.memo[x.Name]
			if !ok && x.Definition != nil {
				n = c.selections(x.Definition.SelectionSet)
				c.memo[x.Name] = n
			}
			total = sat(total + n)
		}
	}
	return total
}

// filters is the size of the field's input-object arguments.
func (c *costWalker) filters(f *ast.Field) int {
	if f.Definition == nil || len(f.Definition.Arguments) == 0 {
		return 0
	}
	return inputNodes(f, f.ArgumentMap(c.vars))
}

// rows is how many times a field's children are resolved: the page size
// for a paginated field (one taking first or last), else once.
func (c *costWalker) rows(f *ast.Field) int {
	if f.Definition == nil || (f.Definition.Arguments.ForName("first") == nil && f.Definition.Arguments.ForName("last") == nil) {
		return 1
	}
	args := f.ArgumentMap(c.vars)
	n := -1
	for _, name := range []string{"first", "last"} {
		if v, ok := toInt(args[name]); ok {
			n = max(n, v)
		}
	}
	if n < 0 {
		n = c.page
	}
	return max(n, 1)
}

func toInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int32:
		return int(n), true
	case int64:
		return int(min(n, saturated)), true
	case float64:
		return int(min(n, saturated)), true
	case json.Number:
		i, err := n.Int64()
		return int(min(i, saturated)), err == nil
	}
	return 0, false
}

// LoadAllowList reads an allow-list file: a JSON object mapping the hex
// SHA-256 of each registered query to its text. Keys that do not hash their
// query are refused, so the file cannot silently allow other text.
func LoadAllowList(path string) (map[string]string, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("allow-list: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("allow-list %s: want a JSON object of {sha256: query}: %w", path, err)
	}
	for k, q := range m {
		if sha256Hex(q) != strings.ToLower(k) {
			return nil, fmt.Errorf("allow-list %s: key %.16s… is not the SHA-256 of its query", path, k)
		}
		if len(q) > maxAllowListQueryBytes {
			return nil, fmt.Errorf("allow-list %s: query %.16s… is too long", path, k)
		}
	}
	out := make(map[string]string, len(m))
	for k, q := range m {
		out[strings.ToLower(k)] = q
	}
	return out, nil
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// allowList runs only registered queries: by persisted-query hash (APQ
// style, the text then comes from the list) or by exact text. It runs
// before APQ, so APQ cannot be used to register anything else.
type allowList struct{ byHash map[string]string }

func (allowList) ExtensionName() string                   { return "AllowList" }
func (allowList) Validate(graphql.ExecutableSchema) error { return nil }

func (a allowList) MutateOperationParameters(_ context.Context, p *graphql.RawParams) *gqlerror.Error {
	if p.Query == "" {
		if h := persistedHash(p.Extensions); h != "" {
			if q, ok := a.byHash[h]; ok {
				p.Query = q
				return nil
			}
		}
	} else if _, ok := a.byHash[sha256Hex(p.Query)]; ok {
		return nil
	}
	return &gqlerror.Error{
		Message:    "this server runs only registered queries, and this one is not on its allow-list",
		Extensions: map[string]any{"code": model.ErrForbidden},
	}
}

func persistedHash(ext map[string]any) string {
	pq, _ := ext["persistedQuery"].(map[string]any)
	h, _ := pq["sha256Hash"].(string)
	return strings.ToLower(h)
}

// LimitBody reads at most n bytes of a request body before the GraphQL
// handler sees it, so that an oversized body, chunked or not, is refused
// with a coded JSON error rather than a transport error echoing the body.
func LimitBody(n int64, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Method == http.MethodGet || r.Method == http.MethodOptions {
			next.ServeHTTP(w, r)
			return
		}
		if r.ContentLength > n {
			tooLarge(w, n)
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, n+1))
		var mbe *http.MaxBytesError
		if int64(len(body)) > n || errors.As(err, &mbe) {
			tooLarge(w, n)
			return
		}
		if err != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(errorBody(model.ErrBadUserInput, "cannot read the request body"))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}

func tooLarge(w http.ResponseWriter, n int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	_ = json.NewEncoder(w).Encode(errorBody(model.ErrTooComplex, fmt.Sprintf("the request body is larger than %d bytes", n)))
}

func errorBody(code, msg string) map[string]any {
	return map[string]any{"errors": []map[string]any{{"message": msg, "extensions": map[string]any{"code": code}}}}
}

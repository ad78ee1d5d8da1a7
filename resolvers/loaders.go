package resolvers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// loaders batch the lookups of one request: every episode on a page asks
// for its patient, diagnoses and procedures, and each becomes one query.
type loaders struct {
	patient    *primedLoader[*model.Patient]
	diagnoses  *primedLoader[[]*model.Diagnosis]
	procedures *primedLoader[[]*model.Procedure]

	mu       sync.Mutex
	shapes   map[*ast.Field]listingShape // see nestedShape
	siblings map[siblingKey]siblings     // see siblingList
}

// siblingKey is a list's field context, the parent every element of it
// shares, and what was taken from the list.
type siblingKey struct {
	list *graphql.FieldContext
	kind string
}

// siblings is what siblingList found for a list: the ids taken from it
// and the work memo of the connection holding it.
type siblings struct {
	ids    []int64
	shared *model.Memo
}

// sibling returns what siblingList kept for list under kind.
func (l *loaders) sibling(list *graphql.FieldContext, kind string) (siblings, bool) {
	if l == nil {
		return siblings{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	s, ok := l.siblings[siblingKey{list, kind}]
	return s, ok
}

// keepSibling keeps what siblingList found for list under kind.
func (l *loaders) keepSibling(list *graphql.FieldContext, kind string, s siblings) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.siblings == nil {
		l.siblings = map[siblingKey]siblings{}
	}
	l.siblings[siblingKey{list, kind}] = s
}

type loadersKey struct{}

// batchWait is how long a loader collects keys before querying. Sibling
// fields are resolved concurrently, so a short wait suffices.
const batchWait = 500 * time.Microsecond

func newLoaders(d *db.DB) *loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(1000)}
	return &loaders{
		patient: primed(dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.Patient, error) {
			ps, err := d.PatientsByID(ctx, ids)
			out := make(map[int64]*model.Patient, len(ps))
			for _, p := range ps {
				out[p.RowID] = p
			}
			return out, err
		}, opts...)),
		diagnoses: primed(dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*model.Diagnosis, []error) {
			m, err := d.DiagnosesByEpisode(ctx, ids)
			return inKeyOrder(ids, m, err)
		}, opts...)),
		procedures: primed(dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*model.Procedure, []error) {
			m, err := d.ProceduresByEpisode(ctx, ids)
			return inKeyOrder(ids, m, err)
		}, opts...)),
	}
}

// primedLoader is a loader with a plain map in front for what a page's
// prefetch already read (prefetch.go), which is nearly every key a
// request asks for: dataloadgen's Prime and Load, with their per-key
// thunks and locks, cost about a thousand instructions per key, a map
// read under a read lock a few dozen. Keys not primed go to the loader.
type primedLoader[V any] struct {
	loader *dataloadgen.Loader[int64, V]
	mu     sync.RWMutex
	primed map[int64]V
}

func primed[V any](l *dataloadgen.Loader[int64, V]) *primedLoader[V] {
	return &primedLoader[V]{loader: l}
}

// Prime records v for key unless a value is already recorded, and says
// whether it was recorded, as dataloadgen's Prime does.
func (l *primedLoader[V]) Prime(key int64, v V) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.primed[key]; ok {
		return false
	}
	if l.primed == nil {
		l.primed = map[int64]V{}
	}
	l.primed[key] = v
	return true
}

// Load returns the primed value for key, or loads it in a batch.
func (l *primedLoader[V]) Load(ctx context.Context, key int64) (V, error) {
	l.mu.RLock()
	v, ok := l.primed[key]
	l.mu.RUnlock()
	if ok {
		return v, nil
	}
	return l.loader.Load(ctx, key)
}

// inKeyOrder lays out grouped rows in the order of keys; a key with no rows
// gets an empty list, not an error.
func inKeyOrder[T any](keys []int64, m map[int64][]T, err error) ([][]T, []error) {
	out := make([][]T, len(keys))
	if err != nil {
		errs := make([]error, len(keys))
		for i := range errs {
			errs[i] = err
		}
		return out, errs
	}
	for i, k := range keys {
		if v := m[k]; v != nil {
			out[i] = v
		} else {
			out[i] = []T{}
		}
	}
	return out, nil
}

// LoaderMiddleware gives each request its own loaders, so that nothing is
// cached across requests or callers.
func LoaderMiddleware(d *db.DB, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := context.WithValue(r.Context(), loadersKey{}, newLoaders(d))
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func loadersFrom(ctx context.Context) *loaders {
	return ctx.Value(loadersKey{}).(*loaders)
}

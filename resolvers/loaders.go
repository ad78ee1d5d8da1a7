package resolvers

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vikstrous/dataloadgen"

	"github.com/hesgql/hesgql/db"
	"github.com/hesgql/hesgql/graph/model"
)

// loaders batch the lookups of one request: every episode on a page asks
// for its patient, diagnoses and procedures, and each becomes one query.
type loaders struct {
	patient    *dataloadgen.Loader[int64, *model.Patient]
	diagnoses  *dataloadgen.Loader[int64, []*model.Diagnosis]
	procedures *dataloadgen.Loader[int64, []*model.Procedure]

	mu     sync.Mutex
	shapes map[*ast.Field]listingShape // see nestedShape
}

type loadersKey struct{}

// batchWait is how long a loader collects keys before querying. Sibling
// fields are resolved concurrently, so a short wait suffices.
const batchWait = 500 * time.Microsecond

func newLoaders(d *db.DB) *loaders {
	opts := []dataloadgen.Option{dataloadgen.WithWait(batchWait), dataloadgen.WithBatchCapacity(1000)}
	return &loaders{
		patient: dataloadgen.NewMappedLoader(func(ctx context.Context, ids []int64) (map[int64]*model.Patient, error) {
			ps, err := d.PatientsByID(ctx, ids)
			out := make(map[int64]*model.Patient, len(ps))
			for _, p := range ps {
				out[p.RowID] = p
			}
			return out, err
		}, opts...),
		diagnoses: dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*model.Diagnosis, []error) {
			m, err := d.DiagnosesByEpisode(ctx, ids)
			return inKeyOrder(ids, m, err)
		}, opts...),
		procedures: dataloadgen.NewLoader(func(ctx context.Context, ids []int64) ([][]*model.Procedure, []error) {
			m, err := d.ProceduresByEpisode(ctx, ids)
			return inKeyOrder(ids, m, err)
		}, opts...),
	}
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
